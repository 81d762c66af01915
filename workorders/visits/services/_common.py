"""Private helpers of the visit services (planning, field actions, call-off): the visit row lock, the day in
words, the visit's events (who hears of them), and the fields every visit audit event records. Imports no
services."""

from __future__ import annotations

from datetime import date

from rollout.errors import NotFound
from rollout.tenancy import Access
from workorders.events import EventType, technician_user_ids, visit_emit
from workorders.models import Visit

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


def _emit(organization, actor, visit: Visit, event_type: EventType, *, tell_technician: bool = False, **extra):
    """Emit a visit event in the service's transaction; with `tell_technician`, the visit's technician (if they
    have an account) is a recipient (inbox and e-mail after commit)."""
    recipients = technician_user_ids(visit.technician) if tell_technician else []
    visit_emit(
        organization=organization, actor=actor, visit=visit, event_type=event_type, recipients=recipients, **extra
    )
