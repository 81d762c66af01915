"""Dashboard pages: the program dashboard (PM, coordinator, admin), the organization's portfolio, and the client
portal's program page (a client viewer: their own client's programs only, read-only). Each number links to the
filtered list behind it; the tables download as CSV (`?format=csv&table=…`)."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.utils.functional import cached_property
from django.views import View

from dashboards import exporting, report, selectors
from dashboards.exports import EXPORTS, export_queryset
from dashboards.map import site_map
from programs.models import Program
from quality.scorecards import FORMULA
from rollout.choices import STAFF_ROLES, Role
from rollout.exporting import EXPORT_FORMATS, export_filename, export_response, visible_columns
from rollout.views.base import OrgPageMixin, OrgTemplateView

STAFF = {"read": STAFF_ROLES, "write": frozenset()}
CLIENTS = {"read": frozenset({Role.CLIENT}), "write": frozenset()}
REPORT_READERS = {"read": STAFF_ROLES | {Role.CLIENT}, "write": frozenset()}


def week_chart(weeks, target) -> dict:
    """The DRFT columns (one per week with closed work, 10 units apart) and the target line, in SVG units."""
    bars = [
        {
            "x": index * 10 + 1,
            "y": float(100 - week.percent),
            "height": float(week.percent),
            "percent": week.percent,
            "label": week.key,
            "below": week.percent < target,
        }
        for index, week in enumerate(weeks)
        if week.percent is not None
    ]
    return {"week_bars": bars, "week_width": max(len(weeks), 1) * 10, "target_y": float(100 - target)}


class ProgramDashboardView(OrgTemplateView):
    """A program at a glance: progress per wave with a forecast, DRFT by week against target, the Pareto of root
    causes, open escalations by level and age, today's visits, readiness blockers, vendors and technicians."""

    template_name = "dashboards/program.html"
    roles = STAFF

    @cached_property
    def program(self) -> Program:
        return self.visible_or_404(Program.objects.select_related("client"), self.kwargs["pk"], "program")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "waves")
            if table not in exporting.TABLES:
                raise Http404("No such table.")
            data = selectors.program_dashboard(access=self.access, program=self.program)
            header, rows = exporting.dashboard_table(data, table)
            return exporting.csv_response(f"{self.program.code}-{table}.csv", header, rows)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        data = selectors.program_dashboard(access=self.access, program=self.program)
        context.update(data, program=self.program, section="programs", tables=exporting.TABLES)
        context["report_url"] = self.org_url("dashboards:program-report", pk=self.program.pk)
        context["score_formula"] = FORMULA
        context.update(site_map(access=self.access, program=self.program))
        context["max_wave"] = max([w.planned for w in data["waves"]] + [1])
        context["max_pareto"] = max([p["count"] for p in data["pareto"]] + [1])
        context["max_visits"] = max([v["count"] for v in data["visits_today"]] + [1])
        context["max_blockers"] = max([b["count"] for b in data["blockers"]] + [1])
        context["escalation_total"] = sum(row["total"] for row in data["escalations"])
        context.update(week_chart(data["weeks"], data["target"]))
        return context


class PortfolioView(OrgTemplateView):
    """Every program in one table: status, % complete, forecast vs planned finish, DRFT vs target, open
    escalations, and a red/amber/green flag with its reason (`?format=csv` downloads it)."""

    template_name = "dashboards/portfolio.html"
    roles = STAFF

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            header, rows = exporting.portfolio_table(selectors.portfolio(access=self.access))
            return exporting.csv_response(f"{self.access.organization.slug}-portfolio.csv", header, rows)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(rows=selectors.portfolio(access=self.access), section="portfolio")
        return context


class ClientProgramView(OrgTemplateView):
    """The client portal's page of one program: progress per wave and forecast, upcoming visits, DRFT and root
    causes, open client-visible escalations, and the sites with their status. Another client's program is a 404."""

    template_name = "dashboards/client_program.html"
    roles = CLIENTS

    @cached_property
    def program(self) -> Program:
        return self.visible_or_404(Program.objects.select_related("client"), self.kwargs["pk"], "program")

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            table = request.GET.get("table", "sites")
            if table not in exporting.CLIENT_TABLES:
                raise Http404("No such table.")
            data = selectors.client_program(access=self.access, program=self.program)
            header, rows = exporting.client_table(data, table)
            return exporting.csv_response(f"{self.program.code}-{table}.csv", header, rows)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.client_program(access=self.access, program=self.program), program=self.program)
        context["report_url"] = self.org_url("dashboards:program-report", pk=self.program.pk)
        return context


class ClientSiteView(OrgTemplateView):
    """The client portal's timeline of one site of a program: visits with check-in and check-out, the checklist's
    progress, photos and the sign-off; defects found (code and root cause) and whether the work was accepted since;
    a link to report a problem on accepted work (quality's warranty report). Another client's site is a 404."""

    template_name = "dashboards/client_site.html"
    roles = CLIENTS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.visible_or_404(Program.objects.select_related("client"), self.kwargs["pk"], "program")
        timeline = selectors.site_timeline(access=self.access, program=program, site_id=self.kwargs["site"])
        if timeline is None:
            raise Http404("No such site.")
        context.update(timeline, program=program)
        return context


class ListExportView(OrgPageMixin, View):
    """A list (work orders, visits, defects, escalations) as CSV or XLSX: the rows its page would show with the same
    filters (`?program=…&status=…&format=csv|xlsx`), streamed; a client viewer gets only the rows and columns the
    client-visibility policy lets them read. Invalid filters export nothing, as the page lists nothing."""

    @cached_property
    def export(self):
        export = EXPORTS.get(self.kwargs["list"])
        if export is None:
            raise Http404("No such list.")
        return export

    def allowed_roles(self, method: str) -> frozenset:
        return self.export.read_roles if method in ("GET", "HEAD") else frozenset()

    def get(self, request, *args, **kwargs):
        queryset = export_queryset(self.export, self.access)
        filterset = self.export.filterset_class(request.GET or None, queryset=queryset, request=request)
        rows = filterset.qs if not filterset.is_bound or filterset.is_valid() else queryset.none()
        file_format = request.GET.get("format", "csv")
        file_format = file_format if file_format in EXPORT_FORMATS else "csv"
        return export_response(
            rows,
            visible_columns(self.export.columns, self.access),
            file_format=file_format,
            filename=export_filename(self.export.name, self.access.organization.slug, extension=file_format),
            title=self.export.title,
        )


class ProgramReportView(OrgPageMixin, View):
    """The program's status report as PDF, for its PM, coordinators and admins and its client's viewers (the report
    holds only client-visible content). Another organization's or another client's program is a 404."""

    roles = REPORT_READERS

    def get(self, request, *args, **kwargs):
        program = self.visible_or_404(Program.objects.select_related("client"), self.kwargs["pk"], "program")
        pdf = report.program_report_pdf(access=self.access, program=program)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = report.report_filename(program, selectors.local_today(self.access.organization))
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
