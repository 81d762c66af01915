"""notifications pages, included under /o/<org>/ by rollout.urls (namespace "notifications")."""

from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.InboxView.as_view(), name="notifications"),
    path("notifications/read-all/", views.NotificationReadAllView.as_view(), name="notification-read-all"),
    path("notifications/preferences/", views.PreferencesView.as_view(), name="notification-preferences"),
    path("notifications/<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification-open"),
    path("notifications/<int:pk>/read/", views.NotificationReadView.as_view(), name="notification-read"),
]
