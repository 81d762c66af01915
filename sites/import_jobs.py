"""A site import's dry run as a durable job (rollout.jobs, kind sites.site_import_validate): it survives a dead
worker, counts only rows checked, and never checks a chunk of rows twice.

The job starts with one item (ref 0) that reads the whole file once into a spool of rows
(sites.importing.chunks) and, in the transaction that finishes it, adds one item per chunk of CHUNK_ROWS rows (ref =
the chunk's byte offset in the spool) and sets the import's rows_total. Each chunk item checks its rows and, in its
own transaction, adds them to the import's rows_done. When the last item is done, the job's settle hook adds the
chunks up (duplicate codes across chunks included) and writes the report on the import, in the transaction that
closes the job.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from rollout import jobs
from rollout.models import Job, JobItem, JobItemStatus, JobStatus
from sites import importing
from sites.attributes import AttributeSchema
from sites.choices import ImportStatus
from sites.importing import chunks
from sites.models import SiteImport

logger = logging.getLogger(__name__)

SITE_IMPORT_VALIDATE = "sites.site_import_validate"
READ_REF = 0  # the item that reads the file; a chunk's ref is its offset in the spool, after the header line
CHUNK_ROWS = 5_000


def site_import_validation_start(site_import: SiteImport) -> Job:
    """Create the dry run's job (in the caller's transaction; it starts after commit) and link it."""
    job = jobs.job_create(organization=site_import.organization_id, kind=SITE_IMPORT_VALIDATE, refs=[READ_REF])
    SiteImport.objects.filter(pk=site_import.pk).update(validation_job=job)
    site_import.validation_job = job
    return job


def spool_path(site_import: SiteImport) -> Path:
    """The file's rows, spooled next to it in private storage while the dry run runs."""
    path = Path(site_import.file.path)
    return path.with_name(f"{path.stem}.rows.jsonl")


def _import_of(job: Job, *statuses: str):
    return SiteImport.objects.for_organization(job.organization_id).filter(validation_job=job, status__in=statuses)


def _started(job: Job) -> None:
    _import_of(job, ImportStatus.UPLOADED).update(
        status=ImportStatus.VALIDATING, rows_done=0, rows_total=0, updated_at=timezone.now()
    )


def _validate_item(job: Job, item: JobItem) -> None:
    site_import = _import_of(job, ImportStatus.VALIDATING).select_related("client").first()
    if site_import is None:  # deleted, or settled by another delivery
        with transaction.atomic():
            jobs.job_item_finish(item, outcome="skipped", message="The import is no longer being checked.")
        return
    with importing.paused_gc():
        if item.ref == READ_REF:
            _read(item, site_import)
        else:
            _check(item, site_import)


def _read(item: JobItem, site_import: SiteImport) -> None:
    """Read the whole file once: spool its rows and add one item per chunk, or record why it cannot be read."""
    try:
        spool = chunks.spool_write(
            site_import.file.path, site_import.format, spool_path(site_import), chunk_rows=CHUNK_ROWS
        )
    except importing.ImportFileError as error:
        with transaction.atomic():
            jobs.job_item_finish(
                item, outcome="unreadable", result={"file_issue": importing.Issue(None, None, str(error)).as_dict()}
            )
        return
    header = spool.header_row
    with transaction.atomic():
        jobs.job_items_add(item, spool.chunks)
        SiteImport.objects.filter(pk=site_import.pk, status=ImportStatus.VALIDATING).update(rows_total=spool.rows)
        jobs.job_item_finish(
            item,
            outcome="read",
            result={
                "header": [header.number, header.cells, header.cell_issues],
                "header_issues": [issue.as_dict() for issue in spool.header.issues],
                "rows": spool.rows,
            },
        )


