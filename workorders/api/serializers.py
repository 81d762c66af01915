"""Serializers of the workorders API: output serializers, and input serializers where the shapes differ.

Inputs are validated for shape here; the business rules (the state table, readiness, eligibility, access
hours) are checked by the services, whose errors the API renders with their field and code.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.models import Program, Wave
from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from rollout.client_view import CLIENT_VIEW
from technicians.api.serializers import QualifiedTechnicianSerializer
from technicians.models import Technician
from workorders.choices import Gate, ShipmentStatus, WorkOrderStatus
from workorders.models import Shipment, WorkOrder
from workorders.readiness import describe_window

VERSION_HELP = "The work order's `version` you last read: a change since then is refused with 409 `stale_version`."


# --- Readiness --------------------------------------------------------------------------------------


class GateOverrideSerializer(serializers.Serializer):
    reason = serializers.CharField()
    by_label = serializers.CharField(help_text="Who overrode the gate (user e-mail or API token name).")
    at = serializers.CharField(help_text="When (ISO 8601).")


class GateResultSerializer(serializers.Serializer):
    gate = serializers.ChoiceField(choices=Gate.choices)
    label = serializers.CharField()
    passed = serializers.BooleanField(help_text="Whether the gate's own condition holds.")
    green = serializers.BooleanField(help_text="Passed, or overridden by a PM or admin.")
    reason = serializers.CharField(help_text="Why it is green or red, in plain words (a client viewer: its state).")
    override = GateOverrideSerializer(allow_null=True, help_text="Never shown to a client viewer.")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        access = self.context.get("access")
        if CLIENT_VIEW.applies(access):
            data["reason"] = CLIENT_VIEW.gate_reason(access, instance)
            data["override"] = None
        return data


class ReadinessSerializer(serializers.Serializer):
    work_order = serializers.IntegerField(source="work_order_id")
    ready = serializers.BooleanField(help_text="Every gate green: the work order may be dispatched.")
    gates = GateResultSerializer(many=True)


class ReadinessBadgeSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    green = serializers.IntegerField(source="green_count", help_text="How many gates are green.")
    total = serializers.SerializerMethodField()
    red = serializers.SerializerMethodField(help_text="The gates still red.")

    def get_total(self, readiness) -> int:
        return len(readiness.gates)

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Gate.choices)))
    def get_red(self, readiness) -> list[str]:
        return [gate.gate for gate in readiness.red]


# --- Work orders ----------------------------------------------------------------------------------------


class ProgramRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class SiteRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    timezone = serializers.CharField(read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class TechnicianRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class WorkOrderSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=WorkOrderStatus.choices, read_only=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The statuses this work order may move to now (POST …/transition/)."
    )
    program = ProgramRefSerializer(read_only=True)
    site = SiteRefSerializer(read_only=True)
    wave = serializers.SerializerMethodField()
    technician = TechnicianRefSerializer(read_only=True, allow_null=True)
    planned_window_local = serializers.SerializerMethodField(
        help_text="The planned visit in the site's time zone, in words (blank without a window)."
    )
    sow_version = serializers.IntegerField(source="sow.version", read_only=True, allow_null=True, default=None)
    readiness = serializers.SerializerMethodField(help_text="The readiness badge: green gates out of all.")

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "status",
            "allowed_transitions",
            "program",
            "site",
            "wave",
            "technician",
            "planned_start",
            "planned_end",
            "planned_window_local",
            "site_contact_confirmed_at",
            "site_contact_confirmed_by_label",
            "sow_version",
            "readiness",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=WorkOrderStatus.choices)))
    def get_allowed_transitions(self, work_order) -> list[str]:
        return work_order.allowed_moves

    @extend_schema_field(NamedRefSerializer(allow_null=True))
    def get_wave(self, work_order):
        wave = work_order.enrollment.wave if work_order.enrollment_id and work_order.enrollment else None
        return {"id": wave.pk, "name": wave.name} if wave else None

    def get_planned_window_local(self, work_order) -> str:
        return describe_window(work_order)

    @extend_schema_field(ReadinessBadgeSerializer(allow_null=True))
    def get_readiness(self, work_order):
        readiness = (self.context.get("readiness") or {}).get(work_order.pk)
        return ReadinessBadgeSerializer(readiness).data if readiness else None


class WorkOrderDetailSerializer(WorkOrderSerializer):
    checklist = serializers.SerializerMethodField(help_text="The readiness checklist, gate by gate.")

    class Meta(WorkOrderSerializer.Meta):
        fields = [
            *WorkOrderSerializer.Meta.fields,
            "checklist",
            "site_contact_note",
            "cancel_reason",
            "ready_at",
            "scheduled_at",
            "dispatched_at",
            "started_at",
            "submitted_at",
            "accepted_at",
            "rework_at",
            "closed_at",
            "cancelled_at",
        ]
        read_only_fields = fields

    @extend_schema_field(GateResultSerializer(many=True))
    def get_checklist(self, work_order):
        readiness = (self.context.get("readiness") or {}).get(work_order.pk)
        return GateResultSerializer(readiness.gates, many=True).data if readiness else []


class WorkOrderCreateForProgramInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    wave = OrgPrimaryKeyRelatedField(
        queryset=Wave.objects.all(), required=False, allow_null=True, help_text="Only this wave's enrolled sites."
    )


class WorkOrderCreateItemSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    site_code = serializers.CharField()
    outcome = serializers.CharField(help_text="created, or exists (the site already had one: left alone).")
    work_order_id = serializers.IntegerField()
    number = serializers.CharField()


class WorkOrderCreateResultSerializer(serializers.Serializer):
    program = serializers.IntegerField(source="program_id")
    wave = serializers.IntegerField(source="wave_id", allow_null=True)
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    items = WorkOrderCreateItemSerializer(many=True, help_text="One per enrolled site, by site code.")


class WorkOrderTransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=WorkOrderStatus.choices)
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required to cancel, send to rework or recall."
    )
    expected_version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class WorkOrderSelectionFilterSerializer(serializers.Serializer):
    """Select work orders by the list's filters (all given must match)."""

    program = serializers.IntegerField(required=False)
    wave = serializers.IntegerField(required=False)
    status = serializers.ListField(
        child=serializers.ChoiceField(choices=WorkOrderStatus.choices), required=False, allow_empty=True
    )
    state = serializers.CharField(required=False, allow_blank=True)
    technician = serializers.IntegerField(required=False)
    planned_from = serializers.DateField(required=False)
    planned_to = serializers.DateField(required=False)
    q = serializers.CharField(required=False, allow_blank=True)


