"""API views of the workorders app: work orders (transitions, readiness, overrides, site contact, assignment)
and shipments.

Thin: they check shape with input serializers, call one service or selector, and answer with an output
serializer. Reads: staff, integrators and client viewers (their own client's programs only); writes:
admins, PMs, coordinators and integrators; overriding a readiness gate: PMs and admins. Scoping comes from the base
classes (visible_to) and the org-scoped related fields, so another organization's work order is a 404.
"""

from datetime import date, time

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from rollout.api.base import OrgGenericViewSet, OrgServiceViewSet
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_OR_INTEGRATOR, Role
from workorders import gate_overrides, selectors, services, shipments
from workorders.api import serializers as s
from workorders.filtersets import FilterInvalid, ShipmentFilterSet, WorkOrderFilterSet, selected_work_order_ids
from workorders.models import Shipment, WorkOrder
from workorders.readiness import local_window, work_order_readiness, work_orders_readiness

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
WRITE_ROLES = STAFF_OR_INTEGRATOR  # admin, pm, coordinator, and an integrator's system
ROLES = {"read": READ_ROLES, "write": WRITE_ROLES}


@extend_schema(tags=["work orders"])
class WorkOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Work orders: one program's work at one site, moving through its state machine.

    Created from enrollments (POST …/create-for-program/); every change goes through an action. The list
    carries a readiness badge per row, the detail the whole readiness checklist.
    """

    queryset = WorkOrder.objects.with_summary()
    serializer_class = s.WorkOrderSerializer
    filterset_class = WorkOrderFilterSet
    search_fields = ["number", "site__code", "site__name"]
    ordering_fields = ["number", "sequence", "status", "planned_start", "site__code", "site__state", "updated_at"]
    ordering = ["program_id", "sequence", "id"]
    # Clients read their own work orders but not the workforce; only PMs and admins override a gate.
    roles = {**ROLES, "override_gate": PLANNER_ROLES, "technician_candidates": FULL_READ_ROLES}

    def get_serializer_class(self):
        return s.WorkOrderDetailSerializer if self.action != "list" else s.WorkOrderSerializer

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        readiness = work_orders_readiness(organization=self.access.organization, work_orders=page)
        serializer = s.WorkOrderSerializer(
            page, many=True, context={**self.get_serializer_context(), "readiness": readiness}
        )
        return self.get_paginated_response(serializer.data)

    def detail_response(self, work_order, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=work_order.pk)
        readiness = {fresh.pk: work_order_readiness(organization=self.access.organization, work_order=fresh)}
        context = {**self.get_serializer_context(), "readiness": readiness}
        return Response(s.WorkOrderDetailSerializer(fresh, context=context).data, status=status_code)

    def retrieve(self, request, *args, **kwargs):
        return self.detail_response(self.get_object())

    @extend_schema(
        request=s.WorkOrderCreateForProgramInputSerializer,
        responses=s.WorkOrderCreateResultSerializer,
        description=(
            "Create one draft work order per enrolled site of the program (or of one `wave`). Safe to repeat: sites "
            "that already have a work order are reported as `exists`. A closed program is refused (409)."
        ),
    )
    @action(detail=False, methods=["post"], url_path="create-for-program")
    def create_for_program(self, request):
        values = self.input(s.WorkOrderCreateForProgramInputSerializer)
        wave = values.get("wave")
        result = services.work_orders_create_for_program(
            **self.service_kwargs(), program_id=values["program"].pk, wave_id=wave.pk if wave else None
        )
        return Response(s.WorkOrderCreateResultSerializer(result).data)

    @extend_schema(
        request=s.WorkOrderTransitionInputSerializer,
        responses=s.WorkOrderDetailSerializer,
        description=(
            "Move the work order along draft → ready → scheduled → dispatched → in_progress → submitted → accepted | "
            "rework → closed; rework → scheduled (return visit); back: ready → draft, scheduled → ready (unschedule), "
            "dispatched → scheduled (recall); cancelled from any open state. A reason is required to cancel, send "
            "to rework or recall. Refused with 409: `invalid_transition` (naming from, to and the allowed moves), "
            "`not_ready` (red readiness gates, listed), `not_planned`, `no_approved_sow`, `stale_version`, "
            "`visit_open` (scheduled → ready while a visit is booked: cancel the visit instead), `visit_underway` "
            "(cancel while the technician is checked in), `review_required` (submitted → accepted or rework: only a "
            "QA review decides, at /api/v1/qa-queue/{id}/accept/ or reject/). Cancelling calls off a booked visit "
            "that has not started."
        ),
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.WorkOrderTransitionInputSerializer)
        work_order = services.work_order_transition(**self.service_kwargs(), work_order_id=work_order.pk, **values)
        return self.detail_response(work_order)

    @extend_schema(
        request=s.WorkOrderBulkTransitionInputSerializer,
        responses=s.BulkTransitionResultSerializer,
        description=(
            "Move many work orders (by `work_order_ids` or by the list's `filter`) to one status. Each is checked "
            "alone; the answer says per work order whether it moved or was refused, with the code and message. "
            "Ids of other organizations are refused as `not_found`."
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-transition")
    def bulk_transition(self, request):
        values = self.input(s.WorkOrderBulkTransitionInputSerializer)
        ids = values.get("work_order_ids")
        if ids is None:
            try:
                ids = selected_work_order_ids(
                    dict(values["filter"]), WorkOrder.objects.visible_to(self.access), request
                )
            except FilterInvalid as exc:
                raise ValidationError({"filter": exc.errors}, code="invalid") from exc
        result = services.work_order_bulk_transition(
            **self.service_kwargs(), work_order_ids=ids, to_status=values["to_status"], reason=values["reason"]
        )
        return Response(s.BulkTransitionResultSerializer(result).data)

    @extend_schema(responses=s.ReadinessSerializer, description="The readiness checklist: each gate green or red, why.")
    @action(detail=True, methods=["get"])
    def readiness(self, request, pk=None):
        work_order = self.get_object()
        readiness = work_order_readiness(organization=self.access.organization, work_order=work_order)
        return Response(s.ReadinessSerializer(readiness, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.GateOverrideInputSerializer,
        responses=s.WorkOrderDetailSerializer,
        description=(
            "Let one red readiness gate pass, with a written reason (PMs and admins). Audited; shown on the "
            "checklist. A green gate is refused with 409 `gate_green`."
        ),
    )
    @action(detail=True, methods=["post"], url_path="override-gate")
    def override_gate(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.GateOverrideInputSerializer)
        work_order = gate_overrides.work_order_gate_override(
            **self.service_kwargs(), work_order_id=work_order.pk, **values
        )
        return self.detail_response(work_order)

    @extend_schema(
        request=s.SiteContactConfirmInputSerializer,
        responses=s.WorkOrderDetailSerializer,
        description="Record that the site contact confirmed the visit (who and when are recorded).",
    )
    @action(detail=True, methods=["post"], url_path="confirm-site-contact")
    def confirm_site_contact(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.SiteContactConfirmInputSerializer)
        work_order = services.work_order_confirm_site_contact(
            **self.service_kwargs(), work_order_id=work_order.pk, **values
        )
        return self.detail_response(work_order)

    @extend_schema(
        request=s.WorkOrderAssignInputSerializer,
        responses=s.WorkOrderDetailSerializer,
        description=(
            "Give the work order a technician and a visit window. Refused with 400, with the reasons: "
            "`window_not_allowed` (outside the site's access hours or on a blackout date, read in the site's time "
            "zone), `technician_not_eligible` (skills, certifications, insurance, working days and hours, time off, "
            "service radius). `schedule: true` also moves a ready or rework work order to scheduled. Refused with 409 "
            "`visit_open` once a visit is booked: reschedule, reassign or cancel the visit (`/api/v1/visits/`)."
        ),
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.WorkOrderAssignInputSerializer)
        technician = values.pop("technician")
        work_order = services.work_order_assign(
            **self.service_kwargs(), work_order_id=work_order.pk, technician_id=technician.pk, **values
        )
        return self.detail_response(work_order)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                name="date",
                type=OpenApiTypes.DATE,
                location=OpenApiParameter.QUERY,
                required=False,
                description="The visit day (default: the planned day).",
            ),
            OpenApiParameter(
                name="time",
                type=OpenApiTypes.TIME,
                location=OpenApiParameter.QUERY,
                required=False,
                description="The start time, site's local time (default: the planned start).",
            ),
        ],
        responses=s.WorkOrderCandidateSerializer(many=True),
        description=(
            "Technicians qualified for this work order's visit on that day, nearest first, with distance and the "
            "technician's score (`scores`: the quality scorecard's score and what it is made of); "
            "paginated like every list (`page`, `page_size`)."
        ),
    )
    @action(detail=True, methods=["get"], url_path="technician-candidates")
    def technician_candidates(self, request, pk=None):
        work_order = self.get_object()
        on_date, at_time = _visit_moment(work_order, request.query_params)
        technicians = selectors.work_order_technician_candidates(
            organization=self.access.organization, work_order=work_order, on_date=on_date, at_time=at_time
        )
        page = self.paginate_queryset(technicians)
        return self.get_paginated_response(s.WorkOrderCandidateSerializer(page, many=True).data)


def _visit_moment(work_order: WorkOrder, params) -> tuple[date, time | None]:
    window = local_window(work_order)
    try:
        on_date = date.fromisoformat(params["date"]) if params.get("date") else None
        at_time = time.fromisoformat(params["time"]) if params.get("time") else None
    except ValueError as exc:
        raise ValidationError({"date": ["Give the date as YYYY-MM-DD and the time as HH:MM."]}, code="invalid") from exc
    if on_date is None:
        if window is None:
            raise ValidationError({"date": ["Give the visit day: this work order has no planned window."]})
        on_date = window[0].date()
        at_time = at_time or window[0].time()
    return on_date, at_time


@extend_schema_view(
    create=extend_schema(
        description="Record a shipment for an open work order; without `status` it follows the dates."
    ),
    destroy=extend_schema(description="Remove a shipment recorded by mistake (open work orders only)."),
)
@extend_schema(tags=["work orders"])
class ShipmentViewSet(OrgServiceViewSet):
    """Shipments of materials to a work order's site: carrier, tracking number, shipped, expected, delivered."""

    queryset = Shipment.objects.select_related("work_order")
    serializer_class = s.ShipmentSerializer
    filterset_class = ShipmentFilterSet
    search_fields = ["tracking_number", "carrier", "work_order__number"]
    ordering_fields = ["created_at", "shipped_on", "expected_delivery", "delivered_on", "status"]
    ordering = ["work_order_id", "created_at", "id"]
    roles = ROLES
    create_input, create_service = s.ShipmentCreateInputSerializer, shipments.shipment_create
    update_input, update_service = s.ShipmentUpdateInputSerializer, shipments.shipment_update
    delete_service = shipments.shipment_delete
