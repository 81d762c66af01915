"""Durable background jobs: one row per job, one row per item of work (rollout.jobs runs them).

A job is a piece of long background work of one organization (a bulk packet generation, a site import's
commit, …) split into items. An item's row is marked done in the same transaction as the item's work, so
the progress counts only finished work and a re-run never does an item twice. A worker claims one item at
a time under a lease (`lease_expires_at`); a claim whose worker died expires and the item is claimed again,
at most `max_attempts` times. The job's `heartbeat_at` moves whenever a worker claims or finishes an item;
the sweep (rollout.jobs.jobs_sweep) re-queues jobs whose heartbeat stopped and fails them with a reason
when nothing moves any more.
"""

from __future__ import annotations

from django.db import models

from rollout.tenancy import TenantModel


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class JobItemStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class Job(TenantModel):
    """One durable background job of an organization: its kind, status, totals, lease and failure reason."""

    Status = JobStatus

    kind = models.CharField(max_length=60, help_text="The registered kind (rollout.jobs.JobKind.name).")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0, help_text="Items in the job.")
    done_count = models.PositiveIntegerField(default=0, help_text="Items finished (failed ones included).")
    failed_count = models.PositiveIntegerField(default=0)
    time_limit = models.PositiveIntegerField(help_text="Seconds one item may take before its claim expires.")
    max_attempts = models.PositiveSmallIntegerField(default=3, help_text="Claims of one item before it fails.")
    requeue_count = models.PositiveSmallIntegerField(
        default=0, help_text="Times the sweep re-queued the job since an item last finished."
    )
    lease_owner = models.CharField(max_length=64, blank=True, help_text="The task finishing the job, if any.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(help_text="Last time a worker claimed or finished an item.")
    failure_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"], name="job_open_by_heartbeat"),
            models.Index(fields=["organization", "kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status}, {self.done_count}/{self.total})"

    @property
    def is_open(self) -> bool:
        return self.status in (JobStatus.QUEUED, JobStatus.RUNNING)


class JobItem(TenantModel):
    """One item of a job (`ref` names it: a work order id, an import id…); done or failed exactly once."""

    Status = JobItemStatus

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    ref = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=JobItemStatus.choices, default=JobItemStatus.PENDING)
    claimed_by = models.CharField(max_length=64, blank=True, help_text="The task delivery working on it.")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed it.")
    outcome = models.CharField(max_length=20, blank=True, help_text="What the kind says happened (issued, …).")
    message = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="What the work recorded so far (per kind).")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "job", "ref"], name="job_item_once_per_ref"),
        ]
        indexes = [models.Index(fields=["job", "status", "position"], name="job_item_next")]

    def __str__(self) -> str:
        return f"item {self.ref} of job {self.job_id} ({self.status})"
