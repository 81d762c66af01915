"""Field visits: one technician at one site in one time window, and what the visit records — the field actions
received from the phone (exactly once each), task results, photos and the site contact's sign-off.

A visit's status is a state machine (workorders.choices.VISIT_TRANSITIONS) on a protected field: only
the `to_<state>` transitions below move it, called from workorders.visits.services (which lock the row, check
the move, audit it and enqueue follow-up work). "Late" is never stored: it is derived from `checkin_due_by`
(window start + the program's check-in grace) and the clock.

Visibility: staff and integrators read every row of their organization; a technician only their own visits
(the visit's technician, linked to their user) and what hangs off them; a client viewer the visits of their
own client's programs, read-only. Photos and signatures live in private storage (MEDIA_ROOT/private), which
has no URL: views stream them after the same scoped lookup.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet
from sites.models import private_storage
from workorders.choices import (
    BEFORE_ARRIVAL,
    OPEN_VISIT_STATUSES,
    VISIT_TRANSITIONS,
    WORKED_STATUSES,
    IncompleteReason,
    LocationStatus,
    TaskResultStatus,
    VisitActionKind,
    VisitOutcome,
    VisitState,
    VisitStatus,
)

V = VisitStatus


def _sources(target: str) -> list[str]:
    """The states from which `target` may be entered, read from the one transition map."""
    return [str(source) for source, targets in VISIT_TRANSITIONS.items() if target in targets]


class VisitScopedQuerySet(TenantQuerySet):
    """Opens rows to technicians (their own visits) and client viewers (their client's programs), through
    `visit_path` (the path from the row to its visit; empty for the visit itself)."""

    visit_path = "visit__"

    def visible_to(self, access):
        if access.role == Role.TECHNICIAN:
            scoped = self.for_organization(access.organization)
            if access.user is None:
                return scoped.none()
            return scoped.filter(**{f"{self.visit_path}technician__user_id": access.user.pk})
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            if not access.client_id:
                return scoped.none()
            return scoped.filter(**{f"{self.visit_path}work_order__program__client_id": access.client_id})
        return super().visible_to(access)


class VisitQuerySet(VisitScopedQuerySet):
    visit_path = ""

    def with_summary(self) -> VisitQuerySet:
        """Work order, program, site and technician in the same query (for lists and the board)."""
        return self.select_related("work_order", "work_order__program", "work_order__site", "technician")

    def open(self) -> VisitQuerySet:
        return self.filter(status__in=OPEN_VISIT_STATUSES)

    def late(self, now=None) -> VisitQuerySet:
        """Not checked in although the check-in deadline (window start + grace) has passed."""
        return self.filter(status__in=BEFORE_ARRIVAL, checkin_due_by__lt=now or timezone.now())


class Visit(FSMModelMixin, TenantModel):
    """One technician at one work order's site in one time window (stored in UTC, shown in the site's zone).

    `sequence` 1 is the first visit of the work order that was worked; a visit after one that ended incomplete
    carries the next number and points to it (`follow_up_of`). A work order has at most one open visit. The
    packet is the version the visit works from, fixed at check-in.
    """

    Status = VisitStatus

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.PROTECT, related_name="visits")
    technician = models.ForeignKey("technicians.Technician", on_delete=models.PROTECT, related_name="visits")
    sequence = models.PositiveSmallIntegerField(default=1, help_text="1 = the first visit of the work order.")
    follow_up_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
        help_text="The previous visit, when it ended incomplete.",
    )
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    local_date = models.DateField(help_text="The day of window_start in the site's time zone (for day views).")
    checkin_due_by = models.DateTimeField(help_text="window_start + the program's check-in grace: late after it.")
    status = FSMField(max_length=20, choices=VisitStatus.choices, default=V.SCHEDULED, protected=True)
    packet = models.ForeignKey(
        "workorders.Packet",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text="The packet version the visit works from (the current one at check-in).",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    on_the_way_at = models.DateTimeField(null=True, blank=True)
    # Check-in: the server's clock, the phone's clock and where the phone was.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    check_in_device_time = models.DateTimeField(null=True, blank=True)
    check_in_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_accuracy_m = models.FloatField(null=True, blank=True)
    location_status = models.CharField(max_length=12, choices=LocationStatus.choices, blank=True)
    check_in_distance_m = models.PositiveIntegerField(null=True, blank=True, help_text="From the site's coordinates.")
    check_in_flagged = models.BooleanField(default=False, help_text="Checked in outside the program's geofence.")
    # Check-out.
    checked_out_at = models.DateTimeField(null=True, blank=True)
    check_out_device_time = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=12, choices=VisitOutcome.choices, blank=True)
    incomplete_reason = models.CharField(max_length=20, choices=IncompleteReason.choices, blank=True)
    check_out_note = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Grows with every change (notices are sent once).")
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["window_start", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gt=models.F("window_start")), name="visit_window"),
            models.UniqueConstraint(
                fields=["organization", "work_order"],
                condition=Q(status__in=sorted(s.value for s in OPEN_VISIT_STATUSES)),
                name="visit_one_open_per_work_order",
            ),
            models.UniqueConstraint(
                fields=["organization", "work_order", "sequence"],
                condition=Q(status__in=sorted(s.value for s in OPEN_VISIT_STATUSES | WORKED_STATUSES)),
                name="visit_sequence_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "local_date"]),
            models.Index(fields=["organization", "technician", "window_start"]),
            models.Index(fields=["organization", "work_order", "sequence"]),
            models.Index(fields=["organization", "status", "checkin_due_by"]),
        ]

    def __str__(self) -> str:
        return f"visit {self.sequence} of work order {self.work_order_id}"

    def state_at(self, now) -> str:
        """The board's state: the status, or "late" when not checked in by the check-in deadline."""
        if self.status in BEFORE_ARRIVAL and self.checkin_due_by < now:
            return VisitState.LATE
        return str(self.status)

    @property
    def state(self) -> str:
        return self.state_at(timezone.now())

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VISIT_STATUSES

    # One transition per target state; the sources come from VISIT_TRANSITIONS.
    @transition(field=status, source=_sources(V.SCHEDULED), target=V.SCHEDULED)
    def to_scheduled(self) -> None:
        """Moved or reassigned before arrival: the technician confirms the new plan again."""
        self.confirmed_at = self.on_the_way_at = None

    @transition(field=status, source=_sources(V.CONFIRMED), target=V.CONFIRMED)
    def to_confirmed(self) -> None:
        self.confirmed_at = timezone.now()

    @transition(field=status, source=_sources(V.ON_THE_WAY), target=V.ON_THE_WAY)
    def to_on_the_way(self) -> None:
        self.on_the_way_at = timezone.now()

    @transition(field=status, source=_sources(V.CHECKED_IN), target=V.CHECKED_IN)
    def to_checked_in(self) -> None:
        self.checked_in_at = timezone.now()

    @transition(field=status, source=_sources(V.CHECKED_OUT), target=V.CHECKED_OUT)
    def to_checked_out(self) -> None:
        self.checked_out_at = timezone.now()

    @transition(field=status, source=_sources(V.CANCELLED), target=V.CANCELLED)
    def to_cancelled(self, reason: str = "") -> None:
        self.cancelled_at = timezone.now()
        self.cancel_reason = reason

    @transition(field=status, source=_sources(V.NO_SHOW), target=V.NO_SHOW)
    def to_no_show(self) -> None:
        self.no_show_at = timezone.now()


