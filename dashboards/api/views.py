"""API views of the dashboards app: a program's dashboard figures and the portfolio (read-only).

Roles: staff and integrators read a program's dashboard; the portfolio is read by staff, integrators and client
viewers (their own client's programs only). Another organization's or another client's program is a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from dashboards import selectors
from dashboards.api import serializers as s
from programs.models import Program
from rollout.api.base import OrgAPIView
from rollout.choices import FULL_READ_ROLES, Role


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
