"""API views of packets: packet versions (snapshot, PDF, diff, acknowledge, issue, re-issue preview and
re-issue) and packet generation jobs (start, progress, ZIP).

Thin: input serializers for shape, one service or selector, output serializers for the answer. Reads:
staff and integrators; client viewers (their own client's programs) and technicians (their assigned work
orders) read packets too. Writes: admins, PMs and coordinators; acknowledging: the assigned technician.
PDFs and ZIPs are streamed only after the scoped lookup, so another organization's file is a 404.
"""

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from programs.models import Program
from rollout.api.base import OrgGenericViewSet, ServiceCreateMixin
from rollout.api.files import FileNegotiation
from rollout.choices import FULL_READ_ROLES, STAFF_ROLES, Role
from workorders.choices import PacketStatus
from workorders.models import Packet, PacketGenerationJob
from workorders.packets import selectors, services
from workorders.packets.api import serializers as s
from workorders.packets.filtersets import PacketFilterSet, PacketGenerationJobFilterSet

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT, Role.TECHNICIAN}
PLANNING_READ = FULL_READ_ROLES
WRITE_ROLES = STAFF_ROLES
PDF_RESPONSE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The packet's PDF.")}
ZIP_RESPONSE = {(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="Every PDF of the job.")}
AGAINST = OpenApiParameter(
    name="against",
    type=OpenApiTypes.INT,
    location=OpenApiParameter.QUERY,
    required=True,
    description="Id of the packet version to compare with (the base); the URL's version is the target.",
)
PROGRAM = OpenApiParameter(
    name="program", type=OpenApiTypes.INT, location=OpenApiParameter.QUERY, required=True, description="Program id."
)


