"""Field pages (the technician's phone app), included under /o/<org>/ by rollout.web_urls."""

from django.urls import path

from workorders.field import views

urlpatterns = [
    path("field/visits/<int:pk>/", views.FieldVisitView.as_view(), name="field-visit"),
]
