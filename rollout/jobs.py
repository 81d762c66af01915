"""Durable background jobs: long work that survives a dead worker, without doing any item twice.

How to put background work on it (docs/architecture.md tells the whole story):

1. Register a `JobKind` at import time of the app's services (`job_kind_register`), with `run_item(job, item)`
   doing ONE item's work and calling `job_item_finish(...)` inside the transaction that writes it.
2. Create the job with `job_create(organization=..., kind=..., refs=[...])` inside the request's transaction:
   the items are written and the runner task (`rollout.job_run`) is enqueued on commit.
3. Optionally `started`, `finish`, `settle` and `item_failed` hooks keep the app's own row in step (in the
   same transactions as the job's).

What the mechanism guarantees:
- Progress counts finished items only: `done_count` moves in the transaction that marks an item done,
  which is the transaction of the item's own work.
- An item is finished once: `job_item_finish` marks a PENDING row only and raises `JobItemAlreadyFinished`
  otherwise, which rolls the caller's work back. A redelivered task (same task id) takes back its own claims
  at once; another worker takes a claim only when its lease (`job.time_limit` seconds) expired. An item
  claimed `max_attempts` times without finishing (its worker killed every time) fails with that reason.
- The task's soft time limit inside an item gives its claim back at once (the item's work rolled back) and hands
  over to a continuation; an item stopped there `max_attempts` times fails with that reason.
- An item may add items to its job (`job_items_add`, in its transaction): a job that learns its work as it goes.
- `jobs_sweep` (a beat entry) re-queues open jobs whose heartbeat stopped for longer than their time limit,
  and fails them with a reason after `JOB_MAX_REQUEUES` re-queues without progress. App sweepers (e.g.
  packets stuck rendering) register with `job_sweeper_register`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from rollout.models import Job, JobItem, JobItemStatus, JobStatus
from rollout.tenancy import organization_id_of

logger = logging.getLogger(__name__)


class JobItemAlreadyFinished(Exception):
    """The item was finished by another delivery: roll this delivery's work for it back."""


@dataclass(frozen=True)
class JobKind:
    """What one kind of job does. Hooks run in the worker; every hook but `finish` runs inside a transaction
    that also writes the job's own row, so an app's row and the job never disagree."""

    name: str
    run_item: Callable[[Job, JobItem], None]  # one item's work; calls job_item_finish in its transaction
    time_limit: int = 120  # seconds one item may take (its claim's lease)
    max_attempts: int = 3
    chains: int = 1  # task chains working side by side on one job
    started: Callable[[Job], None] | None = None  # in the transaction that marks the job running
    item_failed: Callable[[Job, JobItem, str], None] | None = None  # when the mechanism fails an item
    finish: Callable[[Job], str | None] | None = None  # after the last item, outside a transaction;
    # returns a failure reason or None; must be safe to run twice (a finisher may die half-way)
    settle: Callable[[Job], None] | None = None  # in the transaction that closes the job (done or failed)


@dataclass(frozen=True)
class JobSweeper:
    """An app's own recovery of work stuck outside jobs (e.g. a packet stuck rendering)."""

    name: str
    stuck: Callable[[datetime], int]  # how many things are stuck now (for /healthz)
    sweep: Callable[[datetime], dict]  # recover them; returns what it did, for the log


KINDS: dict[str, JobKind] = {}
SWEEPERS: dict[str, JobSweeper] = {}


def job_kind_register(kind: JobKind) -> JobKind:
    """Make a kind runnable (idempotent: modules may be imported twice)."""
    KINDS[kind.name] = kind
    return kind


def job_sweeper_register(sweeper: JobSweeper) -> JobSweeper:
    SWEEPERS[sweeper.name] = sweeper
    return sweeper


def job_kind_get(name: str) -> JobKind:
    """The registered kind (apps register theirs when Django starts: their AppConfig.ready imports them)."""
    return KINDS[name]


# --- Creating -------------------------------------------------------------------------------------------


