"""Where people land: `/` picks the organization, `/o/<org>/` is the role's home; plus the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import reverse
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
        return redirect("core:org-home", org=memberships[0].organization.slug)
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


# The technician's own pages (Today, Upcoming, their visit pages) carry this header: the field app's service
# worker (templates/field/sw.js) keeps only those for use without signal, never another page of the organization.
OFFLINE_HEADER = "X-Tutti-Offline"


def mark_offline(response):
    """Let the field app's service worker keep this page (a technician's own) on the phone."""
    response[OFFLINE_HEADER] = "keep"
    return response


def rendered_at() -> str:
    """When a list was rendered (ISO 8601): a copy kept on the phone says "the list as of 09:12" without signal."""
    return timezone.now().isoformat(timespec="seconds")


# Upcoming shows the next few weeks of work; more than this many visits is a planning problem, not a list.
UPCOMING_LIMIT = 60


@dataclass(frozen=True)
class VisitRow:
    """One of the technician's visits as the phone lists show it: the window on the site's clock."""

    visit: object
    url: str
    start: datetime
    end: datetime
    state: str
    state_label: str
    is_late: bool
    address: str

    @property
    def site(self):
        return self.visit.work_order.site

    @property
    def day(self) -> date:
        return self.start.date()

    # Formatted here, on the site's clock: the template filters would convert to the server's time zone.
    @property
    def start_text(self) -> str:
        return f"{self.start:%H:%M}"

    @property
    def end_text(self) -> str:
        return f"{self.end:%H:%M}"

    @property
    def zone_text(self) -> str:
        return self.start.tzname() or ""


def _visit_model():
    """The Visit model, looked up by name like the programs above (None until the workorders app has it)."""
    if not apps.is_installed("workorders"):
        return None
    try:
        return apps.get_model("workorders", "Visit")
    except LookupError:
        return None


def technician_day(access: Access) -> date:
    """ "Today" for a technician: on their own clock when their profile says where they work, else the org's."""
    zone = organization_zone = access.organization.timezone
    if apps.is_installed("technicians"):
        technician_model = apps.get_model("technicians", "Technician")
        zone = (
            technician_model.objects.visible_to(access).values_list("timezone", flat=True).first() or organization_zone
        )
    try:
        return timezone.now().astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):
        return org_now(access.organization).date()


def _technician_visit_queryset(access: Access, *, today: date, upcoming: bool, related=()):
    """The caller's own visits (visible_to: a technician sees only theirs): today's, plus any visit of an earlier
    day still checked in (not checked out yet); or, with `upcoming`, the coming days' open ones."""
    visit_model = _visit_model()
    if visit_model is None:
        return None
    status = visit_model.Status
    visits = visit_model.objects.visible_to(access).select_related(*related)
    if upcoming:
        open_before_arrival = [status.SCHEDULED, status.CONFIRMED, status.ON_THE_WAY]
        visits = visits.filter(local_date__gt=today, status__in=open_before_arrival)
        return visits.order_by("window_start", "pk")[:UPCOMING_LIMIT]
    visits = visits.filter(Q(local_date=today) | Q(local_date__lt=today, status=status.CHECKED_IN))
    return visits.exclude(status=status.CANCELLED).order_by("window_start", "pk")


def technician_visits(access: Access, *, today: date, upcoming: bool = False) -> list[VisitRow]:
    """The caller's own visits as the lists show them, in one query (see _technician_visit_queryset)."""
    related = ("work_order__site", "technician")
    visits = _technician_visit_queryset(access, today=today, upcoming=upcoming, related=related)
    if visits is None:
        return []
    now = timezone.now()
    slug = access.organization.slug
    return [_visit_row(visit, now=now, slug=slug) for visit in visits]


def upcoming_visit_urls(access: Access, *, today: date) -> list[str]:
    """The pages of the visits Upcoming lists, in one small query: Today asks the phone to keep them for use
    without signal (static/js/field/home.js)."""
    visits = _technician_visit_queryset(access, today=today, upcoming=True)
    if visits is None:
        return []
    slug = access.organization.slug
    return [reverse("field:field-visit", kwargs={"org": slug, "pk": pk}) for pk in visits.values_list("pk", flat=True)]


def _visit_row(visit, *, now: datetime, slug: str) -> VisitRow:
    site = visit.work_order.site
    try:
        zone = ZoneInfo(site.timezone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    state = visit.state_at(now)
    labels = dict(visit.Status.choices)
    return VisitRow(
        visit=visit,
        url=reverse("field:field-visit", kwargs={"org": slug, "pk": visit.pk}),
        start=visit.window_start.astimezone(zone),
        end=visit.window_end.astimezone(zone),
        state=str(visit.status),
        state_label=labels.get(visit.status, str(visit.status)),
        is_late=state == "late",
        address=", ".join(part for part in (site.address_line1, site.city, site.state) if part),
    )


class RoleHomeView(OrgTemplateView):
    """The home of each role: a dashboard for staff, today's visits for technicians, the portal for clients."""

    roles = {"read": ALL_ROLES}

    def get_template_names(self):
        if self.access.role == Role.TECHNICIAN:
            return ["home/technician.html"]
        if self.access.role == Role.CLIENT:
            return ["home/client.html"]
        return ["home/staff.html"]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        return mark_offline(response) if self.access.role == Role.TECHNICIAN else response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access, organization = self.access, self.access.organization
        now = org_now(organization)
        context.update(greeting=greeting(now), today=now)
        if access.role == Role.TECHNICIAN:
            day = technician_day(access)
            context.update(
                today=day,
                visits=technician_visits(access, today=day),
                rendered_at=rendered_at(),
                keep_urls=[
                    reverse("core:upcoming", kwargs={"org": organization.slug}),
                    *upcoming_visit_urls(access, today=day),
                ],
            )
        elif access.role == Role.CLIENT:
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
    """The technician's upcoming visits (phone shell): the coming days', grouped by day."""

    template_name = "home/upcoming.html"
    roles = {"read": frozenset({Role.TECHNICIAN})}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        day = technician_day(self.access)
        context.update(
            today=day, visits=technician_visits(self.access, today=day, upcoming=True), rendered_at=rendered_at()
        )
        return context

    def render_to_response(self, context, **response_kwargs):
        return mark_offline(super().render_to_response(context, **response_kwargs))


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
