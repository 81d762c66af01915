"""API views of field visits, per the visits API contract: list and detail; scheduling (book, reschedule,
reassign, cancel, no-show) for coordinators, booking for integrators too; the field actions (confirm, on my
way, check-in, task results, photos, sign-off, check-out) for the visit's technician or an integrator acting
for them; photo and signature files after the access check.

Thin: input serializers for shape, one service per action, the visit detail as every action's answer (so a
phone can refresh its view from any response). Every POST accepts `Idempotency-Key` (core behaviour) and each
field action also carries a `client_action_id`: the service records each action once per visit, and a resend
answers with the current visit and `Visit-Action-Replayed: true`. Reads: staff and integrators everything;
technicians their own visits; client viewers their own client's programs, read-only. Another organization's
visit — or another technician's — is a 404 like a missing one.
"""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from rollout.api.base import OrgGenericViewSet, ServiceCreateMixin
from rollout.api.files import FileNegotiation
from rollout.choices import FULL_READ_ROLES, STAFF_OR_INTEGRATOR, STAFF_ROLES, Role
from workorders.models import Visit, VisitPhoto
from workorders.visits import errors, selectors
from workorders.visits.api import serializers as s
from workorders.visits.filtersets import VisitFilterSet, VisitPhotoFilterSet
from workorders.visits.photos import MAX_PHOTO_BYTES, InvalidPhoto
from workorders.visits.services import field_actions, planning

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT, Role.TECHNICIAN}
SCHEDULING_ROLES = STAFF_ROLES
BOOKING_ROLES = STAFF_OR_INTEGRATOR  # an integrator's system books and moves visits too
FIELD_ROLES = field_actions.FIELD_ROLES
REPLAYED_HEADER = "Visit-Action-Replayed"
JPEG_RESPONSE = {(200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY, description="The stored JPEG.")}
PNG_RESPONSE = {(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY, description="The signature (PNG).")}
FIELD_ACTION_NOTE = (
    " Recorded once per `client_action_id`: a resend with the same id changes nothing and answers with the current "
    "visit (header `Visit-Action-Replayed: true`). The visit's technician (or an integrator) only; another "
    "technician's visit is a 404."
)


