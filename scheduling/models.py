"""Schedule runs: a background computation proposing a wave's visits (or a chosen set of work orders') over a date
range, its proposals (one visit per work order: technician, day, window in the site's zone, order in the day, km)
and the work orders it left out with a reason. A run is computed by a durable job (rollout.jobs) and written in one
transaction; publishing books each proposal through the visit services and records the outcome on the row.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from rollout.tenancy import TenantModel
from scheduling.choices import PublishOutcome, RunStatus, UnscheduledReason


class ScheduleRun(TenantModel):
    Status = RunStatus

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey("programs.Wave", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    work_order_ids = models.JSONField(default=list, blank=True, help_text="The chosen work orders (empty: the wave).")
    date_from = models.DateField()
    date_to = models.DateField()
    seed = models.PositiveIntegerField(default=0)
    balance = models.DecimalField(max_digits=4, decimal_places=2, default=1.3)
    daily_max = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    time_limit = models.PositiveIntegerField(default=300, help_text="Seconds the computation may take.")
    job = models.ForeignKey("rollout.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.JSONField(default=dict, blank=True)
    stale = models.BooleanField(default=False, help_text="Work orders changed since the run: publishing is refused.")
    failure_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "program", "status"])]

    def __str__(self) -> str:
        return f"Schedule run {self.pk} ({self.status})"


class ScheduleProposal(TenantModel):
    """One proposed visit. `work_order_version` is the work order's version when the run read it (a later change
    makes the proposal stale); `visit` is set once it is booked (a re-publish skips it)."""

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="proposals")
    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="+")
    work_order_version = models.PositiveIntegerField()
    technician = models.ForeignKey("technicians.Technician", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The visit's day in the site's zone.")
    start_time = models.TimeField(help_text="Site's local time.")
    end_time = models.TimeField(help_text="Site's local time.")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    order = models.PositiveSmallIntegerField(help_text="Position in the technician's day.")
    km = models.DecimalField(max_digits=8, decimal_places=1, help_text="Travel to reach it.")
    visit = models.ForeignKey("workorders.Visit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    publish_outcome = models.CharField(max_length=10, choices=PublishOutcome.choices, blank=True)
    publish_code = models.CharField(max_length=60, blank=True)
    publish_message = models.TextField(blank=True)

    class Meta:
        ordering = ["technician_id", "day", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "work_order"], name="schedule_proposal_one_per_order")]

    def __str__(self) -> str:
        return f"{self.work_order_id} → {self.technician_id} on {self.day}"


class ScheduleUnscheduled(TenantModel):
    """A work order the run left out, with the reason as a code and in plain words."""

    run = models.ForeignKey(ScheduleRun, on_delete=models.CASCADE, related_name="unscheduled")
    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=UnscheduledReason.choices)
    message = models.TextField()

    class Meta:
        ordering = ["work_order_id", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "work_order"], name="schedule_unscheduled_one_per_order")]

    def __str__(self) -> str:
        return f"{self.work_order_id}: {self.reason}"


class CalendarFeed(TenantModel):
    """A technician's private calendar feed of their visits (iCalendar). The link carries a random token, shown once
    when made; only its SHA-256 is kept. A new link replaces the old one; turning the feed off deletes the row, so an
    old or revoked link is a 404."""

    technician = models.OneToOneField("technicians.Technician", on_delete=models.CASCADE, related_name="calendar_feed")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_read_at = models.DateTimeField(null=True, blank=True, help_text="When a calendar app last read the feed.")

    def __str__(self) -> str:
        return f"calendar feed of technician {self.technician_id}"
