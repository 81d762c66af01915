"""Choices of the workorders app, shared by models, filters, forms and serializers, and the state machine's map."""

from django.db import models


class WorkOrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    READY = "ready", "Ready"
    SCHEDULED = "scheduled", "Scheduled"
    DISPATCHED = "dispatched", "Dispatched"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REWORK = "rework", "Rework"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


S = WorkOrderStatus

# Open states: the work order may still be cancelled. Accepted work is done (it only closes); closed and
# cancelled are final.
OPEN_STATUSES = frozenset({S.DRAFT, S.READY, S.SCHEDULED, S.DISPATCHED, S.IN_PROGRESS, S.SUBMITTED, S.REWORK})

# Every move the state machine allows, forward and back. The backward moves:
#   ready → draft          the PM pulls it back to fix the setup (it is not ready after all)
#   scheduled → ready      unscheduled: the visit window is cleared, the technician stays assigned
#   dispatched → scheduled recalled before the visit starts (e.g. the technician is sick)
#   rework → scheduled     a return visit is booked for the rework
#   in_progress → rework   the visit ended incomplete (parts missing, site not ready, …): a follow-up is needed
#   accepted → rework      a warranty return: a problem reported on accepted work within the warranty window
# Cancelling (from any open state) is listed here too and needs a reason.
WORK_ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.READY, S.CANCELLED}),
    S.READY: frozenset({S.SCHEDULED, S.DRAFT, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.DISPATCHED, S.READY, S.CANCELLED}),
    S.DISPATCHED: frozenset({S.IN_PROGRESS, S.SCHEDULED, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.SUBMITTED, S.REWORK, S.CANCELLED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REWORK, S.CANCELLED}),
    S.REWORK: frozenset({S.SCHEDULED, S.CANCELLED}),
    S.ACCEPTED: frozenset({S.CLOSED, S.REWORK}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Moves that only a QA review makes (quality's accept / reject with defects, or its sampling policy): the generic
# transition (page, API, bulk, admin) refuses them with `review_required`, so submitted work is never accepted or
# sent back without a recorded review. The review services pass `via_review=True`.
REVIEW_ONLY_MOVES = frozenset({(S.SUBMITTED, S.ACCEPTED), (S.SUBMITTED, S.REWORK)})

# Moves that must say why (the reason goes into the audit event and, for a cancel, onto the work order).
REASON_REQUIRED = frozenset({(source, S.CANCELLED) for source in OPEN_STATUSES}) | {
    (S.SUBMITTED, S.REWORK),
    (S.IN_PROGRESS, S.REWORK),
    (S.ACCEPTED, S.REWORK),
    (S.DISPATCHED, S.SCHEDULED),
}

# The timestamp each state sets when it is entered.
STATUS_TIMESTAMP_FIELDS: dict[str, str] = {
    S.READY: "ready_at",
    S.SCHEDULED: "scheduled_at",
    S.DISPATCHED: "dispatched_at",
    S.IN_PROGRESS: "started_at",
    S.SUBMITTED: "submitted_at",
    S.ACCEPTED: "accepted_at",
    S.REWORK: "rework_at",
    S.CLOSED: "closed_at",
    S.CANCELLED: "cancelled_at",
}

# Badge per state for pages: (tone of rollout.tables.status_badge, Bootstrap icon).
STATUS_BADGES: dict[str, tuple[str, str]] = {
    S.DRAFT: ("off", "pencil"),
    S.READY: ("ok", "check2-circle"),
    S.SCHEDULED: ("ok", "calendar-check"),
    S.DISPATCHED: ("warn", "truck"),
    S.IN_PROGRESS: ("warn", "tools"),
    S.SUBMITTED: ("warn", "inbox"),
    S.ACCEPTED: ("ok", "patch-check-fill"),
    S.REWORK: ("warn", "arrow-repeat"),
    S.CLOSED: ("off", "lock-fill"),
    S.CANCELLED: ("off", "x-circle"),
}


class ShipmentStatus(models.TextChoices):
    PENDING = "pending", "Not shipped yet"
    IN_TRANSIT = "in_transit", "In transit"
    DELIVERED = "delivered", "Delivered"
    EXCEPTION = "exception", "Delivery problem"
    CANCELLED = "cancelled", "Cancelled"


class Gate(models.TextChoices):
    """The readiness gates a work order passes before dispatch, in checklist order."""

    SOW = "sow", "Approved SOW"
    VARIATIONS = "variations", "Site variations decided"
    MATERIALS = "materials", "Materials delivered"
    SITE_CONTACT = "site_contact", "Site contact confirmed"
    VISIT_WINDOW = "visit_window", "Visit window allowed at the site"
    TECHNICIAN = "technician", "Technician assigned and eligible"
    PACKET = "packet", "Packet acknowledged"
