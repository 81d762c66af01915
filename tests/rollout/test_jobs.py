"""Durable jobs (rollout.jobs): progress counts finished items only, a re-run after a dead worker finishes
the job without doing any item twice, the sweep re-queues (or fails, with a reason) what is stuck, and
/healthz reports queue depth, the oldest waiting task and stuck jobs."""

import uuid
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from rollout import jobs
from rollout.celery import app as celery_app
from rollout.models import Heartbeat, Job, JobItem, JobItemStatus, JobStatus

KIND = "tests.mark"
SETTLED: list[int] = []


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside an item: not an Exception, so nothing in the runner catches it."""


CRASH_ON: set[int] = set()
OVER_TIME: dict[int, int] = {}  # ref → times its work runs past the task's soft time limit


def mark_item(job: Job, item: JobItem) -> None:
    """The item's work is one row (a unique name: doing it twice would fail), finished in its transaction."""
    with transaction.atomic():
        Heartbeat.objects.create(name=f"mark-{job.pk}-{item.ref}", seen_at=timezone.now())
        if item.ref in CRASH_ON:
            CRASH_ON.discard(item.ref)
            raise WorkerKilled
        if OVER_TIME.get(item.ref):
            OVER_TIME[item.ref] -= 1
            raise SoftTimeLimitExceeded()  # as Celery raises it in the task's thread
        jobs.job_item_finish(item, outcome="marked")


jobs.job_kind_register(
    jobs.JobKind(name=KIND, run_item=mark_item, time_limit=30, settle=lambda job: SETTLED.append(job.pk))
)


@pytest.fixture(autouse=True)
def _fresh_records():
    SETTLED.clear()
    CRASH_ON.clear()
    OVER_TIME.clear()


def marks(job: Job) -> int:
    return Heartbeat.objects.filter(name__startswith=f"mark-{job.pk}-").count()


def create(tenant, refs, capture) -> Job:
    with capture(execute=False) as callbacks, transaction.atomic():
        job = jobs.job_create(organization=tenant.organization, kind=KIND, refs=refs)
    assert len(callbacks) == 1, "one runner task is enqueued after commit"
    return job


def run(job: Job, token: str, budget: float = 60) -> bool:
    return jobs.job_run(organization_id=job.organization_id, job_id=job.pk, token=token, budget_seconds=budget)


def test_a_job_runs_each_item_once_and_counts_only_finished_work(tenant, django_capture_on_commit_callbacks):
    # given a job of five items
    job = create(tenant, [11, 12, 13, 14, 15], django_capture_on_commit_callbacks)
    assert (job.status, job.total, job.done_count) == (JobStatus.QUEUED, 5, 0)

    # when one delivery works one item, then another runs the rest
    assert run(job, "first", budget=0) is True
    job.refresh_from_db()
    # then progress says one, because one is done
    assert (job.status, job.done_count, marks(job)) == (JobStatus.RUNNING, 1, 1)
    assert run(job, "second") is False
    job.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count, marks(job)) == (JobStatus.DONE, 5, 0, 5)
    assert SETTLED.count(job.pk) == 1
    # and a late re-delivery does nothing
    assert run(job, "first") is False
    assert (marks(job), SETTLED.count(job.pk)) == (5, 1)


def test_a_killed_delivery_is_redelivered_and_takes_back_its_own_claim(tenant, django_capture_on_commit_callbacks):
    # given a worker killed in the middle of the second item (its work rolled back with its transaction)
    job = create(tenant, [1, 2, 3], django_capture_on_commit_callbacks)
    CRASH_ON.add(2)
    with pytest.raises(WorkerKilled):
        run(job, "task-a")
    job.refresh_from_db()
    assert (job.done_count, marks(job)) == (1, 1)
    claimed = JobItem.objects.get(job=job, ref=2)
    assert (claimed.status, claimed.claimed_by, claimed.attempts) == (JobItemStatus.PENDING, "task-a", 1)

    # when another task comes first, it cannot take the live claim, and leaves the job to its holder
    assert run(job, "task-b") is False
    assert JobItem.objects.get(job=job, ref=2).status == JobItemStatus.PENDING
    assert JobItem.objects.get(job=job, ref=3).status == JobItemStatus.DONE
    # when the broker redelivers the killed message (same task id)
    assert run(job, "task-a") is False

    # then every item is done exactly once and the job finished
    job.refresh_from_db()
    assert (job.status, job.done_count, marks(job)) == (JobStatus.DONE, 3, 3)
    assert JobItem.objects.get(job=job, ref=2).attempts == 2


