"""The calendar feed a technician's calendar app reads, at the root (namespace "calendar"): no organization in the
address and no sign-in — the token in the link names the feed (scheduling.calendar)."""

from django.urls import path

from scheduling import views

app_name = "calendar"

urlpatterns = [
    path("calendars/<str:token>.ics", views.calendar_feed_ics, name="feed-ics"),
]
