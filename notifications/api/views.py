"""API views of the notifications app: the caller's notices (list, filter unread, mark read, mark all read), their
preferences, and the event catalogue. Every member has them; what they return is the caller's own (another user's
or organization's notice is a 404); an API token without a user has no notices."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from notifications import selectors, services
from notifications.api import serializers as s
from notifications.filtersets import NotificationFilterSet
from notifications.models import Notification
from rollout.api.base import OrgAPIView, OrgGenericViewSet
from rollout.choices import ALL_ROLES
from rollout.events import event_types

EVERYONE = {"read": ALL_ROLES, "write": ALL_ROLES}


@extend_schema(tags=["notifications"])
class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """The caller's notices, newest first (`unread=true` for the unread ones)."""

    queryset = Notification.objects.filter(in_app=True).select_related("event")
    serializer_class = s.NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    roles = EVERYONE

    @extend_schema(request=None, responses=s.NotificationSerializer, description="Mark one notice read (idempotent).")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notification = self.get_object()
        services.notification_mark_read(**self.service_kwargs(), notification_id=notification.pk)
        return self.output(notification)

    @extend_schema(request=None, responses=s.ReadAllSerializer, description="Mark every unread notice read.")
    @action(detail=False, methods=["post"], url_path="read-all", url_name="read-all")
    def read_all(self, request):
        count = services.notifications_mark_all_read(**self.service_kwargs())
        return Response({"marked_read": count})


def _preferences(access) -> dict:
    rows, digest = selectors.notification_preferences_get(access=access)
    return {
        "types": [
            {
                "event_type": row.event_type.name,
                "title": row.event_type.title,
                "mandatory": row.mandatory,
                "in_app": row.in_app,
                "email": row.email,
            }
            for row in rows
        ],
        "digest": digest,
    }


@extend_schema(tags=["notifications"])
class NotificationPreferencesView(OrgAPIView):
    """The caller's notification preferences: every event type that concerns their role with its channels (in the
    app, e-mail; default on), and their e-mail rhythm (immediate or a daily digest)."""

    roles = EVERYONE

    @extend_schema(responses=s.PreferencesSerializer)
    def get(self, request):
        return Response(_preferences(self.access))

    @extend_schema(
        request=s.PreferencesUpdateInputSerializer,
        responses=s.PreferencesSerializer,
        description=(
            "Switch channels of event types on or off (`changes`) and set the e-mail rhythm (`digest`). Refused as a "
            "whole: 400 `notification_mandatory` to switch off a mandatory type, `unknown_event_type` for a name "
            "not in the catalogue."
        ),
    )
    def patch(self, request):
        data = s.PreferencesUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        services.notification_preferences_update(
            **self.service_kwargs(),
            changes=[(c["event_type"], c["channel"], c["enabled"]) for c in values.get("changes", [])],
            digest=values.get("digest"),
        )
        return Response(_preferences(self.access))


@extend_schema(tags=["notifications"])
class EventTypeListView(OrgAPIView):
    """The event catalogue: every event type with its payload version, whether it is mandatory, and an example
    payload (what webhooks deliver and notification preferences list)."""

    roles = {"read": ALL_ROLES}

    @extend_schema(responses=s.EventTypeSerializer(many=True))
    def get(self, request):
        return Response(s.EventTypeSerializer(event_types(), many=True).data)
