"""API views of the quality app: the review queue with accept / reject, reviews, the defect catalogue and DRFT
metrics. Thin: input serializers check shape, one service or selector does the work, output serializers answer.

Roles: the queue and decisions are for coordinators, PMs and admins (integrators read the queue); reviews are read
by staff and integrators, by client viewers for their own client's programs (without internal comments) and by
technicians for their own work orders; only admins edit the catalogue; DRFT metrics are read by staff,
integrators and client viewers (their own programs). Another organization's row is a 404.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from quality import sampling, selectors, services
from quality.api import serializers as s
from quality.filtersets import (
    DefectCodeFilterSet,
    DrftExclusionFilterSet,
    QaReviewFilterSet,
    ReviewQueueFilterSet,
    SamplingPolicyFilterSet,
    WarrantyReportFilterSet,
)
from quality.models import DefectCode, DrftExclusion, QaReview, SamplingPolicy, WarrantyReport
from rollout.api.base import (
    OrgAPIView,
    OrgGenericViewSet,
    OrgServiceViewSet,
    ServiceCreateMixin,
    ServiceDestroyMixin,
)
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_ROLES, Role
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder


@extend_schema(tags=["quality"])
class ReviewQueueViewSet(mixins.ListModelMixin, OrgGenericViewSet):
    """Submitted work orders waiting for QA review, oldest first, with their age; accept or reject one.

    The decision actions take the work order's id. Of two reviewers deciding at once one decision stands; the other
    gets 409 `already_reviewed`."""

    queryset = WorkOrder.objects.with_summary().select_related("technician__vendor")
    serializer_class = s.ReviewQueueItemSerializer
    filterset_class = ReviewQueueFilterSet
    search_fields = ["number", "site__code", "site__name"]
    ordering_fields = ["submitted_at", "number"]
    ordering = ["submitted_at", "id"]
    roles = {"read": FULL_READ_ROLES, "write": STAFF_ROLES}

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            queryset = queryset.filter(status=WorkOrderStatus.SUBMITTED)
        return queryset

    def _answer(self, review: QaReview) -> Response:
        fresh = selectors.qa_review_list(access=self.access).get(pk=review.pk)
        return Response(s.QaReviewSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.QaAcceptInputSerializer,
        responses=s.QaReviewSerializer,
        description=(
            "Accept the submitted work order: it moves to accepted (its warranty window starts). 409 "
            "`not_submitted` for any other state, `already_reviewed` when someone decided first."
        ),
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.QaAcceptInputSerializer)
        review = services.qa_review_accept(**self.service_kwargs(), work_order_id=work_order.pk, **values)
        return self._answer(review)

    @extend_schema(
        request=s.QaRejectInputSerializer,
        responses=s.QaReviewSerializer,
        description=(
            "Reject the submitted work order with its defects (code, severity, root cause, the task and the photo or "
            "task result concerned, comment): it moves to rework, the technician is e-mailed the defects, and the "
            "return visit may be booked in the same call (`return_visit`, linked to the reviewed visit). 400 "
            "`defect_required` without a defect, `evidence_mismatch` for another work order's evidence; 409 "
            "`not_submitted` / `already_reviewed`; a refused return visit (e.g. `double_booking`) refuses the whole "
            "rejection."
        ),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        work_order = self.get_object()
        values = self.input(s.QaRejectInputSerializer)
        defects = [
            services.DefectInput(
                code_id=item["code"],
                root_cause=item["root_cause"],
                severity=item["severity"],
                task_key=item["task_key"],
                photo_id=item["photo"],
                task_result_id=item["task_result"],
                comment=item["comment"],
            )
            for item in values["defects"]
        ]
        visit = values.get("return_visit")
        return_visit = (
            services.ReturnVisitInput(visit["technician"].pk, visit["day"], visit["start_time"], visit["end_time"])
            if visit
            else None
        )
        review = services.qa_review_reject(
            **self.service_kwargs(),
            work_order_id=work_order.pk,
            defects=defects,
            comment=values["comment"],
            return_visit=return_visit,
        )
        return self._answer(review)


@extend_schema(tags=["quality"])
class QaReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """QA decisions with their defects (client viewers: their own programs, without internal comments;
    technicians: their own work orders)."""

    queryset = QaReview.objects.with_summary()
    serializer_class = s.QaReviewSerializer
    filterset_class = QaReviewFilterSet
    ordering_fields = ["decided_at", "sequence"]
    ordering = ["-decided_at", "-id"]
    roles = {"read": FULL_READ_ROLES | {Role.CLIENT, Role.TECHNICIAN}, "write": frozenset()}


@extend_schema(tags=["quality"])
class DefectCodeViewSet(OrgServiceViewSet):
    """The organization's defect catalogue: code, title, default severity; retire a code with `active: false`.
    Read by staff and integrators; edited by admins (codes are never deleted: defects point to them)."""

    queryset = DefectCode.objects.all()
    serializer_class = s.DefectCodeSerializer
    filterset_class = DefectCodeFilterSet
    search_fields = ["code", "title"]
    ordering_fields = ["code", "title"]
    ordering = ["code", "id"]
    roles = {"read": FULL_READ_ROLES, "write": {Role.ADMIN}}
    http_method_names = ["get", "post", "patch", "head", "options"]
    create_input, create_service = s.DefectCodeInputSerializer, services.defect_code_create
    update_input, update_service = s.DefectCodeInputSerializer, services.defect_code_update


@extend_schema(tags=["quality"])
class WarrantyReportViewSet(ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Problems reported on accepted work within its warranty window. PMs, admins and client viewers (their own
    client's sites) report; each sends the work order back to rework for a warranty return visit."""

    queryset = WarrantyReport.objects.select_related("work_order")
    serializer_class = s.WarrantyReportSerializer
    filterset_class = WarrantyReportFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": {Role.ADMIN, Role.PM, Role.CLIENT}}

    create_input, create_service = s.WarrantyReportInputSerializer, services.warranty_report_create

    @extend_schema(
        description=(
            "Report a problem on accepted work within its program's warranty window (default 30 days after "
            "acceptance): the work order goes back to rework, and it is not DRFT unless a PM excludes it. 409 "
            "`not_accepted` (not accepted yet), `warranty_expired` (after the window, or closed); 400 "
            "`reason_required` without a description; another client's or organization's work order does not exist."
        )
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


@extend_schema(tags=["quality"])
class DrftExclusionViewSet(
    ServiceCreateMixin, ServiceDestroyMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet
):
    """Work orders a PM excluded from DRFT (their return or incomplete first visit was caused by the client or by the
    site not being ready). PMs and admins set and clear them; client viewers read their own (without the reason)."""

    queryset = DrftExclusion.objects.select_related("work_order")
    serializer_class = s.DrftExclusionSerializer
    filterset_class = DrftExclusionFilterSet
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": PLANNER_ROLES}
    http_method_names = ["get", "post", "delete", "head", "options"]

    create_input, create_service = s.DrftExclusionInputSerializer, services.drft_exclusion_set

    @extend_schema(
        description=(
            "Exclude a work order from DRFT (or change its classification): `cause` client or site_not_ready, with a "
            "`reason` (400 `reason_required` without). 409 `exclusion_not_allowed` unless the work order had an "
            "incomplete first visit, a return visit or a warranty report. Audited; DRFT is recomputed."
        )
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    delete_service = services.drft_exclusion_delete

    @extend_schema(description="Count the work order in DRFT again (audited).")
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)


@extend_schema(tags=["quality"])
class ScorecardView(OrgAPIView):
    """A technician's scorecard with its formula (staff and integrators: anyone's; a technician: their own)."""

    roles = {"read": FULL_READ_ROLES | {Role.TECHNICIAN}}

    @extend_schema(responses=s.ScorecardSerializer)
    def get(self, request, technician_id: int):
        from quality.scorecards import technician_scorecard
        from technicians.models import Technician

        technician = Technician.objects.visible_to(self.access).filter(pk=technician_id).first()
        if technician is None:
            raise NotFound()
        card = technician_scorecard(organization=self.access.organization, technician_id=technician.pk)
        return Response(s.ScorecardSerializer(card).data)


@extend_schema(tags=["quality"])
class DrftMetricsView(OrgAPIView):
    """DRFT per program, wave, region, vendor, technician or ISO week, read from the snapshots."""

    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}}

    @extend_schema(
        parameters=[s.DrftMetricsQuerySerializer],
        responses=s.DrftFigureSerializer(many=True),
        description=(
            "Done Right First Time by `dimension` (program, wave, region, vendor, technician, week), over the "
            "programs you can see (or one `program`), all time or the ISO weeks `week_from`..`week_to` (by the week "
            "of acceptance). Each row: numerator (closed DRFT), denominator (closed, exclusions apart), excluded, "
            "percent; and provisional figures (accepted, warranty window still open) apart."
        ),
    )
    def get(self, request):
        query = s.DrftMetricsQuerySerializer(data=request.query_params, context={"access": self.access})
        query.is_valid(raise_exception=True)
        values = query.validated_data
        program = values.get("program")
        figures = selectors.drft_metrics(
            access=self.access,
            dimension=values["dimension"],
            program_id=program.pk if program else None,
            week_from=values["week_from"],
            week_to=values["week_to"],
        )
        return Response(s.DrftFigureSerializer(figures, many=True).data)


