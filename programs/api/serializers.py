"""Serializers of the programs API: output serializers, and input serializers where the shapes differ.

Inputs are validated for shape here; the business rules (dates, status table, conditions, approved
SOWs) are checked by the services, whose errors the API renders with their field and code.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.choices import (
    ALL_VARIATION_FIELDS,
    MATERIAL_FIELDS,
    TASK_FIELDS,
    AttributeType,
    EvidenceKind,
    ProgramStatus,
    SowStatus,
    VariationKind,
)
from programs.enrollments import OUTCOMES
from programs.models import (
    Enrollment,
    Program,
    ProgramAttribute,
    ProgramCourseRequirement,
    SiteVariation,
    Sow,
    SowMaterial,
    SowTask,
    Wave,
)
from programs.selectors import responsible_pm_candidates
from programs.services import program_allowed_moves
from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from rollout.api.serializers import UserSummarySerializer
from rollout.models import Client, User
from sites.choices import SiteStatus
from sites.models import Site
from technicians.choices import TRAINING_ROLE_CHOICES


@extend_schema_field(OpenApiTypes.INT)
class ResponsiblePmField(serializers.PrimaryKeyRelatedField):
    """A user id among the organization's active PMs and admins; anyone else reads as 'does not exist'."""

    def get_queryset(self):
        organization = self.context.get("organization")
        if organization is None:
            return User.objects.none()
        return responsible_pm_candidates(organization=organization)


class ClientSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Programs ---------------------------------------------------------------------------------------


class ProgramSerializer(serializers.ModelSerializer):
    client = ClientSummarySerializer(read_only=True)
    responsible_pm = UserSummarySerializer(read_only=True, allow_null=True)
    allowed_transitions = serializers.SerializerMethodField(
        help_text="The statuses this program may move to now (POST …/transition/)."
    )
    wave_count = serializers.IntegerField(read_only=True)
    latest_sow_version = serializers.IntegerField(read_only=True, allow_null=True)
    approved_sow_version = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The latest approved SOW version, the one packets use."
    )

    class Meta:
        model = Program
        fields = [
            "id",
            "client",
            "code",
            "name",
            "description",
            "start_date",
            "end_date",
            "status",
            "allowed_transitions",
            "target_drft_percent",
            "responsible_pm",
            "checkin_grace_minutes",
            "warranty_window_days",
            "geofence_radius_m",
            "geofence_enforced",
            "wave_count",
            "latest_sow_version",
            "approved_sow_version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ProgramStatus.choices)))
    def get_allowed_transitions(self, program) -> list[str]:
        return program_allowed_moves(program)


class ProgramUpdateInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40, required=False)
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    target_drft_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )
    responsible_pm = ResponsiblePmField(
        required=False, allow_null=True, help_text="User id of an active PM or admin of the organization."
    )
    checkin_grace_minutes = serializers.IntegerField(min_value=0, max_value=1440, required=False)
    warranty_window_days = serializers.IntegerField(min_value=0, max_value=3650, required=False)
    geofence_radius_m = serializers.IntegerField(min_value=10, max_value=100_000, required=False)
    geofence_enforced = serializers.BooleanField(required=False)


class ProgramCreateInputSerializer(ProgramUpdateInputSerializer):
    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all())
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=160)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class ProgramTransitionInputSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=ProgramStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


# --- Waves ------------------------------------------------------------------------------------------


class WaveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Wave
        fields = ["id", "program", "name", "order", "start_date", "end_date", "created_at"]
        read_only_fields = fields


class WaveUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80, required=False)
    order = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)


class WaveCreateInputSerializer(WaveUpdateInputSerializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    name = serializers.CharField(max_length=80)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


# --- SOW lines --------------------------------------------------------------------------------------

CONDITION_HELP = (
    'Optional condition on site attributes, e.g. store_format = "mall" and ceiling_height_m > 4 '
    "(see docs/conditions.md). Blank: applies to every site. A condition that does not parse is refused "
    "with code invalid_condition and the column of the problem."
)


class SowTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = SowTask
        fields = ["id", "sow", *TASK_FIELDS]
        read_only_fields = fields


class SowTaskUpdateInputSerializer(serializers.Serializer):
    key = serializers.SlugField(
        max_length=60, required=False, help_text="Stable across versions; given on update it must be unchanged."
    )
    position = serializers.IntegerField(min_value=1, required=False, help_text="1-based; moves the task there.")
    title = serializers.CharField(max_length=200, required=False)
    instructions = serializers.CharField(required=False, allow_blank=True, help_text="Markdown.")
    required_skill = serializers.SlugField(max_length=60, required=False, allow_blank=True)
    estimated_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    evidence_kind = serializers.ChoiceField(
        choices=EvidenceKind.choices,
        required=False,
        help_text="Parameters that do not belong to the kind are cleared.",
    )
    photo_min_count = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    serial_pattern = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="A regular expression the whole serial must match."
    )
    measurement_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    measurement_min = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    measurement_max = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    condition = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text=CONDITION_HELP)


