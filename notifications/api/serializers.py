"""Serializers of the notifications API: notices (read-only), preferences (in and out) and the event catalogue."""

from __future__ import annotations

from rest_framework import serializers

from notifications.choices import Channel, Digest
from notifications.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    """One notice of the caller: what it says, what it links to (a path), and whether it was read."""

    event = serializers.CharField(source="event.uid", read_only=True, help_text="The event's stable id (evt_…).")
    subject_type = serializers.CharField(source="event.subject_type", read_only=True)
    subject_id = serializers.IntegerField(source="event.subject_id", read_only=True, allow_null=True)
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "type",
            "event",
            "subject_type",
            "subject_id",
            "title",
            "body",
            "link",
            "mandatory",
            "is_read",
            "read_at",
            "created_at",
        ]
        read_only_fields = fields


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField(read_only=True, help_text="How many unread notices were marked read.")


class PreferenceSerializer(serializers.Serializer):
    """One event type with the caller's channels (a mandatory type is always on)."""

    event_type = serializers.CharField()
    title = serializers.CharField(read_only=True)
    mandatory = serializers.BooleanField(read_only=True)
    in_app = serializers.BooleanField()
    email = serializers.BooleanField()


class PreferencesSerializer(serializers.Serializer):
    types = PreferenceSerializer(many=True)
    digest = serializers.ChoiceField(choices=Digest.choices)


class PreferenceChangeSerializer(serializers.Serializer):
    event_type = serializers.CharField(max_length=80)
    channel = serializers.ChoiceField(choices=Channel.choices)
    enabled = serializers.BooleanField()


class PreferencesUpdateInputSerializer(serializers.Serializer):
    """Channels to switch on or off, and the e-mail rhythm; both optional."""

    changes = PreferenceChangeSerializer(many=True, required=False, default=list, max_length=200)
    digest = serializers.ChoiceField(choices=Digest.choices, required=False)


class EventTypeSerializer(serializers.Serializer):
    """One entry of the event catalogue."""

    name = serializers.CharField()
    title = serializers.CharField()
    subject = serializers.CharField()
    description = serializers.CharField()
    version = serializers.IntegerField()
    mandatory = serializers.BooleanField()
    example = serializers.DictField(help_text="The `data` of a typical event of this type.")
