"""The REST API at /api/v1/: one router; every app registers its viewsets here."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from rollout.api import views

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("clients", views.ClientViewSet, basename="client")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("invitations", views.InvitationViewSet, basename="invitation")
router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")
router.register("audit-events", views.AuditEventViewSet, basename="audit-event")


urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
    path("", include("programs.api.urls")),
    path("", include("sites.api.urls")),
    path("", include("technicians.api.urls")),
    path("", include("workorders.api.urls")),
    path("", include("workorders.packets.urls")),
    path("", include("workorders.visits.urls")),
]
