"""API views of the programs app: programs, waves, SOW versions, SOW tasks and materials.

Thin: they check shape with input serializers, call one service, and answer with an output
serializer. Reads: staff, integrators and client viewers (their own client only); writes: PMs and
admins, and integrators for programs, waves and enrollments (what their systems sync). Scoping comes
from the base classes (visible_to) and the org-scoped related fields.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from programs import attributes, enrollments, selectors, services, sows, training, variations
from programs.api import serializers as s
from programs.filtersets import (
    EnrollCandidateFilterSet,
    EnrollmentFilterSet,
    FilterInvalid,
    ProgramAttributeFilterSet,
    ProgramCourseRequirementFilterSet,
    ProgramFilterSet,
    SiteVariationFilterSet,
    SowFilterSet,
    SowMaterialFilterSet,
    SowTaskFilterSet,
    WaveFilterSet,
    selected_site_ids,
)
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
from rollout.api.base import OrgGenericViewSet, OrgServiceViewSet
from rollout.choices import FULL_READ_ROLES, PLANNER_OR_INTEGRATOR, PLANNER_ROLES, Role

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
VARIATION_WRITERS = PLANNER_ROLES | {Role.COORDINATOR}
ROLES = {"read": READ_ROLES, "write": PLANNER_ROLES}
SYNCED = {"read": READ_ROLES, "write": PLANNER_OR_INTEGRATOR}  # an integrator's system syncs these too
PAGE_PARAMETERS = [
    OpenApiParameter(name="page", type=OpenApiTypes.INT, location=OpenApiParameter.QUERY, required=False),
    OpenApiParameter(name="page_size", type=OpenApiTypes.INT, location=OpenApiParameter.QUERY, required=False),
]


class ServiceViewSet(OrgServiceViewSet):
    """The programs app's writes go through its services; PMs and admins write."""

    roles = ROLES


