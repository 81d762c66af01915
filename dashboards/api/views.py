"""API views of the dashboards app: a program's dashboard figures, the portfolio (read-only), and the exports of
the work-order, visit, defect and escalation lists (`/api/v1/exports/<list>/?format=csv|xlsx` with the list's
filters; the rows and columns the caller may read, the same as the page's export).

Roles: staff and integrators read a program's dashboard; the portfolio is read by staff, integrators and client
viewers (their own client's programs only). Another organization's or another client's program is a 404."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from dashboards import report, selectors
from dashboards.api import serializers as s
from dashboards.exports import DEFECTS, ESCALATIONS, VISITS, WORK_ORDERS, ListExport
from programs.models import Program
from rollout.api.base import OrgAPIView, OrgGenericViewSet
from rollout.api.files import FileNegotiation, export_schema_parts
from rollout.choices import FULL_READ_ROLES, Role
from rollout.exporting import EXPORT_FORMATS, export_filename, export_response, visible_columns


def _counts(rows, key: str) -> list[dict]:
    return [{"key": row[key], "label": row["label"], "count": row["count"]} for row in rows]


@extend_schema(tags=["dashboards"])
class ProgramDashboardView(OrgAPIView):
    """A program at a glance: the same figures as its dashboard page."""

    roles = {"read": FULL_READ_ROLES}

    @extend_schema(
        responses=s.ProgramDashboardSerializer,
        description=(
            "Progress per wave (sites enrolled, completed = work order accepted or closed) with a forecast finish "
            "from the last four weeks' completions and its variance in days against the planned finish; DRFT and "
            "DRFT by week against the program's target (from the DRFT snapshots); the Pareto of defect root causes; "
            "open escalations by level and age; today's visits by state; the not-yet-scheduled work orders each "
            "readiness gate holds; vendors and technicians with jobs and DRFT. A fixed number of queries."
        ),
    )
    def get(self, request, program_id: int):
        program = Program.objects.visible_to(self.access).select_related("client").filter(pk=program_id).first()
        if program is None:
            raise NotFound()
        data = selectors.program_dashboard(access=self.access, program=program)
        data = {
            **data,
            "program": program.pk,
            "burn_up": data["burn_up"]["weeks"],
            "visits_today": _counts(data["visits_today"], "status"),
            "blockers": _counts(data["blockers"], "gate"),
        }
        return Response(s.ProgramDashboardSerializer(data).data)


@extend_schema(tags=["dashboards"])
class PortfolioView(OrgAPIView):
    """Every program you can see with its progress, forecast, DRFT against target, open escalations and flag."""

    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}}

    @extend_schema(
        responses=s.PortfolioRowSerializer(many=True),
        description=(
            "One row per program (a client token: its own client's programs): % complete, forecast vs planned "
            "finish, DRFT vs target, open escalations, and a red / amber / green flag with its reason (red: forecast "
            "over 14 days late, DRFT over 10 points under target, or no completion in four weeks on a running "
            "program; amber: late, under target, or escalations open)."
        ),
    )
    def get(self, request):
        return Response(s.PortfolioRowSerializer(selectors.portfolio(access=self.access), many=True).data)


def export_schema(export: ListExport):
    """The OpenAPI description of one list's export."""
    return extend_schema(
        tags=["exports"],
        operation_id=f"exports_{export.name.replace('-', '_')}",
        summary=f"Export {export.title.lower()}",
        description=(
            f"The {export.title.lower()} the list would show with the same filters (not paginated), streamed as a "
            "file. Text cells a spreadsheet would run as a formula (starting with = + - @ tab or CR) are prefixed "
            "with a quote. A client token gets its own client's rows only, technicians by first name, and no "
            "internal notes, reasons or staff names."
        ),
        filters=True,
        **export_schema_parts(),
    )


class ListExportViewSet(OrgGenericViewSet):
    """Base of the list exports: `listing` names the list (its rows, FilterSet, readers and columns)."""

    listing: ListExport
    content_negotiation_class = FileNegotiation
    pagination_class = None

    def download(self, request):
        file_format = request.query_params.get("format", "csv").lower()
        if file_format not in EXPORT_FORMATS:
            raise ValidationError({"format": "Choose csv or xlsx."})
        return export_response(
            self.filter_queryset(self.get_queryset()),
            visible_columns(self.listing.columns, self.access),
            file_format=file_format,
            filename=export_filename(self.listing.name, self.access.organization.slug, extension=file_format),
            title=self.listing.title,
        )


class WorkOrderExportViewSet(ListExportViewSet):
    listing = WORK_ORDERS
    queryset = WORK_ORDERS.queryset()
    filterset_class = WORK_ORDERS.filterset_class
    roles = {"read": WORK_ORDERS.read_roles}

    @export_schema(WORK_ORDERS)
    def export(self, request):
        return self.download(request)


class VisitExportViewSet(ListExportViewSet):
    listing = VISITS
    queryset = VISITS.queryset()
    filterset_class = VISITS.filterset_class
    roles = {"read": VISITS.read_roles}

    @export_schema(VISITS)
    def export(self, request):
        return self.download(request)


class DefectExportViewSet(ListExportViewSet):
    listing = DEFECTS
    queryset = DEFECTS.queryset()
    filterset_class = DEFECTS.filterset_class
    roles = {"read": DEFECTS.read_roles}

    @export_schema(DEFECTS)
    def export(self, request):
        return self.download(request)


class EscalationExportViewSet(ListExportViewSet):
    listing = ESCALATIONS
    queryset = ESCALATIONS.queryset()
    filterset_class = ESCALATIONS.filterset_class
    roles = {"read": ESCALATIONS.read_roles}

    @export_schema(ESCALATIONS)
    def export(self, request):
        return self.download(request)


@extend_schema(tags=["dashboards"])
class ProgramReportView(OrgAPIView):
    """The program's status report as PDF."""

    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}}
    content_negotiation_class = FileNegotiation

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report.")},
        description=(
            "The weekly status report of one program: progress per wave with the burn-up and forecast, DRFT by week "
            "against target and the root causes of defects, open client-visible escalations, and the next seven "
            "days' visits. Client-visible content only (a client token: its own client's programs)."
        ),
    )
    def get(self, request, program_id: int):
        program = Program.objects.visible_to(self.access).select_related("client").filter(pk=program_id).first()
        if program is None:
            raise NotFound()
        response = HttpResponse(report.program_report_pdf(access=self.access, program=program), "application/pdf")
        filename = report.report_filename(program, selectors.local_today(self.access.organization))
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