def _check(item: JobItem, site_import: SiteImport) -> None:
    """Check one chunk; its rows count as done in the transaction that records the result."""
    result = chunks.chunk_check(
        spool_path(site_import),
        item.ref,
        chunk_rows=CHUNK_ROWS,
        organization_id=site_import.organization_id,
        client_id=site_import.client_id,
        client_code=site_import.client.code,
        schema=AttributeSchema.from_json(site_import.attribute_schema),
    )
    with transaction.atomic():
        SiteImport.objects.filter(pk=site_import.pk, status=ImportStatus.VALIDATING).update(
            rows_done=F("rows_done") + result["rows"], updated_at=timezone.now()
        )
        jobs.job_item_finish(item, outcome="checked", result=result)


def _spool_remove(job: Job) -> None:
    site_import = SiteImport.objects.for_organization(job.organization_id).filter(validation_job=job).first()
    if site_import is not None and site_import.file:
        spool_path(site_import).unlink(missing_ok=True)


def _finish(job: Job) -> str | None:
    """After the last item: the spool goes (the chunks' results hold all the report needs); a failed item fails
    the dry run (a report without its rows would be wrong)."""
    _spool_remove(job)
    failed = JobItem.objects.filter(job=job, status=JobItemStatus.FAILED).order_by("position").first()
    return failed.message if failed is not None else None


def _report(job: Job) -> dict:
    """The import's fields once every item is done: the chunks added up, or the whole file's problem."""
    done = JobItem.objects.filter(job=job, status=JobItemStatus.DONE).order_by("position")
    results = done.values_list("result", flat=True).iterator()
    read = next(results)
    empty = {"rows_total": 0, "rows_done": 0, "created_count": 0, "updated_count": 0, "unchanged_count": 0}
    if "file_issue" in read:
        return {**empty, "error_count": 1, "errors": [read["file_issue"]]}
    if read["header_issues"]:
        return {**empty, "error_count": len(read["header_issues"]), "errors": read["header_issues"]}
    number, cells, cell_issues = read["header"]
    header = importing.read_header(importing.RawRow(number, cells, cell_issues))
    totals = chunks.chunks_merge(header, results)
    return {
        "rows_total": totals.rows,
        "rows_done": totals.rows,
        "created_count": totals.created,
        "updated_count": totals.updated,
        "unchanged_count": totals.unchanged,
        "error_count": totals.error_count,
        "errors": totals.errors,
    }


def _settle(job: Job) -> None:
    """In the transaction that closes the job: the report, or the failure, on the import."""
    site_import = _import_of(job, ImportStatus.UPLOADED, ImportStatus.VALIDATING).first()
    if site_import is None:
        return
    now = timezone.now()
    if job.status == JobStatus.DONE:
        changes = {**_report(job), "status": ImportStatus.VALIDATED, "validated_at": now}
    else:
        changes = {"status": ImportStatus.FAILED, "failure_message": f"The dry run stopped: {job.failure_reason}"}
    SiteImport.objects.filter(pk=site_import.pk).update(**changes, updated_at=now)
    if job.status == JobStatus.FAILED:  # failed by the sweep, without a finish
        transaction.on_commit(lambda: _spool_remove(job))


jobs.job_kind_register(
    jobs.JobKind(
        name=SITE_IMPORT_VALIDATE,
        run_item=_validate_item,
        # Reading a 200,000-row workbook is the longest item; a claim older than this belongs to a dead worker.
        time_limit=300,
        started=_started,
        finish=_finish,
        settle=_settle,
    )
)


def site_import_validation_run(*, organization_id: int, import_id: int, token: str = "inline") -> None:
    """Run an import's dry run to its end in this process (the demo seeders load their sites this way); a dry run
    that already ran (or is running elsewhere) is left as it is."""
    job_id = (
        SiteImport.objects.for_organization(organization_id)
        .filter(pk=import_id)
        .values_list("validation_job_id", flat=True)
        .first()
    )
    if job_id is None:
        return
    while jobs.job_run(organization_id=organization_id, job_id=job_id, token=token):
        pass
