"""Serializers of the technicians API: output serializers, and input serializers where the shapes differ.

Inputs are validated for shape here; the business rules (unique codes, vendor and skill state, dates,
overlaps, working hours) are checked by the services, whose errors the API renders with field and code.
Related inputs are scoped to the caller's organization: a foreign id or slug reads as "does not exist".
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rollout.api.base import IdField, OrgPrimaryKeyRelatedField
from rollout.geo import is_timezone
from technicians.choices import (
    CERTIFICATION_STATE_CHOICES,
    INSURANCE_STATE_CHOICES,
    TRAINING_ROLE_CHOICES,
    EligibilityProblemCode,
    TrainingState,
    Weekday,
)
from technicians.models import Certification, Course, Skill, Technician, TimeOff, TrainingRecord, Vendor


class OrgSlugRelatedField(serializers.SlugRelatedField):
    """Slug field whose valid choices are the caller's visible rows; others read as 'does not exist'."""

    def get_queryset(self):
        access = self.context.get("access")
        queryset = super().get_queryset()
        return queryset.none() if access is None else queryset.visible_to(access)


def _today():
    return timezone.localdate()


# --- Vendors ----------------------------------------------------------------------------------------


class VendorSerializer(serializers.ModelSerializer):
    insurance_state = serializers.SerializerMethodField(
        help_text="valid, expiring (within 30 days), expired, or missing (no date on file) — as of today."
    )
    technician_count = serializers.IntegerField(read_only=True)
    active_technician_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Vendor
        fields = [
            "id",
            "code",
            "name",
            "contact_name",
            "contact_email",
            "contact_phone",
            "insurance_expires_on",
            "insurance_state",
            "notes",
            "active",
            "technician_count",
            "active_technician_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=INSURANCE_STATE_CHOICES))
    def get_insurance_state(self, vendor) -> str:
        return vendor.insurance_state(_today())


class VendorUpdateInputSerializer(serializers.Serializer):
    code = serializers.SlugField(max_length=40, required=False)
    name = serializers.CharField(max_length=160, required=False)
    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    insurance_expires_on = serializers.DateField(
        required=False, allow_null=True, help_text="After this day, the vendor's technicians qualify for no work."
    )
    notes = serializers.CharField(required=False, allow_blank=True)


class VendorCreateInputSerializer(VendorUpdateInputSerializer):
    code = serializers.SlugField(max_length=40, help_text="Short and unique in the organization.")
    name = serializers.CharField(max_length=160)


class VendorSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Skills -----------------------------------------------------------------------------------------


class SkillSerializer(serializers.ModelSerializer):
    technician_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Skill
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "requires_certification",
            "active",
            "technician_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class SkillUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    requires_certification = serializers.BooleanField(required=False)


class SkillCreateInputSerializer(SkillUpdateInputSerializer):
    slug = serializers.SlugField(
        max_length=60, help_text="What SOW tasks name as their required skill, e.g. pos-install. Never changes."
    )
    name = serializers.CharField(max_length=120)


class SkillSummarySerializer(serializers.Serializer):
    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Technicians ------------------------------------------------------------------------------------


class TechnicianSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True, allow_null=True, help_text="Set once joined.")
    has_joined = serializers.SerializerMethodField(help_text="Whether they accepted their invitation.")
    vendor = VendorSummarySerializer(read_only=True, allow_null=True, help_text="Null for an in-house technician.")
    skills = SkillSummarySerializer(many=True, read_only=True)
    home_latitude = serializers.FloatField(read_only=True, allow_null=True)
    home_longitude = serializers.FloatField(read_only=True, allow_null=True)
    working_days = serializers.ListField(child=serializers.ChoiceField(choices=Weekday.choices), read_only=True)
    expired_certification_count = serializers.IntegerField(read_only=True)
    expiring_certification_count = serializers.IntegerField(
        read_only=True, help_text="Certifications expiring within 30 days."
    )

    class Meta:
        model = Technician
        fields = [
            "id",
            "full_name",
            "email",
            "phone",
            "user",
            "has_joined",
            "vendor",
            "skills",
            "home_address",
            "home_latitude",
            "home_longitude",
            "service_radius_km",
            "working_days",
            "work_start",
            "work_end",
            "timezone",
            "active",
            "expired_certification_count",
            "expiring_certification_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_has_joined(self, technician) -> bool:
        return technician.user_id is not None


TIMEZONE_HELP = "IANA time zone, such as America/Chicago (default: the organization's)."


class TechnicianUpdateInputSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, help_text="Cannot change once the technician has joined.")
    full_name = serializers.CharField(max_length=150, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    vendor = OrgPrimaryKeyRelatedField(
        queryset=Vendor.objects.all(), required=False, allow_null=True, help_text="Vendor id; null for in-house."
    )
    skills = OrgSlugRelatedField(
        slug_field="slug",
        queryset=Skill.objects.all(),
        many=True,
        required=False,
        help_text="Skill slugs from the catalogue; given on update, it replaces the technician's skills.",
    )
    home_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    home_latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    home_longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    service_radius_km = serializers.IntegerField(min_value=1, max_value=2000, required=False)
    working_days = serializers.ListField(
        child=serializers.ChoiceField(choices=Weekday.choices), required=False, help_text='e.g. ["mon", "tue"].'
    )
    work_start = serializers.TimeField(required=False, help_text="Local time, HH:MM.")
    work_end = serializers.TimeField(required=False, help_text="Local time, HH:MM; after work_start.")
    timezone = serializers.CharField(max_length=64, required=False, help_text=TIMEZONE_HELP)


class TechnicianCreateInputSerializer(TechnicianUpdateInputSerializer):
    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=150)


