"""An import's dry run as a durable job (sites.import_jobs): checked in chunks, it reports exactly what the
whole-file check reports; progress counts checked rows only; a chunk whose worker died is checked again, and no
finished chunk is checked twice."""

import pytest
from django.db import transaction

from rollout import jobs
from rollout.models import Job, JobItem, JobItemStatus
from sites import import_jobs, importing, services
from sites.choices import ImportStatus
from sites.importing import chunks
from sites.models import SiteImport
from tests.sites.builders import access_of, upload
from tests.sites.factories import SiteFactory

pytestmark = pytest.mark.django_db

# The code column is not the first, so a duplicate's place among a row's other problems is visible.
HEADER = "name,code,timezone,latitude,longitude,attr:floors:int"
ROWS = [
    "One,A1,America/Chicago,41.1,-87.6,1",
    "Two,A2,America/Chicago,41.1,-87.6,2",
    "Three,A3,,,,3",  # a new site without a time zone: a plan problem
    "Four,A1,America/Chicago,41.1,-87.6,4",  # duplicate of row 2 (another chunk)
    ",A2,America/Chicago,95,-87.6,x",  # duplicate with problems before and after the code's column
    "Six,A3,,,,6",  # duplicate that would also be a plan problem
    "",  # an empty row: skipped, not counted
    "Seven,E1,America/Chicago,41.1,-87.6,7",  # an existing site, renamed: an update
    "Eight,E2,America/Denver,39.7,-104.9,8",  # an existing site as it is: unchanged
    "Nine,E1,America/Chicago,41.1,-87.6,9",  # duplicate of an update
    "Ten,E2,America/Denver,39.7,-104.9,8",  # duplicate of an unchanged row
    "Eleven,B1,Mars/Base,41.1,-87.6,1",  # a problem of its own
    "Twelve,A1,America/Chicago,41.1,-87.6,12",  # a third row of A1
    "Thirteen,C1,America/Chicago,41.1,-87.6,13",
]


class WorkerKilled(BaseException):
    """Stands for SIGKILL inside an item: nothing in the runner catches it."""


def content() -> str:
    return "\n".join([HEADER, *ROWS]) + "\n"