def test_an_expired_claim_is_taken_over_and_an_item_that_kills_every_worker_fails(
    tenant, django_capture_on_commit_callbacks
):
    # given an item whose worker died three times (claims expired each time)
    job = create(tenant, [7, 8], django_capture_on_commit_callbacks)
    for attempt in range(3):
        CRASH_ON.add(7)
        with pytest.raises(WorkerKilled):
            run(job, f"dead-{attempt}")
        JobItem.objects.filter(job=job, ref=7).update(lease_expires_at=timezone.now() - timedelta(seconds=1))

    # when a fourth worker comes
    assert run(job, "survivor") is False

    # then the item is failed with the reason, not tried a fourth time, and the rest is done
    job.refresh_from_db()
    item = JobItem.objects.get(job=job, ref=7)
    assert (item.status, item.attempts) == (JobItemStatus.FAILED, 4)
    assert "stopped 3 times" in item.message
    assert (job.status, job.done_count, job.failed_count) == (JobStatus.DONE, 2, 1)
    assert marks(job) == 1  # only item 8: item 7's work rolled back each time


def test_finishing_an_item_twice_rolls_the_second_work_back(tenant, django_capture_on_commit_callbacks):
    job = create(tenant, [5], django_capture_on_commit_callbacks)
    item = JobItem.objects.get(job=job)
    with transaction.atomic():
        jobs.job_item_finish(item, outcome="marked")
    # when a slow second delivery finishes the same item
    with pytest.raises(jobs.JobItemAlreadyFinished), transaction.atomic():
        Heartbeat.objects.create(name="second-work", seen_at=timezone.now())
        jobs.job_item_finish(JobItem.objects.get(pk=item.pk), outcome="marked")
    # then its work is gone and the job counted one
    assert not Heartbeat.objects.filter(name="second-work").exists()
    assert Job.objects.get(pk=job.pk).done_count == 1


def test_the_sweep_requeues_a_job_whose_worker_died_and_the_job_finishes(tenant, django_capture_on_commit_callbacks):
    # given a job whose worker died mid-item, silent for longer than its time limit
    job = create(tenant, [1, 2, 3, 4], django_capture_on_commit_callbacks)
    CRASH_ON.add(3)
    with pytest.raises(WorkerKilled):
        run(job, "dead-worker")
    later = timezone.now() + timedelta(seconds=job.time_limit + settings.JOB_SWEEP_GRACE_SECONDS + 1)
    assert jobs.jobs_stuck_count(now=later) == 1
    assert jobs.jobs_stuck_count() == 0  # not before its time limit

    # when the sweep runs (beat), the re-queued runner runs (as a worker would)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = jobs.jobs_sweep(now=later)
    assert report.requeued == [job.pk] and report.failed == []
    assert len(callbacks) == 1
    # time passed: the dead worker's claim expired
    JobItem.objects.filter(job=job).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert run(job, "fresh-worker") is False

    # then every item is done once and the job finished
    job.refresh_from_db()
    assert (job.status, job.done_count, job.requeue_count, marks(job)) == (JobStatus.DONE, 4, 0, 4)


def test_the_sweep_fails_a_job_nothing_moves_with_a_reason(tenant, django_capture_on_commit_callbacks):
    # given a job nobody works on, re-queued the most times already
    job = create(tenant, [1, 2], django_capture_on_commit_callbacks)
    Job.objects.filter(pk=job.pk).update(
        requeue_count=settings.JOB_MAX_REQUEUES, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    # when
    report = jobs.jobs_sweep()
    # then it is failed, with why, and closed once
    job.refresh_from_db()
    assert report.failed == [job.pk]
    assert job.status == JobStatus.FAILED
    assert "No worker made progress" in job.failure_reason and "0 of 2" in job.failure_reason
    assert SETTLED.count(job.pk) == 1
    assert jobs.jobs_stuck_count() == 0


def test_an_item_at_the_soft_time_limit_is_given_back_at_once_and_the_continuation_does_it(
    tenant, django_capture_on_commit_callbacks
):
    # given a job whose second item runs past the task's soft time limit once
    job = create(tenant, [1, 2, 3], django_capture_on_commit_callbacks)
    OVER_TIME[2] = 1
    # when a delivery works on it
    assert run(job, "task-a") is True, "the task is out of time: a continuation is asked for"
    # then the item's work rolled back, its claim is given back now (not left to expire), and nothing else moved
    item = JobItem.objects.get(job=job, ref=2)
    assert (item.status, item.claimed_by, item.lease_expires_at, item.attempts) == (JobItemStatus.PENDING, "", None, 1)
    assert "time limit" in item.message
    job.refresh_from_db()
    assert (job.status, job.done_count, marks(job)) == (JobStatus.RUNNING, 1, 1)
    # when the continuation (another task id) runs at once
    assert run(job, "task-b") is False
    # then it did the item, and every item is done once
    job.refresh_from_db()
    item.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count, marks(job)) == (JobStatus.DONE, 3, 0, 3)
    assert (item.status, item.attempts) == (JobItemStatus.DONE, 2)