@extend_schema_view(
    list=extend_schema(
        summary="List packet versions",
        description="Client viewers see their own client's programs' packets; technicians their assigned work orders'.",
    ),
    retrieve=extend_schema(summary="Get a packet version with its snapshot"),
)
@extend_schema(tags=["packets"])
class PacketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Packet versions: a work order's frozen instructions, their PDFs, diffs and acknowledgements."""

    queryset = Packet.objects.with_summary()
    serializer_class = s.PacketSerializer
    filterset_class = PacketFilterSet
    search_fields = ["work_order__number", "work_order__site__code", "checksum"]
    ordering_fields = ["version", "issued_at", "rendered_at", "status"]
    ordering = ["work_order_id", "-version"]
    roles = {
        "read": READ_ROLES,
        "write": WRITE_ROLES,
        "acknowledge": {Role.TECHNICIAN},
        "reissue_preview": PLANNING_READ,
    }

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("acknowledgements__technician")
        return queryset

    def get_serializer_class(self):
        return s.PacketSerializer if self.action == "list" else s.PacketDetailSerializer

    def detail_response(self, packet: Packet, *, status_code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().prefetch_related("acknowledgements__technician").get(pk=packet.pk)
        return Response(s.PacketDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    @extend_schema(
        responses=PDF_RESPONSE,
        description="The version's PDF, after the same access check as the packet (404 while it is not rendered).",
    )
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def pdf(self, request, pk=None):
        packet = self.get_object()
        if packet.status != PacketStatus.RENDERED or not packet.pdf:
            raise Http404("This packet version has no PDF.")
        return FileResponse(
            packet.pdf.open("rb"), as_attachment=True, filename=packet.download_name, content_type="application/pdf"
        )

    @extend_schema(
        parameters=[AGAINST],
        responses=s.PacketDiffSerializer,
        description=(
            "Tasks and materials added, removed and changed (by key), and cover parts, from `against` to this version."
        ),
    )
    @action(detail=True, methods=["get"])
    def diff(self, request, pk=None):
        target = self.get_object()
        raw = request.query_params.get("against", "")
        base = self.get_queryset().filter(pk=int(raw)).first() if raw.isdigit() else None
        if base is None:
            raise ValidationError({"against": ["Give the id of a packet version to compare with."]}, code="invalid")
        diff = selectors.packet_diff(base.snapshot, target.snapshot)
        body = {"base": base, "target": target, "tasks": diff.tasks, "materials": diff.materials, "other": diff.other}
        return Response(s.PacketDiffSerializer(body).data)

    @extend_schema(
        request=None,
        responses=s.PacketDetailSerializer,
        description=(
            "The assigned technician confirms they read this version (the readiness gate). Only the current "
            "version can be acknowledged (409 `packet_not_current`); twice is harmless."
        ),
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        packet = self.get_object()
        services.packet_acknowledge(**self.service_kwargs(), packet_id=packet.pk)
        return self.detail_response(packet)

    @extend_schema(
        request=s.PacketIssueInputSerializer,
        responses={201: s.PacketIssueResultSerializer, 200: s.PacketIssueResultSerializer},
        description=(
            "Compile the work order's packet. 201 with a new version (rendered in the background) when the content "
            "changed; 200 with the latest version when it did not. Refused (409) without an approved SOW "
            "(`no_approved_sow`), for a cancelled or closed work order, or while the site has undecided "
            "variations (`pending_variations`)."
        ),
    )
    @action(detail=False, methods=["post"])
    def issue(self, request):
        values = self.input(s.PacketIssueInputSerializer)
        result = services.packet_issue(**self.service_kwargs(), work_order_id=values["work_order"].pk)
        fresh = self.get_queryset().get(pk=result.packet.pk)
        body = s.PacketIssueResultSerializer(
            {"issued": result.issued, "packet": fresh}, context=self.get_serializer_context()
        )
        return Response(body.data, status=status.HTTP_201_CREATED if result.issued else status.HTTP_200_OK)

    @extend_schema(
        parameters=[PROGRAM],
        responses=s.ReissuePreviewSerializer,
        description=(
            "Which work orders of the program would get a new packet version today (their latest packet differs "
            "from a fresh compile), each with its diff; visited ones are listed with `will_reissue: false`."
        ),
    )
    @action(detail=False, methods=["get"], url_path="reissue-preview", pagination_class=None, filterset_class=None)
    def reissue_preview(self, request):
        raw = request.query_params.get("program", "")
        program = Program.objects.visible_to(self.access).filter(pk=int(raw)).first() if raw.isdigit() else None
        if program is None:
            raise ValidationError({"program": ["Give the id of one of your programs."]}, code="invalid")
        preview = selectors.packet_reissue_preview(organization=self.access.organization, program_id=program.pk)
        return Response(s.ReissuePreviewSerializer(preview).data)

    @extend_schema(
        request=s.PacketReissueInputSerializer,
        responses=s.ReissueResultSerializer,
        description=(
            "Re-issue the affected work orders not yet visited (or only `work_orders`, as confirmed from the "
            "preview); visited ones keep their version. Each assigned technician is asked to acknowledge."
        ),
    )
    @action(detail=False, methods=["post"])
    def reissue(self, request):
        values = self.input(s.PacketReissueInputSerializer)
        result = services.packet_reissue(
            **self.service_kwargs(), program_id=values["program"].pk, work_order_ids=values.get("work_orders")
        )
        return Response(s.ReissueResultSerializer(result, context=self.get_serializer_context()).data)


@extend_schema_view(
    list=extend_schema(summary="List packet generation jobs"),
    retrieve=extend_schema(summary="Get a packet generation job with its progress"),
    create=extend_schema(
        description=(
            "Issue packets for every work order of the program (or wave) not yet visited, in the background. "
            "One failed site does not stop the rest; its failure is listed on the job. Refused (409) without "
            "an approved SOW or without any such work order."
        ),
    ),
)
@extend_schema(tags=["packets"])
class PacketGenerationJobViewSet(
    ServiceCreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet
):
    """Bulk packet generation for a program or a wave: start (202), watch progress, download the ZIP."""

    queryset = PacketGenerationJob.objects.select_related("program", "wave")
    serializer_class = s.PacketGenerationJobSerializer
    filterset_class = PacketGenerationJobFilterSet
    ordering_fields = ["created_at", "finished_at", "status"]
    ordering = ["-created_at", "-id"]
    roles = {"read": PLANNING_READ, "write": WRITE_ROLES}
    create_input, create_service = s.PacketGenerationJobCreateInputSerializer, services.packet_generation_start
    create_status = status.HTTP_202_ACCEPTED  # the packets are issued in the background

    @extend_schema(responses=ZIP_RESPONSE, description="The job's ZIP of PDFs (404 until the job is done).")
    @action(detail=True, methods=["get"], content_negotiation_class=FileNegotiation, pagination_class=None)
    def download(self, request, pk=None):
        job = self.get_object()
        if not job.zip:
            raise Http404("This job has no ZIP yet.")
        return FileResponse(
            job.zip.open("rb"), as_attachment=True, filename=job.download_name, content_type="application/zip"
        )