def job_create(*, organization, kind: str, refs: list[int], time_limit: int | None = None) -> Job:
    """Write a job and its items (in the caller's transaction) and start it after commit.

    `refs` name the items in the order they should run; each is done at most once."""
    spec = job_kind_get(kind)
    organization_id = organization_id_of(organization)
    now = timezone.now()
    job = Job.objects.create(
        organization_id=organization_id,
        kind=kind,
        total=len(refs),
        time_limit=time_limit or spec.time_limit,
        max_attempts=spec.max_attempts,
        heartbeat_at=now,
    )
    JobItem.objects.bulk_create(
        [JobItem(organization_id=organization_id, job=job, position=n, ref=ref) for n, ref in enumerate(refs)],
        batch_size=1000,
    )
    job_enqueue(job, chains=min(spec.chains, max(len(refs), 1)))
    return job


def job_enqueue(job: Job, *, chains: int = 1) -> None:
    """Enqueue `chains` runner tasks for the job after the current transaction commits."""
    from rollout.tasks import job_run_task

    for _ in range(chains):
        job_run_task.delay_on_commit(organization_id=job.organization_id, job_id=job.pk)


# --- Finishing one item (called by a kind inside the transaction of the item's work) --------------------


def job_item_finish(
    item: JobItem, *, outcome: str = "done", failed: bool = False, message: str = "", result: dict | None = None
) -> None:
    """Mark the item done (or failed) and count it on its job, in the caller's transaction (the item's
    work). Raises JobItemAlreadyFinished when another delivery finished it first: the caller's work rolls back.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("job_item_finish must run inside the transaction of the item's work")
    now = timezone.now()
    changes = {
        "status": JobItemStatus.FAILED if failed else JobItemStatus.DONE,
        "outcome": outcome[:20],
        "message": message,
        "finished_at": now,
        "claimed_by": "",
        "lease_expires_at": None,
    }
    if result is not None:
        changes["result"] = result
    if not JobItem.objects.filter(pk=item.pk, status=JobItemStatus.PENDING).update(**changes):
        raise JobItemAlreadyFinished(item.pk)
    Job.objects.filter(pk=item.job_id).update(
        done_count=F("done_count") + 1,
        failed_count=F("failed_count") + (1 if failed else 0),
        heartbeat_at=now,
        requeue_count=0,
    )
    item.status, item.outcome, item.message = changes["status"], changes["outcome"], message


def job_item_note(item: JobItem, result: dict) -> None:
    """Record what an item's work did so far (e.g. the packet it issued), in the caller's transaction, so a
    re-run after a crash knows it. Only while the item is pending."""
    JobItem.objects.filter(pk=item.pk, status=JobItemStatus.PENDING).update(result=result)
    item.result = result


def job_items_add(item: JobItem, refs: list[int]) -> None:
    """Add items to the item's job, in the caller's transaction (the item's work): a job that learns its work as
    it goes, e.g. an import that finds its rows by reading the file, adds them with the item that read it. They
    run after the items already there, and the job's total grows in the same transaction. Refs must be new."""
    if not connection.in_atomic_block:
        raise RuntimeError("job_items_add must run inside the transaction of the item's work")
    if not refs:
        return
    last = JobItem.objects.filter(job_id=item.job_id).aggregate(last=Max("position"))["last"]
    start = 0 if last is None else last + 1
    JobItem.objects.bulk_create(
        [
            JobItem(organization_id=item.organization_id, job_id=item.job_id, position=start + n, ref=ref)
            for n, ref in enumerate(refs)
        ],
        batch_size=1000,
    )
    Job.objects.filter(pk=item.job_id).update(total=F("total") + len(refs))


def _fail_item(job: Job, spec: JobKind, item: JobItem, message: str) -> None:
    try:
        with transaction.atomic():
            job_item_finish(item, outcome="failed", failed=True, message=message)
            if spec.item_failed:
                spec.item_failed(job, item, message)
    except JobItemAlreadyFinished:
        pass


# --- Running (the task rollout.job_run calls this) ------------------------------------------------------


def _start(organization_id: int, job_id: int, spec: JobKind) -> Job | None:
    with transaction.atomic():
        job = Job.objects.for_organization(organization_id).select_for_update().filter(pk=job_id).first()
        if job is None or not job.is_open:
            return None
        if job.status == JobStatus.QUEUED:
            job.status, job.started_at, job.heartbeat_at = JobStatus.RUNNING, timezone.now(), timezone.now()
            job.save(update_fields=["status", "started_at", "heartbeat_at"])
            if spec.started:
                spec.started(job)
        return job


def _claim(job: Job, token: str) -> JobItem | None:
    """Take the next pending item: unclaimed, claimed by this very delivery (a redelivered task), or whose
    claim expired. One conditional UPDATE per candidate, so two workers never hold the same claim."""
    while True:
        now = timezone.now()
        claimable = Q(claimed_by="") | Q(claimed_by=token) | Q(lease_expires_at__lt=now)
        candidate = (
            JobItem.objects.filter(job_id=job.pk, status=JobItemStatus.PENDING)
            .filter(claimable)
            .order_by("position")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        taken = (
            JobItem.objects.filter(pk=candidate, status=JobItemStatus.PENDING)
            .filter(claimable)
            .update(
                claimed_by=token,
                lease_expires_at=now + timedelta(seconds=job.time_limit),
                attempts=F("attempts") + 1,
            )
        )
        if taken:
            Job.objects.filter(pk=job.pk).update(heartbeat_at=now)
            return JobItem.objects.get(pk=candidate)


def job_run(*, organization_id: int, job_id: int, token: str, budget_seconds: float | None = None) -> bool:
    """Work on a job's items one by one for about `budget_seconds`, then return True if the caller should
    enqueue a continuation (so no task runs long). When no item is left, finish the job (once). Safe to run
    any number of times, side by side or after a crash."""
    kind_name = Job.objects.for_organization(organization_id).filter(pk=job_id).values_list("kind", flat=True).first()
    if kind_name is None:
        return False
    spec = job_kind_get(kind_name)
    job = _start(organization_id, job_id, spec)
    if job is None:
        return False
    budget = settings.JOB_RUN_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    deadline = time.monotonic() + budget
    item = None
    try:
        while True:
            item = _claim(job, token)
            if item is None:
                break
            if item.attempts > job.max_attempts:
                _fail_item(
                    job,
                    spec,
                    item,
                    f"The worker stopped {item.attempts - 1} times while working on this item "
                    "(killed, out of memory or over its time limit); it was not tried again.",
                )
                continue
            try:
                spec.run_item(job, item)
            except JobItemAlreadyFinished:
                pass
            except SoftTimeLimitExceeded:
                raise  # this task is out of time: see below
            except Exception as error:  # one item's unexpected failure must not stop the others
                logger.exception("Job %s (%s): item %s failed", job.pk, job.kind, item.ref)
                _fail_item(job, spec, item, f"Unexpected error: {type(error).__name__}: {error}")
            else:
                if JobItem.objects.filter(pk=item.pk, status=JobItemStatus.PENDING).exists():
                    _fail_item(job, spec, item, "The work ended without recording a result.")
            if time.monotonic() >= deadline:
                return True
        if JobItem.objects.filter(job_id=job.pk, status=JobItemStatus.PENDING).exists():
            return False  # another delivery holds the last claims; it finishes the job (or the sweep re-queues)
        _finish(job, spec, token)
    except SoftTimeLimitExceeded:
        _out_of_time(job, spec, item, token)
        return True
    return False


def _out_of_time(job: Job, spec: JobKind, item: JobItem | None, token: str) -> None:
    """The task's soft time limit struck (in an item, its work rolled back with its transaction): give back what
    this delivery holds now rather than when its lease expires, so that the continuation goes on at once. The
    item is tried again, or failed with the reason on its last attempt; a finish it held is released."""
    logger.warning("Job %s (%s): the task's soft time limit struck (item %s)", job.pk, job.kind, item and item.ref)
    if item is not None:
        if item.attempts >= job.max_attempts:
            _fail_item(
                job,
                spec,
                item,
                f"The item ran past the task's time limit {item.attempts} times; it was not tried again.",
            )
        else:
            JobItem.objects.filter(pk=item.pk, status=JobItemStatus.PENDING, claimed_by=token).update(
                claimed_by="",
                lease_expires_at=None,
                message=f"Stopped at the task's time limit on attempt {item.attempts}; it is tried again.",
            )
    Job.objects.filter(pk=job.pk, lease_owner=token).update(lease_owner="", lease_expires_at=None)


def _finish(job: Job, spec: JobKind, token: str) -> None:
    """Close the job once: claim the finish under a lease (a finisher that dies is replaced after it)."""
    now = timezone.now()
    claimed = (
        Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING)
        .filter(Q(lease_owner="") | Q(lease_owner=token) | Q(lease_expires_at__lt=now))
        .update(lease_owner=token, lease_expires_at=now + timedelta(seconds=job.time_limit), heartbeat_at=now)
    )
    if not claimed:
        return
    job.refresh_from_db()
    reason = spec.finish(job) if spec.finish else None
    _close(job, spec, status=JobStatus.FAILED if reason else JobStatus.DONE, reason=reason or "", owner=token)


def _close(job: Job, spec: JobKind, *, status: str, reason: str, owner: str | None = None) -> bool:
    with transaction.atomic():
        jobs = Job.objects.select_for_update().filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        if owner is not None:
            jobs = jobs.filter(lease_owner=owner)
        locked = jobs.first()
        if locked is None:
            return False
        locked.status, locked.failure_reason, locked.finished_at = status, reason, timezone.now()
        locked.lease_owner, locked.lease_expires_at = "", None
        locked.save(update_fields=["status", "failure_reason", "finished_at", "lease_owner", "lease_expires_at"])
        if spec.settle:
            spec.settle(locked)
    job.status, job.failure_reason, job.finished_at = locked.status, reason, locked.finished_at
    return True


# --- Sweeping (a beat entry) ----------------------------------------------------------------------------


def _stale(now: datetime):
    """Open jobs whose heartbeat is older than their time limit plus the sweep's grace. (Filtered in Python:
    open jobs are few, and each has its own limit.)"""
    grace = settings.JOB_SWEEP_GRACE_SECONDS
    open_jobs = Job.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    ids = [
        pk
        for pk, beat, limit in open_jobs.values_list("pk", "heartbeat_at", "time_limit")
        if beat < now - timedelta(seconds=limit + grace)
    ]
    return Job.objects.filter(pk__in=ids)


def jobs_stuck_count(now: datetime | None = None) -> int:
    """Jobs (and app work, per sweeper) stuck past their time limit right now: what /healthz reports."""
    now = now or timezone.now()
    return _stale(now).count() + sum(sweeper.stuck(now) for sweeper in SWEEPERS.values())


@dataclass
class SweepReport:
    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    sweepers: dict[str, dict] = field(default_factory=dict)


def jobs_sweep(*, now: datetime | None = None) -> SweepReport:
    """Re-queue every open job whose heartbeat stopped (its worker died, or its messages were lost), and fail
    with a reason the ones re-queued JOB_MAX_REQUEUES times with no item finished since. Then run the apps'
    sweepers. Platform-wide on purpose (a job row carries its organization; the runner scopes by it)."""
    now = now or timezone.now()
    report = SweepReport()
    for job in _stale(now).order_by("heartbeat_at")[: settings.JOB_SWEEP_BATCH]:
        spec = job_kind_get(job.kind)
        if job.requeue_count >= settings.JOB_MAX_REQUEUES:
            waited = round((now - job.heartbeat_at).total_seconds() / 60 + job.requeue_count * job.time_limit / 60)
            reason = (
                f"No worker made progress on this job for about {waited} minutes, after "
                f"{job.requeue_count} re-queues: it was stopped at {job.done_count} of {job.total}."
            )
            if _close(job, spec, status=JobStatus.FAILED, reason=reason):
                report.failed.append(job.pk)
                logger.warning("Job %s (%s) failed by the sweep: %s", job.pk, job.kind, reason)
            continue
        with transaction.atomic():
            updated = (
                Job.objects.filter(pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
                .filter(heartbeat_at=job.heartbeat_at)
                .update(requeue_count=F("requeue_count") + 1, heartbeat_at=now)
            )
            if updated:
                job_enqueue(job, chains=spec.chains)
        if updated:
            report.requeued.append(job.pk)
            logger.warning("Job %s (%s) re-queued by the sweep at %s/%s", job.pk, job.kind, job.done_count, job.total)
    for sweeper in SWEEPERS.values():
        report.sweepers[sweeper.name] = sweeper.sweep(now)
    return report
