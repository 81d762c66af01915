"""Fault drill with real workers on the configured broker (Redis in CI) and PostgreSQL: SIGKILL a pool process, then
the whole worker, each while it is inside a DRFT reconciliation item (held there by a row lock the drill takes on
the item's work order); a new worker and the jobs sweep finish the job, every item is done once, and the facts and
snapshots equal a rebuild from the visits and reviews (nothing lost, nothing counted twice)."""

import os
import signal

import psycopg2
import pytest
from django.db import connection

from quality import drft
from quality.models import DrftFact, DrftSnapshot
from rollout.models import Job, JobItem
from rollout.tasks import jobs_sweep_task
from tests.quality.support import accept, close, first_visit, reject, return_visit, work_visit
from tests.workers import Workers, database_url, wait_for
from tests.workorders.builders.visits import build_field_world
from workorders.models import WorkOrder

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORK_ORDERS = 8


def figures():
    facts = sorted(DrftFact.objects.values_list("work_order_id", "status", "is_drft", "reason"))
    snapshots = sorted(
        DrftSnapshot.objects.values_list(
            "dimension", "key", "week", "final_drft", "final_total", "provisional_drft", "provisional_total", "excluded"
        )
    )
    return facts, snapshots


class RowLock:
    """Holds a row lock on one work order from a connection of its own, so the worker's item waits there."""

    def __init__(self, work_order_id: int):
        self.connection = psycopg2.connect(database_url())
        table = WorkOrder._meta.db_table
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [work_order_id])

    def release(self) -> None:
        self.connection.rollback()
        self.connection.close()


def item(job_id: int, position: int) -> JobItem:
    return JobItem.objects.get(job_id=job_id, position=position)


def claimed(job_id: int, position: int, attempts: int) -> bool:
    row = item(job_id, position)
    return row.status == "pending" and row.attempts >= attempts and bool(row.claimed_by)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the drill holds items with PostgreSQL row locks")
def test_killing_workers_mid_reconciliation_loses_nothing_and_counts_nothing_twice(tenant, tmp_path):
    # given a history of worked work orders: closed, accepted, and one rejected then accepted after a return visit
    world = build_field_world(tenant)
    ids = []
    for n in range(WORK_ORDERS):
        visit = work_visit(world, first_visit(world))
        work_order = WorkOrder.objects.get(pk=visit.work_order_id)
        if n == 3:
            reject(world, work_order)
            work_visit(world, return_visit(world, work_order))
            work_order.refresh_from_db()
        accept(world, work_order)
        if n % 2 == 0:
            close(world, WorkOrder.objects.get(pk=work_order.pk))
        ids.append(work_order.pk)
    expected = figures()
    assert len(expected[0]) == WORK_ORDERS
    # and facts and snapshots that went wrong (a fact lost, one wrong, every snapshot inflated)
    DrftFact.objects.filter(work_order_id=ids[0]).delete()
    DrftFact.objects.filter(work_order_id=ids[3]).update(is_drft=True, reason="")
    for row in DrftSnapshot.objects.all():
        DrftSnapshot.objects.filter(pk=row.pk).update(final_total=row.final_total * 2 + 1)

    with Workers(tmp_path) as workers:
        first = workers.start(pool="prefork", concurrency=1)
        # when the reconciliation runs (one work order per item, a short lease so the sweep may take over)
        hold_pool = RowLock(ids[2])
        job = drft.drft_reconcile_start(organization=tenant.organization, chunk=1, time_limit=5)
        # and the pool process is SIGKILLed inside item 2 (waiting for the row)
        assert wait_for(lambda: claimed(job.pk, 2, 1), timeout=120), "the worker did not start; see the log"
        hold_worker = RowLock(ids[5])
        os.kill(first.pool_processes()[0], signal.SIGKILL)
        killed_pool_at = Job.objects.get(pk=job.pk).done_count
        hold_pool.release()
        # and the whole worker is SIGKILLed inside item 5, after the redelivery took item 2 back
        assert wait_for(lambda: claimed(job.pk, 5, 1), timeout=120), "no progress after the pool kill"
        first.kill()
        killed_worker_at = Job.objects.get(pk=job.pk).done_count
        hold_worker.release()
        assert killed_worker_at < WORK_ORDERS, "the drill came too late: the job had finished"

        # then a new worker, with the sweep that beat runs every minute, finishes the job
        workers.start(pool="prefork", concurrency=1)

        def finished() -> bool:
            jobs_sweep_task.delay()
            return Job.objects.get(pk=job.pk).status == "done"

        assert wait_for(finished, timeout=240, interval=3), "the job did not finish; see var/last-worker-test.log"

    # every item done once, every work order's fact recomputed once per done item, the figures right (not doubled)
    job.refresh_from_db()
    items = list(JobItem.objects.filter(job=job).order_by("position"))
    counted = {row.ref: row.result.get("work_orders", 0) for row in items if row.status == "done"}
    once = sum(1 for pk in ids if counted.get(pk) == 1)
    lost = sum(1 for pk in ids if counted.get(pk, 0) == 0) + sum(1 for fact in expected[0] if fact not in figures()[0])
    duplicated = sum(1 for pk in ids if counted.get(pk, 0) > 1) + max(job.done_count - job.total, 0)
    retried = sum(1 for row in items if row.attempts > 1)
    print(
        f"\nDRFT reconcile drill: {WORK_ORDERS} work orders in {job.total} items; pool process killed at "
        f"{killed_pool_at} done, worker killed at {killed_worker_at} done; done once {once}, lost {lost}, "
        f"duplicated {duplicated}; items claimed more than once {retried}"
    )
    assert (once, lost, duplicated) == (WORK_ORDERS, 0, 0)
    assert (job.status, job.done_count, job.failed_count) == ("done", WORK_ORDERS, 0)
    assert retried >= 2, "both kills must have interrupted an item"
    assert figures() == expected
