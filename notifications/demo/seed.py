"""Demo notifications for `seed_demo`: an inbox with unread notices for each role, made by the real event path.

The other seeders worked through the services, which emitted their events (packets issued to the technician, work
submitted for review, work orders dispatched…); they are relayed here, so the notification consumer writes the
inboxes. Northwind's admin then re-imports three Harbor Foods stores as exported (the real import; it changes
nothing), whose `site_import.finished` event tells the admin and Harbor's client viewer. Every role of Northwind
ends with unread notices.

Idempotent: relaying an event twice writes nothing more, and the store check is imported once."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.events import RELAY_BATCH, events_relay
from rollout.models import Event
from rollout.tenancy import Access
from sites.exporting import csv_stream
from sites.import_jobs import site_import_validation_run
from sites.models import Site, SiteImport
from sites.services import site_import_apply, site_import_commit, site_import_create

CHECK_FILE = "harbor-foods-store-check.csv"


def _relay_pending(organization_ids: list[int]) -> int:
    pending = Event.objects.filter(organization_id__in=organization_ids, relayed_at__isnull=True).order_by("id")
    ids = list(pending.values_list("id", flat=True))
    return sum(len(events_relay(ids[start : start + RELAY_BATCH])) for start in range(0, len(ids), RELAY_BATCH))


def _import_store_check(demo: DemoContext) -> None:
    """Northwind's admin re-imports three Harbor Foods stores as exported (the real import; nothing changes), once."""
    northwind, harbor = demo.organizations["northwind"], demo.clients["harbor"]
    if SiteImport.objects.for_organization(northwind).filter(original_filename=CHECK_FILE).exists():
        return
    stores = Site.objects.for_organization(northwind).filter(client=harbor).order_by("code")[:3]
    if not stores:
        return
    admin = Access(organization=northwind, role=Role.ADMIN, user=demo.users["admin@northwind.example"])
    content = b"".join(csv_stream(Site.objects.for_organization(northwind).filter(pk__in=[s.pk for s in stores])))
    upload = SimpleUploadedFile(CHECK_FILE, content, content_type="text/csv")
    site_import = site_import_create(organization=northwind, actor=admin, client=harbor, upload=upload)
    site_import_validation_run(organization_id=northwind.pk, import_id=site_import.pk)
    site_import.refresh_from_db()
    if site_import.error_count:
        raise RuntimeError(f"Demo store check has problems: {site_import.errors[:3]}")
    site_import_commit(organization=northwind, actor=admin, import_id=site_import.pk)
    site_import_apply(organization_id=northwind.pk, import_id=site_import.pk)


def seed(demo: DemoContext) -> None:
    organization_ids = [organization.pk for organization in demo.organizations.values()]
    _import_store_check(demo)
    _relay_pending(organization_ids)
