"""Serializers of the scheduling API: runs (output with progress and summary), the create input, proposals,
unscheduled work orders and the publish result."""

from __future__ import annotations

from rest_framework import serializers

from programs.models import Program, Wave
from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from scheduling.models import ScheduleProposal, ScheduleRun, ScheduleUnscheduled


class ScheduleRunSerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code", read_only=True)
    wave_name = serializers.CharField(source="wave.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ScheduleRun
        fields = [
            "id",
            "program",
            "program_code",
            "wave",
            "wave_name",
            "work_order_ids",
            "date_from",
            "date_to",
            "seed",
            "balance",
            "daily_max",
            "status",
            "progress",
            "time_limit",
            "stale",
            "failure_reason",
            "summary",
            "created_by_label",
            "created_at",
            "started_at",
            "finished_at",
            "published_at",
        ]
        read_only_fields = fields


class ScheduleRunCreateInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    wave = OrgPrimaryKeyRelatedField(queryset=Wave.objects.all(), required=False, allow_null=True)
    work_order_ids = serializers.ListField(child=IdField(), required=False, max_length=5000)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    time_limit = serializers.IntegerField(min_value=10, max_value=3600, required=False)
    balance = serializers.FloatField(min_value=1.0, max_value=10.0, required=False)
    daily_max = serializers.IntegerField(min_value=1, max_value=50, required=False, allow_null=True)


class ScheduleProposalSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    site_code = serializers.CharField(source="work_order.site.code", read_only=True)
    site_timezone = serializers.CharField(source="work_order.site.timezone", read_only=True)
    technician_name = serializers.CharField(source="technician.full_name", read_only=True)

    class Meta:
        model = ScheduleProposal
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "site_code",
            "site_timezone",
            "technician",
            "technician_name",
            "day",
            "start_time",
            "end_time",
            "window_start",
            "window_end",
            "order",
            "km",
            "visit",
            "publish_outcome",
            "publish_code",
            "publish_message",
        ]
        read_only_fields = fields


class ScheduleUnscheduledSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    site_code = serializers.CharField(source="work_order.site.code", read_only=True)

    class Meta:
        model = ScheduleUnscheduled
        fields = ["id", "work_order", "work_order_number", "site_code", "reason", "message"]
        read_only_fields = fields


class SchedulePublishResultSerializer(serializers.Serializer):
    booked = serializers.IntegerField()
    refused = serializers.IntegerField()
    already = serializers.IntegerField()


class CalendarFeedSerializer(serializers.Serializer):
    """The caller's calendar feed: whether it is on, when its link was made and last read."""

    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_read_at = serializers.DateTimeField(allow_null=True, help_text="When a calendar app last read the feed.")


class CalendarFeedIssuedSerializer(CalendarFeedSerializer):
    url = serializers.URLField(
        allow_null=True,
        help_text="The private iCalendar link, shown once (null when an Idempotency-Key replays the request).",
    )