def test_an_item_over_the_time_limit_on_every_attempt_fails_with_the_reason_and_the_job_goes_on(
    tenant, django_capture_on_commit_callbacks
):
    from rollout.tasks import job_run_task

    # given an item that always runs past the soft time limit
    job = create(tenant, [1, 2], django_capture_on_commit_callbacks)
    OVER_TIME[1] = 99
    # when the runner task runs (eagerly here: each continuation runs at once, no lease has to expire)
    job_run_task.delay(organization_id=job.organization_id, job_id=job.pk)
    # then it was tried max_attempts times, failed with the reason, and the rest of the job is done
    job.refresh_from_db()
    item = JobItem.objects.get(job=job, ref=1)
    assert (item.status, item.attempts) == (JobItemStatus.FAILED, job.max_attempts)
    assert f"ran past the task's time limit {job.max_attempts} times" in item.message
    assert (job.status, job.done_count, job.failed_count, marks(job)) == (JobStatus.DONE, 2, 1, 1)
    assert OVER_TIME[1] == 99 - job.max_attempts


def test_the_soft_time_limit_in_the_finish_releases_it_for_the_continuation(
    tenant, django_capture_on_commit_callbacks, monkeypatch
):
    # given a job whose finish hook runs past the soft time limit once
    job = create(tenant, [1], django_capture_on_commit_callbacks)
    calls = []

    def finish(job):
        calls.append(job.pk)
        if len(calls) == 1:
            raise SoftTimeLimitExceeded()
        return None

    monkeypatch.setitem(jobs.KINDS, KIND, jobs.JobKind(name=KIND, run_item=mark_item, time_limit=30, finish=finish))
    # when a delivery finishes the item, then the finish is interrupted
    assert run(job, "task-a") is True
    job.refresh_from_db()
    # then the finish's lease is released, so the continuation closes the job at once
    assert (job.status, job.lease_owner, job.lease_expires_at) == (JobStatus.RUNNING, "", None)
    assert run(job, "task-b") is False
    job.refresh_from_db()
    assert (job.status, len(calls)) == (JobStatus.DONE, 2)


def test_the_visibility_timeout_covers_every_task_time_limit():
    # Redis redelivers an unacknowledged message after the visibility timeout: it must outlast every task's
    # hard time limit (or a live task is delivered twice), and not by much (or a dead worker's task waits).
    limits = {
        name: task.time_limit or celery_app.conf.task_time_limit
        for name, task in celery_app.tasks.items()
        if not name.startswith("celery.")
    }
    assert limits and max(limits.values()) <= settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_TIME_LIMIT < settings.CELERY_VISIBILITY_TIMEOUT <= settings.CELERY_TASK_TIME_LIMIT + 120
    if settings.REDIS_URL:
        assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] == settings.CELERY_VISIBILITY_TIMEOUT
    assert celery_app.conf.task_acks_late and celery_app.conf.task_reject_on_worker_lost
    assert settings.CELERY_BEAT_SCHEDULE["jobs-sweep"]["task"] == "rollout.jobs_sweep"
    assert "rollout.jobs_sweep" in celery_app.tasks


# --- /healthz ----------------------------------------------------------------------------------------------


def test_healthz_is_degraded_by_a_stuck_job(client, tenant, django_capture_on_commit_callbacks):
    # given a live worker and a job silent for longer than its time limit
    Heartbeat.objects.create(name="worker", seen_at=timezone.now())
    job = create(tenant, [1], django_capture_on_commit_callbacks)
    assert client.get("/healthz").json()["status"] == "ok"
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=10))
    # when
    body = client.get("/healthz").json()
    # then
    assert body["status"] == "degraded"
    assert body["checks"]["jobs"] == {"ok": False, "open": 1, "stuck": 1}


@pytest.fixture
def private_queue():
    """A queue of our own on the configured broker (nobody consumes it), purged afterwards."""
    queue = f"health-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    # The app reads Django's CELERY_-namespaced settings; override it under that name.
    celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE=queue)
    try:
        yield queue
    finally:
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        celery_app.conf.update(CELERY_TASK_DEFAULT_QUEUE=previous)


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")  # send_task publishes, on purpose
def test_healthz_reports_queue_depth_and_the_oldest_waiting_task(client, db, private_queue):
    # given a live worker and two messages waiting in the queue
    Heartbeat.objects.create(name="worker", seen_at=timezone.now())
    for _ in range(2):
        celery_app.send_task("rollout.heartbeat_record", queue=private_queue, routing_key=private_queue)
    # when
    body = client.get("/healthz").json()
    # then
    queue = body["checks"]["queue"]
    assert queue["depth"] == 2
    assert 0 <= queue["oldest_waiting_seconds"] < 30
    assert queue["ok"] is True and body["status"] == "ok"


@pytest.mark.filterwarnings("ignore::celery.exceptions.AlwaysEagerIgnored")
def test_healthz_is_degraded_when_a_task_waited_too_long(client, db, private_queue, settings):
    Heartbeat.objects.create(name="worker", seen_at=timezone.now())
    settings.QUEUE_STALE_AFTER = timedelta(seconds=0)
    celery_app.send_task("rollout.heartbeat_record", queue=private_queue, routing_key=private_queue)
    body = client.get("/healthz").json()
    assert body["checks"]["queue"]["ok"] is False
    assert body["status"] == "degraded"