@extend_schema_view(
    destroy=extend_schema(
        description="Only a program in planning with no approved SOW can be deleted (409 otherwise).",
    )
)
@extend_schema(tags=["programs"])
class ProgramViewSet(ServiceViewSet):
    """Programs: one rollout for one client, with its status lifecycle and SLA policy values."""

    queryset = Program.objects.with_summary()
    serializer_class = s.ProgramSerializer
    filterset_class = ProgramFilterSet
    search_fields = ["code", "name", "client__name"]
    ordering_fields = ["code", "name", "start_date", "end_date", "status", "created_at"]
    ordering = ["code"]
    roles = SYNCED
    create_input, create_service = s.ProgramCreateInputSerializer, services.program_create
    update_input, update_service = s.ProgramUpdateInputSerializer, services.program_update
    delete_service = services.program_delete

    @extend_schema(
        request=s.ProgramTransitionInputSerializer,
        responses=s.ProgramSerializer,
        description=(
            "Move the program along planning → pilot → active → closing → closed. Allowed moves: "
            "planning→pilot|active, pilot→planning|active, active→closing, closing→active|closed. "
            "Any other move is refused with 409 `invalid_transition`."
        ),
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        program = self.get_object()
        values = self.input(s.ProgramTransitionInputSerializer)
        program = services.program_transition(**self.service_kwargs(), program_id=program.pk, **values)
        return self.output(program)

    @extend_schema(
        parameters=PAGE_PARAMETERS,
        responses=s.AttributeProblemsPageSerializer,
        description=(
            "Every enrolled site whose attributes break the program's attribute schema, by site code, with each "
            "problem: `missing` (a required attribute), `wrong_type`, `not_allowed` (not one of a choice's values)."
        ),
    )
    @action(detail=True, methods=["get"], url_path="attribute-problems")
    def attribute_problems(self, request, pk=None):
        program = self.get_object()
        report = selectors.program_attribute_problems(organization=self.access.organization, program_id=program.pk)
        page = self.paginator.paginate_queryset(list(report.sites), request, view=self)
        body = {
            "sites_checked": report.sites_checked,
            "attributes_declared": report.attributes_declared,
            "count": self.paginator.page.paginator.count,
            "next": self.paginator.get_next_link(),
            "previous": self.paginator.get_previous_link(),
            "results": page,
        }
        return Response(s.AttributeProblemsPageSerializer(body).data)

    @extend_schema(
        responses=s.ImportAttributeSpecSerializer(many=True),
        description=(
            "The program's attribute schema in the form a site import takes (SiteImport.attribute_schema): "
            "a choice is text with its `allowed` values. Empty when the program declares no attribute."
        ),
    )
    # One document (the whole schema, as an import takes it), not a list to page through.
    @action(detail=True, methods=["get"], url_path="attribute-schema", pagination_class=None)
    def attribute_schema(self, request, pk=None):
        program = self.get_object()
        schema = selectors.program_attribute_schema(organization=self.access.organization, program_id=program.pk)
        return Response(s.ImportAttributeSpecSerializer(schema or [], many=True).data)


@extend_schema(tags=["programs"])
class WaveViewSet(ServiceViewSet):
    """Waves of a program (pilot, wave 1, …), each with dates inside the program's."""

    queryset = Wave.objects.select_related("program")
    serializer_class = s.WaveSerializer
    filterset_class = WaveFilterSet
    search_fields = ["name"]
    ordering_fields = ["order", "start_date", "end_date", "name"]
    ordering = ["program_id", "order", "start_date"]
    roles = SYNCED
    create_input, create_service = s.WaveCreateInputSerializer, services.wave_create
    update_input, update_service = s.WaveUpdateInputSerializer, services.wave_update
    delete_service = services.wave_delete


AGAINST = OpenApiParameter(
    name="against",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.QUERY,
    required=True,
    description="Id of the SOW version to compare with (the base); the URL's version is the target.",
)


@extend_schema_view(
    create=extend_schema(
        description=(
            "Start the program's next version as a draft: v1 is empty, later versions start as a copy of "
            "the latest version. One draft at a time per program (409 `draft_exists`)."
        ),
    ),
    partial_update=extend_schema(
        description="Change a draft's notes; an approved version is refused with 409 `sow_approved`."
    ),
    destroy=extend_schema(description="Discard a draft; approved versions are refused (409)."),
)
@extend_schema(tags=["sows"])
class SowViewSet(ServiceViewSet):
    """Versions of a program's statement of work. Drafts are editable; approved versions are frozen."""

    queryset = Sow.objects.with_summary()
    serializer_class = s.SowSerializer
    filterset_class = SowFilterSet
    search_fields = ["notes", "program__code"]
    ordering_fields = ["version", "created_at", "approved_at"]
    ordering = ["program_id", "-version"]
    create_input, create_service = s.SowCreateInputSerializer, sows.sow_create_draft
    update_input, update_service = s.SowUpdateInputSerializer, sows.sow_update
    update_partial = False  # the notes are the whole of what a draft's PATCH changes
    delete_service = sows.sow_delete

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("tasks", "materials")
        return queryset

    def get_serializer_class(self):
        return s.SowDetailSerializer if self.action == "retrieve" else s.SowSerializer

    @extend_schema(
        request=None,
        responses=s.SowSerializer,
        description="Approve a draft: records who and when, and freezes it (409 `sow_approved`, `sow_empty`).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        sow = self.get_object()
        sow = sows.sow_approve(**self.service_kwargs(), sow_id=sow.pk)
        return self.output(sow)

    @extend_schema(
        parameters=[AGAINST],
        responses=s.SowDiffSerializer,
        description="Tasks and materials added, removed and changed (by stable key) from `against` to this version.",
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        target = self.get_object()
        raw = request.query_params.get("against", "")
        base = None
        if raw.isdigit():
            base = Sow.objects.visible_to(self.access).filter(pk=int(raw)).first()
        if base is None:
            raise ValidationError({"against": ["Give the id of a SOW version to compare with."]}, code="invalid")
        diff = selectors.sow_diff(base, target)
        return Response(s.SowDiffSerializer(diff).data)

    @extend_schema(
        request=s.SowReorderTasksInputSerializer,
        responses=s.SowTaskSerializer(many=True),
        description="Put a draft's tasks in a new order; `task_ids` must list each task exactly once.",
    )
    @action(detail=True, methods=["post"], url_path="reorder-tasks")
    def reorder_tasks(self, request, pk=None):
        sow = self.get_object()
        values = self.input(s.SowReorderTasksInputSerializer)
        tasks = sows.sow_task_reorder(**self.service_kwargs(), sow_id=sow.pk, task_ids=values["task_ids"])
        return Response(s.SowTaskSerializer(tasks, many=True).data)


@extend_schema(tags=["sows"])
class SowTaskViewSet(ServiceViewSet):
    """Ordered tasks of SOW versions (filter with ?sow=). Only a draft's tasks can be changed."""

    queryset = SowTask.objects.all()
    serializer_class = s.SowTaskSerializer
    filterset_class = SowTaskFilterSet
    search_fields = ["title", "key", "instructions"]
    ordering_fields = ["position", "title", "key", "estimated_minutes"]
    ordering = ["sow_id", "position", "id"]
    create_input, create_service = s.SowTaskCreateInputSerializer, sows.sow_task_add
    update_input, update_service = s.SowTaskUpdateInputSerializer, sows.sow_task_update
    delete_service = sows.sow_task_delete
    id_name = "task_id"


@extend_schema(tags=["sows"])
class SowMaterialViewSet(ServiceViewSet):
    """Bill of materials lines of SOW versions (filter with ?sow=). Only a draft's lines can be changed."""

    queryset = SowMaterial.objects.all()
    serializer_class = s.SowMaterialSerializer
    filterset_class = SowMaterialFilterSet
    search_fields = ["part_number", "description", "key"]
    ordering_fields = ["position", "part_number", "quantity"]
    ordering = ["sow_id", "position", "id"]
    create_input, create_service = s.SowMaterialCreateInputSerializer, sows.sow_material_add
    update_input, update_service = s.SowMaterialUpdateInputSerializer, sows.sow_material_update
    delete_service = sows.sow_material_delete
    id_name = "material_id"


# --- Sites in programs ------------------------------------------------------------------------------


BULK_DESCRIPTION = (
    "Select the sites with `site_ids` or with `filter`; `preview: true` answers with exactly what would happen "
    "and changes nothing (the confirmation step). The answer has one item per site with its outcome (created, "
    "updated, unchanged, removed, refused with a reason) and the counts. One audit event records each action "
    "that changed something. A closed program is refused with 409 `program_closed`."
)


@extend_schema(tags=["enrollments"])
class EnrollmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Sites enrolled in programs (one per program and site), with their wave; changed in bulk only."""

    queryset = Enrollment.objects.with_summary()
    serializer_class = s.EnrollmentSerializer
    filterset_class = EnrollmentFilterSet
    search_fields = ["site__code", "site__name", "site__city"]
    ordering_fields = ["site__code", "site__name", "site__city", "site__state", "wave__order", "enrolled_at"]
    ordering = ["program_id", "site__code", "id"]
    roles = SYNCED

    def _bulk(self, serializer_class, service, *, enroll: bool = False, **extra):
        values = self.input(serializer_class)
        program = values["program"]
        site_ids = values.get("site_ids")
        if site_ids is None:
            if enroll:
                filterset_class, queryset, field = (
                    EnrollCandidateFilterSet,
                    selectors.enrollment_candidates(access=self.access, program=program),
                    "pk",
                )
            else:
                filterset_class, queryset, field = (
                    EnrollmentFilterSet,
                    Enrollment.objects.visible_to(self.access).filter(program=program),
                    "site_id",
                )
            try:
                site_ids = selected_site_ids(
                    filterset_class, dict(values["filter"]), queryset, self.request, site_field=field
                )
            except FilterInvalid as exc:
                raise ValidationError({"filter": exc.errors}, code="invalid") from exc
        if "wave" in values:
            extra["wave_id"] = values["wave"].pk if values["wave"] is not None else None
        result = service(
            **self.service_kwargs(), program_id=program.pk, site_ids=site_ids, preview=values["preview"], **extra
        )
        return Response(s.BulkResultSerializer(result).data)

    @extend_schema(
        request=s.EnrollmentBulkCreateInputSerializer,
        responses=s.BulkResultSerializer,
        description=(
            "Enroll sites of the program's client, in `wave` if given (enrolled sites in another wave are moved; "
            "without a wave they stay as they are). Refused per site: not_found, site_client_mismatch, "
            "site_inactive. " + BULK_DESCRIPTION
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-create")
    def bulk_create(self, request):
        return self._bulk(s.EnrollmentBulkCreateInputSerializer, enrollments.enrollment_bulk_create, enroll=True)

    @extend_schema(
        request=s.EnrollmentBulkSetWaveInputSerializer,
        responses=s.BulkResultSerializer,
        description=(
            "Put enrolled sites in a wave of the program (`wave: null`: in no wave). Refused per site: not_found, "
            "not_enrolled. " + BULK_DESCRIPTION
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-set-wave")
    def bulk_set_wave(self, request):
        return self._bulk(s.EnrollmentBulkSetWaveInputSerializer, enrollments.enrollment_bulk_set_wave)

    @extend_schema(
        request=s.EnrollmentBulkRemoveInputSerializer,
        responses=s.BulkResultSerializer,
        description=(
            "Take sites out of the program (a site not enrolled is unchanged). Refused per site: not_found, "
            "pending_variations. " + BULK_DESCRIPTION
        ),
    )
    @action(detail=False, methods=["post"], url_path="bulk-remove")
    def bulk_remove(self, request):
        return self._bulk(s.EnrollmentBulkRemoveInputSerializer, enrollments.enrollment_bulk_remove)


@extend_schema_view(destroy=extend_schema(description="Sites keep their values; they are no longer checked."))
@extend_schema(tags=["programs"])
class ProgramAttributeViewSet(ServiceViewSet):
    """The site attributes each program expects (its attribute schema): name, type, allowed values, required."""

    queryset = ProgramAttribute.objects.select_related("program")
    serializer_class = s.ProgramAttributeSerializer
    filterset_class = ProgramAttributeFilterSet
    search_fields = ["name", "label"]
    ordering_fields = ["name", "label", "type", "created_at"]
    ordering = ["program_id", "name"]
    create_input, create_service = s.ProgramAttributeCreateInputSerializer, attributes.program_attribute_add
    update_input, update_service = s.ProgramAttributeUpdateInputSerializer, attributes.program_attribute_update
    delete_service = attributes.program_attribute_delete
    id_name = "attribute_id"


@extend_schema_view(
    create=extend_schema(
        description=(
            "Capture a variation for a site enrolled in the program (400 `not_enrolled` otherwise). Each kind "
            "takes its own fields: add_task (title, instructions, required_skill, estimated_minutes, evidence_kind "
            "and its parameters, task_key, after_task_key), skip_task (task_key), modify_task (task_key, "
            "instructions, optional title and estimated_minutes), extra_material (part_number, description, "
            "quantity, unit), access_note (note). A task_key must name a task of the program's latest SOW "
            "(400 `unknown_task`)."
        ),
    ),
    partial_update=extend_schema(
        description="Change a pending variation; a decided one is refused with 409 `variation_decided`."
    ),
    destroy=extend_schema(description="Withdraw a pending variation (409 once decided)."),
)
@extend_schema(tags=["site variations"])
class SiteVariationViewSet(ServiceViewSet):
    """Site variations: a site's deviations from the SOW, pending until a PM approves or rejects them.

    Staff who plan (PMs, admins, coordinators) capture and edit pending ones; only PMs and admins decide.
    """

    queryset = SiteVariation.objects.with_summary()
    serializer_class = s.SiteVariationSerializer
    filterset_class = SiteVariationFilterSet
    search_fields = ["site__code", "site__name", "reason", "task_key", "title", "part_number"]
    ordering_fields = ["created_at", "updated_at", "decided_at", "status", "kind", "site__code"]
    ordering = ["program_id", "site__code", "created_at", "id"]
    roles = {"read": READ_ROLES, "write": VARIATION_WRITERS, "approve": PLANNER_ROLES, "reject": PLANNER_ROLES}
    create_input, create_service = s.SiteVariationCreateInputSerializer, variations.site_variation_create
    update_input, update_service = s.SiteVariationUpdateInputSerializer, variations.site_variation_update
    delete_service = variations.site_variation_delete
    id_name = "variation_id"

    @extend_schema(
        request=s.SiteVariationDecisionInputSerializer,
        responses=s.SiteVariationSerializer,
        description=(
            "Approve a pending variation (PMs and admins): from now on it shapes the site's packet. Its task key "
            "is checked again against the latest SOW. 409 `variation_decided` once decided."
        ),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        variation = self.get_object()
        values = self.input(s.SiteVariationDecisionInputSerializer)
        variation = variations.site_variation_approve(
            **self.service_kwargs(), variation_id=variation.pk, note=values["note"]
        )
        return self.output(variation)

    @extend_schema(
        request=s.SiteVariationDecisionInputSerializer,
        responses=s.SiteVariationSerializer,
        description="Reject a pending variation (PMs and admins), with a note saying why (required).",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        variation = self.get_object()
        values = self.input(s.SiteVariationDecisionInputSerializer)
        variation = variations.site_variation_reject(
            **self.service_kwargs(), variation_id=variation.pk, note=values["note"]
        )
        return self.output(variation)


@extend_schema_view(
    create=extend_schema(
        description="Require a course of a role. Refused: a course of another organization (`unknown_course`), a "
        "retired course (`course_inactive`), a course not for that role (`course_not_for_role`), the same "
        "requirement twice (`duplicate_requirement`)."
    )
)
@extend_schema(tags=["training"])
class ProgramCourseRequirementViewSet(OrgServiceViewSet):
    """The courses a program requires of its team, per role (pm, coordinator, technician).

    A technician without a valid training record of every course their program requires of technicians is
    refused for its work (booking, assignment, candidates) with `training_missing` / `training_expired`.
    Read: staff and integrators; write (add, remove): PMs and admins.
    """

    queryset = ProgramCourseRequirement.objects.select_related("program", "course")
    serializer_class = s.ProgramCourseRequirementSerializer
    filterset_class = ProgramCourseRequirementFilterSet
    ordering_fields = ["role", "created_at"]
    ordering = ["program_id", "role", "course__name"]
    roles = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}
    http_method_names = ["get", "post", "delete", "head", "options"]
    create_input, create_service = s.ProgramCourseRequirementInputSerializer, training.program_course_requirement_add
    delete_service = training.program_course_requirement_remove
    id_name = "requirement_id"
