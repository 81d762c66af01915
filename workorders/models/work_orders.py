"""Work orders (one program's work at one site) and the per-program counter their numbers come from.

A work order's status is a state machine (see workorders.choices.WORK_ORDER_TRANSITIONS): the field is
protected, so no route — service, API, admin form or shell — can assign it directly; only the
`to_<state>` transitions below move it, and only the services in workorders.services call them (they lock
the row, check the move, audit it and enqueue follow-up work). Client-role members read the work orders of
their own client's programs only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from programs.models import ProgramChildQuerySet
from rollout.tenancy import TenantModel, TenantQuerySet
from workorders.choices import (
    OPEN_STATUSES,
    REVIEW_ONLY_MOVES,
    STATUS_TIMESTAMP_FIELDS,
    WORK_ORDER_TRANSITIONS,
    WorkOrderStatus,
)

S = WorkOrderStatus


def _sources(target: str) -> list[str]:
    """The states from which `target` may be entered, read from the one transition map."""
    return [str(source) for source, targets in WORK_ORDER_TRANSITIONS.items() if target in targets]


class WorkOrderQuerySet(ProgramChildQuerySet):
    def open(self) -> WorkOrderQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def with_summary(self) -> WorkOrderQuerySet:
        """Program, site, client, wave and technician in the same query (for lists)."""
        return self.select_related(
            "program", "program__client", "site", "enrollment", "enrollment__wave", "technician", "sow"
        )


class WorkOrderNumberSequence(TenantModel):
    """The last number handed out for one program's work orders. Locked row = safe under concurrency."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    last_value = models.PositiveIntegerField(default=0)

    objects = TenantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "program"], name="work_order_sequence_per_program"),
        ]

    def __str__(self) -> str:
        return f"program {self.program_id}: {self.last_value}"


class WorkOrder(FSMModelMixin, TenantModel):
    """One program's work at one enrolled site, with its human-friendly number (e.g. SCO-2026-000123).

    One per (program, site). `version` grows by one with every change (optimistic concurrency: callers may
    pass the version they saw). Planned times are stored in UTC and shown in the site's time zone.
    """

    Status = WorkOrderStatus

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="work_orders")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="work_orders")
    # The enrollment it was created from. Removing a site from a program keeps its work order (history);
    # the link is then empty.
    enrollment = models.OneToOneField(
        "programs.Enrollment", null=True, blank=True, on_delete=models.SET_NULL, related_name="work_order"
    )
    number = models.CharField(max_length=64, help_text="Program code and a sequence, unique in the organization.")
    sequence = models.PositiveIntegerField()
    status = FSMField(max_length=20, choices=WorkOrderStatus.choices, default=S.DRAFT, protected=True)
    sow = models.ForeignKey(
        "programs.Sow",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_orders",
        help_text="The approved SOW version this work order follows.",
    )
    technician = models.ForeignKey(
        "technicians.Technician", null=True, blank=True, on_delete=models.PROTECT, related_name="work_orders"
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    site_contact_confirmed_at = models.DateTimeField(null=True, blank=True)
    site_contact_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    site_contact_confirmed_by_label = models.CharField(max_length=200, blank=True)
    site_contact_note = models.CharField(max_length=500, blank=True)
    # gate → {"reason", "by_label", "by_user_id", "at"}: readiness gates a PM or admin chose to pass.
    gate_overrides = models.JSONField(default=dict, blank=True)
    cancel_reason = models.TextField(blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    rework_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkOrderQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "sequence", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "number"], name="work_order_number_unique"),
            models.UniqueConstraint(fields=["organization", "program", "site"], name="work_order_one_per_site"),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_end__gt=models.F("planned_start")),
                name="work_order_planned_window",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "status"]),
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["organization", "technician", "planned_start"]),
            models.Index(fields=["organization", "planned_start"]),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def allowed_moves(self) -> list[str]:
        """The states this work order may move to next by a transition, in the order of the status choices (moves
        only a QA review makes are left out: see REVIEW_ONLY_MOVES)."""
        targets = WORK_ORDER_TRANSITIONS.get(self.status, frozenset())
        return [value for value in S.values if value in targets and (self.status, value) not in REVIEW_ONLY_MOVES]

    def _entered(self, target: str) -> None:
        setattr(self, STATUS_TIMESTAMP_FIELDS[target], timezone.now())

    # One transition per target state; the sources come from WORK_ORDER_TRANSITIONS.
    @transition(field=status, source=_sources(S.DRAFT), target=S.DRAFT)
    def to_draft(self) -> None:
        self.ready_at = None

    @transition(field=status, source=_sources(S.READY), target=S.READY)
    def to_ready(self) -> None:
        self._entered(S.READY)
        if self.status == S.SCHEDULED:  # unscheduled (the body runs before the state changes): the window goes
            self.planned_start = self.planned_end = None
            self.scheduled_at = None

    @transition(field=status, source=_sources(S.SCHEDULED), target=S.SCHEDULED)
    def to_scheduled(self) -> None:
        self._entered(S.SCHEDULED)

    @transition(field=status, source=_sources(S.DISPATCHED), target=S.DISPATCHED)
    def to_dispatched(self) -> None:
        self._entered(S.DISPATCHED)

    @transition(field=status, source=_sources(S.IN_PROGRESS), target=S.IN_PROGRESS)
    def to_in_progress(self) -> None:
        self._entered(S.IN_PROGRESS)

    @transition(field=status, source=_sources(S.SUBMITTED), target=S.SUBMITTED)
    def to_submitted(self) -> None:
        self._entered(S.SUBMITTED)

    @transition(field=status, source=_sources(S.ACCEPTED), target=S.ACCEPTED)
    def to_accepted(self) -> None:
        self._entered(S.ACCEPTED)

    @transition(field=status, source=_sources(S.REWORK), target=S.REWORK)
    def to_rework(self) -> None:
        """A return visit will be needed: its window, site confirmation and gate overrides start afresh."""
        self._entered(S.REWORK)
        self.planned_start = self.planned_end = None
        self.site_contact_confirmed_at = None
        self.site_contact_confirmed_by = None
        self.site_contact_confirmed_by_label = ""
        self.gate_overrides = {}

    @transition(field=status, source=_sources(S.CLOSED), target=S.CLOSED)
    def to_closed(self) -> None:
        self._entered(S.CLOSED)

    @transition(field=status, source=_sources(S.CANCELLED), target=S.CANCELLED)
    def to_cancelled(self, reason: str = "") -> None:
        self._entered(S.CANCELLED)
        self.cancel_reason = reason

    def move_to(self, target: str, *, reason: str = "") -> None:
        """Apply the transition into `target` (raises django_fsm.TransitionNotAllowed for an illegal move)."""
        method = getattr(self, f"to_{target}")
        if target == S.CANCELLED:
            method(reason=reason)
        else:
            method()
