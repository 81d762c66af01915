"""Demo notifications for `seed_demo`: an inbox with unread notices for each role, made by the real event path.

The other seeders worked through the services, which emitted their events (packets issued to the technician, work
submitted for review, work orders dispatched…); they are relayed here, so the notification consumer writes the
inboxes. Northwind's admin then loads two new Harbor Foods stores through the real site import, whose
`site_import.finished` event tells the admin and Harbor's client viewer. Every role of Northwind ends with unread
notices.

Idempotent: relaying an event twice writes nothing more, and the stores are imported once."""

from __future__ import annotations

import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.events import event_relay
from rollout.models import Event
from rollout.tenancy import Access
from sites.models import Site
from sites.services import site_import_apply, site_import_commit, site_import_create, site_import_run_dry_run

NEW_STORES = [
    {
        "code": "HF-0901",
        "name": "Harbor Foods Evanston Main St",
        "address1": "1620 Main St",
        "city": "Evanston",
        "state": "IL",
        "postal_code": "60202",
        "latitude": "42.033400",
        "longitude": "-87.679100",
        "timezone": "America/Chicago",
    },
    {
        "code": "HF-0902",
        "name": "Harbor Foods Oak Park Lake St",
        "address1": "1044 Lake St",
        "city": "Oak Park",
        "state": "IL",
        "postal_code": "60301",
        "latitude": "41.888800",
        "longitude": "-87.800200",
        "timezone": "America/Chicago",
    },
]


def _relay_pending(organization_ids: list[int]) -> int:
    pending = Event.objects.filter(organization_id__in=organization_ids, relayed_at__isnull=True).order_by("id")
    return sum(1 for event_id in pending.values_list("id", flat=True) if event_relay(event_id))


def _import_new_stores(demo: DemoContext) -> None:
    """Two new Harbor Foods stores, through the real import, by Northwind's admin (once)."""
    northwind, harbor = demo.organizations["northwind"], demo.clients["harbor"]
    if (
        Site.objects.for_organization(northwind)
        .filter(client=harbor, code__in=[r["code"] for r in NEW_STORES])
        .exists()
    ):
        return
    admin = Access(organization=northwind, role=Role.ADMIN, user=demo.users["admin@northwind.example"])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(NEW_STORES[0]))
    writer.writeheader()
    writer.writerows(NEW_STORES)
    upload = SimpleUploadedFile("harbor-foods-new-stores.csv", buffer.getvalue().encode(), content_type="text/csv")
    site_import = site_import_create(organization=northwind, actor=admin, client=harbor, upload=upload)
    site_import_run_dry_run(organization_id=northwind.pk, import_id=site_import.pk)
    site_import.refresh_from_db()
    if site_import.error_count:
        raise RuntimeError(f"Demo import of new stores has problems: {site_import.errors[:3]}")
    site_import_commit(organization=northwind, actor=admin, import_id=site_import.pk)
    site_import_apply(organization_id=northwind.pk, import_id=site_import.pk)


def seed(demo: DemoContext) -> None:
    organization_ids = [organization.pk for organization in demo.organizations.values()]
    _import_new_stores(demo)
    _relay_pending(organization_ids)
