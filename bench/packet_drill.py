"""Fault drill at issue 10's scale (not a benchmark, and not in the test suite: it renders 1,217 real PDFs): a bulk
packet generation for 1,217 work orders on a real Celery worker (two pool processes, on the configured broker:
Redis with REDIS_URL, else the filesystem queue), a pool process SIGKILLed at a third, the whole worker SIGKILLed at
two thirds; a new worker and the jobs sweep (run every few seconds here, as beat runs it every minute) finish it.

It reports what issue 10 found broken — work orders done once, lost (no packet, or one never rendered) and
duplicated (two versions, or one issued or rendered twice) — and fails unless every one is done exactly once.

Run it by name: `python -m bench packet_drill` (`--rows 200` for a shorter one). The test suite's drill with 40
work orders is tests/workorders/test_packet_generation_drill.py.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.report import Row

NAME = "packet_drill"
WORK_ORDERS = 1_217
ITEM_TIME_LIMIT = 30  # seconds: the killed worker's claims expire this soon, so the sweep takes over quickly


def run(size) -> list[Row]:
    rows = size.rows or WORK_ORDERS
    from django.conf import settings
    from django.db import transaction

    from bench.packets import _build
    from rollout.choices import Role
    from rollout.models import AuditEvent, Client, Job, JobItem, Organization
    from rollout.tasks import jobs_sweep_task
    from rollout.tenancy import Access
    from tests.workers import Workers, wait_for
    from workorders.choices import PacketStatus
    from workorders.models import Packet, PacketGenerationJob, WorkOrder
    from workorders.packets import services

    total = rows
    organization, _ = Organization.objects.get_or_create(slug="bench-drill", defaults={"name": "Bench drill"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    program = _build(organization, client, sites_count=total)
    work_orders = list(WorkOrder.objects.for_organization(organization).filter(program=program))
    access = Access(organization=organization, role=Role.PM, user=None, membership=None)

    def done(job_id: int) -> int:
        return Job.objects.get(pk=job_id).done_count

    started = time.perf_counter()
    with (
        tempfile.TemporaryDirectory(prefix="tutti-packet-drill-") as folder,
        Workers(Path(folder), TUTTI_MEDIA_ROOT=str(settings.MEDIA_ROOT)) as workers,
    ):
        first = workers.start(pool="prefork", concurrency=2)
        with transaction.atomic():
            generation = services.packet_generation_start(
                organization=organization, actor=access, program_id=program.pk
            )
            Job.objects.filter(pk=generation.job_id).update(time_limit=ITEM_TIME_LIMIT)
        job_id = generation.job_id

        if not wait_for(lambda: done(job_id) >= total // 3, timeout=3600, interval=1):
            raise RuntimeError(f"no progress: see {settings.VAR_DIR / 'last-worker-test.log'}")
        wait_for(lambda: Packet.objects.filter(status=PacketStatus.RENDERING).exists(), timeout=60, interval=0.1)
        os.kill(first.pool_processes()[0], signal.SIGKILL)
        killed_pool_at = done(job_id)
        print(f"{NAME}: a pool process SIGKILLed at {killed_pool_at}/{total}", flush=True)

        if not wait_for(lambda: done(job_id) >= 2 * total // 3, timeout=3600, interval=1):
            raise RuntimeError("no progress after the pool process was killed")
        first.kill()
        killed_worker_at = done(job_id)
        print(f"{NAME}: the whole worker SIGKILLed at {killed_worker_at}/{total}", flush=True)

        workers.start(pool="prefork", concurrency=2)

        def finished() -> bool:
            jobs_sweep_task.delay()
            return Job.objects.get(pk=job_id).status in ("done", "failed")

        if not wait_for(finished, timeout=3600, interval=5):
            raise RuntimeError("the job did not finish after the new worker started")
    seconds = time.perf_counter() - started

    job = Job.objects.get(pk=job_id)
    generation = PacketGenerationJob.objects.get(pk=generation.pk)
    packets = Packet.objects.filter(work_order__in=work_orders)
    versions = Counter(packets.values_list("work_order_id", flat=True))
    packet_ids = [str(pk) for pk in packets.values_list("pk", flat=True)]
    issued = Counter(
        AuditEvent.objects.filter(verb="packet.issued", target_id__in=packet_ids).values_list("target_id", flat=True)
    )
    rendered = Counter(
        AuditEvent.objects.filter(verb="packet.rendered", target_id__in=packet_ids).values_list("target_id", flat=True)
    )
    once = sum(1 for work_order in work_orders if versions[work_order.pk] == 1)
    lost = sum(1 for work_order in work_orders if versions[work_order.pk] == 0)
    lost += packets.exclude(status=PacketStatus.RENDERED).count()
    duplicated = sum(1 for work_order in work_orders if versions[work_order.pk] > 1)
    duplicated += sum(1 for count in [*issued.values(), *rendered.values()] if count > 1)
    retried = JobItem.objects.filter(job_id=job_id, attempts__gt=1).count()
    summary = (
        f"done once {once}, lost {lost}, duplicated {duplicated}; pool killed at {killed_pool_at}, worker at "
        f"{killed_worker_at}; items claimed again {retried}; job {job.status} {job.done_count}/{job.total}, "
        f"failed {job.failed_count}; ZIP {'yes' if generation.zip else 'no'}"
    )
    print(f"{NAME}: {summary}", flush=True)
    if (once, lost, duplicated) != (total, 0, 0) or job.status != "done" or not generation.zip:
        raise RuntimeError(f"{NAME} failed: {summary}")
    _cleanup(organization)
    return [
        Row(NAME, "packets generated, pool + worker SIGKILLed", "packets/s", [total / seconds], "none (a fault drill)",
            note=f"one run; {summary}")
    ]  # fmt: skip


def _cleanup(organization) -> None:
    from bench.packets import _cleanup as packets_cleanup
    from rollout.models import Job
    from workorders.models import PacketGenerationJob

    PacketGenerationJob.objects.for_organization(organization).delete()
    packets_cleanup(organization)
    Job.objects.for_organization(organization).delete()
