"""The SLA rules, in one declarative table: what each rule reads, when it breaches, and when it has cleared.

Each rule names its subject (visit or work order), a `pending` condition on the subject's table (the condition
that becomes a breach when its time passes: "not confirmed yet", "still submitted"), and the breach time:
`anchor + sign × threshold` (+ `extra_minutes_path`, a per-row number of minutes, for the overrun's packet
estimate). As of `now`, the breaching objects are those pending whose breach time has passed; the at-risk ones
those pending whose breach time is within the rule's warning lead; and an escalation's condition has cleared
when its object is no longer pending (the check-in arrived, the visit was cancelled, the work was reviewed) or
its breach time moved out of reach (the visit was moved to a later day).

Every query is set-based: escalations.sweep asks each rule once for its candidates (one query per rule, whatever
the number of rows), with one time cut-off per group of programs sharing the same settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from escalations.choices import LadderRole, RuleKey, SubjectType, Unit
from workorders.choices import BEFORE_ARRIVAL, PacketStatus, ShipmentStatus, VisitStatus, WorkOrderStatus
from workorders.models import PacketAcknowledgement, Shipment, Visit, WorkOrder

DEFAULT_LADDER = (
    {"role": LadderRole.COORDINATOR.value, "delay_minutes": 0},
    {"role": LadderRole.PM.value, "delay_minutes": 60},
    {"role": LadderRole.ADMIN.value, "delay_minutes": 240},
)
FAST_LADDER = (
    {"role": LadderRole.COORDINATOR.value, "delay_minutes": 0},
    {"role": LadderRole.PM.value, "delay_minutes": 30},
    {"role": LadderRole.ADMIN.value, "delay_minutes": 60},
)
# Subject paths: from the subject's table to what the sweep needs of it.
PATHS = {
    SubjectType.VISIT: {
        "work_order": "work_order_id",
        "program": "work_order__program_id",
        "client": "work_order__program__client_id",
        "pm": "work_order__program__responsible_pm_id",
    },
    SubjectType.WORK_ORDER: {
        "work_order": "id",
        "program": "program_id",
        "client": "program__client_id",
        "pm": "program__responsible_pm_id",
    },
}


def _no_current_ack():
    acknowledged = PacketAcknowledgement.objects.for_outer_organization().filter(
        packet__work_order_id=OuterRef("work_order_id"),
        packet__status=PacketStatus.RENDERED,
        packet__superseded_by__isnull=True,
        technician_id=OuterRef("technician_id"),
    )
    return Q(status__in=BEFORE_ARRIVAL) & ~Exists(acknowledged)


def _undelivered_materials():
    undelivered = (
        Shipment.objects.for_outer_organization()
        .filter(work_order_id=OuterRef("work_order_id"))
        .exclude(status__in=[ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED])
    )
    return Q(status__in=BEFORE_ARRIVAL) & Exists(undelivered)


@dataclass(frozen=True)
class Rule:
    """One SLA rule. `sign` -1: the threshold is before the anchor (T−24 h); +1: after it (submitted + 24 h)."""

    key: str
    subject: str
    anchor: str
    sign: int
    unit: str | None
    threshold: int
    at_risk_minutes: int
    pending: object  # a callable returning the Q of pending subjects
    description: str
    threshold_label: str = ""
    ladder: tuple = DEFAULT_LADDER
    extra_minutes_path: str | None = None
    # Only raise for breaches this recent (a rule switched on must not flood with years-old history).
    recent_days: int | None = None

    @property
    def title(self) -> str:
        return RuleKey(self.key).label

    @property
    def model(self):
        return Visit if self.subject == SubjectType.VISIT else WorkOrder

    @property
    def unit_minutes(self) -> int:
        return {Unit.MINUTES: 1, Unit.HOURS: 60, Unit.DAYS: 1440}.get(self.unit, 0)

    def offset(self, threshold: int) -> timedelta:
        """breach_at − anchor for a threshold (without the per-row extra)."""
        return timedelta(minutes=self.sign * threshold * self.unit_minutes)

    def breach_at(self, anchor: datetime, threshold: int, extra_minutes=None) -> datetime:
        return anchor + self.offset(threshold) + timedelta(minutes=int(extra_minutes or 0))

    def horizon_q(self, *, now: datetime, threshold: int, at_risk_minutes: int) -> Q:
        """Subjects whose breach (at the smallest extra, 0) is due or within the warning lead as of `now`."""
        cutoff = now - self.offset(threshold) + timedelta(minutes=at_risk_minutes)
        q = Q(**{f"{self.anchor}__lte": cutoff})
        return q


V, W = SubjectType.VISIT, SubjectType.WORK_ORDER

RULES: dict[str, Rule] = {
    rule.key: rule
    for rule in (
        Rule(
            key=RuleKey.NO_CONFIRMATION,
            subject=V,
            anchor="window_start",
            sign=-1,
            unit=Unit.HOURS,
            threshold=24,
            at_risk_minutes=120,
            pending=lambda: Q(status=VisitStatus.SCHEDULED),
            description="The technician has not confirmed the visit this long before its window starts.",
            threshold_label="before the window",
        ),
        Rule(
            key=RuleKey.NO_ON_THE_WAY,
            subject=V,
            anchor="window_start",
            sign=-1,
            unit=Unit.MINUTES,
            threshold=60,
            at_risk_minutes=15,
            pending=lambda: Q(status__in=[VisitStatus.SCHEDULED, VisitStatus.CONFIRMED]),
            description="No “on my way” this long before the window starts.",
            threshold_label="before the window",
            ladder=FAST_LADDER,
        ),
        Rule(
            key=RuleKey.NO_CHECK_IN,
            subject=V,
            anchor="checkin_due_by",
            sign=1,
            unit=Unit.MINUTES,
            threshold=0,
            at_risk_minutes=10,
            # A no-show is still "not checked in": only a check-in (or a cancellation) clears it.
            pending=lambda: Q(status__in=[*BEFORE_ARRIVAL, VisitStatus.NO_SHOW]),
            description="No check-in by the window start plus the program's grace (plus this extra time).",
            threshold_label="after window start + grace",
            ladder=FAST_LADDER,
        ),
        Rule(
            key=RuleKey.VISIT_OVERRUN,
            subject=V,
            anchor="checked_in_at",
            sign=1,
            unit=Unit.MINUTES,
            threshold=30,
            at_risk_minutes=15,
            pending=lambda: Q(status=VisitStatus.CHECKED_IN),
            description="Checked in longer than the packet's estimate plus this margin.",
            threshold_label="over the packet's estimate",
            extra_minutes_path="packet__snapshot__summary__estimated_minutes",
        ),
        Rule(
            key=RuleKey.PACKET_NOT_ACKNOWLEDGED,
            subject=V,
            anchor="window_start",
            sign=-1,
            unit=Unit.HOURS,
            threshold=48,
            at_risk_minutes=12 * 60,
            pending=_no_current_ack,
            description="The technician has not acknowledged the current packet this long before the visit.",
            threshold_label="before the window",
        ),
        Rule(
            key=RuleKey.MATERIALS_NOT_DELIVERED,
            subject=V,
            anchor="window_start",
            sign=-1,
            unit=Unit.HOURS,
            threshold=48,
            at_risk_minutes=12 * 60,
            pending=_undelivered_materials,
            description="A shipment of the work order is not delivered this long before the visit.",
            threshold_label="before the window",
        ),
        Rule(
            key=RuleKey.REVIEW_OVERDUE,
            subject=W,
            anchor="submitted_at",
            sign=1,
            unit=Unit.HOURS,
            threshold=24,
            at_risk_minutes=4 * 60,
            pending=lambda: Q(status=WorkOrderStatus.SUBMITTED),
            description="Submitted work not reviewed by QA within this time.",
            threshold_label="after submission",
        ),
        Rule(
            key=RuleKey.REWORK_OPEN,
            subject=W,
            anchor="rework_at",
            sign=1,
            unit=Unit.DAYS,
            threshold=7,
            at_risk_minutes=24 * 60,
            pending=lambda: Q(status=WorkOrderStatus.REWORK),
            description="A work order in rework longer than this.",
            threshold_label="in rework",
        ),
        Rule(
            key=RuleKey.NOT_READY,
            subject=W,
            anchor="planned_start",
            sign=-1,
            unit=Unit.DAYS,
            threshold=3,
            at_risk_minutes=24 * 60,
            pending=lambda: Q(status=WorkOrderStatus.DRAFT, planned_start__isnull=False),
            description="A work order still in draft (its readiness gates not passed) this long before its visit.",
            threshold_label="before the planned start",
        ),
        Rule(
            key=RuleKey.NO_SHOW,
            subject=V,
            anchor="no_show_at",
            sign=1,
            unit=None,
            threshold=0,
            at_risk_minutes=0,
            pending=lambda: Q(status=VisitStatus.NO_SHOW),
            description="The technician did not show up (the visit was marked no-show).",
            recent_days=7,
        ),
    )
}


def rule_get(key: str) -> Rule:
    return RULES[key]