class SowTaskCreateInputSerializer(SowTaskUpdateInputSerializer):
    sow = OrgPrimaryKeyRelatedField(queryset=Sow.objects.all(), help_text="A draft SOW version.")
    key = serializers.SlugField(
        max_length=60, required=False, help_text="Stable across versions; defaults to a slug of the title."
    )
    position = serializers.IntegerField(min_value=1, required=False, help_text="1-based; default: last.")
    title = serializers.CharField(max_length=200)


class SowMaterialSerializer(serializers.ModelSerializer):
    class Meta:
        model = SowMaterial
        fields = ["id", "sow", *MATERIAL_FIELDS]
        read_only_fields = fields


class SowMaterialUpdateInputSerializer(serializers.Serializer):
    key = serializers.SlugField(
        max_length=60, required=False, help_text="Stable across versions; given on update it must be unchanged."
    )
    position = serializers.IntegerField(min_value=1, required=False)
    part_number = serializers.CharField(max_length=80, required=False)
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, required=False)
    unit = serializers.CharField(max_length=20, required=False)
    condition = serializers.CharField(max_length=2000, required=False, allow_blank=True, help_text=CONDITION_HELP)


class SowMaterialCreateInputSerializer(SowMaterialUpdateInputSerializer):
    sow = OrgPrimaryKeyRelatedField(queryset=Sow.objects.all(), help_text="A draft SOW version.")
    key = serializers.SlugField(
        max_length=60, required=False, help_text="Stable across versions; defaults to a slug of the part number."
    )
    part_number = serializers.CharField(max_length=80)


# --- SOW versions -----------------------------------------------------------------------------------


class SowSerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code", read_only=True)
    created_by = UserSummarySerializer(read_only=True, allow_null=True)
    approved_by = UserSummarySerializer(read_only=True, allow_null=True)
    task_count = serializers.IntegerField(read_only=True)
    material_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Sow
        fields = [
            "id",
            "program",
            "program_code",
            "version",
            "status",
            "based_on",
            "notes",
            "created_by",
            "approved_by",
            "approved_by_label",
            "approved_at",
            "task_count",
            "material_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SowDetailSerializer(SowSerializer):
    tasks = SowTaskSerializer(many=True, read_only=True)
    materials = SowMaterialSerializer(many=True, read_only=True)

    class Meta(SowSerializer.Meta):
        fields = [*SowSerializer.Meta.fields, "tasks", "materials"]
        read_only_fields = fields


class SowCreateInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(
        queryset=Program.objects.all(),
        help_text="The new draft is v1 (empty) or a copy of the program's latest version.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class SowUpdateInputSerializer(serializers.Serializer):
    notes = serializers.CharField(allow_blank=True)


class SowReorderTasksInputSerializer(serializers.Serializer):
    task_ids = serializers.ListField(
        child=IdField(), allow_empty=False, help_text="Every task id of the draft, in the new order."
    )


class SowVersionRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    status = serializers.ChoiceField(choices=SowStatus.choices)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class LineSummarySerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField(help_text="The task's title or the material's part number.")
    position = serializers.IntegerField()


class LineChangeSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    changes = FieldChangeSerializer(many=True)


class LineDiffSerializer(serializers.Serializer):
    added = LineSummarySerializer(many=True)
    removed = LineSummarySerializer(many=True)
    changed = LineChangeSerializer(many=True)


class SowDiffSerializer(serializers.Serializer):
    base = SowVersionRefSerializer(help_text="The version compared against (?against=).")
    target = SowVersionRefSerializer(help_text="The version in the URL.")
    tasks = LineDiffSerializer()
    materials = LineDiffSerializer()


# --- Sites in programs: enrollments -------------------------------------------------------------------


class SiteSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    status = serializers.ChoiceField(choices=SiteStatus.choices, read_only=True)


class EnrollmentSerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code", read_only=True)
    client = serializers.IntegerField(source="program.client_id", read_only=True)
    site = SiteSummarySerializer(read_only=True)
    wave_name = serializers.CharField(source="wave.name", read_only=True, allow_null=True, default=None)
    enrolled_by = UserSummarySerializer(read_only=True, allow_null=True)
    variation_count = serializers.IntegerField(read_only=True, help_text="The site's variations in this program.")

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "program",
            "program_code",
            "client",
            "site",
            "wave",
            "wave_name",
            "enrolled_at",
            "enrolled_by",
            "enrolled_by_label",
            "variation_count",
        ]
        read_only_fields = fields


class SiteSelectionFilterSerializer(serializers.Serializer):
    """Select the program client's sites by the "Enroll sites" list's filters (all given must match)."""

    q = serializers.CharField(required=False, allow_blank=True, help_text="Code, name, city or ZIP contains.")
    state = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    status = serializers.ChoiceField(choices=SiteStatus.choices, required=False)
    attr = serializers.CharField(required=False, allow_blank=True, help_text="name:value, e.g. store_format:mall.")
    enrolled = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: already enrolled; false: not yet."
    )


