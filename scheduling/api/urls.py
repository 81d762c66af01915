"""scheduling REST routes, namespace `scheduling-api`, included under /api/v1/ by rollout.api.urls."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from scheduling.api import views

app_name = "scheduling-api"

router = SimpleRouter()
router.register("schedule-runs", views.ScheduleRunViewSet, basename="schedule-run")

urlpatterns = [
    *router.urls,
    path("calendar-feed/", views.CalendarFeedView.as_view(), name="calendar-feed"),
]