def uploaded(tenant, django_capture_on_commit_callbacks) -> SiteImport:
    """An uploaded import whose dry run's job is created but not started (its runner waits for the commit)."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        site_import = services.site_import_create(
            organization=tenant.organization, actor=access_of(tenant), client=tenant.client, upload=upload(content())
        )
    assert len(callbacks) == 1, "one runner task, after commit"
    site_import.refresh_from_db()
    assert (site_import.status, site_import.validation_job.kind) == ("uploaded", import_jobs.SITE_IMPORT_VALIDATE)
    return site_import


def run(job: Job, token: str, budget: float = 60) -> bool:
    return jobs.job_run(organization_id=job.organization_id, job_id=job.pk, token=token, budget_seconds=budget)


@pytest.fixture
def existing_sites(tenant):
    SiteFactory(organization=tenant.organization, client=tenant.client, code="E1", name="Old name")
    SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        code="E2",
        name="Eight",
        timezone="America/Denver",
        latitude="39.700000",
        longitude="-104.900000",
        attributes={"floors": 8},
        address_line1="",
        address_line2="",
        city="",
        state="",
        postal_code="",
        country="US",
        access_hours={},
        blackout_dates=[],
    )


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 5, 100])
def test_the_chunked_dry_run_reports_exactly_what_the_whole_file_check_reports(
    tenant, existing_sites, monkeypatch, django_capture_on_commit_callbacks, chunk_rows
):
    # given chunks of a few rows, so duplicate codes are spread over several chunks
    monkeypatch.setattr(import_jobs, "CHUNK_ROWS", chunk_rows)
    site_import = uploaded(tenant, django_capture_on_commit_callbacks)
    # when the job runs
    assert run(site_import.validation_job, "t1") is False
    site_import.refresh_from_db()
    # then the report is the whole-file check's, problem for problem and count for count
    _result, plan = importing.check_and_plan(
        site_import.file.path,
        "csv",
        organization_id=tenant.organization.pk,
        client_id=tenant.client.pk,
        client_code=tenant.client.code,
    )
    expected = [issue.as_dict() for issue in plan.issues]
    assert site_import.status == ImportStatus.VALIDATED
    assert site_import.errors == expected
    assert site_import.error_count == len(expected) == 11
    assert (site_import.created_count, site_import.updated_count, site_import.unchanged_count) == (
        len(plan.creates),
        len(plan.updates),
        plan.unchanged,
    )
    assert (len(plan.creates), len(plan.updates), plan.unchanged) == (3, 1, 1)
    assert (site_import.rows_total, site_import.rows_done) == (13, 13)
    job = site_import.validation_job
    job.refresh_from_db()
    chunks = -(-13 // chunk_rows)
    assert (job.status, job.total, job.done_count, job.failed_count) == ("done", 1 + chunks, 1 + chunks, 0)
    assert not import_jobs.spool_path(site_import).exists(), "the spool is removed with the job"


def test_progress_counts_checked_rows_and_a_killed_chunk_is_checked_again_and_no_other_twice(
    tenant, existing_sites, monkeypatch, django_capture_on_commit_callbacks
):
    # given a dry run in chunks of 4 rows (13 rows: 4 chunks), whose worker will be killed in the second chunk
    monkeypatch.setattr(import_jobs, "CHUNK_ROWS", 4)
    checked, kill_at = [], {6}
    real_check = chunks.chunk_check

    def chunk_check(spool, offset, **kwargs):
        result = real_check(spool, offset, **kwargs)
        checked.append(offset)
        if result["codes"] and result["codes"][0][1] in kill_at:  # the second chunk starts at row 6
            kill_at.clear()
            raise WorkerKilled
        return result

    monkeypatch.setattr(chunks, "chunk_check", chunk_check)
    site_import = uploaded(tenant, django_capture_on_commit_callbacks)
    job = site_import.validation_job

    # when a delivery reads the file (one item per delivery)
    assert run(job, "task-a", budget=0) is True
    site_import.refresh_from_db()
    # then the total is known and nothing is counted as done yet
    assert (site_import.status, site_import.rows_total, site_import.rows_done) == ("validating", 13, 0)
    job.refresh_from_db()
    assert (job.total, job.done_count) == (5, 1)

    # when it checks the first chunk, then is killed in the middle of the second
    assert run(job, "task-a", budget=0) is True
    assert SiteImport.objects.get(pk=site_import.pk).rows_done == 4
    with pytest.raises(WorkerKilled):
        run(job, "task-a")
    # then the killed chunk's rows are not counted
    assert SiteImport.objects.get(pk=site_import.pk).rows_done == 4

    # when the broker redelivers the message
    assert run(job, "task-a") is False

    # then every row is counted once, the killed chunk was checked again, and no chunk twice otherwise
    site_import.refresh_from_db()
    assert (site_import.status, site_import.rows_done, site_import.error_count) == ("validated", 13, 11)
    items = list(JobItem.objects.filter(job=job).order_by("position"))
    assert [item.status for item in items] == [JobItemStatus.DONE] * 5
    assert [item.attempts for item in items] == [1, 1, 2, 1, 1]
    assert sorted(checked) == sorted([item.ref for item in items[1:]] + [items[2].ref])
    assert sum(item.result["rows"] for item in items[1:]) == 13


def test_a_dry_run_whose_job_gives_up_fails_the_import_with_the_reason(tenant, django_capture_on_commit_callbacks):
    # given an uploaded import whose dry run nobody works on
    site_import = uploaded(tenant, django_capture_on_commit_callbacks)
    job = site_import.validation_job
    Job.objects.filter(pk=job.pk).update(requeue_count=99, heartbeat_at=job.heartbeat_at.replace(year=2000))
    # when the sweep runs
    report = jobs.jobs_sweep()
    # then the import is failed with why
    site_import.refresh_from_db()
    assert report.failed == [job.pk]
    assert site_import.status == ImportStatus.FAILED
    assert site_import.failure_message.startswith("The dry run stopped: No worker made progress")


def test_a_dry_run_message_queued_before_the_job_starts_the_job(tenant, django_capture_on_commit_callbacks):
    from sites.tasks import site_import_validate_task

    # given an import uploaded before the dry run was a job (no job, still waiting)
    site_import = uploaded(tenant, django_capture_on_commit_callbacks)
    SiteImport.objects.filter(pk=site_import.pk).update(validation_job=None)
    # when its old message is delivered
    with django_capture_on_commit_callbacks(execute=True):
        site_import_validate_task.delay(organization_id=tenant.organization.pk, import_id=site_import.pk)
    # then a job checks it
    site_import.refresh_from_db()
    assert site_import.status == ImportStatus.VALIDATED
    assert site_import.validation_job is not None
