"""The REST API at /api/v1/: the core's routes (namespace `core-api`) and every app's API module (`<app>-api`)."""

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


# The core's own routes, namespace `core-api`; each app's API module declares `app_name = "<app>-api"`.
core_patterns = [
    path("", views.ApiRootView.as_view(), name="api-root"),
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]

urlpatterns = [
    path("", include((core_patterns, "core-api"))),
    path("", include("programs.api.urls")),
    path("", include("sites.api.urls")),
    path("", include("technicians.api.urls")),
    path("", include("workorders.api.urls")),
    path("", include("workorders.packets.api.urls")),
    path("", include("workorders.visits.api.urls")),
    path("", include("quality.api.urls")),
    path("", include("escalations.api.urls")),
    path("", include("notifications.api.urls")),
    path("", include("webhooks.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("scheduling.api.urls")),
]
