"""Refusals of the workorders services, each an ApplicationError with a stable `code` (rollout.errors): the
work-order services (workorders.services, workorders.shipments, workorders.gate_overrides) and the visit services
(workorders.visits.services). Callers (views, API, tests) import them from here, not from the services that raise
them. The packet services keep theirs (workorders.packets.services)."""

from __future__ import annotations

from rollout.errors import ApplicationError, Conflict, InvalidTransition

# --- Work orders ----------------------------------------------------------------------------------------


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


# --- Visits ---------------------------------------------------------------------------------------------


class WorkOrderNotSchedulable(InvalidTransition):
    code = "work_order_not_schedulable"


class VisitExists(Conflict):
    code = "visit_exists"


class VisitNotCheckable(Conflict):
    code = "visit_not_checkable"


class VisitNotActive(Conflict):
    code = "visit_not_active"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    default_message = "This visit is already checked in."


class VisitCheckedOut(Conflict):
    code = "visit_checked_out"
    default_message = "This visit is already checked out; nothing more can be recorded on it."


class VisitNotCheckedIn(Conflict):
    code = "visit_not_checked_in"
    default_message = "Check in first: results, photos and the sign-off are recorded on site."


class OutsideGeofence(Conflict):
    code = "outside_geofence"


class WorkOrderNotDispatched(Conflict):
    code = "work_order_not_dispatched"


class NoPacket(Conflict):
    code = "no_packet"


class ClientActionIdReused(Conflict):
    code = "client_action_id_reused"


class EvidenceMissing(Conflict):
    """A complete check-out without every task's result and evidence; `missing` lists what is missing
    (workorders.visits.selectors.MissingEvidence: task key and message)."""

    code = "evidence_missing"

    def __init__(self, missing: list):
        self.missing = missing
        lines = " ".join(item.message for item in missing)
        super().__init__(f"The visit cannot be checked out complete yet. {lines}")


class NotAFieldActor(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only the visit's technician (or an integrator acting for them) records field actions."