class VisitAction(TenantModel):
    """One field action received for a visit, recorded once per (visit, client action id): the exactly-once
    record. A resend with the same id finds it and changes nothing. Keeps the phone's clock and the arrival time."""

    Kind = VisitActionKind

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="actions")
    client_action_id = models.CharField(max_length=64, help_text="Generated on the phone (a UUID).")
    kind = models.CharField(max_length=20, choices=VisitActionKind.choices)
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    payload = models.JSONField(default=dict, blank=True, help_text="What was sent (files by name and size).")
    result = models.JSONField(default=dict, blank=True, help_text="What the action did (status, ids).")
    actor_label = models.CharField(max_length=200, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = VisitScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit_id", "received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "visit", "client_action_id"], name="visit_action_once_per_client_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.client_action_id} on visit {self.visit_id}"


class TaskResult(TenantModel):
    """The outcome of one packet task on one visit (done / not done with a reason / not applicable) with its
    evidence values. One per (visit, task); a later result for the same task replaces it."""

    Status = TaskResultStatus

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="task_results")
    task_key = models.CharField(max_length=80)
    status = models.CharField(max_length=16, choices=TaskResultStatus.choices)
    reason = models.TextField(blank=True)
    serial = models.CharField(max_length=100, blank=True)
    serial_duplicate = models.BooleanField(
        default=False, help_text="The serial was already recorded on another work order of the program."
    )
    measurement = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    note = models.TextField(blank=True)
    device_time = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "visit", "task_key"], name="task_result_once_per_task"),
        ]
        indexes = [models.Index(fields=["organization", "serial"])]

    def __str__(self) -> str:
        return f"{self.task_key}: {self.status}"


