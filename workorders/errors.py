"""Refusals of the work-order services (workorders.services), each an ApplicationError with a stable `code`
(rollout.errors). Callers (views, API, tests) import them from here, not from the services that raise them; the
visit services' are in workorders.visits.errors, the packet services' in workorders.packets.errors."""

from __future__ import annotations

from rollout.errors import ApplicationError, Conflict, InvalidTransition


class StaleVersion(Conflict):
    code = "stale_version"
    default_message = "This work order changed since you opened it; reload it and try again."


class ReasonRequired(ApplicationError):
    code = "reason_required"
    default_message = "Say why (a reason is required for this action)."


class NotReady(InvalidTransition):
    code = "not_ready"
    default_message = "Dispatch is blocked until every readiness gate is green."


class VisitOpen(Conflict):
    """The work order has a booked visit: its technician and window are changed on the visit (reschedule,
    reassign, cancel), so that the two never drift apart."""

    code = "visit_open"


class VisitUnderway(Conflict):
    code = "visit_underway"


class OverrideNotAllowed(ApplicationError):
    code = "override_not_allowed"
    status_code = 403
    default_message = "Only a PM or an admin may override a readiness gate."


class ReviewRequired(InvalidTransition):
    """Submitted work is accepted or sent to rework by a QA review only (workorders.choices.REVIEW_ONLY_MOVES)."""

    code = "review_required"
    default_message = "Submitted work is accepted or rejected by a QA review, not by a transition."
