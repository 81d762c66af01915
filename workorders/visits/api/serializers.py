"""Serializers of the visits API (workorders/visits/api/views.py), per the visits API contract: output serializers for
a visit (list and detail, with tasks, results, photos, evidence still missing, check-in and check-out) and for
photos; input serializers for scheduling and for every field action. Related ids go through org-scoped fields.

Photo and signature URLs point at views that check access before streaming the private file: the API's own
routes for token callers (integrators), the organization's pages (/o/<org>/…) for browser sessions — so a
phone's <img> works whichever organization its session last opened.
"""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from programs.serials import serial_example
from rollout.api.base import OrgPrimaryKeyRelatedField
from rollout.client_view import CLIENT_VIEW
from technicians.models import Technician
from workorders.choices import (
    IncompleteReason,
    LocationStatus,
    TaskResultStatus,
    VisitOutcome,
    VisitState,
)
from workorders.models import Visit, VisitPhoto, WorkOrder
from workorders.packets.render import instructions_html
from workorders.visits import selectors
from workorders.visits.selectors import check_in_warning

CLIENT_ACTION_ID = {
    "max_length": 64,
    "min_length": 8,
    "help_text": "Generated on the phone for each action (a UUID); resending the same id records nothing new.",
}


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def file_urls(context, *, photo: VisitPhoto | None = None, visit: Visit | None = None) -> dict:
    """The URLs of a photo (url, thumbnail_url) or of a visit's signature (signature_url)."""
    request = context.get("request")
    access = context.get("access")
    token = access is not None and access.token is not None
    if photo is not None:
        if token:
            return {
                "url": _absolute(request, reverse("visits-api:visit-photo-file", kwargs={"pk": photo.pk})),
                "thumbnail_url": _absolute(
                    request, reverse("visits-api:visit-photo-thumbnail", kwargs={"pk": photo.pk})
                ),
            }
        org = access.organization.slug if access else ""
        return {
            "url": _absolute(request, reverse("visits:visit-photo", kwargs={"org": org, "pk": photo.pk})),
            "thumbnail_url": _absolute(
                request, reverse("visits:visit-photo-thumbnail", kwargs={"org": org, "pk": photo.pk})
            ),
        }
    if token:
        return {"signature_url": _absolute(request, reverse("visits-api:visit-signature", kwargs={"pk": visit.pk}))}
    org = access.organization.slug if access else ""
    return {"signature_url": _absolute(request, reverse("visits:visit-signature", kwargs={"org": org, "pk": visit.pk}))}


# --- Output -----------------------------------------------------------------------------------------------

_DATETIME = serializers.DateTimeField()


def _datetime(value) -> str | None:
    """A datetime as DRF writes it (ISO 8601, UTC as Z)."""
    return None if value is None else _DATETIME.to_representation(value)


def _decimal(value, places: int = 3) -> str | None:
    """A decimal as DRF's DecimalField writes it (a string with `places` decimals)."""
    return None if value is None else f"{value:.{places}f}"


def _result(result) -> dict:
    return {
        "status": result.status,
        "reason": result.reason,
        "serial": result.serial,
        "measurement": _decimal(result.measurement),
        "note": result.note,
        "serial_duplicate": result.serial_duplicate,
        "device_time": _datetime(result.device_time),
        "received_at": _datetime(result.received_at),
    }


class VisitSiteContactSerializer(serializers.Serializer):
    name = serializers.CharField()
    role = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    is_primary = serializers.BooleanField()


class VisitSiteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    address = serializers.SerializerMethodField()
    city = serializers.CharField()
    state = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    timezone = serializers.CharField()
    access_hours = serializers.JSONField(help_text='Local-time windows per weekday: {"mon": ["06:00-22:00"], …}.')
    contacts = VisitSiteContactSerializer(many=True, source="contacts.all")

    def get_address(self, site) -> str:
        locality = " ".join(part for part in (site.state, site.postal_code) if part)
        city = ", ".join(part for part in (site.city, locality) if part)
        return ", ".join(part for part in (site.address_line1, site.address_line2, city) if part)


class VisitWorkOrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    status = serializers.CharField()
    program = serializers.IntegerField(source="program_id")


class VisitTechnicianSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class VisitCheckInSerializer(serializers.Serializer):
    server_time = serializers.DateTimeField(source="checked_in_at")
    device_time = serializers.DateTimeField(source="check_in_device_time", allow_null=True)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, source="check_in_latitude", allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, source="check_in_longitude", allow_null=True)
    accuracy_m = serializers.FloatField(source="check_in_accuracy_m", allow_null=True)
    location_status = serializers.ChoiceField(choices=LocationStatus.choices)
    distance_m = serializers.IntegerField(source="check_in_distance_m", allow_null=True)
    flagged = serializers.BooleanField(source="check_in_flagged", help_text="Outside the program's geofence radius.")
    warning = serializers.SerializerMethodField(
        help_text="Said to the technician when the check-in came well before the window or the store's opening."
    )

    def get_warning(self, visit: Visit) -> str:
        return check_in_warning(visit)


class VisitCheckOutSerializer(serializers.Serializer):
    server_time = serializers.DateTimeField(source="checked_out_at")
    device_time = serializers.DateTimeField(source="check_out_device_time", allow_null=True)
    outcome = serializers.ChoiceField(choices=VisitOutcome.choices)
    incomplete_reason = serializers.ChoiceField(choices=IncompleteReason.choices, allow_blank=True)
    note = serializers.CharField(source="check_out_note")


class VisitSignOffSerializer(serializers.Serializer):
    name = serializers.CharField()
    signed_at = serializers.DateTimeField()
    signature_url = serializers.URLField(help_text="The drawn signature (PNG), after the same access check.")


class VisitPacketSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField()
    checksum = serializers.CharField()
    acknowledged = serializers.BooleanField(help_text="The visit's technician acknowledged this version.")


class VisitTaskResultSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=TaskResultStatus.choices)
    reason = serializers.CharField()
    serial = serializers.CharField()
    measurement = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    note = serializers.CharField()
    serial_duplicate = serializers.BooleanField(help_text="Already recorded on another work order of the program.")
    device_time = serializers.DateTimeField(allow_null=True)
    received_at = serializers.DateTimeField()


class VisitPhotoRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    thumbnail_url = serializers.URLField()
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    exif_taken_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField(
        help_text="SHA-256 of the uploaded bytes: the same file sent again for the same task is stored once."
    )


class VisitTaskSerializer(serializers.Serializer):
    key = serializers.CharField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    instructions_html = serializers.CharField(help_text="Sanitized HTML from the task's Markdown instructions.")
    evidence_kind = serializers.CharField(help_text="none, photo, serial, measurement or signature.")
    photo_min_count = serializers.IntegerField()
    serial_pattern = serializers.CharField(help_text="A regular expression the whole serial must match (or empty).")
    serial_example = serializers.CharField(
        help_text='A serial that matches serial_pattern, to show people ("SCO-123456"; empty without a pattern).'
    )
    measurement_unit = serializers.CharField()
    measurement_min = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    measurement_max = serializers.DecimalField(max_digits=12, decimal_places=3, allow_null=True)
    source = serializers.CharField(help_text='"sow", or "variation:<id>" for a site-specific task.')
    site_note = serializers.CharField()
    result = VisitTaskResultSerializer(allow_null=True)
    photos = VisitPhotoRefSerializer(many=True)


class MissingEvidenceSerializer(serializers.Serializer):
    task_key = serializers.CharField()
    message = serializers.CharField()


class VisitSerializer(serializers.ModelSerializer):
    """A visit in a list: state (late derived), window (UTC and the site's local time), site, work order and
    technician."""

    number = serializers.CharField(source="work_order.number", read_only=True)
    state = serializers.SerializerMethodField(help_text="The status, or late (not checked in by window + grace).")
    late = serializers.SerializerMethodField()
    window_local = serializers.SerializerMethodField(help_text="The window in the site's time zone, in words.")
    site = VisitSiteSerializer(source="work_order.site", read_only=True)
    work_order = VisitWorkOrderSerializer(read_only=True)
    technician = VisitTechnicianSerializer(read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "number",
            "status",
            "state",
            "late",
            "sequence",
            "follow_up_of",
            "window_start",
            "window_end",
            "window_local",
            "local_date",
            "checkin_due_by",
            "site",
            "work_order",
            "technician",
            "cancel_reason",
        ]
        read_only_fields = fields

    def _now(self):
        if "now" not in self.context:
            self.context["now"] = timezone.now()
        return self.context["now"]

    @extend_schema_field(serializers.ChoiceField(choices=VisitState.choices))
    def get_state(self, visit: Visit) -> str:
        return visit.state_at(self._now())

    def get_late(self, visit: Visit) -> bool:
        return visit.state_at(self._now()) == VisitState.LATE

    def get_window_local(self, visit: Visit) -> str:
        return selectors.describe_visit_window(visit)