def visit_photo_upload_to(instance: VisitPhoto, filename: str) -> str:
    # A random name: nothing about the path can be guessed, and no URL serves it anyway.
    return f"visit-photos/{instance.organization_id}/{instance.visit_id}/{uuid.uuid4().hex}.jpg"


def visit_thumbnail_upload_to(instance: VisitPhoto, filename: str) -> str:
    return f"visit-photos/{instance.organization_id}/{instance.visit_id}/{uuid.uuid4().hex}-thumb.jpg"


def visit_signature_upload_to(instance: VisitSignOff, filename: str) -> str:
    return f"visit-signatures/{instance.organization_id}/{instance.visit_id}/{uuid.uuid4().hex}.png"


class VisitPhoto(TenantModel):
    """A photo taken for one task of a visit: validated, re-encoded to JPEG (no metadata left in the file),
    with a 320 px thumbnail; the camera's time and position read from EXIF are kept as data."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    task_key = models.CharField(max_length=80)
    file = models.FileField(upload_to=visit_photo_upload_to, storage=private_storage, max_length=255)
    thumbnail = models.FileField(upload_to=visit_thumbnail_upload_to, storage=private_storage, max_length=255)
    content_type = models.CharField(max_length=40, default="image/jpeg", help_text="Of the stored file.")
    original_format = models.CharField(max_length=10, help_text="JPEG, PNG or WEBP, as uploaded.")
    original_name = models.CharField(max_length=200, blank=True)
    size = models.PositiveIntegerField(help_text="Bytes of the stored file.")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, help_text="Of the uploaded bytes (the same upload is stored once).")
    exif_taken_at = models.DateTimeField(null=True, blank=True)
    exif_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    exif_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    device_time = models.DateTimeField(null=True, blank=True)
    uploaded_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisitScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit_id", "task_key", "created_at", "id"]
        indexes = [models.Index(fields=["organization", "visit", "task_key"])]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.task_key} (visit {self.visit_id})"


class VisitSignOff(TenantModel):
    """The site contact's sign-off of a visit: their name and drawn signature (PNG, private storage)."""

    visit = models.OneToOneField(Visit, on_delete=models.CASCADE, related_name="sign_off")
    name = models.CharField(max_length=150)
    signature = models.FileField(upload_to=visit_signature_upload_to, storage=private_storage, max_length=255)
    size = models.PositiveIntegerField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(help_text="Server time the sign-off arrived.")
    device_time = models.DateTimeField(null=True, blank=True)

    objects = VisitScopedQuerySet.as_manager()

    class Meta:
        ordering = ["visit_id"]

    def __str__(self) -> str:
        return f"sign-off of visit {self.visit_id} by {self.name}"
