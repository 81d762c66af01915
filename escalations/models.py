"""SLA rules (the organization's policy and per-program overrides), the escalations they raise, and each
escalation's timeline.

An escalation row is one level of one rule's breach episode on one object (a visit or a work order): level 1
goes to the first role of the rule's ladder, and each climb adds the next level as a new row (the lower one
stays, no longer `current`). An episode is keyed by its `occurrence`, the rule's anchor when it breached (the
window start, the check-in deadline, the submission time…): a visit rescheduled to a new window that misses
again is a new episode and escalates again. Each (rule, object, occurrence, level) exists at most once — a
database constraint, so two sweeps racing can never raise the same level of an episode twice. Rows are written
by escalations.sweep (raise, climb, auto-resolve) and by escalations.services (acknowledge, assign, snooze,
resolve).

Visibility: staff and integrators read every row of their organization; a client viewer the client-visible
escalations of their own client's programs; technicians none.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from escalations.choices import EscalationState, LadderRole, RuleKey, SubjectType, TimelineKind
from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class SlaRule(TenantModel):
    """One rule of the SLA policy: the organization's (program empty) or a program's override of it (the whole
    rule replaced). A rule without a row uses the defaults of escalations.rules.

    `threshold` is in the rule's unit (escalations.rules); `ladder` is [{"role": ..., "delay_minutes": ...}], the
    first level's delay 0, each next one the wait after the previous level was raised without acknowledgement."""

    program = models.ForeignKey(
        "programs.Program", null=True, blank=True, on_delete=models.CASCADE, related_name="sla_rules"
    )
    rule = models.CharField(max_length=40, choices=RuleKey.choices)
    enabled = models.BooleanField(default=True)
    threshold = models.IntegerField(default=0)
    at_risk_minutes = models.IntegerField(default=0, help_text="Warn this long before the breach (0: no warning).")
    ladder = models.JSONField(default=list)
    client_visible = models.BooleanField(default=False)
    updated_by_label = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "rule", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rule"], condition=Q(program__isnull=True), name="sla_rule_once_per_org"
            ),
            models.UniqueConstraint(
                fields=["organization", "program", "rule"],
                condition=Q(program__isnull=False),
                name="sla_rule_once_per_program",
            ),
            models.CheckConstraint(
                condition=Q(threshold__gte=0) & Q(at_risk_minutes__gte=0), name="sla_rule_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule} ({self.program_id or 'organization'})"


class EscalationQuerySet(TenantQuerySet):
    """Opens client-visible rows of their own client's programs to client viewers; closed to technicians."""

    escalation_path = ""

    def visible_to(self, access):
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            if not access.client_id:
                return scoped.none()
            return scoped.filter(
                **{
                    f"{self.escalation_path}program__client_id": access.client_id,
                    f"{self.escalation_path}client_visible": True,
                }
            )
        return super().visible_to(access)

    def current(self) -> EscalationQuerySet:
        """The rows that stand for their breach now: the highest level raised of each (rule, object, occurrence)."""
        return self.filter(current=True)

    def open(self) -> EscalationQuerySet:
        """Raised and not acknowledged or resolved (the navigation's badge)."""
        return self.filter(current=True, state=EscalationState.OPEN)

    def with_summary(self) -> EscalationQuerySet:
        return self.select_related(
            "work_order", "work_order__site", "visit", "program", "assignee", "acknowledged_by", "resolved_by"
        )


class Escalation(TenantModel):
    """One level of one SLA rule's breach (or at-risk warning) on one visit or work order.

    `occurrence` is the rule's anchor on the object when this episode began (escalations.rules: `Rule.anchor`,
    e.g. the visit's window start); a threshold changed in the policy moves `breach_at` but not the episode.
    `breach_at` is when the rule is (or was) breached; `raised_at` when the sweep raised it (empty while only at
    risk); `time_to_resolve` runs from raised (or warned) to resolved. `sweep_token` marks the rows one sweep step
    wrote, so that the sweep emits events for its own writes only."""

    State = EscalationState

    rule = models.CharField(max_length=40, choices=RuleKey.choices)
    subject_type = models.CharField(max_length=20, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="+")
    visit = models.ForeignKey("workorders.Visit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    occurrence = models.DateTimeField(help_text="The rule's anchor on the object: which breach episode this is.")
    level = models.PositiveSmallIntegerField(default=1)
    level_role = models.CharField(max_length=20, choices=LadderRole.choices)
    current = models.BooleanField(default=True, help_text="The highest level of this breach (lower ones climbed).")
    state = models.CharField(max_length=20, choices=EscalationState.choices, default=EscalationState.OPEN)
    client_visible = models.BooleanField(default=False)
    breach_at = models.DateTimeField()
    warned_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_by_label = models.CharField(max_length=200, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_reason = models.CharField(max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by_label = models.CharField(max_length=200, blank=True)
    auto_resolved = models.BooleanField(default=False)
    resolution_note = models.TextField(blank=True)
    time_to_resolve = models.DurationField(null=True, blank=True)
    sweep_token = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EscalationQuerySet.as_manager()

    class Meta:
        ordering = ["-breach_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "rule", "subject_type", "subject_id", "occurrence", "level"],
                name="escalation_once_per_episode_level",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "current", "state"]),
            models.Index(fields=["organization", "work_order"]),
            models.Index(fields=["organization", "visit"]),
            models.Index(fields=["organization", "sweep_token"]),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on {self.subject_type} {self.subject_id}, level {self.level}"

    @property
    def is_resolved(self) -> bool:
        return self.state == EscalationState.RESOLVED

    @property
    def time_to_resolve_text(self) -> str:
        if self.time_to_resolve is None:
            return ""
        minutes = self.time_to_resolve.total_seconds() / 60
        if minutes < 90:
            return f"{minutes:.0f} min"
        return f"{minutes / 60:.1f} h" if minutes < 48 * 60 else f"{minutes / 1440:.1f} d"

    @property
    def started_at(self):
        return self.raised_at or self.warned_at or self.created_at


class EscalationEventQuerySet(EscalationQuerySet):
    escalation_path = "escalation__"


class EscalationEvent(TenantModel):
    """One line of an escalation's timeline: warned, raised, climbed, acknowledged, assigned, snoozed, resolved."""

    Kind = TimelineKind

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=TimelineKind.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)

    objects = EscalationEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["organization", "escalation"])]

    def __str__(self) -> str:
        return f"{self.kind} of escalation {self.escalation_id}"
