"""Serializers of the quality API: output serializers for the review queue, reviews with their defects, the defect
catalogue and DRFT figures; input serializers for accept, reject (defects, optional return visit) and the catalogue.
Related ids go through org-scoped fields, so another organization's row reads as "does not exist". Client viewers
never receive internal comments."""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.models import Program
from quality.choices import ExclusionCause, RootCause, SamplingMode, Severity
from quality.models import Defect, DefectCode, DrftExclusion, QaReview, SamplingPolicy, WarrantyReport
from quality.selectors import METRIC_DIMENSIONS
from quality.visibility import CLIENT
from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from technicians.models import Technician
from workorders.models import WorkOrder

ISO_WEEK = re.compile(r"^\d{4}-W\d{2}$")


class DefectCodeSerializer(serializers.ModelSerializer):
    class Meta:
        model = DefectCode
        fields = ["id", "code", "title", "description", "default_severity", "active", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


class DefectCodeInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    default_severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    active = serializers.BooleanField(required=False)


class DefectSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="code.code")
    title = serializers.CharField(source="code.title")
    comment = serializers.SerializerMethodField()

    class Meta:
        model = Defect
        fields = ["id", "code", "title", "severity", "root_cause", "task_key", "photo", "task_result", "comment"]

    @extend_schema_field(serializers.CharField())
    def get_comment(self, defect) -> str:
        return CLIENT.internal(self.context.get("access"), defect.comment)


class QaReviewSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number")
    defects = DefectSerializer(many=True, read_only=True)
    comment = serializers.SerializerMethodField()

    class Meta:
        model = QaReview
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "visit",
            "sequence",
            "decision",
            "comment",
            "reviewer_label",
            "decided_at",
            "defects",
        ]
        read_only_fields = fields  # an answer only: no backend-dependent integer bounds in the schema

    @extend_schema_field(serializers.CharField())
    def get_comment(self, review) -> str:
        return CLIENT.internal(self.context.get("access"), review.comment)


class ReviewQueueItemSerializer(serializers.ModelSerializer):
    """A submitted work order waiting for review, with how long it has waited."""

    program_code = serializers.CharField(source="program.code")
    site_code = serializers.CharField(source="site.code")
    site_name = serializers.CharField(source="site.name")
    region = serializers.CharField(source="site.state")
    wave = serializers.SerializerMethodField()
    technician_name = serializers.CharField(source="technician.full_name", default="")
    vendor_name = serializers.CharField(source="technician.vendor.name", default="")
    age_hours = serializers.SerializerMethodField()

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "program",
            "program_code",
            "site_code",
            "site_name",
            "region",
            "wave",
            "technician",
            "technician_name",
            "vendor_name",
            "submitted_at",
            "age_hours",
            "version",
        ]
        read_only_fields = fields  # an answer only: no backend-dependent integer bounds in the schema

    @extend_schema_field(serializers.CharField(allow_blank=True))
    def get_wave(self, work_order) -> str:
        enrollment = work_order.enrollment
        return enrollment.wave.name if enrollment and enrollment.wave_id else ""

    @extend_schema_field(serializers.FloatField())
    def get_age_hours(self, work_order) -> float:
        if work_order.submitted_at is None:
            return 0.0
        return round((timezone.now() - work_order.submitted_at).total_seconds() / 3600, 1)


class QaAcceptInputSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DefectInputSerializer(serializers.Serializer):
    code = IdField(help_text="A defect code id from the catalogue (GET /defect-codes/).")
    root_cause = serializers.ChoiceField(choices=RootCause.choices)
    severity = serializers.ChoiceField(
        choices=Severity.choices, required=False, allow_blank=True, default="", help_text="Default: the code's."
    )
    task_key = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")
    photo = IdField(required=False, allow_null=True, default=None, help_text="A photo of this work order's visits.")
    task_result = IdField(
        required=False, allow_null=True, default=None, help_text="A task result of this work order's visits."
    )
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class ReturnVisitInputSerializer(serializers.Serializer):
    technician = OrgPrimaryKeyRelatedField(queryset=Technician.objects.all())
    day = serializers.DateField(help_text="In the site's time zone.")
    start_time = serializers.TimeField()
    end_time = serializers.TimeField()


