"""The events of the sites app: a site import finished (committed, or failed with nothing written). The person who
asked for the commit (and who uploaded the file) hears of it; emitted in the transaction that settles the import."""

from __future__ import annotations

from django.urls import reverse

from rollout.choices import Role
from rollout.events import EventType, event_emit, event_type_register
from rollout.models import Membership


def _import_link(event, role: str) -> str | None:
    if role == Role.TECHNICIAN:
        return None
    if role == Role.CLIENT:  # the client's viewers read their sites, not the import
        return reverse("sites:sites", kwargs={"org": event.organization.slug})
    return reverse("sites:site-import-page", kwargs={"org": event.organization.slug, "pk": event.subject_id})


SITE_IMPORT_FINISHED = event_type_register(
    EventType(
        name="site_import.finished",
        title="Site import finished",
        subject="site_import",
        audience=(Role.ADMIN, Role.PM, Role.COORDINATOR, Role.CLIENT),
        description=(
            "A site import finished: committed (with the sites created and updated) or failed (nothing was written, "
            "with the reason). Whoever uploaded and committed it hears of it, and the client's viewers when their "
            "sites list changed."
        ),
        example={
            "organization": "northwind-rollouts",
            "site_import_id": 88,
            "client_code": "harbor-foods",
            "filename": "harbor-foods-stores-2026-02.xlsx",
            "status": "committed",
            "created": 118,
            "updated": 6,
            "unchanged": 1076,
            "failure_message": "",
        },
        describe=lambda d: (
            f"{d['filename']}: {d['created']} sites created, {d['updated']} updated, {d['unchanged']} unchanged."
            if d["status"] == "committed"
            else f"{d['filename']} failed: {d['failure_message']}"
        ),
        link=_import_link,
    )
)


def site_import_finished_emit(*, site_import, status: str, counts: dict | None = None, failure_message: str = ""):
    """Emit the end of an import's commit, in the transaction that settles it."""
    counts = counts or {}
    event_emit(
        organization=site_import.organization_id,
        type=SITE_IMPORT_FINISHED.name,
        subject=site_import,
        data={
            "organization": site_import.organization.slug,
            "site_import_id": site_import.pk,
            "client_code": site_import.client.code,
            "filename": site_import.original_filename,
            "status": status,
            "created": counts.get("created", 0),
            "updated": counts.get("updated", 0),
            "unchanged": counts.get("unchanged", 0),
            "failure_message": failure_message,
        },
        actor=site_import.committed_by,
        recipients=[site_import.committed_by_id, site_import.created_by_id]
        + (client_viewers(site_import.organization_id, site_import.client_id) if status == "committed" else []),
    )


def client_viewers(organization_id: int, client_id: int) -> list[int]:
    """The active client-role members of one client (their user ids)."""
    return list(
        Membership.objects.for_organization(organization_id)
        .active()
        .filter(role=Role.CLIENT, client_id=client_id)
        .values_list("user_id", flat=True)
    )
