"""Calling off a visit that has not started: the step that both cancelling a visit (planning.visit_cancel) and
cancelling its work order (workorders.services, inside that service's transaction) take.

It imports no services — workorders.services imports it at the top, and the visit services build on
workorders.services — so the dependency points one way and no import hides inside a function."""

from __future__ import annotations

from rollout.audit import audit_record, audit_snapshot
from rollout.models import Organization, User
from rollout.tenancy import Access
from workorders._common import _touch
from workorders.choices import BEFORE_ARRIVAL, VisitStatus
from workorders.errors import ReasonRequired
from workorders.events import VISIT_CANCELLED
from workorders.models import Visit
from workorders.visits.errors import VisitNotActive
from workorders.visits.services._common import MAX_TEXT, VISIT_AUDIT_FIELDS, _emit, _lock_visit

V = VisitStatus


def _lock_for_planning(organization, visit_id: int, *, action: str) -> Visit:
    visit = _lock_visit(organization, visit_id)
    if visit.status not in BEFORE_ARRIVAL:
        raise VisitNotActive(
            f"Visit {visit.sequence} of {visit.work_order.number} is {V(visit.status).label.lower()}: it can no "
            f"longer be {action}."
        )
    return visit


def _cancel(organization, actor, visit: Visit, reason: str, *, tell_technician: bool = True) -> None:
    """Cancel the locked visit, audit it and emit `visit.cancelled` (mandatory for its technician)."""
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    visit.to_cancelled(reason=reason[:MAX_TEXT])
    _touch(visit, "status", "cancelled_at", "cancel_reason")
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.cancelled",
        target=visit,
        before=before,
        after=audit_snapshot(visit, VISIT_AUDIT_FIELDS),
        reason=reason,
    )
    _emit(organization, actor, visit, VISIT_CANCELLED, tell_technician=tell_technician, reason=reason[:MAX_TEXT])


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("Say why the visit is cancelled.", field="reason")
    return reason


def visit_cancel_with_work_order(
    *, organization: Organization, actor: Access | User | None, visit_id: int, reason: str, notify: bool
) -> Visit:
    """Call off the open visit of a work order being cancelled (called by the work-order service, inside its
    transaction, with the work order already locked and moved): the work order is left alone. `notify` tells
    the technician (the visit's cancellation notice is the one they get for a cancelled work order)."""
    visit = _lock_for_planning(organization, visit_id, action="cancelled")
    _cancel(organization, actor, visit, _reason(f"Work order cancelled: {reason}"), tell_technician=notify)
    return visit