class QaRejectInputSerializer(serializers.Serializer):
    defects = DefectInputSerializer(many=True, help_text="At least one (`defect_required` otherwise).")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    return_visit = ReturnVisitInputSerializer(
        required=False, allow_null=True, default=None, help_text="Book the return visit in the same action."
    )


class DrftMetricsQuerySerializer(serializers.Serializer):
    dimension = serializers.ChoiceField(choices=METRIC_DIMENSIONS, default="program")
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all(), required=False, allow_null=True)
    week_from = serializers.RegexField(ISO_WEEK, required=False, default="", help_text="ISO week, e.g. 2026-W05.")
    week_to = serializers.RegexField(ISO_WEEK, required=False, default="", help_text="ISO week, e.g. 2026-W20.")


class DrftFigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The id (or region, or ISO week) grouped by; empty = none.")
    label = serializers.CharField()
    numerator = serializers.IntegerField(help_text="Closed work orders that were DRFT.")
    denominator = serializers.IntegerField(help_text="Closed work orders, exclusions apart.")
    excluded = serializers.IntegerField(help_text="Work orders a PM excluded (client-caused, site not ready).")
    percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    provisional_numerator = serializers.IntegerField(help_text="Accepted, window open, DRFT so far.")
    provisional_denominator = serializers.IntegerField(help_text="Accepted, warranty window still open.")
    provisional_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)


class WarrantyReportSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number")

    class Meta:
        model = WarrantyReport
        fields = [
            "id",
            "work_order",
            "work_order_number",
            "description",
            "reported_by_label",
            "reported_by_role",
            "window_ends_at",
            "created_at",
        ]


class WarrantyReportInputSerializer(serializers.Serializer):
    work_order = OrgPrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    description = serializers.CharField(max_length=2000, allow_blank=True)


class DrftExclusionSerializer(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number")
    reason = serializers.SerializerMethodField()

    class Meta:
        model = DrftExclusion
        fields = ["id", "work_order", "work_order_number", "cause", "reason", "created_by_label", "created_at"]

    @extend_schema_field(serializers.CharField())
    def get_reason(self, exclusion) -> str:
        return CLIENT.internal(self.context.get("access"), exclusion.reason)


class DrftExclusionInputSerializer(serializers.Serializer):
    work_order = OrgPrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    cause = serializers.ChoiceField(choices=ExclusionCause.choices)
    reason = serializers.CharField(max_length=2000, allow_blank=True)


class ScorecardSerializer(serializers.Serializer):
    technician = serializers.IntegerField(source="technician_id")
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    formula = serializers.CharField()
    jobs = serializers.IntegerField(help_text="Closed jobs counted (at most 30).")
    drft = serializers.IntegerField()
    drft_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    reviewed = serializers.IntegerField()
    qa_passed = serializers.IntegerField()
    qa_pass_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    visits = serializers.IntegerField(help_text="Ended visits counted (at most 30).")
    on_time = serializers.IntegerField()
    on_time_percent = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    no_shows = serializers.IntegerField()
    late_cancellations = serializers.IntegerField()
    defects = serializers.DictField(child=serializers.IntegerField(), help_text="Defects by severity.")
    job_ids = serializers.ListField(child=serializers.IntegerField(), help_text="The work orders behind the figures.")


class SamplingPolicySerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code")

    class Meta:
        model = SamplingPolicy
        fields = [
            "id",
            "program",
            "program_code",
            "mode",
            "percent",
            "first_jobs",
            "score_threshold",
            "auto_accept_hours",
            "updated_at",
        ]
        read_only_fields = fields  # an answer only: no backend-dependent integer bounds in the schema


class SamplingPolicyInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    mode = serializers.ChoiceField(choices=SamplingMode.choices)
    percent = serializers.IntegerField(min_value=0, max_value=100, default=100)
    first_jobs = serializers.IntegerField(min_value=0, max_value=1000, default=5)
    score_threshold = serializers.DecimalField(max_digits=4, decimal_places=1, min_value=0, max_value=100, default=90)
    auto_accept_hours = serializers.IntegerField(min_value=1, max_value=720, default=24)
