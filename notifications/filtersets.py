"""The inbox's filters for the API: read state and event type."""

from __future__ import annotations

import django_filters

from notifications.models import Notification


class NotificationFilterSet(django_filters.FilterSet):
    """The caller's notices: `unread=true` for the unread ones only, `type` for one event type."""

    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull", label="Unread")
    type = django_filters.CharFilter(field_name="type", label="Event type")

    class Meta:
        model = Notification
        fields = ["unread", "type"]
