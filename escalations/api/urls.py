"""escalations REST routes, namespace `escalations-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from escalations.api import views

app_name = "escalations-api"

router = SimpleRouter()
router.register("escalations", views.EscalationViewSet, basename="escalation")

urlpatterns = [
    path("sla-policy/", views.SlaPolicyView.as_view(), name="sla-policy"),
    path("sla-policy/rules/<str:rule>/", views.SlaRuleView.as_view(), name="sla-rule"),
    path("sla-policy/programs/<int:program_id>/", views.ProgramSlaPolicyView.as_view(), name="program-sla-policy"),
    path(
        "sla-policy/programs/<int:program_id>/rules/<str:rule>/",
        views.ProgramSlaRuleView.as_view(),
        name="program-sla-rule",
    ),
    *router.urls,
]
