"""Field pages (the technician's phone app), namespace `field`, included at the root by rollout.urls.

The service worker script sits at the root, not under /o/<org>/: public code, registered by a technician's
pages with their organization as its scope (see FieldServiceWorkerView). The pages sit under /o/<org>/."""

from django.urls import path

from workorders.field import views

app_name = "field"

urlpatterns = [
    path("field-sw.js", views.FieldServiceWorkerView.as_view(), name="field-service-worker"),
    path("o/<slug:org>/upcoming/", views.UpcomingView.as_view(), name="upcoming"),
    path("o/<slug:org>/field/visits/<int:pk>/", views.FieldVisitView.as_view(), name="field-visit"),
    path("o/<slug:org>/field/offline/", views.FieldOfflineView.as_view(), name="field-offline"),
]