class EvidenceMissingError(exceptions.APIException):
    """409 `evidence_missing`, one error per task that lacks a result or evidence (attr = the task's key)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "evidence_missing"

    def __init__(self, error: errors.EvidenceMissing):
        super().__init__(
            detail={item.task_key: [exceptions.ErrorDetail(item.message, code=error.code)] for item in error.missing}
        )


@extend_schema_view(
    list=extend_schema(
        summary="List visits",
        description=(
            "Filter by `date` (the visit's day at the site), technician, status or state (`late`: not checked in by "
            "window start + the program's grace). Technicians see only their own visits; client viewers their "
            "client's programs."
        ),
    ),
    retrieve=extend_schema(
        summary="Get a visit with its tasks, results, photos, missing evidence, check-in and check-out"
    ),
    create=extend_schema(
        summary="Book a visit",
        description=(
            "A technician at the work order's site on `date` from `start_time` to `end_time`, local time at the "
            "site. Refused with the reason: `double_booking`, `time_off`, `outside_access_hours`, `blackout_date`, "
            "`technician_not_eligible`, `invalid_window` (400, on the field), `work_order_not_schedulable` or "
            "`visit_exists` (409). The work order follows (technician, window, scheduled); the technician is "
            "e-mailed. A visit after one that ended incomplete is its follow-up (sequence + 1, follow_up_of)."
        ),
    ),
)
@extend_schema(tags=["visits"])
class VisitViewSet(ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Field visits: scheduling, the technician's field actions, and the visit as the phone shows it."""

    queryset = Visit.objects.with_summary()
    serializer_class = s.VisitSerializer
    filterset_class = VisitFilterSet
    search_fields = ["work_order__number", "work_order__site__code", "work_order__site__name", "technician__full_name"]
    ordering_fields = ["window_start", "local_date", "status", "sequence"]
    ordering = ["window_start", "id"]
    roles = {
        "read": READ_ROLES,
        "write": BOOKING_ROLES,
        "reschedule": BOOKING_ROLES,
        "reassign": BOOKING_ROLES,
        "cancel": BOOKING_ROLES,
        "no_show": SCHEDULING_ROLES,
        "acknowledge_packet": {Role.TECHNICIAN},
        "confirm": FIELD_ROLES,
        "on_my_way": FIELD_ROLES,
        "check_in": FIELD_ROLES,
        "task_results": FIELD_ROLES,
        "photos": FIELD_ROLES,
        "sign_off": FIELD_ROLES,
        "check_out": FIELD_ROLES,
    }
    create_input, create_service = s.VisitScheduleInputSerializer, planning.visit_schedule

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            return queryset.prefetch_related("work_order__site__contacts")
        return selectors.visit_detail_queryset(queryset)

    def filter_queryset(self, queryset):
        # One visit with no query string (its page, a field action's answer): the list's filters, search and
        # ordering would change nothing, and building the filter set costs more than the visit's own read.
        if self.action != "list" and not self.request.query_params:
            return queryset
        return super().filter_queryset(queryset)

    def get_serializer_class(self):
        return s.VisitSerializer if self.action == "list" else s.VisitDetailSerializer

    def handle_exception(self, exc):
        if isinstance(exc, errors.EvidenceMissing):
            exc = EvidenceMissingError(exc)
        return super().handle_exception(exc)

    # --- helpers

    def detail_response(self, visit_id: int, *, replayed: bool = False, status_code=status.HTTP_200_OK) -> Response:
        fresh = selectors.visit_detail_queryset(Visit.objects.visible_to(self.access).with_summary()).get(pk=visit_id)
        response = Response(
            s.VisitDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code
        )
        if replayed:
            response[REPLAYED_HEADER] = "true"
        return response

    def visible_pk(self) -> int:
        """The URL's visit id when the caller may see it, else 404 — before the body is read, so another
        technician's (or organization's) visit reveals nothing; one light query (the service locks the row)."""
        pk = str(self.kwargs[self.lookup_field])
        if not pk.isdigit():
            raise Http404("No such visit.")
        found = Visit.objects.visible_to(self.access).filter(pk=pk).values_list("pk", flat=True).first()
        if found is None:
            raise Http404("No such visit.")
        return found

    def field_action(self, service, input_serializer, **extra):
        visit_id = self.visible_pk()
        values = self.input(input_serializer)
        outcome = service(**self.service_kwargs(), visit_id=visit_id, **values, **extra)
        return self.detail_response(visit_id, replayed=outcome.replayed)

    # --- scheduling

    @extend_schema(
        request=s.VisitRescheduleInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "Move a visit that has not started (same checks as booking it). A confirmed visit goes back to "
            "scheduled; the technician is e-mailed. 409 `visit_not_active` once checked in, cancelled or a no-show."
        ),
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        visit = self.get_object()
        values = self.input(s.VisitRescheduleInputSerializer)
        planning.visit_reschedule(
            **self.service_kwargs(),
            visit_id=visit.pk,
            day=values["date"],
            start_time=values["start_time"],
            end_time=values["end_time"],
            reason=values.get("reason", ""),
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        request=s.VisitReassignInputSerializer,
        responses=s.VisitDetailSerializer,
        description="Give a visit that has not started to another technician who is free and eligible then.",
    )
    @action(detail=True, methods=["post"])
    def reassign(self, request, pk=None):
        visit = self.get_object()
        values = self.input(s.VisitReassignInputSerializer)
        planning.visit_reassign(
            **self.service_kwargs(),
            visit_id=visit.pk,
            technician_id=values["technician"].pk,
            reason=values.get("reason", ""),
        )
        return self.detail_response(visit.pk)

    @extend_schema(
        request=s.VisitCancelInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "Call off a visit that has not started, with a reason; the work order goes back to ready and the "
            "technician is e-mailed."
        ),
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        visit = self.get_object()
        values = self.input(s.VisitCancelInputSerializer)
        planning.visit_cancel(**self.service_kwargs(), visit_id=visit.pk, reason=values["reason"])
        return self.detail_response(visit.pk)

    @extend_schema(
        request=None,
        responses=s.VisitDetailSerializer,
        description="Record that nobody came (a visit not checked in whose window has started).",
    )
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        visit = self.get_object()
        planning.visit_mark_no_show(**self.service_kwargs(), visit_id=visit.pk)
        return self.detail_response(visit.pk)

    # --- field actions

    @extend_schema(
        request=s.VisitAcknowledgePacketInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "The visit's technician confirms they read the packet version the visit works from (`packet_version`; "
            "409 `packet_not_current` for another version, `no_packet` before one is issued). This is the work "
            "order's acknowledgement readiness gate. The technician only (an integrator is refused with 403)."
            + FIELD_ACTION_NOTE.replace(" The visit's technician (or an integrator) only;", "")
        ),
    )
    @action(detail=True, methods=["post"], url_path="acknowledge-packet")
    def acknowledge_packet(self, request, pk=None):
        return self.field_action(field_actions.visit_acknowledge_packet, s.VisitAcknowledgePacketInputSerializer)

    @extend_schema(
        request=s.VisitActionInputSerializer,
        responses=s.VisitDetailSerializer,
        description="The technician confirms they will come." + FIELD_ACTION_NOTE,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        return self.field_action(field_actions.visit_confirm, s.VisitActionInputSerializer)

    @extend_schema(
        request=s.VisitActionInputSerializer,
        responses=s.VisitDetailSerializer,
        description="The technician is on their way." + FIELD_ACTION_NOTE,
    )
    @action(detail=True, methods=["post"], url_path="on-my-way")
    def on_my_way(self, request, pk=None):
        return self.field_action(field_actions.visit_on_my_way, s.VisitActionInputSerializer)

    @extend_schema(
        request=s.VisitCheckInInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "Arrival on site: server time, device time and position are kept. Beyond the program's geofence the "
            "check-in is flagged, or refused with 409 `outside_geofence` when the program enforces it; "
            "`location_status` denied or unavailable is recorded, not refused. The work order moves to in progress "
            "(409 `work_order_not_dispatched` while its readiness gates are red). A second check-in with a new id "
            "is 409 `already_checked_in`." + FIELD_ACTION_NOTE
        ),
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        return self.field_action(field_actions.visit_check_in, s.VisitCheckInInputSerializer)

    @extend_schema(
        request=s.VisitTaskResultInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "One task's result, checked against the packet's task (`serial_format`, `measurement_out_of_range`, "
            "`unknown_task`, `reason_required`); a serial already recorded elsewhere in the program is kept and "
            "flagged `serial_duplicate`. A later result for the task replaces it. 409 `visit_not_checked_in`, "
            "`visit_checked_out`." + FIELD_ACTION_NOTE
        ),
    )
    @action(detail=True, methods=["post"], url_path="task-results")
    def task_results(self, request, pk=None):
        return self.field_action(field_actions.visit_task_result, s.VisitTaskResultInputSerializer)

    @extend_schema(
        request={"multipart/form-data": s.VisitPhotoInputSerializer},
        responses=s.VisitDetailSerializer,
        description=(
            "A photo for one task (multipart). JPEG, PNG or WebP by content, at most 15 MB and 40 MP; re-encoded to "
            "JPEG (no metadata kept in the file; EXIF time and GPS kept as data) with a 320 px thumbnail. Anything "
            "else — corrupt, oversized, a decompression bomb, not an image — is 400 `invalid_photo` and nothing is "
            "stored. A PNG or WebP must also fit 64 MB once decoded (about 16 MP PNG, 4 MP WebP; a JPEG is decoded "
            "at a reduced scale). The same bytes for the same task are stored once, recognised before any decoding. "
            "503 `server_busy` when the server's image slots stay busy: send it again." + FIELD_ACTION_NOTE
        ),
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def photos(self, request, pk=None):
        visit_id = self.visible_pk()
        values = self.input(s.VisitPhotoInputSerializer)
        upload = values.pop("file")
        if upload.size and upload.size > MAX_PHOTO_BYTES:  # refused before it is read into memory
            raise InvalidPhoto(
                f"The photo is {upload.size / 2**20:.0f} MB; the limit is {MAX_PHOTO_BYTES / 2**20:.0f} MB."
            )
        data = upload.read()
        outcome = field_actions.visit_photo_add(
            **self.service_kwargs(), visit_id=visit_id, data=data, filename=upload.name or "", **values
        )
        return self.detail_response(visit_id, replayed=outcome.replayed)

    @extend_schema(
        request=s.VisitSignOffInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "The site contact's name and drawn signature (a PNG data URL, validated like a photo: 400 "
            "`invalid_photo`). 409 `visit_checked_out` on a checked-out visit." + FIELD_ACTION_NOTE
        ),
    )
    @action(detail=True, methods=["post"], url_path="sign-off")
    def sign_off(self, request, pk=None):
        return self.field_action(field_actions.visit_sign_off, s.VisitSignOffInputSerializer)

    @extend_schema(
        request=s.VisitCheckOutInputSerializer,
        responses=s.VisitDetailSerializer,
        description=(
            "Leaving the site. `complete` needs every task's result and evidence, else 409 `evidence_missing` with "
            "one error per task (attr = its key); the work order moves to submitted. `incomplete` needs an "
            "`incomplete_reason`; the work order goes to rework so that a follow-up visit can be booked."
            + FIELD_ACTION_NOTE
        ),
    )
    @action(detail=True, methods=["post"], url_path="check-out")
    def check_out(self, request, pk=None):
        return self.field_action(field_actions.visit_check_out, s.VisitCheckOutInputSerializer)

    # --- files

    @extend_schema(responses=PNG_RESPONSE, description="The visit's drawn signature, after the access check.")
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def signature(self, request, pk=None):
        visit = self.get_object()
        if not selectors.visit_is_signed(visit) or not visit.sign_off.signature:
            raise Http404("This visit has no signature.")
        return FileResponse(visit.sign_off.signature.open("rb"), content_type="image/png")


@extend_schema_view(
    list=extend_schema(summary="List visit photos"),
    retrieve=extend_schema(summary="Get a visit photo's metadata"),
)
@extend_schema(tags=["visits"])
class VisitPhotoViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Photos of visits (metadata; the files after the same access check)."""

    queryset = VisitPhoto.objects.select_related("visit")
    serializer_class = s.VisitPhotoSerializer
    filterset_class = VisitPhotoFilterSet
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]
    roles = {"read": READ_ROLES}

    @extend_schema(responses=JPEG_RESPONSE, description="The stored photo (JPEG).")
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def file(self, request, pk=None):
        photo = self.get_object()
        return FileResponse(photo.file.open("rb"), content_type=photo.content_type)

    @extend_schema(responses=JPEG_RESPONSE, description="The photo's 320 px thumbnail (JPEG).")
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def thumbnail(self, request, pk=None):
        photo = self.get_object()
        return FileResponse(photo.thumbnail.open("rb"), content_type="image/jpeg")