class TechnicianInviteInputSerializer(TechnicianUpdateInputSerializer):
    email = serializers.EmailField(help_text="Where the invitation goes; re-inviting an e-mail sends a fresh link.")
    full_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Required unless the profile already exists."
    )


class InvitationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)


class TechnicianInvitationSerializer(serializers.Serializer):
    technician = TechnicianSerializer(read_only=True)
    invitation = InvitationSummarySerializer(read_only=True)
    accept_url = serializers.CharField(
        read_only=True, help_text="The invitation link. Shown only in this response: copy it into a text message."
    )
    text_message = serializers.CharField(read_only=True, help_text="A ready-to-send SMS with the link.")


class QualifiedTechnicianSerializer(serializers.ModelSerializer):
    vendor = VendorSummarySerializer(read_only=True, allow_null=True)
    skills = SkillSummarySerializer(source="eligibility_skills", many=True, read_only=True)
    distance_km = serializers.FloatField(
        read_only=True, allow_null=True, help_text="Great-circle distance from home base to the location."
    )

    class Meta:
        model = Technician
        fields = [
            "id",
            "full_name",
            "email",
            "phone",
            "vendor",
            "skills",
            "home_address",
            "service_radius_km",
            "timezone",
            "distance_km",
        ]
        read_only_fields = fields


# --- Eligibility ------------------------------------------------------------------------------------


class EligibilityQuerySerializer(serializers.Serializer):
    skills = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Comma-separated skill slugs, e.g. pos-install,network."
    )
    date = serializers.DateField(help_text="The day of the work, YYYY-MM-DD.")
    lat = serializers.FloatField(min_value=-90, max_value=90, help_text="Latitude of the work location.")
    lng = serializers.FloatField(min_value=-180, max_value=180, help_text="Longitude of the work location.")
    time = serializers.TimeField(
        required=False, allow_null=True, default=None, help_text="Optional start time, HH:MM, checked against hours."
    )
    tz = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="IANA time zone of `time` (the site's); blank: the technician's own.",
    )

    courses = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Comma-separated ids of training courses the work requires (e.g. a program's technician "
        "requirements, from /api/v1/program-course-requirements/?role=technician).",
    )

    def validate_courses(self, value: str) -> list[int]:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        if not all(part.isdigit() and 0 < int(part) < 2**63 for part in parts):
            raise serializers.ValidationError("Use comma-separated course ids, e.g. 3,7.", code="invalid")
        return [int(part) for part in parts]

    def validate_tz(self, value: str) -> str:
        if value and not is_timezone(value):
            raise serializers.ValidationError("Use an IANA time zone such as America/Chicago.", code="invalid")
        return value

    def selector_kwargs(self) -> dict:
        data = self.validated_data
        return {
            "skills": [slug.strip() for slug in data["skills"].split(",") if slug.strip()],
            "on_date": data["date"],
            "latitude": data["lat"],
            "longitude": data["lng"],
            "at_time": data["time"],
            "location_timezone": data["tz"] or None,
            "courses": data["courses"] or [],
        }


class EligibilityProblemSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=EligibilityProblemCode.choices)
    message = serializers.CharField(help_text="The reason, in words for a coordinator.")


class EligibilitySerializer(serializers.Serializer):
    technician = serializers.IntegerField(source="technician.pk")
    eligible = serializers.BooleanField()
    distance_km = serializers.FloatField(allow_null=True)
    problems = EligibilityProblemSerializer(many=True)


# --- Certifications and time off --------------------------------------------------------------------


