"""Refusals of the visit services (workorders.visits.services: planning, field actions, call-off), each an
ApplicationError with a stable `code` (rollout.errors). Callers import them from here."""

from __future__ import annotations

from rollout.errors import ApplicationError, Conflict, InvalidTransition


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
