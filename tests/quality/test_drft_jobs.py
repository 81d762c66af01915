"""DRFT reconciliation on the durable job mechanism (rollout.jobs): items are chunks of work orders whose facts
are recomputed in the item's own transaction, the snapshots are rebuilt once at the end; a killed delivery loses
nothing and a re-run or a late duplicate never counts anything twice."""

import pytest
from django.db import transaction

from quality import drft
from quality.models import DrftFact, DrftSnapshot
from quality.tasks import drft_reconcile_sweep_task
from rollout import jobs
from rollout.models import Job, JobItem
from tests.quality.support import accept, close, first_visit, reject, return_visit, work_visit
from tests.workorders.builders.visits import build_field_world
from workorders.models import WorkOrder


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside an item: not an Exception, so the runner does not catch it."""


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def history(world, capture) -> list[int]:
    """Three worked work orders: closed DRFT, accepted (provisional), and rejected then accepted after a return."""
    ids = []
    with capture(execute=True):
        closed = work_visit(world, first_visit(world))
        accept(world, WorkOrder.objects.get(pk=closed.work_order_id))
        close(world, WorkOrder.objects.get(pk=closed.work_order_id))
        provisional = work_visit(world, first_visit(world))
        accept(world, WorkOrder.objects.get(pk=provisional.work_order_id))
        failed = work_visit(world, first_visit(world))
        work_order = WorkOrder.objects.get(pk=failed.work_order_id)
        reject(world, work_order)
        work_visit(world, return_visit(world, work_order))
        accept(world, WorkOrder.objects.get(pk=work_order.pk))
    ids = [closed.work_order_id, provisional.work_order_id, failed.work_order_id]
    return ids


def figures():
    facts = sorted(DrftFact.objects.values_list("work_order_id", "status", "is_drft", "reason"))
    snapshots = sorted(
        DrftSnapshot.objects.values_list(
            "dimension", "key", "week", "final_drft", "final_total", "provisional_drft", "provisional_total", "excluded"
        )
    )
    return facts, snapshots


def spoil(ids):
    """What a missed event leaves behind: one fact gone, one wrong, snapshots doubled."""
    DrftFact.objects.filter(work_order_id=ids[0]).delete()
    DrftFact.objects.filter(work_order_id=ids[2]).update(is_drft=True, reason="")
    for row in DrftSnapshot.objects.all():
        DrftSnapshot.objects.filter(pk=row.pk).update(final_total=row.final_total * 2 + 1)


def start(world, capture, chunk=1) -> Job:
    with capture(execute=False), transaction.atomic():
        return drft.drft_reconcile_start(organization=world.organization, chunk=chunk)


def run(job: Job, token: str) -> bool:
    return jobs.job_run(organization_id=job.organization_id, job_id=job.pk, token=token, budget_seconds=0)


def test_the_reconciliation_is_a_durable_job_of_work_order_chunks(world, django_capture_on_commit_callbacks):
    # given a history whose facts and snapshots went wrong
    ids = history(world, django_capture_on_commit_callbacks)
    expected = figures()
    spoil(ids)
    assert figures() != expected
    # when the reconciliation starts, in chunks of two work orders
    job = start(world, django_capture_on_commit_callbacks, chunk=2)
    # then it is a job with one item per chunk, the refs the first work order of each chunk
    assert (job.kind, job.total) == (drft.RECONCILE_KIND, 2)
    assert list(JobItem.objects.filter(job=job).order_by("position").values_list("ref", flat=True)) == [
        ids[0],
        ids[2],
    ]
    # and running it until done repairs every fact and snapshot, each item counting its chunk's work orders once
    while run(job, "t1"):
        pass
    job.refresh_from_db()
    assert (job.status, job.done_count, job.failed_count) == ("done", 2, 0)
    assert sum(item.result["work_orders"] for item in JobItem.objects.filter(job=job)) == 3
    assert figures() == expected


def test_a_killed_item_is_taken_again_whole_and_nothing_counts_twice(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    # given a spoiled history and its reconciliation, one work order per item
    ids = history(world, django_capture_on_commit_callbacks)
    expected = figures()
    spoil(ids)
    job = start(world, django_capture_on_commit_callbacks)
    real = drft._facts_refresh
    killed = []

    def dies_once(organization_id, work_order_ids):
        refreshed = real(organization_id, work_order_ids)
        if not killed:
            killed.append(True)
            raise WorkerKilled  # after the facts were written, before the item was marked done
        return refreshed

    # when the worker dies inside the first item, after writing its facts (the transaction never commits)
    monkeypatch.setattr(drft, "_facts_refresh", dies_once)
    with pytest.raises(WorkerKilled):
        run(job, "t1")
    assert JobItem.objects.get(job=job, position=0).status == "pending"
    # and the redelivery (same token) takes the item back and finishes the job
    while run(job, "t1"):
        pass
    # then every item is done once, the first on its second attempt, and the figures are right (not doubled)
    job.refresh_from_db()
    items = JobItem.objects.filter(job=job).order_by("position")
    assert (job.status, job.done_count) == ("done", 3)
    assert [item.attempts for item in items] == [2, 1, 1]
    assert figures() == expected


def test_a_late_duplicate_delivery_rolls_its_work_back(world, django_capture_on_commit_callbacks):
    # given a reconciliation whose first item is already done
    ids = history(world, django_capture_on_commit_callbacks)
    job = start(world, django_capture_on_commit_callbacks)
    item = JobItem.objects.get(job=job, position=0)
    drft._reconcile_item(job, item)
    DrftFact.objects.filter(work_order_id=ids[0]).update(is_drft=False)  # changed since by someone else
    # when a late delivery runs the same item again
    with pytest.raises(jobs.JobItemAlreadyFinished):
        drft._reconcile_item(job, JobItem.objects.get(pk=item.pk))
    # then its work is rolled back and the item counted once
    assert DrftFact.objects.get(work_order_id=ids[0]).is_drft is False
    assert Job.objects.get(pk=job.pk).done_count == 1


def test_one_open_reconciliation_per_organization_and_the_beat_starts_it(
    world, other_tenant, django_capture_on_commit_callbacks
):
    # given an organization with worked history and one without any
    history(world, django_capture_on_commit_callbacks)
    # when the nightly beat entry runs twice before any worker picks the jobs up
    with django_capture_on_commit_callbacks(execute=False):
        drft_reconcile_sweep_task.delay()
        drft_reconcile_sweep_task.delay()
    # then each organization has exactly one open reconciliation job (an empty one still rebuilds its snapshots)
    per_org = Job.objects.filter(kind=drft.RECONCILE_KIND).values_list("organization_id", flat=True)
    assert sorted(per_org) == sorted([world.organization.pk, other_tenant.organization.pk])
    empty = Job.objects.get(kind=drft.RECONCILE_KIND, organization=other_tenant.organization)
    assert empty.total == 1


def test_an_event_moves_a_few_counters_and_the_snapshots_equal_a_full_rebuild(
    world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # given a history whose snapshots were moved event by event (incrementally)
    ids = history(world, django_capture_on_commit_callbacks)
    incremental = figures()[1]
    labels = sorted(DrftSnapshot.objects.values_list("dimension", "key", "week", "label"))
    # then they equal a full rebuild from the facts, labels included
    drft.drft_snapshots_rebuild(organization=world.organization, program_id=world.program.pk)
    assert figures()[1] == incremental
    assert sorted(DrftSnapshot.objects.values_list("dimension", "key", "week", "label")) == labels
    # and one event's update is a bounded number of queries (not a rebuild of the program)
    with django_assert_max_num_queries(30):
        drft.drft_fact_refresh(organization=world.organization, work_order_id=ids[1])
    assert figures()[1] == incremental


def test_a_rebuild_writes_only_the_rows_that_differ(world, django_capture_on_commit_callbacks):
    # given snapshots equal to the facts, then one counter wrong, one label stale, one row missing and one extra
    history(world, django_capture_on_commit_callbacks)
    expected = figures()[1]
    labels = sorted(DrftSnapshot.objects.values_list("dimension", "key", "week", "label"))
    rows = list(DrftSnapshot.objects.order_by("pk"))
    DrftSnapshot.objects.filter(pk=rows[0].pk).update(final_total=99)
    DrftSnapshot.objects.filter(pk=rows[1].pk).update(label="old name")
    DrftSnapshot.objects.filter(pk=rows[2].pk).delete()
    extra = DrftSnapshot.objects.create(
        organization=world.organization, program=world.program, dimension="region", key="ZZ", week="", final_total=3
    )
    untouched = dict(DrftSnapshot.objects.filter(pk__gt=rows[2].pk).values_list("pk", "updated_at"))
    del untouched[extra.pk]
    # when the program is rebuilt
    count = drft.drft_snapshots_rebuild(organization=world.organization, program_id=world.program.pk)
    # then the snapshots equal the facts again, and the rows that were right were not rewritten
    assert figures()[1] == expected and count == len(expected)
    assert sorted(DrftSnapshot.objects.values_list("dimension", "key", "week", "label")) == labels
    assert not DrftSnapshot.objects.filter(pk=extra.pk).exists()
    assert dict(DrftSnapshot.objects.filter(pk__in=untouched).values_list("pk", "updated_at")) == untouched
