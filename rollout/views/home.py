"""Where people land: `/` picks the organization, `/o/<org>/` is the role's home; plus the audit log."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils import timezone

from rollout.choices import ALL_ROLES, STAFF_ROLES, Role
from rollout.filtersets import AuditEventFilterSet
from rollout.models import ApiToken, AuditEvent, Client, Invitation, Membership
from rollout.selectors import memberships_for_user
from rollout.tables import AuditEventTable, OrgTableView
from rollout.tenancy import Access
from rollout.views.base import OrgTemplateView

AUDIT_READERS = frozenset({Role.ADMIN, Role.PM})


def home_redirect(request):
    """Anonymous → sign in; one organization → its home; several → a picker; none → an explanation."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    memberships = list(memberships_for_user(request.user))
    if len(memberships) == 1:
        return redirect("org-home", org=memberships[0].organization.slug)
    template = "home/picker.html" if memberships else "home/no_organization.html"
    return render(request, template, {"memberships": memberships})


def org_now(organization) -> datetime:
    """Now, on the organization's wall clock (greetings and "today" are local to it)."""
    return timezone.now().astimezone(ZoneInfo(organization.timezone))


def greeting(now: datetime) -> str:
    return "Good morning" if now.hour < 12 else "Good afternoon" if now.hour < 18 else "Good evening"


def programs_overview(access: Access) -> dict:
    """The programs the caller may see, for the home page: counts and the most recently changed.

    Looked up by name, not imported: the core does not depend on the apps built on it, and the home
    still renders (with its empty state) without them.
    """
    if not apps.is_installed("programs"):
        return {"program_count": 0, "running_program_count": 0, "recent_programs": []}
    program_model = apps.get_model("programs", "Program")
    programs = program_model.objects.visible_to(access)
    running = [program_model.Status.PILOT, program_model.Status.ACTIVE]
    counts = programs.aggregate(total=Count("pk"), running=Count("pk", filter=Q(status__in=running)))
    return {
        "program_count": counts["total"],
        "running_program_count": counts["running"],
        "recent_programs": list(programs.select_related("client").order_by("-updated_at", "-pk")[:5]),
    }


class RoleHomeView(OrgTemplateView):
    """The home of each role: a dashboard for staff, today's visits for technicians, the portal for clients."""

    roles = {"read": ALL_ROLES}

    def get_template_names(self):
        if self.access.role == Role.TECHNICIAN:
            return ["home/technician.html"]
        if self.access.role == Role.CLIENT:
            return ["home/client.html"]
        return ["home/staff.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access, organization = self.access, self.access.organization
        now = org_now(organization)
        context.update(greeting=greeting(now), today=now)
        if access.role == Role.CLIENT:
            context["client"] = Client.objects.visible_to(access).first()
            context.update(programs_overview(access))
        elif access.role in STAFF_ROLES:
            context.update(self.staff_overview())
            context.update(programs_overview(access))
        return context

    def staff_overview(self) -> dict:
        """Counts for the dashboard cards, and the latest activity for those who may read the audit log."""
        access = self.access
        overview = {
            "member_count": Membership.objects.visible_to(access).active().count(),
            "client_count": Client.objects.visible_to(access).count(),
        }
        if access.role == Role.ADMIN:
            overview["pending_invitation_count"] = Invitation.objects.visible_to(access).pending().count()
            overview["token_count"] = ApiToken.objects.visible_to(access).usable().count()
        if access.role in AUDIT_READERS:
            overview["recent_events"] = list(AuditEvent.objects.visible_to(access).order_by("-created_at", "-id")[:6])
        return overview


class UpcomingView(OrgTemplateView):
    """The technician's upcoming visits (phone shell)."""

    template_name = "home/upcoming.html"
    roles = {"read": frozenset({Role.TECHNICIAN})}


class AuditLogView(OrgTableView):
    """The organization's audit trail, newest first, filtered with the API's FilterSet."""

    template_name = "audit/list.html"
    queryset = AuditEvent.objects.order_by("-created_at", "-id")
    filterset_class = AuditEventFilterSet
    table_class = AuditEventTable
    roles = {"read": AUDIT_READERS, "write": frozenset()}

    def prepare_filter_form(self, form):
        form.fields["verb"].label = "Action"
        form.fields["verb"].widget.attrs.update(list="audit-verbs", placeholder="e.g. membership.updated")
        form.fields["target_type"].label = "Target type"
        form.fields["target_type"].widget.attrs.update(list="audit-target-types", placeholder="e.g. rollout.membership")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        known = AuditEvent.objects.visible_to(self.access).order_by()
        context["known_verbs"] = list(known.values_list("verb", flat=True).distinct().order_by("verb")[:200])
        context["known_target_types"] = list(
            known.values_list("target_type", flat=True).distinct().order_by("target_type")[:200]
        )
        return context
