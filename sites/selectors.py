"""Reads of the sites app. Every read starts from the caller's Access (organization and role)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from rollout.tenancy import Access
from sites.choices import WEEKDAY_NAMES, WEEKDAYS
from sites.models import Site, SiteImport

SITE_ORDERING_FIELDS = ("code", "name", "city", "state", "status", "created_at", "updated_at")


def site_list(*, access: Access) -> QuerySet[Site]:
    """The sites the caller may see, with what a list row shows (client) loaded in the same query."""
    return Site.objects.visible_to(access).select_related("client")


def site_get(*, access: Access, site_id: int) -> Site | None:
    """One visible site with its client and contacts, or None (another organization's site included)."""
    return site_list(access=access).prefetch_related("contacts").filter(pk=site_id).first()


def site_ordering(value: str | None, default: str = "code") -> list[str]:
    """A safe `order_by` from a `?ordering=` value (one of SITE_ORDERING_FIELDS, `-` for descending)."""
    value = (value or "").strip()
    if value.lstrip("-") not in SITE_ORDERING_FIELDS:
        value = default
    return [value, "id"]


def site_import_list(*, access: Access) -> QuerySet[SiteImport]:
    return SiteImport.objects.visible_to(access).select_related("client")


def site_local_now(site: Site, now: datetime | None = None) -> datetime:
    """The current time at the site, in its own time zone."""
    return (now or timezone.now()).astimezone(ZoneInfo(site.timezone))


def site_access_hours_rows(site: Site) -> list[dict]:
    """One row per weekday for display: day name and its local windows (None: not specified; []: closed)."""
    hours = site.access_hours or {}
    rows = []
    for day in WEEKDAYS:
        windows = hours.get(day) if hours else None
        if hours and windows is None:
            windows = []
        rows.append({"day": WEEKDAY_NAMES[day], "windows": windows})
    return rows
