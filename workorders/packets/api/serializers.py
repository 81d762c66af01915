"""Serializers of the packet API: output serializers for packets, diffs, jobs and re-issue; input
serializers for the actions. Related ids are checked through org-scoped fields (OrgPrimaryKeyRelatedField)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.api.serializers import FieldChangeSerializer, LineDiffSerializer
from programs.models import Program, Wave
from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from workorders.models import Packet, PacketAcknowledgement, PacketGenerationJob, WorkOrder
from workorders.packets.selectors import diff_summary


class PacketAcknowledgementSerializer(serializers.ModelSerializer):
    technician_name = serializers.CharField(source="technician.full_name", read_only=True)

    class Meta:
        model = PacketAcknowledgement
        fields = ["technician", "technician_name", "acknowledged_at"]
        read_only_fields = fields


class PacketSerializer(serializers.ModelSerializer):
    """One packet version (without its snapshot: see the detail)."""

    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    program = serializers.IntegerField(source="work_order.program_id", read_only=True)
    site_code = serializers.CharField(source="work_order.site.code", read_only=True)
    sow_version = serializers.IntegerField(source="sow.version", read_only=True)
    is_current = serializers.BooleanField(read_only=True)
    pdf = serializers.SerializerMethodField(help_text="Where to download the PDF (after the same access check).")

    class Meta:
        model = Packet
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "program",
            "site_code",
            "version",
            "status",
            "is_current",
            "checksum",
            "sow",
            "sow_version",
            "variation_ids",
            "render_error",
            "issued_at",
            "issued_by_label",
            "rendered_at",
            "superseded_by",
            "pdf_size",
            "pdf",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_pdf(self, packet: Packet) -> str | None:
        if packet.status != Packet.Status.RENDERED:
            return None
        request = self.context.get("request")
        path = reverse("packets-api:packet-pdf", kwargs={"pk": packet.pk})
        return request.build_absolute_uri(path) if request else path


class PacketDetailSerializer(PacketSerializer):
    """A packet version with its frozen snapshot and its acknowledgements."""

    snapshot = serializers.JSONField(read_only=True, help_text="The compiled packet (tasks, materials, site, …).")
    acknowledgements = PacketAcknowledgementSerializer(many=True, read_only=True)

    class Meta(PacketSerializer.Meta):
        fields = [*PacketSerializer.Meta.fields, "snapshot", "acknowledgements"]
        read_only_fields = fields


class PacketRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    checksum = serializers.CharField()


class PacketDiffSerializer(serializers.Serializer):
    base = PacketRefSerializer(help_text="The version compared against (?against=).")
    target = PacketRefSerializer(help_text="The version in the URL.")
    tasks = LineDiffSerializer()
    materials = LineDiffSerializer()
    other = FieldChangeSerializer(many=True, help_text="Cover-level parts that changed (SOW version, contacts, …).")


class PacketIssueInputSerializer(serializers.Serializer):
    work_order = OrgPrimaryKeyRelatedField(queryset=WorkOrder.objects.all())


class PacketIssueResultSerializer(serializers.Serializer):
    issued = serializers.BooleanField(help_text="False: the content did not change, the latest version stands.")
    packet = PacketSerializer()


class PacketReissueInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    work_orders = serializers.ListField(
        child=IdField(),
        required=False,
        allow_empty=False,
        max_length=10_000,
        help_text="Only these work orders (those the PM confirmed from the preview); default: every affected one.",
    )


class DiffCountsSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    removed = serializers.IntegerField()
    changed = serializers.IntegerField()


class DiffSummarySerializer(serializers.Serializer):
    tasks = DiffCountsSerializer()
    materials = DiffCountsSerializer()
    other = serializers.ListField(child=serializers.CharField())


class ReissueItemSerializer(serializers.Serializer):
    work_order = serializers.IntegerField(source="work_order.pk")
    number = serializers.CharField(source="work_order.number")
    site_code = serializers.CharField(source="work_order.site.code")
    status = serializers.CharField(source="work_order.status")
    current_packet = serializers.IntegerField(source="packet.pk")
    current_version = serializers.IntegerField(source="packet.version")
    new_checksum = serializers.CharField(source="snapshot.checksum")
    will_reissue = serializers.BooleanField()
    note = serializers.CharField()
    summary = serializers.SerializerMethodField()
    tasks = LineDiffSerializer(source="diff.tasks")
    materials = LineDiffSerializer(source="diff.materials")
    other = FieldChangeSerializer(source="diff.other", many=True)

    @extend_schema_field(DiffSummarySerializer)
    def get_summary(self, item) -> dict:
        return diff_summary(item.diff)


class ReissuePreviewSerializer(serializers.Serializer):
    program = serializers.IntegerField(source="program.pk")
    sow_version = serializers.IntegerField(source="sow.version", allow_null=True)
    checked_count = serializers.IntegerField(help_text="Work orders with a packet, open, compared.")
    unchanged_count = serializers.IntegerField()
    affected = ReissueItemSerializer(many=True)


class ReissueOutcomeSerializer(serializers.Serializer):
    work_order = serializers.IntegerField()
    number = serializers.CharField()
    message = serializers.CharField()


class ReissueResultSerializer(serializers.Serializer):
    reissued = PacketSerializer(many=True)
    left_untouched = ReissueOutcomeSerializer(many=True)
    failed = ReissueOutcomeSerializer(many=True)
    unchanged_count = serializers.IntegerField()


class PacketJobFailureSerializer(serializers.Serializer):
    work_order = serializers.IntegerField()
    number = serializers.CharField()
    site_code = serializers.CharField()
    message = serializers.CharField()


class PacketGenerationJobSerializer(serializers.ModelSerializer):
    """A bulk generation job with its progress; `download` is set once the ZIP exists."""

    progress_percent = serializers.IntegerField(read_only=True)
    failures = PacketJobFailureSerializer(many=True, read_only=True, help_text="One per failed site, in order.")
    download = serializers.SerializerMethodField()

    class Meta:
        model = PacketGenerationJob
        fields = [
            "id",
            "program",
            "wave",
            "status",
            "total",
            "done",
            "progress_percent",
            "issued_count",
            "unchanged_count",
            "failed_count",
            "failures",
            "failure_message",
            "zip_size",
            "download",
            "requested_by_label",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download(self, job: PacketGenerationJob) -> str | None:
        if not job.zip:
            return None
        request = self.context.get("request")
        path = reverse("packets-api:packet-job-download", kwargs={"pk": job.pk})
        return request.build_absolute_uri(path) if request else path


class PacketGenerationJobCreateInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    wave = OrgPrimaryKeyRelatedField(queryset=Wave.objects.all(), required=False, allow_null=True)

    def validate(self, attrs):
        wave = attrs.get("wave")
        if wave is not None and wave.program_id != attrs["program"].pk:
            raise serializers.ValidationError({"wave": ["Choose a wave of this program."]}, code="invalid")
        return attrs
