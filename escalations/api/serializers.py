"""Serializers of the escalations API: escalations (output), the actions' inputs, and the SLA policy's rules."""

from __future__ import annotations

from rest_framework import serializers

from escalations.choices import LadderRole, RuleKey
from escalations.models import Escalation, EscalationEvent
from escalations.rules import RULES


class EscalationEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = EscalationEvent
        fields = ["id", "kind", "at", "actor_label", "note"]


class EscalationSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    rule_title = serializers.CharField(source="get_rule_display", read_only=True)
    assignee = serializers.EmailField(source="assignee.email", read_only=True, allow_null=True, default=None)
    time_to_resolve_seconds = serializers.SerializerMethodField()

    class Meta:
        model = Escalation
        fields = [
            "id",
            "rule",
            "rule_title",
            "subject_type",
            "subject_id",
            "occurrence",
            "work_order",
            "work_order_number",
            "visit",
            "program",
            "level",
            "level_role",
            "current",
            "state",
            "client_visible",
            "breach_at",
            "warned_at",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by_label",
            "assignee",
            "snoozed_until",
            "snooze_reason",
            "resolved_at",
            "resolved_by_label",
            "auto_resolved",
            "resolution_note",
            "time_to_resolve_seconds",
        ]
        read_only_fields = fields

    def get_time_to_resolve_seconds(self, escalation) -> int | None:
        return int(escalation.time_to_resolve.total_seconds()) if escalation.time_to_resolve else None


class EscalationDetailSerializer(EscalationSerializer):
    timeline = EscalationEventSerializer(many=True, read_only=True)

    class Meta(EscalationSerializer.Meta):
        fields = [*EscalationSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class EmptyInputSerializer(serializers.Serializer):
    pass


class EscalationAssignInputSerializer(serializers.Serializer):
    assignee = serializers.IntegerField(
        allow_null=True, help_text="A user id (a coordinator, PM or admin); null unassigns."
    )


class EscalationSnoozeInputSerializer(serializers.Serializer):
    until = serializers.DateTimeField()
    reason = serializers.CharField(max_length=500, allow_blank=True)


class EscalationResolveInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=4000, allow_blank=True)


class LadderStepSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=LadderRole.choices)
    delay_minutes = serializers.IntegerField(help_text="After the previous level was raised; 0 for the first.")


class SlaRuleSerializer(serializers.Serializer):
    """A rule's effective settings (the organization's, or a program's with `overridden`)."""

    rule = serializers.ChoiceField(choices=RuleKey.choices)
    title = serializers.SerializerMethodField()
    unit = serializers.SerializerMethodField()
    enabled = serializers.BooleanField()
    threshold = serializers.IntegerField()
    at_risk_minutes = serializers.IntegerField()
    ladder = LadderStepSerializer(many=True)
    client_visible = serializers.BooleanField()
    program = serializers.IntegerField(source="program_id", allow_null=True)
    overridden = serializers.SerializerMethodField()

    def get_title(self, settings) -> str:
        return RULES[settings.rule].title

    def get_unit(self, settings) -> str | None:
        return RULES[settings.rule].unit

    def get_overridden(self, settings) -> bool:
        return settings.program_id is not None


class SlaRuleInputSerializer(serializers.Serializer):
    """Shape only: the service checks the values (negative thresholds, ladders that loop, bad delays)."""

    enabled = serializers.BooleanField()
    threshold = serializers.IntegerField()
    at_risk_minutes = serializers.IntegerField()
    ladder = serializers.ListField(child=serializers.DictField(), allow_empty=True)
    client_visible = serializers.BooleanField(default=False)