class CertificationSerializer(serializers.ModelSerializer):
    technician_name = serializers.CharField(source="technician.full_name", read_only=True)
    skill = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    expiry_state = serializers.SerializerMethodField(help_text="As of today.")

    class Meta:
        model = Certification
        fields = [
            "id",
            "technician",
            "technician_name",
            "name",
            "skill",
            "issued_on",
            "expires_on",
            "expiry_state",
            "reference",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=CERTIFICATION_STATE_CHOICES))
    def get_expiry_state(self, certification) -> str:
        return certification.state(_today())


class CertificationUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False)
    skill = OrgSlugRelatedField(
        slug_field="slug", queryset=Skill.objects.all(), required=False, allow_null=True, help_text="Skill slug."
    )
    issued_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True, help_text="Null: does not expire.")
    reference = serializers.CharField(max_length=120, required=False, allow_blank=True)


class CertificationCreateInputSerializer(CertificationUpdateInputSerializer):
    technician = OrgPrimaryKeyRelatedField(queryset=Technician.objects.all())
    name = serializers.CharField(max_length=160)


class TimeOffSerializer(serializers.ModelSerializer):
    technician_name = serializers.CharField(source="technician.full_name", read_only=True)

    class Meta:
        model = TimeOff
        fields = ["id", "technician", "technician_name", "start_date", "end_date", "reason", "created_at"]
        read_only_fields = fields


class TimeOffUpdateInputSerializer(serializers.Serializer):
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, help_text="Inclusive.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)


class TimeOffCreateInputSerializer(TimeOffUpdateInputSerializer):
    technician = OrgPrimaryKeyRelatedField(
        queryset=Technician.objects.all(), help_text="A technician may give only their own profile."
    )
    start_date = serializers.DateField()
    end_date = serializers.DateField(help_text="Inclusive.")


# --- Training path ----------------------------------------------------------------------------------


class CourseSerializer(serializers.ModelSerializer):
    roles = serializers.ListField(child=serializers.ChoiceField(choices=TRAINING_ROLE_CHOICES), read_only=True)
    record_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "name",
            "description",
            "roles",
            "validity_months",
            "active",
            "record_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CourseUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=TRAINING_ROLE_CHOICES),
        required=False,
        allow_empty=False,
        help_text="The roles the course is for: pm, coordinator, technician.",
    )
    validity_months = serializers.IntegerField(
        min_value=1, max_value=240, required=False, allow_null=True, help_text="Null: a completion never expires."
    )


class CourseCreateInputSerializer(CourseUpdateInputSerializer):
    name = serializers.CharField(max_length=160)
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=TRAINING_ROLE_CHOICES),
        allow_empty=False,
        help_text="The roles the course is for: pm, coordinator, technician.",
    )


class TrainingRecordSerializer(serializers.ModelSerializer):
    course_name = serializers.CharField(source="course.name", read_only=True)
    person_name = serializers.CharField(read_only=True)
    role = serializers.SerializerMethodField(help_text="The person's role: technician, pm or coordinator.")
    state = serializers.SerializerMethodField(help_text="As of today.")
    certificate_url = serializers.SerializerMethodField(
        help_text="Where the certificate file is streamed (same organization only); null without one."
    )

    class Meta:
        model = TrainingRecord
        fields = [
            "id",
            "course",
            "course_name",
            "technician",
            "member",
            "person_name",
            "role",
            "completed_on",
            "expires_on",
            "state",
            "certificate_name",
            "certificate_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=TRAINING_ROLE_CHOICES))
    def get_role(self, record) -> str:
        return "technician" if record.technician_id else record.member.role

    @extend_schema_field(serializers.ChoiceField(choices=TrainingState.choices))
    def get_state(self, record) -> str:
        return record.state(_today())

    def get_certificate_url(self, record) -> str | None:
        if not record.certificate:
            return None
        return f"/api/v1/training-records/{record.pk}/certificate/"


class TrainingRecordUpdateInputSerializer(serializers.Serializer):
    completed_on = serializers.DateField(required=False)
    expires_on = serializers.DateField(
        required=False, help_text="Default: completion + the course's validity (none when it does not expire)."
    )
    certificate = serializers.FileField(
        required=False, help_text="The certificate: a PDF, PNG or JPEG file of at most 10 MB (multipart)."
    )


class TrainingRecordCreateInputSerializer(TrainingRecordUpdateInputSerializer):
    """Ids, not scoped related fields: the service looks the person and course up in the organization and refuses
    another organization's (or a missing) one with its own stable code (`unknown_person`, `unknown_course`)."""

    course = IdField(source="course_id", help_text="Course id (of this organization).")
    technician = IdField(
        source="technician_id", required=False, help_text="The technician's id — or `member` for a PM or coordinator."
    )
    member = IdField(
        source="member_id", required=False, help_text="The membership id of a PM or coordinator — or `technician`."
    )
    completed_on = serializers.DateField()
