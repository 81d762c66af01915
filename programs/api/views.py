"""API views of the programs app: programs, waves, SOW versions, SOW tasks and materials.

Thin: they check shape with input serializers, call one service, and answer with an output
serializer. Reads: staff, integrators and client viewers (their own client only); writes: PMs and
admins. Scoping comes from the base classes (visible_to) and the org-scoped related fields.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from programs import selectors, services
from programs.api import serializers as s
from programs.filtersets import (
    ProgramFilterSet,
    SowFilterSet,
    SowMaterialFilterSet,
    SowTaskFilterSet,
    WaveFilterSet,
)
from programs.models import Program, Sow, SowMaterial, SowTask, Wave
from rollout.api.base import OrgModelViewSet
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, Role

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
ROLES = {"read": READ_ROLES, "write": PLANNER_ROLES}
NO_PUT = ["get", "post", "patch", "delete", "head", "options"]


class ServiceViewSet(OrgModelViewSet):
    """An OrgModelViewSet whose writes go through services, answering with the output serializer."""

    http_method_names = NO_PUT
    roles = ROLES
    raises_conflict = True

    def service_kwargs(self) -> dict:
        return {"organization": self.access.organization, "actor": self.access}

    def input(self, serializer_class, *, partial: bool = False) -> dict:
        data = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def output(self, instance, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)  # re-read with the list's annotations
        return Response(self.get_serializer(fresh).data, status=status_code)


@extend_schema(tags=["programs"])
class ProgramViewSet(ServiceViewSet):
    """Programs: one rollout for one client, with its status lifecycle and SLA policy values."""

    queryset = Program.objects.with_summary()
    serializer_class = s.ProgramSerializer
    filterset_class = ProgramFilterSet
    search_fields = ["code", "name", "client__name"]
    ordering_fields = ["code", "name", "start_date", "end_date", "status", "created_at"]
    ordering = ["code"]

    @extend_schema(request=s.ProgramCreateInputSerializer, responses={201: s.ProgramSerializer})
    def create(self, request, *args, **kwargs):
        values = self.input(s.ProgramCreateInputSerializer)
        program = services.program_create(**self.service_kwargs(), **values)
        return self.output(program, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProgramUpdateInputSerializer, responses=s.ProgramSerializer)
    def partial_update(self, request, *args, **kwargs):
        program = self.get_object()
        values = self.input(s.ProgramUpdateInputSerializer, partial=True)
        program = services.program_update(**self.service_kwargs(), program_id=program.pk, **values)
        return self.output(program)

    @extend_schema(
        responses={204: None},
        description="Only a program in planning with no approved SOW can be deleted (409 otherwise).",
    )
    def destroy(self, request, *args, **kwargs):
        program = self.get_object()
        services.program_delete(**self.service_kwargs(), program_id=program.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

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


@extend_schema(tags=["programs"])
class WaveViewSet(ServiceViewSet):
    """Waves of a program (pilot, wave 1, …), each with dates inside the program's."""

    queryset = Wave.objects.select_related("program")
    serializer_class = s.WaveSerializer
    filterset_class = WaveFilterSet
    search_fields = ["name"]
    ordering_fields = ["order", "start_date", "end_date", "name"]
    ordering = ["program_id", "order", "start_date"]

    @extend_schema(request=s.WaveCreateInputSerializer, responses={201: s.WaveSerializer})
    def create(self, request, *args, **kwargs):
        values = self.input(s.WaveCreateInputSerializer)
        program = values.pop("program")
        wave = services.wave_create(**self.service_kwargs(), program_id=program.pk, **values)
        return self.output(wave, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.WaveUpdateInputSerializer, responses=s.WaveSerializer)
    def partial_update(self, request, *args, **kwargs):
        wave = self.get_object()
        values = self.input(s.WaveUpdateInputSerializer, partial=True)
        wave = services.wave_update(**self.service_kwargs(), wave_id=wave.pk, **values)
        return self.output(wave)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        wave = self.get_object()
        services.wave_delete(**self.service_kwargs(), wave_id=wave.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


AGAINST = OpenApiParameter(
    name="against",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.QUERY,
    required=True,
    description="Id of the SOW version to compare with (the base); the URL's version is the target.",
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

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("tasks", "materials")
        return queryset

    def get_serializer_class(self):
        return s.SowDetailSerializer if self.action == "retrieve" else s.SowSerializer

    @extend_schema(
        request=s.SowCreateInputSerializer,
        responses={201: s.SowSerializer},
        description=(
            "Start the program's next version as a draft: v1 is empty, later versions start as a copy of "
            "the latest version. One draft at a time per program (409 `draft_exists`)."
        ),
    )
    def create(self, request, *args, **kwargs):
        values = self.input(s.SowCreateInputSerializer)
        program = values.pop("program")
        sow = services.sow_create_draft(**self.service_kwargs(), program_id=program.pk, **values)
        return self.output(sow, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SowUpdateInputSerializer,
        responses=s.SowSerializer,
        description="Change a draft's notes; an approved version is refused with 409 `sow_approved`.",
    )
    def partial_update(self, request, *args, **kwargs):
        sow = self.get_object()
        values = self.input(s.SowUpdateInputSerializer)
        sow = services.sow_update(**self.service_kwargs(), sow_id=sow.pk, **values)
        return self.output(sow)

    @extend_schema(responses={204: None}, description="Discard a draft; approved versions are refused (409).")
    def destroy(self, request, *args, **kwargs):
        sow = self.get_object()
        services.sow_delete(**self.service_kwargs(), sow_id=sow.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses=s.SowSerializer,
        description="Approve a draft: records who and when, and freezes it (409 `sow_approved`, `sow_empty`).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        sow = self.get_object()
        sow = services.sow_approve(**self.service_kwargs(), sow_id=sow.pk)
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
        tasks = services.sow_task_reorder(**self.service_kwargs(), sow_id=sow.pk, task_ids=values["task_ids"])
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

    @extend_schema(request=s.SowTaskCreateInputSerializer, responses={201: s.SowTaskSerializer})
    def create(self, request, *args, **kwargs):
        values = self.input(s.SowTaskCreateInputSerializer)
        sow = values.pop("sow")
        task = services.sow_task_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        return self.output(task, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.SowTaskUpdateInputSerializer, responses=s.SowTaskSerializer)
    def partial_update(self, request, *args, **kwargs):
        task = self.get_object()
        values = self.input(s.SowTaskUpdateInputSerializer, partial=True)
        task = services.sow_task_update(**self.service_kwargs(), task_id=task.pk, **values)
        return self.output(task)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        task = self.get_object()
        services.sow_task_delete(**self.service_kwargs(), task_id=task.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["sows"])
class SowMaterialViewSet(ServiceViewSet):
    """Bill of materials lines of SOW versions (filter with ?sow=). Only a draft's lines can be changed."""

    queryset = SowMaterial.objects.all()
    serializer_class = s.SowMaterialSerializer
    filterset_class = SowMaterialFilterSet
    search_fields = ["part_number", "description", "key"]
    ordering_fields = ["position", "part_number", "quantity"]
    ordering = ["sow_id", "position", "id"]

    @extend_schema(request=s.SowMaterialCreateInputSerializer, responses={201: s.SowMaterialSerializer})
    def create(self, request, *args, **kwargs):
        values = self.input(s.SowMaterialCreateInputSerializer)
        sow = values.pop("sow")
        material = services.sow_material_add(**self.service_kwargs(), sow_id=sow.pk, **values)
        return self.output(material, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.SowMaterialUpdateInputSerializer, responses=s.SowMaterialSerializer)
    def partial_update(self, request, *args, **kwargs):
        material = self.get_object()
        values = self.input(s.SowMaterialUpdateInputSerializer, partial=True)
        material = services.sow_material_update(**self.service_kwargs(), material_id=material.pk, **values)
        return self.output(material)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        material = self.get_object()
        services.sow_material_delete(**self.service_kwargs(), material_id=material.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)
