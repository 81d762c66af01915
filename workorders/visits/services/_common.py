"""Private helpers of the visit services (planning, field actions, call-off): the visit row lock, the day in
words, the technician's notice after commit, and the fields every visit audit event records. Imports no
services."""

from __future__ import annotations

from datetime import date

from rollout.errors import NotFound
from rollout.tenancy import Access, organization_id_of
from workorders.models import Visit
from workorders.visits.tasks import visit_notify_technician_task

VISIT_AUDIT_FIELDS = ["status", "technician", "window_start", "window_end"]
MAX_TEXT = 2000


def _day(value: date) -> str:
    return f"{value:%a %b %-d, %Y}"


def _lock_visit(organization, visit_id: int, *, access: Access | None = None) -> Visit:
    """The visit row, locked, within the caller's scope (a technician: their own visits only)."""
    queryset = Visit.objects.visible_to(access) if access is not None else Visit.objects.for_organization(organization)
    visit = (
        queryset.select_for_update(of=("self",))
        .select_related("work_order", "work_order__program", "work_order__site", "technician")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound()
    return visit


def _notify(organization, visit: Visit, event: str, technician_id: int | None = None) -> None:
    visit_notify_technician_task.delay_on_commit(
        organization_id=organization_id_of(organization),
        visit_id=visit.pk,
        event=event,
        technician_id=technician_id or visit.technician_id,
        version=visit.version,
    )
