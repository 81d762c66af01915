"""Choices of the escalations app, shared by models, filters, forms and serializers."""

from django.db import models


class RuleKey(models.TextChoices):
    """The SLA rules (escalations.rules declares what each one reads)."""

    NO_CONFIRMATION = "no_confirmation", "No confirmation before the visit"
    NO_ON_THE_WAY = "no_on_the_way", "No “on my way” before the visit"
    NO_CHECK_IN = "no_check_in", "No check-in by window start + grace"
    VISIT_OVERRUN = "visit_overrun", "Visit overrun"
    PACKET_NOT_ACKNOWLEDGED = "packet_not_acknowledged", "Packet not acknowledged"
    MATERIALS_NOT_DELIVERED = "materials_not_delivered", "Materials not delivered"
    REVIEW_OVERDUE = "review_overdue", "Submitted work not reviewed"
    REWORK_OPEN = "rework_open", "Rework open too long"
    NOT_READY = "work_order_not_ready", "Work order not ready before its visit"
    NO_SHOW = "no_show", "No-show"


class EscalationState(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


UNRESOLVED_STATES = frozenset({EscalationState.AT_RISK, EscalationState.OPEN, EscalationState.ACKNOWLEDGED})


class LadderRole(models.TextChoices):
    """Who a level of the ladder goes to, lowest first."""

    COORDINATOR = "coordinator", "Coordinators"
    PM = "pm", "Program manager"
    CLIENT = "client", "Client contacts"
    ADMIN = "admin", "Organization admins"


# The rank of each ladder role: a ladder only climbs (client and admin are both the top).
LADDER_RANK = {LadderRole.COORDINATOR: 1, LadderRole.PM: 2, LadderRole.CLIENT: 3, LadderRole.ADMIN: 3}


class SubjectType(models.TextChoices):
    VISIT = "visit", "Visit"
    WORK_ORDER = "work_order", "Work order"


class Unit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"


UNIT_MINUTES = {Unit.MINUTES: 1, Unit.HOURS: 60, Unit.DAYS: 24 * 60}


class TimelineKind(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    RAISED = "raised", "Raised"
    ESCALATED = "escalated", "Escalated to the next level"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ASSIGNED = "assigned", "Assigned"
    SNOOZED = "snoozed", "Snoozed"
    RESOLVED = "resolved", "Resolved"
    AUTO_RESOLVED = "auto_resolved", "Resolved by itself"


# Badge per state: (tone of rollout.tables.status_badge, Bootstrap icon).
STATE_BADGES = {
    EscalationState.AT_RISK: ("warn", "hourglass-split"),
    EscalationState.OPEN: ("bad", "exclamation-octagon"),
    EscalationState.ACKNOWLEDGED: ("warn", "eye"),
    EscalationState.RESOLVED: ("ok", "check2-circle"),
}
