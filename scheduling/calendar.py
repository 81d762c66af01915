"""Technicians' calendar feeds: a private iCalendar link per technician, made and revoked from their profile (or the
API), read by their calendar app without signing in. The feed lists their visits from 30 days back on, each in the
site's time zone with the address, the work order and the visit's state (a cancelled visit stays, marked cancelled,
so calendar apps remove it)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar, Event

from rollout.audit import audit_record
from rollout.choices import Role
from rollout.errors import NotFound
from rollout.tenancy import Access, organization_id_of
from scheduling.errors import NotATechnician
from scheduling.models import CalendarFeed
from technicians.models import Technician
from workorders.choices import VisitStatus
from workorders.models import Visit

TOKEN_PREFIX = "tcal_"
PAST_DAYS = 30
ICS_STATUS = {VisitStatus.SCHEDULED: "TENTATIVE", VisitStatus.CANCELLED: "CANCELLED"}


@dataclass(frozen=True)
class IssuedFeed:
    feed: CalendarFeed
    token: str  # shown once


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _own_technician(organization, actor: Access) -> Technician:
    """The technician record of the signed-in technician (403 `not_a_technician` for any other caller)."""
    if not isinstance(actor, Access) or actor.role != Role.TECHNICIAN or actor.user is None:
        raise NotATechnician()
    technician = Technician.objects.for_organization(organization).filter(user_id=actor.user.pk).order_by("pk").first()
    if technician is None:
        raise NotATechnician("Your account is not linked to a technician of this organization yet.")
    return technician


def calendar_feed_get(*, access: Access) -> CalendarFeed | None:
    """The caller's feed, or None when it is off."""
    technician = _own_technician(access.organization, access)
    return CalendarFeed.objects.for_organization(access.organization).filter(technician=technician).first()


@transaction.atomic
def calendar_feed_issue(*, organization, actor: Access) -> IssuedFeed:
    """Turn the caller's feed on, or give it a new link (the old one stops working at once)."""
    technician = _own_technician(organization, actor)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.update_or_create(
        organization_id=organization_id_of(organization),
        technician=technician,
        defaults={"token_hash": _hash(token), "created_at": timezone.now(), "last_read_at": None},
    )
    verb = "calendar_feed.created" if created else "calendar_feed.link_renewed"
    audit_record(organization=organization, actor=actor, verb=verb, target=technician)
    return IssuedFeed(feed=feed, token=token)


@transaction.atomic
def calendar_feed_revoke(*, organization, actor: Access) -> None:
    """Turn the caller's feed off: its link answers 404 from now on (404 when it is already off)."""
    technician = _own_technician(organization, actor)
    deleted, _ = CalendarFeed.objects.for_organization(organization).filter(technician=technician).delete()
    if not deleted:
        raise NotFound("Your calendar feed is already off.")
    audit_record(organization=organization, actor=actor, verb="calendar_feed.revoked", target=technician)


def calendar_feed_path(token: str) -> str:
    return reverse("calendar:feed-ics", kwargs={"token": token})


def calendar_feed_read(token: str) -> tuple[CalendarFeed, list[Visit]]:
    """The feed a link names and its visits (404 for an unknown, replaced or revoked link). The caller is not
    signed in: the token alone decides, and every query is scoped to the feed's organization and technician."""
    if not token.startswith(TOKEN_PREFIX):
        raise NotFound()
    feed = CalendarFeed.objects.select_related("technician", "organization").filter(token_hash=_hash(token)).first()
    if feed is None or not feed.technician.active:
        raise NotFound()
    now = timezone.now()
    CalendarFeed.objects.filter(pk=feed.pk).update(last_read_at=now)
    visits = list(
        Visit.objects.for_organization(feed.organization_id)
        .filter(technician_id=feed.technician_id, window_end__gte=now - timedelta(days=PAST_DAYS))
        .select_related("work_order", "work_order__site", "work_order__program")
        .order_by("window_start", "pk")
    )
    return feed, visits


def calendar_ics(feed: CalendarFeed, visits: list[Visit], *, base_url: str) -> bytes:
    """The iCalendar text of a feed: one event per visit, in the site's zone, with its time zones defined."""
    calendar = Calendar()
    calendar.add("prodid", "-//Tutti//Technician visits//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"Tutti visits · {feed.organization.name}")
    calendar.add("x-published-ttl", "PT1H")
    for visit in visits:
        work_order, site = visit.work_order, visit.work_order.site
        zone = ZoneInfo(site.timezone)
        event = Event()
        event.add("uid", f"visit-{visit.pk}@{feed.organization.slug}.tutti")
        event.add("dtstamp", visit.updated_at)
        event.add("sequence", visit.version)
        event.add("dtstart", visit.window_start.astimezone(zone))
        event.add("dtend", visit.window_end.astimezone(zone))
        event.add("summary", f"{site.name} · {work_order.number}")
        event.add("location", site_address(site))
        event.add("status", ICS_STATUS.get(visit.status, "CONFIRMED"))
        lines = [
            f"Program: {work_order.program.name}",
            f"Work order: {work_order.number}",
            f"Visit: {visit.get_status_display()}",
        ]
        event.add("description", "\n".join(lines))
        event.add(
            "url",
            base_url + reverse("field:field-visit", kwargs={"org": feed.organization.slug, "pk": visit.pk}),
        )
        calendar.add_component(event)
    today = timezone.localdate()
    calendar.add_missing_timezones(
        first_date=today - timedelta(days=PAST_DAYS + 366), last_date=today + timedelta(days=3 * 366)
    )
    return calendar.to_ical()


def site_address(site) -> str:
    parts = [
        site.address_line1,
        site.address_line2,
        site.city,
        " ".join(p for p in (site.state, site.postal_code) if p),
    ]
    return ", ".join(part for part in parts if part)
