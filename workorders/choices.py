"""Choices of the workorders app and its sub-packages (work orders, shipments, gates, packets, visits), beside
the one models package they all use: shared by models, filters, forms and serializers, with the state
machines' maps."""

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
    DURATION = "duration", "Visit window long enough for the work"
    TECHNICIAN = "technician", "Technician assigned and eligible"
    PACKET = "packet", "Packet acknowledged"


# --- Packets --------------------------------------------------------------------------------------------


class PacketStatus(models.TextChoices):
    COMPILED = "compiled", "Compiled"
    RENDERING = "rendering", "Rendering"
    RENDERED = "rendered", "Rendered"
    FAILED = "failed", "Failed"


class PacketJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A packet is (re-)issued only before the first visit starts: a visited work order keeps the packet
# version its visit worked from. Cancelled and closed work orders get no packet at all.
NOT_VISITED = frozenset(
    {WorkOrderStatus.DRAFT, WorkOrderStatus.READY, WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED}
)
NO_PACKET_STATUSES = frozenset({WorkOrderStatus.CANCELLED, WorkOrderStatus.CLOSED})


# --- Visits ---------------------------------------------------------------------------------------------


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    ON_THE_WAY = "on_the_way", "On the way"
    CHECKED_IN = "checked_in", "Checked in"
    CHECKED_OUT = "checked_out", "Checked out"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


V = VisitStatus

# Every move a visit's status may make. Rescheduling or reassigning a confirmed (or on-the-way) visit sends it
# back to scheduled: the technician confirms the new plan again. Checked-in visits end only by checking out.
VISIT_TRANSITIONS: dict[str, frozenset[str]] = {
    V.SCHEDULED: frozenset({V.CONFIRMED, V.ON_THE_WAY, V.CHECKED_IN, V.CANCELLED, V.NO_SHOW}),
    V.CONFIRMED: frozenset({V.SCHEDULED, V.ON_THE_WAY, V.CHECKED_IN, V.CANCELLED, V.NO_SHOW}),
    V.ON_THE_WAY: frozenset({V.SCHEDULED, V.CHECKED_IN, V.CANCELLED, V.NO_SHOW}),
    V.CHECKED_IN: frozenset({V.CHECKED_OUT}),
    V.CHECKED_OUT: frozenset(),
    V.CANCELLED: frozenset(),
    V.NO_SHOW: frozenset(),
}

# Before the technician arrives: the visit can still be moved, reassigned, cancelled, and it can be late.
BEFORE_ARRIVAL = frozenset({V.SCHEDULED, V.CONFIRMED, V.ON_THE_WAY})
# Open: the visit is still to happen or happening. A work order has at most one open visit.
OPEN_VISIT_STATUSES = BEFORE_ARRIVAL | {V.CHECKED_IN}
# Visits that hold the technician's time (double booking): everything that was not called off.
BOOKED_STATUSES = frozenset(set(V) - {V.CANCELLED})
# Visits that happened (they count for the next visit's sequence number).
WORKED_STATUSES = frozenset({V.CHECKED_OUT})


class VisitState(models.TextChoices):
    """What the dispatch board shows: the status, with "late" derived (no check-in by window start + grace)."""

    SCHEDULED = "scheduled", "Scheduled"
    CONFIRMED = "confirmed", "Confirmed"
    ON_THE_WAY = "on_the_way", "On the way"
    LATE = "late", "Late"
    CHECKED_IN = "checked_in", "Checked in"
    CHECKED_OUT = "checked_out", "Checked out"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


# Badge per board state: (tone of rollout.tables.status_badge, Bootstrap icon).
STATE_BADGES: dict[str, tuple[str, str]] = {
    VisitState.SCHEDULED: ("off", "calendar"),
    VisitState.CONFIRMED: ("ok", "hand-thumbs-up"),
    VisitState.ON_THE_WAY: ("warn", "truck"),
    VisitState.LATE: ("bad", "alarm"),
    VisitState.CHECKED_IN: ("ok", "geo-alt-fill"),
    VisitState.CHECKED_OUT: ("ok", "box-arrow-right"),
    VisitState.NO_SHOW: ("bad", "person-x"),
    VisitState.CANCELLED: ("off", "x-circle"),
}


class LocationStatus(models.TextChoices):
    OK = "ok", "Location shared"
    DENIED = "denied", "Location permission denied"
    UNAVAILABLE = "unavailable", "Location unavailable"


class VisitOutcome(models.TextChoices):
    COMPLETE = "complete", "Complete"
    INCOMPLETE = "incomplete", "Incomplete"


class IncompleteReason(models.TextChoices):
    PARTS_MISSING = "parts_missing", "Parts missing"
    SITE_NOT_READY = "site_not_ready", "Site not ready"
    ACCESS_DENIED = "access_denied", "Access denied"
    SCOPE_CHANGE = "scope_change", "Scope change"
    TECHNICIAN_ISSUE = "technician_issue", "Technician issue"
    OTHER = "other", "Other"


class TaskResultStatus(models.TextChoices):
    DONE = "done", "Done"
    NOT_DONE = "not_done", "Not done"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class VisitActionKind(models.TextChoices):
    """The field actions a phone (or an integrator) sends; each is recorded once per client action id."""

    ACKNOWLEDGE_PACKET = "acknowledge_packet", "Acknowledge packet"
    CONFIRM = "confirm", "Confirm"
    ON_MY_WAY = "on_my_way", "On my way"
    CHECK_IN = "check_in", "Check in"
    TASK_RESULT = "task_result", "Task result"
    PHOTO = "photo", "Photo"
    SIGN_OFF = "sign_off", "Sign-off"
    CHECK_OUT = "check_out", "Check out"