class EnrollmentSelectionFilterSerializer(serializers.Serializer):
    """Select sites enrolled in the program by the enrollment list's filters (all given must match)."""

    q = serializers.CharField(required=False, allow_blank=True, help_text="Site code, name, city or ZIP contains.")
    state = serializers.CharField(required=False, allow_blank=True)
    city = serializers.CharField(required=False, allow_blank=True)
    wave = serializers.IntegerField(required=False, allow_null=True, help_text="Sites in this wave of the program.")
    no_wave = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: sites in no wave."
    )


SITE_IDS_HELP = (
    "The sites to act on (at most 20,000). Give either `site_ids` or `filter`. Ids that are not sites of this "
    "organization are refused per item as `not_found`."
)
PREVIEW_HELP = "true: say what would happen (the same per-site outcomes) and change nothing."


class EnrollmentBulkInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    site_ids = serializers.ListField(child=IdField(), required=False, allow_empty=False, help_text=SITE_IDS_HELP)
    preview = serializers.BooleanField(required=False, default=False, help_text=PREVIEW_HELP)

    def validate(self, data):
        if ("site_ids" in data) == ("filter" in data):
            raise serializers.ValidationError(
                {"site_ids": ["Give either site_ids or filter (one of the two)."]}, code="invalid_selection"
            )
        return data


class EnrollmentBulkCreateInputSerializer(EnrollmentBulkInputSerializer):
    filter = SiteSelectionFilterSerializer(required=False, help_text="Instead of site_ids: every matching site.")
    wave = OrgPrimaryKeyRelatedField(
        queryset=Wave.objects.all(),
        required=False,
        allow_null=True,
        help_text="A wave of the program; enrolled sites in another wave are moved to it.",
    )


class EnrollmentBulkSetWaveInputSerializer(EnrollmentBulkInputSerializer):
    filter = EnrollmentSelectionFilterSerializer(
        required=False, help_text="Instead of site_ids: every matching enrolled site."
    )
    wave = OrgPrimaryKeyRelatedField(
        queryset=Wave.objects.all(), allow_null=True, help_text="A wave of the program; null: no wave."
    )


class EnrollmentBulkRemoveInputSerializer(EnrollmentBulkInputSerializer):
    filter = EnrollmentSelectionFilterSerializer(
        required=False, help_text="Instead of site_ids: every matching enrolled site."
    )


class BulkItemSerializer(serializers.Serializer):
    site_id = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=[(outcome, outcome) for outcome in OUTCOMES])
    reason = serializers.CharField(
        help_text="Why it was refused (blank otherwise): not_found, site_client_mismatch, site_inactive, "
        "not_enrolled, pending_variations."
    )
    message = serializers.CharField(help_text="The reason in words.")


class BulkCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField(help_text="Enrolled sites moved to another wave.")
    unchanged = serializers.IntegerField()
    removed = serializers.IntegerField()
    refused = serializers.IntegerField()


class BulkResultSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="enroll, set_wave or remove.")
    program = serializers.IntegerField(source="program_id")
    wave = serializers.IntegerField(source="wave_id", allow_null=True)
    preview = serializers.BooleanField(help_text="true: nothing was changed; this is what would happen.")
    counts = BulkCountsSerializer()
    items = BulkItemSerializer(many=True, help_text="One per site, in the order given (duplicates once).")


# --- Sites in programs: attribute schema --------------------------------------------------------------


class ProgramAttributeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProgramAttribute
        fields = [
            "id",
            "program",
            "name",
            "label",
            "type",
            "allowed_values",
            "required",
            "help_text",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ProgramAttributeUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=64, required=False, help_text="Lowercase letters, digits and _, starting with a letter."
    )
    label = serializers.CharField(max_length=120, required=False, allow_blank=True)
    type = serializers.ChoiceField(choices=AttributeType.choices, required=False)
    allowed_values = serializers.ListField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="For a choice: the values allowed (text). Other types keep none.",
    )
    required = serializers.BooleanField(required=False)
    help_text = serializers.CharField(max_length=500, required=False, allow_blank=True)


class ProgramAttributeCreateInputSerializer(ProgramAttributeUpdateInputSerializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    name = serializers.CharField(max_length=64, help_text="Lowercase letters, digits and _, starting with a letter.")


class ImportAttributeSpecSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField(help_text="str, int, float or bool (a choice is str with `allowed`).")
    required = serializers.BooleanField()
    allowed = serializers.ListField(child=serializers.CharField())


class AttributeProblemSerializer(serializers.Serializer):
    attribute = serializers.CharField()
    code = serializers.CharField(help_text="missing, wrong_type or not_allowed.")
    message = serializers.CharField()


class SiteAttributeProblemsSerializer(serializers.Serializer):
    site = serializers.IntegerField(source="site_id")
    site_code = serializers.CharField()
    site_name = serializers.CharField()
    problems = AttributeProblemSerializer(many=True)


class AttributeProblemsPageSerializer(serializers.Serializer):
    sites_checked = serializers.IntegerField(help_text="Enrolled sites checked.")
    attributes_declared = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Sites with at least one problem.")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SiteAttributeProblemsSerializer(many=True)


# --- Sites in programs: variations --------------------------------------------------------------------


class SiteVariationSerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code", read_only=True)
    site = SiteSummarySerializer(read_only=True)
    summary = serializers.CharField(read_only=True)
    created_by = UserSummarySerializer(read_only=True, allow_null=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = SiteVariation
        fields = [
            "id",
            "program",
            "program_code",
            "site",
            "kind",
            "status",
            "summary",
            "reason",
            *ALL_VARIATION_FIELDS,
            "created_by",
            "created_by_label",
            "created_at",
            "updated_at",
            "decided_by",
            "decided_by_label",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class SiteVariationUpdateInputSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, help_text="Why this site differs.")
    task_key = serializers.SlugField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="skip_task / modify_task: the key of a task of the program's latest SOW. add_task: the new "
        "task's own key (default: a slug of its title).",
    )
    after_task_key = serializers.SlugField(
        max_length=60,
        required=False,
        allow_blank=True,
        help_text="add_task: place it after this SOW task (blank: last).",
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text="add_task, modify_task.")
    instructions = serializers.CharField(
        required=False, allow_blank=True, help_text="Markdown. add_task; modify_task (required): the new instructions."
    )
    required_skill = serializers.SlugField(max_length=60, required=False, allow_blank=True)
    estimated_minutes = serializers.IntegerField(min_value=0, max_value=100_000, required=False, allow_null=True)
    evidence_kind = serializers.ChoiceField(choices=EvidenceKind.choices, required=False, help_text="add_task.")
    photo_min_count = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)
    serial_pattern = serializers.CharField(max_length=200, required=False, allow_blank=True)
    measurement_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    measurement_min = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    measurement_max = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    part_number = serializers.CharField(max_length=80, required=False, allow_blank=True, help_text="extra_material.")
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, help_text="access_note: the note.")


class SiteVariationCreateInputSerializer(SiteVariationUpdateInputSerializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    site = OrgPrimaryKeyRelatedField(queryset=Site.objects.all(), help_text="A site enrolled in the program.")
    kind = serializers.ChoiceField(
        choices=VariationKind.choices, help_text="Fields of other kinds are ignored and cleared."
    )
    reason = serializers.CharField(help_text="Why this site differs.")


class SiteVariationDecisionInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Optional to approve; required to reject."
    )


# --- Training requirements --------------------------------------------------------------------------


class ProgramCourseRequirementSerializer(serializers.ModelSerializer):
    program_code = serializers.CharField(source="program.code", read_only=True)
    course_name = serializers.CharField(source="course.name", read_only=True)

    class Meta:
        model = ProgramCourseRequirement
        fields = ["id", "program", "program_code", "course", "course_name", "role", "created_at"]
        read_only_fields = fields


class ProgramCourseRequirementInputSerializer(serializers.Serializer):
    program = OrgPrimaryKeyRelatedField(queryset=Program.objects.all())
    course = IdField(
        source="course_id", help_text="Course id (of this organization; another's is refused with `unknown_course`)."
    )
    role = serializers.ChoiceField(choices=TRAINING_ROLE_CHOICES, help_text="Whom the program requires it of.")
