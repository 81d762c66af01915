"""scheduling pages, included under /o/<org>/ by rollout.urls (namespace "scheduling")."""

from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("schedule-runs/", views.RunListView.as_view(), name="schedule-runs"),
    path("schedule-runs/new/", views.RunCreateView.as_view(), name="schedule-run-create"),
    path("schedule-runs/<int:pk>/", views.RunDetailView.as_view(), name="schedule-run-detail"),
    path("schedule-runs/<int:pk>/publish/", views.RunPublishView.as_view(), name="schedule-run-publish"),
    path("schedule-runs/<int:pk>/cancel/", views.RunCancelView.as_view(), name="schedule-run-cancel"),
    path("calendar-feed/", views.CalendarFeedView.as_view(), name="calendar-feed"),
    path("calendar-feed/turn-off/", views.CalendarFeedRevokeView.as_view(), name="calendar-feed-revoke"),
]