class VisitDetailSerializer(VisitSerializer):
    """A visit with everything the phone shows and records: the packet version it works from, its tasks with
    results and photos, what evidence is still missing, check-in, check-out, sign-off and the server's clock."""

    packet = serializers.SerializerMethodField()
    tasks = serializers.SerializerMethodField()
    missing_evidence = serializers.SerializerMethodField(
        help_text="What a complete check-out still needs, task by task (empty: nothing)."
    )
    check_in = serializers.SerializerMethodField()
    check_out = serializers.SerializerMethodField()
    sign_off = serializers.SerializerMethodField()
    server_time = serializers.SerializerMethodField()

    class Meta(VisitSerializer.Meta):
        fields = [
            *VisitSerializer.Meta.fields,
            "packet",
            "tasks",
            "missing_evidence",
            "check_in",
            "check_out",
            "sign_off",
            "server_time",
        ]
        read_only_fields = fields

    @extend_schema_field(VisitPacketSerializer(allow_null=True))
    def get_packet(self, visit: Visit) -> dict | None:
        packet = selectors.visit_effective_packet(visit)
        if packet is None:
            return None
        return {
            "id": packet.pk,
            "version": packet.version,
            "checksum": packet.checksum,
            "acknowledged": selectors.packet_acknowledged_by(visit, packet),
        }

    @extend_schema_field(VisitTaskSerializer(many=True))
    def get_tasks(self, visit: Visit) -> list[dict]:
        results = {result.task_key: result for result in visit.task_results.all()}
        photos = defaultdict(list)
        for photo in visit.photos.all():
            photos[photo.task_key].append(photo)
        # Built as plain data (the shape VisitTaskSerializer documents): a phone refreshes from every answer, and
        # nested serializers per task would cost more than the rest of the response.
        rows = []
        for task in selectors.packet_tasks(selectors.visit_effective_packet(visit)):
            result = results.get(task.key)
            rows.append(
                {
                    "key": task.key,
                    "number": task.number,
                    "title": task.title,
                    "instructions_html": instructions_html(task.instructions),
                    "evidence_kind": task.evidence_kind,
                    "photo_min_count": task.photo_min_count,
                    "serial_pattern": task.serial_pattern,
                    "serial_example": serial_example(task.serial_pattern),
                    "measurement_unit": task.measurement_unit,
                    "measurement_min": _decimal(task.measurement_min),
                    "measurement_max": _decimal(task.measurement_max),
                    "source": task.source,
                    "site_note": task.site_note,
                    "result": None if result is None else _result(result),
                    "photos": [
                        {
                            "id": photo.pk,
                            **file_urls(self.context, photo=photo),
                            "width": photo.width,
                            "height": photo.height,
                            "exif_taken_at": _datetime(photo.exif_taken_at),
                            "sha256": photo.sha256,
                        }
                        for photo in photos[task.key]
                    ],
                }
            )
        return rows

    @extend_schema_field(MissingEvidenceSerializer(many=True))
    def get_missing_evidence(self, visit: Visit) -> list[dict]:
        return [
            {"task_key": item.task_key, "message": item.message} for item in selectors.visit_missing_evidence(visit)
        ]

    @extend_schema_field(VisitCheckInSerializer(allow_null=True))
    def get_check_in(self, visit: Visit) -> dict | None:
        return VisitCheckInSerializer(visit).data if visit.checked_in_at else None

    @extend_schema_field(VisitCheckOutSerializer(allow_null=True))
    def get_check_out(self, visit: Visit) -> dict | None:
        return VisitCheckOutSerializer(visit).data if visit.checked_out_at else None

    @extend_schema_field(VisitSignOffSerializer(allow_null=True))
    def get_sign_off(self, visit: Visit) -> dict | None:
        if not selectors.visit_is_signed(visit):
            return None
        sign_off = visit.sign_off
        signed_at = serializers.DateTimeField().to_representation(sign_off.signed_at)
        return {"name": sign_off.name, "signed_at": signed_at, **file_urls(self.context, visit=visit)}

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_server_time(self, visit: Visit) -> str:
        return serializers.DateTimeField().to_representation(self._now())


