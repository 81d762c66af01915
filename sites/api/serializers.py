"""Serializers of the sites API: input and output kept apart (inputs validate with the importer's rules)."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rollout.api.base import OrgPrimaryKeyRelatedField
from rollout.models import Client
from sites.choices import WEEKDAYS
from sites.models import CONTACT_FIELDS, SITE_FIELDS, Site, SiteContact, SiteImport
from sites.values import (
    SiteValueError,
    clean_access_hours,
    clean_attributes,
    clean_blackout_dates,
    clean_country,
    clean_timezone,
)

ACCESS_HOURS_SCHEMA = {
    "type": "object",
    "description": (
        "Local-time windows per weekday (HH:MM-HH:MM; 24:00 may end a window; an end before the start runs past "
        "midnight). An empty object means not specified; when some days are given, missing days are closed."
    ),
    "properties": {day: {"type": "array", "items": {"type": "string", "example": "06:00-22:00"}} for day in WEEKDAYS},
    "additionalProperties": False,
    "example": {"mon": ["06:00-22:00"], "sat": ["08:00-20:00"], "sun": []},
}
ATTRIBUTES_SCHEMA = {
    "type": "object",
    "description": "Typed values by name (lowercase letters, digits and _): text, whole numbers, numbers, true/false.",
    # A whole number is a number too: listing "integer" beside "number" in a oneOf would make 2 match twice.
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]},
    "example": {"store_format": "mall", "floors": 2, "ceiling_height_m": 4.5, "has_loading_dock": True},
}


@extend_schema_field(ACCESS_HOURS_SCHEMA)
class AccessHoursField(serializers.JSONField):
    def to_internal_value(self, data):
        try:
            return clean_access_hours(super().to_internal_value(data))
        except SiteValueError as error:
            raise serializers.ValidationError(str(error)) from error


@extend_schema_field(ATTRIBUTES_SCHEMA)
class AttributesField(serializers.JSONField):
    def to_internal_value(self, data):
        try:
            return clean_attributes(super().to_internal_value(data))
        except SiteValueError as error:
            raise serializers.ValidationError(str(error)) from error


class SiteContactSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = SiteContact
        fields = ["id", *CONTACT_FIELDS]
        read_only_fields = fields


class SiteSerializer(serializers.ModelSerializer):
    client_code = serializers.CharField(source="client.code", read_only=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True)
    access_hours = AccessHoursField(read_only=True)
    blackout_dates = serializers.ListField(child=serializers.DateField(), read_only=True)
    attributes = AttributesField(read_only=True)
    contacts = SiteContactSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Site
        fields = ["id", "client", "client_code", *SITE_FIELDS, "status", "contacts", "created_at", "updated_at"]
        read_only_fields = fields


class SiteInputSerializer(serializers.Serializer):
    """Create (all required fields) or update (PATCH: any subset). Time zone: derived from coordinates if empty."""

    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all())
    code = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    address_line1 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    address_line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    state = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, required=False, default="US")
    latitude = serializers.DecimalField(
        max_digits=12, decimal_places=9, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=12, decimal_places=9, min_value=-180, max_value=180, required=False, allow_null=True
    )
    timezone = serializers.CharField(
        max_length=64, required=False, allow_blank=True, help_text="IANA name; empty: derived from the coordinates."
    )
    access_hours = AccessHoursField(required=False)
    blackout_dates = serializers.ListField(child=serializers.DateField(), required=False, max_length=1000)
    attributes = AttributesField(required=False)

    def validate_country(self, value):
        return self._clean(clean_country, value)

    def validate_timezone(self, value):
        return self._clean(clean_timezone, value) if value else ""

    def validate_blackout_dates(self, value):
        return self._clean(clean_blackout_dates, value)

    @staticmethod
    def _clean(function, value):
        try:
            return function(value)
        except SiteValueError as error:
            raise serializers.ValidationError(str(error)) from error

    def validate(self, attrs):
        instance = self.instance
        latitude = attrs.get("latitude", getattr(instance, "latitude", None))
        longitude = attrs.get("longitude", getattr(instance, "longitude", None))
        if (latitude is None) != (longitude is None):
            missing = "longitude" if latitude is not None else "latitude"
            raise serializers.ValidationError({missing: "Give both latitude and longitude, or neither."})
        return attrs


class SiteContactSerializer(serializers.ModelSerializer):
    site_code = serializers.CharField(source="site.code", read_only=True)

    class Meta:
        model = SiteContact
        fields = ["id", "site", "site_code", *CONTACT_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields


class SiteContactInputSerializer(serializers.Serializer):
    site = OrgPrimaryKeyRelatedField(queryset=Site.objects.all())
    name = serializers.CharField(max_length=120)
    role = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)


class SiteContactUpdateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    role = serializers.CharField(max_length=80, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    is_primary = serializers.BooleanField(required=False)


class SiteImportSerializer(serializers.ModelSerializer):
    client_code = serializers.CharField(source="client.code", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)
    can_commit = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by_label", read_only=True)
    errors_url = serializers.SerializerMethodField()

    class Meta:
        model = SiteImport
        fields = [
            "id",
            "client",
            "client_code",
            "original_filename",
            "format",
            "file_size",
            "status",
            "rows_total",
            "rows_done",
            "progress_percent",
            "error_count",
            "errors_url",
            "created_count",
            "updated_count",
            "unchanged_count",
            "can_commit",
            "failure_message",
            "created_by",
            "created_at",
            "validated_at",
            "commit_requested_at",
            "committed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_errors_url(self, site_import) -> str:
        path = reverse("sites-api:site-import-errors", kwargs={"pk": site_import.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class SiteImportCreateInputSerializer(serializers.Serializer):
    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all(), help_text="The client whose sites these are.")
    file = serializers.FileField(
        source="upload", help_text="A .csv (UTF-8) or .xlsx file; see the import columns in the API docs."
    )


class SiteImportIssueSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="The file's row number (1 = header); null: whole file.")
    column = serializers.CharField(allow_null=True, help_text="The column as named in the file; null: whole row.")
    message = serializers.CharField()
