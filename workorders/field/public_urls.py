"""The field app's service worker script, at the root (not under /o/<org>/): public code, registered by a
technician's pages with their organization as its scope (see FieldServiceWorkerView). Included by rollout.web_urls."""

from django.urls import path

from workorders.field import views

urlpatterns = [
    path("field-sw.js", views.FieldServiceWorkerView.as_view(), name="field-service-worker"),
]
