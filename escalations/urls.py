"""escalations pages, included under /o/<org>/ by rollout.urls (namespace "escalations")."""

from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("escalations/", views.EscalationListView.as_view(), name="escalations"),
    path("escalations/<int:pk>/", views.EscalationDetailView.as_view(), name="escalation-detail"),
    path("escalations/<int:pk>/<str:verb>/", views.EscalationActionView.as_view(), name="escalation-action"),
    path("sla-policy/", views.SlaPolicyView.as_view(), name="sla-policy"),
]