class VisitPhotoSerializer(serializers.ModelSerializer):
    """A photo's metadata (the file itself is served after the same access check)."""

    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = VisitPhoto
        fields = [
            "id",
            "visit",
            "task_key",
            "content_type",
            "original_format",
            "size",
            "width",
            "height",
            "sha256",
            "exif_taken_at",
            "exif_latitude",
            "exif_longitude",
            "device_time",
            "uploaded_by_label",
            "created_at",
            "url",
            "thumbnail_url",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["uploaded_by_label"] = CLIENT_VIEW.text(self.context.get("access"), "uploader", data["uploaded_by_label"])
        return data

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, photo: VisitPhoto) -> str:
        return file_urls(self.context, photo=photo)["url"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, photo: VisitPhoto) -> str:
        return file_urls(self.context, photo=photo)["thumbnail_url"]


# --- Input ------------------------------------------------------------------------------------------------


class VisitScheduleInputSerializer(serializers.Serializer):
    work_order = OrgPrimaryKeyRelatedField(queryset=WorkOrder.objects.all())
    technician = OrgPrimaryKeyRelatedField(queryset=Technician.objects.all())
    date = serializers.DateField(source="day", help_text="The visit's day at the site.")
    start_time = serializers.TimeField(help_text="Local time at the site (HH:MM).")
    end_time = serializers.TimeField(help_text="Local time at the site (HH:MM).")


class VisitRescheduleInputSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The visit's new day at the site.")
    start_time = serializers.TimeField(help_text="Local time at the site (HH:MM).")
    end_time = serializers.TimeField(help_text="Local time at the site (HH:MM).")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VisitReassignInputSerializer(serializers.Serializer):
    technician = OrgPrimaryKeyRelatedField(queryset=Technician.objects.all())
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VisitCancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Kept on the visit and in the audit trail.")


class VisitActionInputSerializer(serializers.Serializer):
    client_action_id = serializers.RegexField(r"^[A-Za-z0-9_-]+$", **CLIENT_ACTION_ID)
    device_time = serializers.DateTimeField(help_text="The phone's clock when the action was taken (with offset).")


class VisitAcknowledgePacketInputSerializer(VisitActionInputSerializer):
    packet_version = serializers.IntegerField(
        min_value=1, help_text="The packet version the technician read (the visit's `packet.version`)."
    )


class VisitCheckInInputSerializer(VisitActionInputSerializer):
    location_status = serializers.ChoiceField(choices=LocationStatus.choices)
    latitude = serializers.DecimalField(max_digits=12, decimal_places=8, required=False, allow_null=True)
    longitude = serializers.DecimalField(max_digits=12, decimal_places=8, required=False, allow_null=True)
    accuracy_m = serializers.FloatField(required=False, allow_null=True, min_value=0)


class VisitTaskResultInputSerializer(VisitActionInputSerializer):
    task_key = serializers.CharField(max_length=80)
    status = serializers.ChoiceField(choices=TaskResultStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    serial = serializers.CharField(required=False, allow_blank=True, max_length=100, trim_whitespace=True)
    measurement = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class VisitPhotoInputSerializer(VisitActionInputSerializer):
    task_key = serializers.CharField(max_length=80)
    file = serializers.FileField(
        help_text="A JPEG, PNG or WebP photo, at most 15 MB and 40 MP (PNG and WebP: 64 MB decoded)."
    )


class VisitSignOffInputSerializer(VisitActionInputSerializer):
    name = serializers.CharField(max_length=150)
    signature = serializers.CharField(help_text="The drawn signature as a data:image/png;base64,… URL.")


class VisitCheckOutInputSerializer(VisitActionInputSerializer):
    outcome = serializers.ChoiceField(choices=VisitOutcome.choices)
    incomplete_reason = serializers.ChoiceField(choices=IncompleteReason.choices, required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