class WorkOrderBulkTransitionInputSerializer(serializers.Serializer):
    work_order_ids = serializers.ListField(
        child=IdField(),
        required=False,
        allow_empty=False,
        help_text="The work orders to move (at most 1,000). Give either `work_order_ids` or `filter`.",
    )
    filter = WorkOrderSelectionFilterSerializer(required=False, help_text="Instead of ids: every matching work order.")
    to_status = serializers.ChoiceField(choices=WorkOrderStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, data):
        if ("work_order_ids" in data) == ("filter" in data):
            raise serializers.ValidationError(
                {"work_order_ids": ["Give either work_order_ids or filter (one of the two)."]},
                code="invalid_selection",
            )
        return data


class BulkTransitionItemSerializer(serializers.Serializer):
    work_order_id = serializers.IntegerField()
    number = serializers.CharField()
    outcome = serializers.CharField(help_text="moved, or refused (see code and message).")
    from_status = serializers.CharField(help_text="The status before (blank for an unknown id).")
    to_status = serializers.CharField(help_text="The status after a move (blank when refused).")
    code = serializers.CharField(help_text="Why it was refused: invalid_transition, not_ready, not_found, …")
    message = serializers.CharField(help_text="The refusal in words.")


class BulkTransitionResultSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=WorkOrderStatus.choices)
    moved = serializers.IntegerField()
    refused = serializers.IntegerField()
    items = BulkTransitionItemSerializer(many=True, help_text="One per work order, in the order given.")


class GateOverrideInputSerializer(serializers.Serializer):
    gate = serializers.ChoiceField(choices=Gate.choices)
    reason = serializers.CharField(help_text="Why the gate may be passed; kept on the checklist and the audit trail.")
    expected_version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class SiteContactConfirmInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    expected_version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class WorkOrderAssignInputSerializer(serializers.Serializer):
    technician = OrgPrimaryKeyRelatedField(queryset=Technician.objects.all())
    planned_start = serializers.DateTimeField(help_text="With its offset, e.g. 2026-03-04T09:00:00-06:00.")
    planned_end = serializers.DateTimeField()
    schedule = serializers.BooleanField(
        required=False, default=False, help_text="true: also move a ready (or rework) work order to scheduled."
    )
    expected_version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class TimelineEventSerializer(serializers.Serializer):
    created_at = serializers.DateTimeField()
    actor_label = serializers.CharField()
    verb = serializers.CharField()
    reason = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


# --- Shipments ------------------------------------------------------------------------------------------


class ShipmentSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ShipmentStatus.choices, read_only=True)
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "carrier",
            "tracking_number",
            "status",
            "shipped_on",
            "expected_delivery",
            "delivered_on",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ShipmentUpdateInputSerializer(serializers.Serializer):
    carrier = serializers.CharField(max_length=80, required=False)
    tracking_number = serializers.CharField(max_length=120, required=False, allow_blank=True)
    status = serializers.ChoiceField(
        choices=ShipmentStatus.choices,
        required=False,
        help_text="Leave out to derive it from the dates (delivered_on → delivered, shipped_on → in transit).",
    )
    shipped_on = serializers.DateField(required=False, allow_null=True)
    expected_delivery = serializers.DateField(required=False, allow_null=True)
    delivered_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class ShipmentCreateInputSerializer(ShipmentUpdateInputSerializer):
    work_order = OrgPrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    carrier = serializers.CharField(max_length=80)


class CandidateScoreSerializer(serializers.Serializer):
    """A figure an app built on workorders shows beside a candidate's distance (e.g. quality's score)."""

    key = serializers.CharField(read_only=True, help_text="Who contributed it, e.g. `quality`.")
    score = serializers.FloatField(read_only=True, allow_null=True, help_text="0–100; null without history.")
    label = serializers.CharField(read_only=True)
    detail = serializers.CharField(read_only=True, help_text="What the score is made of.")


class WorkOrderCandidateSerializer(QualifiedTechnicianSerializer):
    """A qualified technician for a work order's visit, with the distance and the contributed scores."""

    scores = CandidateScoreSerializer(many=True, read_only=True)

    class Meta(QualifiedTechnicianSerializer.Meta):
        fields = [*QualifiedTechnicianSerializer.Meta.fields, "scores"]
        read_only_fields = fields
