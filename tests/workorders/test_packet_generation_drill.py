"""Fault drill with real workers on the configured broker (Redis in CI): SIGKILL a pool process, then the
whole worker, in the middle of a bulk packet generation; a new worker and the jobs sweep finish the job,
and every work order is done exactly once (one version, issued once, rendered once, counted once)."""

import io
import os
import signal
import zipfile
from collections import Counter

import pytest
from django.db import transaction

from rollout.choices import Role
from rollout.models import AuditEvent, Job, JobItem
from rollout.tasks import jobs_sweep_task
from tests.workers import Workers, wait_for
from tests.workorders.builders.packets import access_for, build_plan, enroll_site, work_order_for
from workorders.choices import PacketJobStatus, PacketStatus
from workorders.models import Packet, PacketGenerationJob
from workorders.packets import services

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

WORK_ORDERS = 40


def done(job_id: int) -> int:
    return Job.objects.get(pk=job_id).done_count


def test_killing_workers_mid_generation_loses_nothing_and_does_nothing_twice(tenant, tmp_path, settings):
    # given a program with 40 work orders ready for their packets, and a worker with two pool processes
    plan = build_plan(tenant)
    work_orders = [work_order_for(plan, status="ready")]
    work_orders += [
        work_order_for(plan, site=enroll_site(plan, code=f"HF-9{n:03d}"), status="ready")
        for n in range(WORK_ORDERS - 1)
    ]
    settings.MEDIA_ROOT = tmp_path / "media"  # where the workers write the PDFs and the ZIP
    with Workers(tmp_path, TUTTI_MEDIA_ROOT=str(settings.MEDIA_ROOT)) as workers:
        first = workers.start(pool="prefork", concurrency=2)

        # when the PM starts the generation (a short item time limit, so the sweep may take over quickly)
        with transaction.atomic():
            generation = services.packet_generation_start(
                organization=tenant.organization, actor=access_for(tenant, Role.PM), program_id=plan.program.pk
            )
            Job.objects.filter(pk=generation.job_id).update(time_limit=10)
        job_id = generation.job_id

        # and a pool process is SIGKILLed while packets render
        assert wait_for(lambda: done(job_id) >= 8, timeout=180), "the worker did not start; see the log"
        assert wait_for(lambda: Packet.objects.filter(status=PacketStatus.RENDERING).exists(), timeout=30)
        os.kill(first.pool_processes()[0], signal.SIGKILL)
        killed_pool_at = done(job_id)

        # and later the whole worker (main process and pool) is SIGKILLed
        assert wait_for(lambda: done(job_id) >= killed_pool_at + 8, timeout=180), "no progress after the pool kill"
        first.kill()
        killed_worker_at = done(job_id)
        assert killed_worker_at < WORK_ORDERS, "the drill came too late: the job had finished"

        # then a new worker, with the sweep that beat runs every minute, finishes the job
        workers.start(pool="prefork", concurrency=2)

        def finished() -> bool:
            jobs_sweep_task.delay()
            return Job.objects.get(pk=job_id).status == "done"

        assert wait_for(finished, timeout=300, interval=3), "the job did not finish; see var/last-worker-test.log"

    # every work order done exactly once: one version, issued once, rendered once, its item done once
    generation.refresh_from_db()
    job = Job.objects.get(pk=job_id)
    versions = Counter(Packet.objects.filter(work_order__in=work_orders).values_list("work_order_id", flat=True))
    packets = Packet.objects.filter(work_order__in=work_orders)
    issued = Counter(
        AuditEvent.objects.filter(verb="packet.issued", target_id__in=[str(p.pk) for p in packets]).values_list(
            "target_id", flat=True
        )
    )
    rendered = Counter(
        AuditEvent.objects.filter(verb="packet.rendered", target_id__in=[str(p.pk) for p in packets]).values_list(
            "target_id", flat=True
        )
    )
    items = JobItem.objects.filter(job_id=job_id)
    once = sum(1 for wo in work_orders if versions[wo.pk] == 1)
    lost = sum(1 for wo in work_orders if versions[wo.pk] == 0) + packets.exclude(status=PacketStatus.RENDERED).count()
    duplicated = sum(1 for wo in work_orders if versions[wo.pk] > 1) + sum(
        1 for count in [*issued.values(), *rendered.values()] if count > 1
    )
    retried = items.filter(attempts__gt=1).count()
    print(
        f"\npacket drill: {WORK_ORDERS} work orders; pool process killed at {killed_pool_at}, worker killed at "
        f"{killed_worker_at}; done once {once}, lost {lost}, duplicated {duplicated}; "
        f"items claimed more than once {retried}"
    )
    assert (once, lost, duplicated) == (WORK_ORDERS, 0, 0)
    assert (job.status, job.done_count, job.failed_count) == ("done", WORK_ORDERS, 0)
    assert items.filter(status="done").count() == WORK_ORDERS
    assert retried >= 1, "the drill must have interrupted at least one item"
    assert (generation.status, generation.done, generation.issued_count, generation.failed_count) == (
        PacketJobStatus.DONE,
        WORK_ORDERS,
        WORK_ORDERS,
        0,
    )
    assert PacketGenerationJob.objects.get(pk=generation.pk).zip
    with generation.zip.open("rb") as handle:
        assert len(zipfile.ZipFile(io.BytesIO(handle.read())).namelist()) == WORK_ORDERS