__all__ = [
    "DefectCodeViewSet",
    "DrftExclusionViewSet",
    "DrftMetricsView",
    "QaReviewViewSet",
    "ReviewQueueViewSet",
    "ScorecardView",
    "WarrantyReportViewSet",
]


@extend_schema(tags=["quality"])
class SamplingPolicyViewSet(ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Each program's sampling policy: which submitted work QA reviews (quality.sampling). Without one, a program
    reviews every work order. Read by staff and integrators; set by PMs and admins."""

    queryset = SamplingPolicy.objects.select_related("program")
    serializer_class = s.SamplingPolicySerializer
    filterset_class = SamplingPolicyFilterSet
    ordering_fields = ["updated_at"]
    ordering = ["program_id", "id"]
    roles = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}

    create_input, create_service = s.SamplingPolicyInputSerializer, sampling.sampling_policy_set

    @extend_schema(
        description=(
            "Set a program's sampling policy (creates it, or replaces the existing one): `mode` all (review every "
            "work order) or sample — a technician's first `first_jobs` jobs, work after their last rejection, "
            "return visits and technicians scoring below `score_threshold` are always reviewed; the rest are drawn "
            "reproducibly at `percent` %; work not drawn is accepted by the policy after `auto_accept_hours`. "
            "Audited. Another organization's program does not exist."
        )
    )
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)
