"""Fault drills with real workers on the configured broker (Redis in CI): SIGKILL the worker in the middle of a
site import's dry run, and of its commit; a new worker and the jobs sweep finish each, every row checked once and
written exactly once."""

import pytest
from django.db import transaction

from rollout.models import AuditEvent, Job, JobItem
from rollout.tasks import jobs_sweep_task
from sites import import_jobs, importing, services
from sites.choices import ImportStatus
from sites.models import Site, SiteImport
from tests.sites.builders import access_of, csv_text, site_line, upload
from tests.workers import Workers, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROWS = 30_000


def test_killing_the_worker_mid_commit_writes_every_site_exactly_once(tenant, tmp_path, settings):
    # given a checked import of 30,000 new sites (the dry run ran inline, on commit: tasks are eager until the
    # workers start; the commit checks the file again)
    with transaction.atomic():
        site_import = services.site_import_create(
            organization=tenant.organization,
            actor=access_of(tenant),
            client=tenant.client,
            upload=upload(csv_text(ROWS)),
        )
    site_import.refresh_from_db()
    assert (site_import.status, site_import.error_count, site_import.created_count) == ("validated", 0, ROWS)

    with Workers(tmp_path, TUTTI_MEDIA_ROOT=str(settings.MEDIA_ROOT)) as workers:
        first = workers.start()
        # when the PM commits (a short item time limit, so the sweep may take over quickly)
        with transaction.atomic():
            services.site_import_commit(
                organization=tenant.organization, actor=access_of(tenant), import_id=site_import.pk
            )
            job = SiteImport.objects.get(pk=site_import.pk).commit_job
            Job.objects.filter(pk=job.pk).update(time_limit=10)

        # and the worker is SIGKILLed while the commit runs
        def committing() -> bool:
            return SiteImport.objects.filter(pk=site_import.pk, rows_done__gte=ROWS // 4).exists()

        assert wait_for(committing, timeout=180, interval=0.05), "the commit did not start; see the log"
        first.kill()
        status_at_kill = SiteImport.objects.get(pk=site_import.pk).status
        sites_at_kill = Site.objects.filter(client=tenant.client).count()
        assert status_at_kill == ImportStatus.COMMITTING, "the drill came too late: the commit had finished"

        # then a new worker, with the sweep that beat runs every minute, finishes the commit
        workers.start()

        def finished() -> bool:
            jobs_sweep_task.delay()
            return Job.objects.get(pk=job.pk).status == "done"

        assert wait_for(finished, timeout=300, interval=3), "the job did not finish; see var/last-worker-test.log"

    # every row written exactly once, by one commit, counted once
    site_import.refresh_from_db()
    job.refresh_from_db()
    item = JobItem.objects.get(job=job)
    sites = Site.objects.filter(client=tenant.client)
    codes = sites.values_list("code", flat=True)
    once = sites.values("code").distinct().count()
    lost = ROWS - once
    duplicated = sites.count() - once
    print(
        f"\nimport drill: {ROWS} rows; worker killed at {status_at_kill} with {sites_at_kill} sites written; "
        f"done once {once}, lost {lost}, duplicated {duplicated}; commit attempts {item.attempts}"
    )
    assert (once, lost, duplicated) == (ROWS, 0, 0)
    assert set(codes) == {f"S-{n:05d}" for n in range(1, ROWS + 1)}
    assert sites_at_kill == 0, "the commit is one transaction: nothing was visible half-way"
    assert (site_import.status, site_import.created_count) == (ImportStatus.COMMITTED, ROWS)
    assert (job.status, job.done_count, job.failed_count, item.status, item.outcome) == (
        "done",
        1,
        0,
        "done",
        "committed",
    )
    assert item.attempts >= 2, "the killed attempt and the one that committed"
    assert AuditEvent.objects.filter(verb="site_import.committed", target_id=str(site_import.pk)).count() == 1


DRY_RUN_ROWS = 40_000


def flawed_rows() -> list[str]:
    """DRY_RUN_ROWS rows: a bad latitude on every 1,000th, and every 997th repeats the code of a row far above
    (in another chunk)."""
    rows = []
    for n in range(1, DRY_RUN_ROWS + 1):
        if n % 1000 == 0:
            rows.append(site_line(n, latitude="95.5"))
        elif n % 997 == 0:
            rows.append(site_line(n - 900))
        else:
            rows.append(site_line(n))
    return rows


def test_killing_the_worker_mid_dry_run_checks_every_row_once(tenant, tmp_path, settings):
    content = csv_text(rows=flawed_rows())
    with Workers(tmp_path, TUTTI_MEDIA_ROOT=str(settings.MEDIA_ROOT)) as workers:
        first = workers.start()
        # given an upload whose dry run the worker starts at once (a short item time limit, so the sweep may take
        # over quickly)
        with transaction.atomic():
            site_import = services.site_import_create(
                organization=tenant.organization, actor=access_of(tenant), client=tenant.client, upload=upload(content)
            )
            job = site_import.validation_job
            Job.objects.filter(pk=job.pk).update(time_limit=10)

        # when the worker is SIGKILLed while the chunks are being checked
        def checking() -> bool:
            return SiteImport.objects.filter(
                pk=site_import.pk, status=ImportStatus.VALIDATING, rows_done__gte=DRY_RUN_ROWS // 4
            ).exists()

        assert wait_for(checking, timeout=180, interval=0.05), "the dry run did not start; see the log"
        first.kill()
        at_kill = SiteImport.objects.get(pk=site_import.pk)
        assert at_kill.status == ImportStatus.VALIDATING, "the drill came too late: the dry run had finished"

        # then a new worker, with the sweep that beat runs every minute, finishes the dry run
        workers.start()

        def finished() -> bool:
            jobs_sweep_task.delay()
            return Job.objects.get(pk=job.pk).status == "done"

        assert wait_for(finished, timeout=300, interval=3), "the job did not finish; see var/last-worker-test.log"

    # every row checked exactly once (rows_done moves in each chunk's transaction), with the whole file's problems
    site_import.refresh_from_db()
    job.refresh_from_db()
    chunks = list(JobItem.objects.filter(job=job, position__gt=0))
    rows_checked = sum(item.result["rows"] for item in chunks)
    _result, plan = importing.check_and_plan(
        site_import.file.path,
        "csv",
        organization_id=tenant.organization.pk,
        client_id=tenant.client.pk,
        client_code=tenant.client.code,
    )
    bad_latitudes, duplicates = DRY_RUN_ROWS // 1000, len([n for n in range(997, DRY_RUN_ROWS + 1, 997) if n % 1000])
    print(
        f"\ndry-run drill: {DRY_RUN_ROWS} rows in {len(chunks)} chunks; worker killed at {at_kill.rows_done} rows "
        f"checked; rows checked once {rows_checked}, counted {site_import.rows_done}; "
        f"chunks checked twice {sum(item.attempts > 1 for item in chunks)} (killed mid-chunk); "
        f"problems {site_import.error_count}"
    )
    assert (site_import.status, site_import.rows_total, site_import.rows_done) == (
        ImportStatus.VALIDATED,
        DRY_RUN_ROWS,
        DRY_RUN_ROWS,
    )
    assert rows_checked == DRY_RUN_ROWS
    assert len(chunks) == -(-DRY_RUN_ROWS // import_jobs.CHUNK_ROWS)
    assert all(item.status == "done" and item.outcome == "checked" for item in chunks)
    assert (job.status, job.done_count, job.failed_count) == ("done", 1 + len(chunks), 0)
    assert site_import.error_count == bad_latitudes + duplicates == len(plan.issues)
    assert site_import.errors == [issue.as_dict() for issue in plan.issues]
    assert site_import.created_count == DRY_RUN_ROWS - bad_latitudes - duplicates == len(plan.creates)
