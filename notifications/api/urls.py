"""notifications REST routes, namespace `notifications-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from notifications.api import views

app_name = "notifications-api"

router = SimpleRouter()
router.register("notifications", views.NotificationViewSet, basename="notification")

urlpatterns = [
    path("notification-preferences/", views.NotificationPreferencesView.as_view(), name="notification-preferences"),
    path("event-types/", views.EventTypeListView.as_view(), name="event-types"),
    *router.urls,
]
