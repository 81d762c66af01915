"""What every program page shares: the roles, the org-scoped lookups of programs, SOWs and lines (another
organization's is a 404), the layout of the caller's role, a program's tabs, and the confirmation page."""

from __future__ import annotations

from django.utils.functional import cached_property

from programs.choices import ProgramStatus
from programs.models import Program, Sow, SowTask, Wave
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, Role
from rollout.views.base import OrgConfirmView

READ_ROLES = FULL_READ_ROLES | {Role.CLIENT}
ROLES = {"read": READ_ROLES, "write": PLANNER_ROLES}
PLANNERS_ONLY = {"read": PLANNER_ROLES, "write": PLANNER_ROLES}


class ProgramsPageMixin:
    """The org URL helper, and the layout of the caller's role (client viewers get the portal)."""

    roles = ROLES

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["layout"] = "layouts/portal.html" if self.access.role == Role.CLIENT else "layouts/staff.html"
        return context

    # Objects named by the URL, through the scoped querysets: another organization's is a 404.
    def get_program(self, pk=None) -> Program:
        return self.visible_or_404(Program.objects.select_related("client"), pk, "program")

    def get_sow(self, pk) -> Sow:
        return self.visible_or_404(Sow.objects.select_related("program", "program__client"), pk, "SOW")

    def get_line(self, model, pk):
        return self.visible_or_404(model.objects.select_related("sow", "sow__program"), pk, "line")


class ConfirmView(ProgramsPageMixin, OrgConfirmView):
    """A program page's confirmation (rollout.views.base.OrgConfirmView), for planners only."""

    roles = PLANNERS_ONLY

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = "programs"
        return context


class ProgramPageMixin(ProgramsPageMixin):
    """A page under /programs/<pk>/…: the program named by the URL (visible to the caller, or 404), and its tabs."""

    tab = ""

    @cached_property
    def program(self):
        return self.get_program(self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(program=self.program, tab=self.tab, is_open=self.program.status != ProgramStatus.CLOSED)
        return context

    def program_waves(self):
        return Wave.objects.visible_to(self.access).filter(program=self.program).order_by("order", "start_date")


def latest_sow_tasks(access, program) -> list[SowTask]:
    """The tasks of the program's latest SOW version (a draft included), in order: what variations name."""
    sow = Sow.objects.visible_to(access).filter(program=program).order_by("-version").first()
    if sow is None:
        return []
    return list(SowTask.objects.visible_to(access).filter(sow=sow).order_by("position", "id"))


def query_without(request, *names: str) -> str:
    """The current query string without paging (and the given names): what "all matching" re-applies."""
    query = request.GET.copy()
    for name in ("page", *names):
        query.pop(name, None)
    return query.urlencode()
