"""The technician's home (Today) and Upcoming lists: their own visits, on the site's clock.

Contributed to the core's role home (rollout.homes) by WorkordersConfig.ready(); the Upcoming page is
workorders.field.views.UpcomingView.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from rollout.tenancy import Access
from rollout.views.home import org_now
from technicians.models import Technician
from workorders.models import Visit

# Upcoming shows the next few weeks of work; more than this many visits is a planning problem, not a list.
UPCOMING_LIMIT = 60


def rendered_at() -> str:
    """When a list was rendered (ISO 8601): a copy kept on the phone says "the list as of 09:12" without signal."""
    return timezone.now().isoformat(timespec="seconds")


@dataclass(frozen=True)
class VisitRow:
    """One of the technician's visits as the phone lists show it: the window on the site's clock."""

    visit: Visit
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


def technician_day(access: Access) -> date:
    """ "Today" for a technician: on their own clock when their profile says where they work, else the org's."""
    organization_zone = access.organization.timezone
    zone = Technician.objects.visible_to(access).values_list("timezone", flat=True).first() or organization_zone
    try:
        return timezone.now().astimezone(ZoneInfo(zone)).date()
    except (ValueError, KeyError):
        return org_now(access.organization).date()


def _technician_visit_queryset(access: Access, *, today: date, upcoming: bool, related=()):
    """The caller's own visits (visible_to: a technician sees only theirs): today's, plus any visit of an earlier
    day still checked in (not checked out yet); or, with `upcoming`, the coming days' open ones."""
    status = Visit.Status
    visits = Visit.objects.visible_to(access).select_related(*related)
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
    now = timezone.now()
    slug = access.organization.slug
    return [_visit_row(visit, now=now, slug=slug) for visit in visits]


def upcoming_visit_urls(access: Access, *, today: date) -> list[str]:
    """The pages of the visits Upcoming lists, in one small query: Today asks the phone to keep them for use
    without signal (static/js/field/home.js)."""
    visits = _technician_visit_queryset(access, today=today, upcoming=True)
    slug = access.organization.slug
    return [reverse("field:field-visit", kwargs={"org": slug, "pk": pk}) for pk in visits.values_list("pk", flat=True)]


def _visit_row(visit: Visit, *, now: datetime, slug: str) -> VisitRow:
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


def technician_home(access: Access) -> dict:
    """Today: the technician's visits of the day, and the pages the phone should keep for use without signal."""
    day = technician_day(access)
    return {
        "today": day,
        "visits": technician_visits(access, today=day),
        "rendered_at": rendered_at(),
        "keep_urls": [
            reverse("field:upcoming", kwargs={"org": access.organization.slug}),
            reverse("field:field-offline", kwargs={"org": access.organization.slug}),
            *upcoming_visit_urls(access, today=day),
        ],
    }
