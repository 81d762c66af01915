"""Choices of field visits, shared by models, filters, forms and serializers, and the visit state machine's map."""

from django.db import models


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
OPEN_STATUSES = BEFORE_ARRIVAL | {V.CHECKED_IN}
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
