"""Writes of the sites app: sites, site contacts and bulk site imports.

Each service is one transaction that locks, checks, writes, audits and enqueues follow-up work after commit.
The import services are split in two: a request (site_import_create, site_import_commit) that the PM makes,
and the work that a durable job does from ids: the dry run (sites.import_jobs) and the commit (site_import_apply).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from rollout import jobs
from rollout.audit import audit_created, audit_deleted, audit_record, audit_snapshot
from rollout.errors import ApplicationError, Conflict, NotFound
from rollout.models import Client, Job, JobItem, JobItemStatus, JobStatus, Organization
from rollout.tenancy import Access, organization_id_of
from sites import import_jobs, importing
from sites.attributes import AttributeSchema
from sites.choices import ImportStatus, SiteStatus
from sites.errors import DuplicateSiteCode, ImportFailed, ImportHasErrors, ImportNotReady
from sites.events import site_import_finished_emit
from sites.models import CONTACT_FIELDS, SITE_FIELDS, Site, SiteContact, SiteImport
from sites.values import (
    SiteValueError,
    clean_access_hours,
    clean_attributes,
    clean_blackout_dates,
    clean_coordinate,
    clean_country,
    clean_timezone,
    timezone_for_coordinates,
)

logger = logging.getLogger(__name__)

SITE_AUDIT_FIELDS = ["client", *SITE_FIELDS, "status"]
MAX_IMPORT_BYTES = 50 * 1024 * 1024


# --- Sites ----------------------------------------------------------------------------------------

_CLEANERS: dict[str, Callable] = {
    "country": lambda value: clean_country(value or "US"),
    "latitude": lambda value: None if value in (None, "") else clean_coordinate(value, "latitude"),
    "longitude": lambda value: None if value in (None, "") else clean_coordinate(value, "longitude"),
    "timezone": lambda value: clean_timezone(value) if value else "",
    "access_hours": clean_access_hours,
    "blackout_dates": clean_blackout_dates,
    "attributes": clean_attributes,
}


def site_values_clean(values: dict, *, schema: AttributeSchema | None = None) -> dict:
    """Normalize the given site fields (the same rules as the importer); the first problem is raised with its field."""
    cleaned = {}
    for name, value in values.items():
        if name not in SITE_FIELDS and name != "client":
            raise ApplicationError(f"“{name}” is not a site field.", code="unknown_field", field=name)
        try:
            cleaned[name] = _CLEANERS[name](value) if name in _CLEANERS else value
        except SiteValueError as error:
            raise ApplicationError(str(error), code="invalid", field=name) from error
        if isinstance(cleaned[name], str):
            cleaned[name] = cleaned[name].strip()
    if schema is not None and "attributes" in cleaned:
        problems = schema.problems(cleaned["attributes"])
        if problems:
            raise ApplicationError(problems[0][1], code="invalid_attribute", field="attributes")
    return cleaned


def _complete_location(site: Site) -> None:
    """Both coordinates or neither; derive the time zone from them when it is empty."""
    if (site.latitude is None) != (site.longitude is None):
        missing = "longitude" if site.latitude is not None else "latitude"
        raise ApplicationError(
            "Give both latitude and longitude, or neither.", code="coordinates_incomplete", field=missing
        )
    if not site.timezone and site.latitude is not None:
        site.timezone = timezone_for_coordinates(site.latitude, site.longitude) or ""
    if not site.timezone:
        raise ApplicationError(
            "A time zone is required: give one, or latitude and longitude to derive it.",
            code="timezone_required",
            field="timezone",
        )


def _check_client(organization, client: Client) -> None:
    if client.organization_id != organization_id_of(organization):
        raise NotFound()


def _check_code_free(organization, *, client_id: int, code: str, exclude_pk: int | None = None) -> None:
    taken = Site.objects.for_organization(organization).filter(client_id=client_id, code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise DuplicateSiteCode(f"This client already has a site with code “{code}”.", field="code")


def _lock_site(organization, site_id: int) -> Site:
    site = Site.objects.for_organization(organization).select_for_update().filter(pk=site_id).first()
    if site is None:
        raise NotFound()
    return site


@transaction.atomic
def site_create(
    *,
    organization: Organization,
    actor: Access,
    client: Client,
    code: str,
    name: str,
    schema: AttributeSchema | None = None,
    **fields,
) -> Site:
    """Add a site to a client; its code is unique per client; the time zone comes from coordinates if not given."""
    _check_client(organization, client)
    values = site_values_clean({"code": code, "name": name, **fields}, schema=schema)
    if not values["code"]:
        raise ApplicationError("The site code is required.", code="required", field="code")
    _check_code_free(organization, client_id=client.pk, code=values["code"])
    site = Site(organization=organization, client=client, **values)
    _complete_location(site)
    site.save()
    audit_created(organization, actor, site, SITE_AUDIT_FIELDS, verb="site.created")
    return site


@transaction.atomic
def site_update(
    *, organization: Organization, actor: Access, site_id: int, schema: AttributeSchema | None = None, **changes
) -> Site:
    """Change a site's details. An empty time zone is derived again from the coordinates."""
    site = _lock_site(organization, site_id)
    values = site_values_clean(changes, schema=schema)
    if "client" in values:
        _check_client(organization, values["client"])
    fields = sorted(values)
    before = audit_snapshot(site, fields)
    for name, value in values.items():
        setattr(site, name, value)
    if "code" in values or "client" in values:
        _check_code_free(organization, client_id=site.client_id, code=site.code, exclude_pk=site.pk)
    _complete_location(site)  # only an emptied time zone is derived again, so `fields` already names it
    site.save()
    after = audit_snapshot(site, fields)
    if after != before:
        audit_record(
            organization=organization, actor=actor, verb="site.updated", target=site, before=before, after=after
        )
    return site


def _site_set_status(*, organization, actor, site_id: int, status: str, verb: str) -> Site:
    site = _lock_site(organization, site_id)
    if site.status == status:
        return site
    before = site.status
    site.status = status
    site.save(update_fields=["status", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        verb=verb,
        target=site,
        before={"status": before},
        after={"status": status},
    )
    return site


@transaction.atomic
def site_deactivate(*, organization: Organization, actor: Access, site_id: int) -> Site:
    """Mark a site inactive (it stays on record and in exports). Deactivating twice is harmless."""
    return _site_set_status(
        organization=organization, actor=actor, site_id=site_id, status=SiteStatus.INACTIVE, verb="site.deactivated"
    )


@transaction.atomic
def site_activate(*, organization: Organization, actor: Access, site_id: int) -> Site:
    """Make an inactive site active again."""
    return _site_set_status(
        organization=organization, actor=actor, site_id=site_id, status=SiteStatus.ACTIVE, verb="site.activated"
    )


@transaction.atomic
def site_delete(*, organization: Organization, actor: Access, site_id: int) -> None:
    """Delete a site that nothing refers to yet (its contacts go with it); otherwise deactivate it instead."""
    site = _lock_site(organization, site_id)
    audit_deleted(organization, actor, site, SITE_AUDIT_FIELDS, verb="site.deleted")
    try:
        with transaction.atomic():
            site.delete()
    except ProtectedError as exc:
        raise Conflict(
            "This site is used by programs or work orders: deactivate it instead.", code="site_in_use"
        ) from exc


# --- Contacts -------------------------------------------------------------------------------------


def _clear_other_primary(organization, contact: SiteContact) -> None:
    SiteContact.objects.for_organization(organization).filter(site_id=contact.site_id, is_primary=True).exclude(
        pk=contact.pk
    ).update(is_primary=False, updated_at=timezone.now())


@transaction.atomic
def site_contact_add(
    *,
    organization: Organization,
    actor: Access,
    site_id: int,
    name: str,
    role: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
) -> SiteContact:
    """Add a contact to a site; a new primary contact takes over from the previous one."""
    site = _lock_site(organization, site_id)
    if not name.strip():
        raise ApplicationError("The contact's name is required.", code="required", field="name")
    contact = SiteContact(
        organization=organization, site=site, name=name.strip(), role=role, phone=phone, email=email, is_primary=False
    )
    contact.save()
    if is_primary:
        _clear_other_primary(organization, contact)
        contact.is_primary = True
        contact.save(update_fields=["is_primary"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="site_contact.created",
        target=contact,
        after={"site": site.pk, **audit_snapshot(contact, list(CONTACT_FIELDS))},
    )
    return contact


def _lock_contact(organization, contact_id: int) -> SiteContact:
    contact = SiteContact.objects.for_organization(organization).select_for_update().filter(pk=contact_id).first()
    if contact is None:
        raise NotFound()
    _lock_site(organization, contact.site_id)
    return contact


@transaction.atomic
def site_contact_update(*, organization: Organization, actor: Access, contact_id: int, **changes) -> SiteContact:
    """Change a contact's details; making it primary demotes the site's other primary contact."""
    contact = _lock_contact(organization, contact_id)
    unknown = set(changes) - set(CONTACT_FIELDS)
    if unknown:
        name = sorted(unknown)[0]
        raise ApplicationError(f"“{name}” cannot be changed here.", code="unknown_field", field=name)
    if "name" in changes and not str(changes["name"]).strip():
        raise ApplicationError("The contact's name is required.", code="required", field="name")
    fields = sorted(changes)
    before = audit_snapshot(contact, fields)
    if changes.get("is_primary"):
        _clear_other_primary(organization, contact)
    for name, value in changes.items():
        setattr(contact, name, value.strip() if isinstance(value, str) else value)
    contact.save()
    after = audit_snapshot(contact, fields)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            verb="site_contact.updated",
            target=contact,
            before=before,
            after=after,
        )
    return contact


@transaction.atomic
def site_contact_remove(*, organization: Organization, actor: Access, contact_id: int) -> None:
    """Remove a contact from its site."""
    contact = _lock_contact(organization, contact_id)
    audit_record(
        organization=organization,
        actor=actor,
        verb="site_contact.removed",
        target=contact,
        before={"site": contact.site_id, **audit_snapshot(contact, list(CONTACT_FIELDS))},
    )
    contact.delete()


# --- Imports --------------------------------------------------------------------------------------


@transaction.atomic
def site_import_create(
    *,
    organization: Organization,
    actor: Access,
    client: Client,
    upload: UploadedFile,
    attribute_schema: AttributeSchema | None = None,
) -> SiteImport:
    """Store an uploaded CSV/XLSX privately and start its dry run in the background (a durable job, after commit)."""
    _check_client(organization, client)
    filename = (upload.name or "sites").rsplit("/", 1)[-1][:255]
    if upload.size > MAX_IMPORT_BYTES:
        raise ApplicationError(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB: split it into several imports.",
            code="file_too_large",
            field="file",
        )
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    file_format = importing.detect_format(filename, head)
    if file_format is None:
        raise ApplicationError("Upload a .csv or .xlsx file.", code="unsupported_format", field="file")
    site_import = SiteImport(
        organization=organization,
        client=client,
        original_filename=filename,
        format=file_format,
        file_size=upload.size,
        attribute_schema=attribute_schema.to_json() if attribute_schema else None,
        created_by=actor.user,
        created_by_label=actor.actor_label[:200],
    )
    site_import.file.save(filename, upload, save=False)
    site_import.save()
    audit_record(
        organization=organization,
        actor=actor,
        verb="site_import.uploaded",
        target=site_import,
        after={"client": client.pk, "filename": filename, "format": file_format, "size": upload.size},
    )
    import_jobs.site_import_validation_start(site_import)
    return site_import


def _progress_reporter(import_id: int) -> Callable[[int], None]:
    """Write rows_done at most every half second, outside any transaction, so the progress bar moves."""
    last = [0.0]

    def report(done: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.5:
            SiteImport.objects.filter(pk=import_id).update(rows_done=done)
            last[0] = now

    return report


def _issues_json(issues: list[importing.Issue]) -> list[dict]:
    return [issue.as_dict() for issue in issues[: importing.MAX_STORED_ISSUES]]


def _import_for_work(organization_id: int, import_id: int, status: str) -> SiteImport | None:
    return (
        SiteImport.objects.for_organization(organization_id)
        .select_related("client", "committed_by")
        .filter(pk=import_id, status=status)
        .first()
    )


@transaction.atomic
def site_import_commit(*, organization: Organization, actor: Access, import_id: int) -> SiteImport:
    """Ask for a checked import to be written (in the background, all or nothing).

    Refused while the dry run runs or when it found problems. Asking again while it commits is harmless.
    """
    site_import = SiteImport.objects.for_organization(organization).select_for_update().filter(pk=import_id).first()
    if site_import is None:
        raise NotFound()
    if site_import.status in (ImportStatus.COMMITTING, ImportStatus.COMMITTED):
        return site_import
    if site_import.status in (ImportStatus.UPLOADED, ImportStatus.VALIDATING):
        raise ImportNotReady()
    if site_import.status == ImportStatus.FAILED:
        raise ImportFailed()
    if site_import.error_count:
        raise ImportHasErrors(
            f"The dry run found {site_import.error_count} problem(s): fix the file and upload it again."
        )
    site_import.status = ImportStatus.COMMITTING
    site_import.rows_done = 0
    site_import.committed_by = actor.user
    site_import.commit_requested_at = timezone.now()
    # A durable job of one item, the whole commit: a worker killed half-way wrote nothing (one transaction),
    # and the job is redelivered or re-queued by the sweep until the import is committed or failed.
    site_import.commit_job = jobs.job_create(organization=organization, kind=SITE_IMPORT_COMMIT, refs=[site_import.pk])
    site_import.save(
        update_fields=["status", "rows_done", "committed_by", "commit_requested_at", "commit_job", "updated_at"]
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="site_import.commit_requested",
        target=site_import,
        after={"created": site_import.created_count, "updated": site_import.updated_count},
    )
    return site_import


class _CommitRefused(Exception):
    def __init__(self, issues: list[importing.Issue]):
        self.issues = issues


def _mark_failed(
    import_id: int, message: str, issues: list[importing.Issue] | None = None, item: JobItem | None = None
) -> None:
    """Fail a committing import (and its job item, in the same transaction)."""
    changes = {"status": ImportStatus.FAILED, "failure_message": message, "updated_at": timezone.now()}
    if issues is not None:
        changes.update(error_count=len(issues), errors=_issues_json(issues))
    with transaction.atomic():
        failing = SiteImport.objects.filter(pk=import_id, status=ImportStatus.COMMITTING)
        site_import = failing.select_related("organization", "client").first()
        if failing.update(**changes) and site_import is not None:
            site_import_finished_emit(site_import=site_import, status=ImportStatus.FAILED, failure_message=message)
        if item is not None:
            jobs.job_item_finish(item, outcome="failed", failed=True, message=message)


def _apply(site_import: SiteImport, item: JobItem | None) -> None:
    """Check the file, then plan and write it in one transaction; raises to refuse (nothing written)."""
    schema = AttributeSchema.from_json(site_import.attribute_schema)
    result = importing.check_rows(
        importing.read_file(site_import.file.path, site_import.format),
        client_code=site_import.client.code,
        schema=schema,
        progress=_progress_reporter(site_import.pk),
    )
    SiteImport.objects.filter(pk=site_import.pk).update(rows_done=result.rows_read)
    with transaction.atomic():
        locked = SiteImport.objects.select_for_update().filter(pk=site_import.pk, status=ImportStatus.COMMITTING)
        if not locked.exists():
            return
        Client.objects.select_for_update().filter(pk=site_import.client_id).exists()
        plan = importing.plan_import(
            result, organization_id=site_import.organization_id, client_id=site_import.client_id, schema=schema
        )
        issues = importing.sort_issues([*result.issues, *plan.issues])
        if issues:
            raise _CommitRefused(issues)
        now = timezone.now()
        importing.write_plan(
            plan, organization_id=site_import.organization_id, client_id=site_import.client_id, now=now
        )
        counts = {"created": len(plan.creates), "updated": len(plan.updates), "unchanged": plan.unchanged}
        locked.update(
            status=ImportStatus.COMMITTED,
            rows_total=result.rows_read,
            rows_done=result.rows_read,
            created_count=counts["created"],
            updated_count=counts["updated"],
            unchanged_count=counts["unchanged"],
            committed_at=now,
            updated_at=now,
        )
        audit_record(
            organization=site_import.organization,
            actor=site_import.committed_by,
            verb="site_import.committed",
            target=site_import,
            after=counts,
        )
        site_import_finished_emit(site_import=site_import, status=ImportStatus.COMMITTED, counts=counts)
        if item is not None:  # the job's item is done in the transaction that wrote the sites
            jobs.job_item_finish(item, outcome="committed", result=counts)


def site_import_apply(*, organization_id: int, import_id: int, item: JobItem | None = None) -> None:
    """Write a committing import in ONE transaction: every row or none. The file is checked again first,
    then compared with the sites as they are now under a lock on the client, so two imports cannot interleave.

    Idempotent: a committed (or failed) import is left alone; a commit interrupted half-way wrote nothing
    and runs again.
    """
    site_import = _import_for_work(organization_id, import_id, ImportStatus.COMMITTING)
    if site_import is None:
        return
    SiteImport.objects.filter(pk=import_id).update(rows_done=0)
    try:
        with importing.paused_gc():
            _apply(site_import, item)
    except _CommitRefused as refused:
        _mark_failed(
            import_id,
            "The file no longer passes the checks, so nothing was written: see the problems.",
            refused.issues,
            item=item,
        )
    except importing.ImportFileError as error:
        _mark_failed(import_id, f"Nothing was written: {error}", [importing.Issue(None, None, str(error))], item=item)
    except DatabaseError as error:
        logger.warning("Site import %s: the database refused the commit: %s", import_id, error)
        _mark_failed(import_id, f"The database refused the commit, so nothing was written: {error}".strip(), item=item)
    except (jobs.JobItemAlreadyFinished, SoftTimeLimitExceeded):
        raise  # another delivery committed it / the runner gives the item back for the continuation
    except Exception as error:
        logger.exception("Site import %s: commit failed", import_id)
        _mark_failed(import_id, f"The commit stopped, so nothing was written: {error}", item=item)
        raise


# --- The commit as a durable job -----------------------------------------------------------------------

SITE_IMPORT_COMMIT = "sites.site_import_commit"


def _commit_item(job: Job, item: JobItem) -> None:
    """The job's one item: the whole commit (site_import_apply), marked done in the transaction that writes
    the sites. An import found already committed or failed (a commit that ran outside the job, or a worker
    that finished it just before dying) settles the item with that outcome."""
    site_import_apply(organization_id=job.organization_id, import_id=item.ref, item=item)
    if item.status != JobItemStatus.PENDING:
        return
    site_import = SiteImport.objects.for_organization(job.organization_id).filter(pk=item.ref).first()
    if site_import is None or site_import.status == ImportStatus.COMMITTING:
        return  # left pending: the runner fails the item, and _commit_item_failed the import
    with transaction.atomic():
        failed = site_import.status != ImportStatus.COMMITTED
        jobs.job_item_finish(item, outcome=site_import.status, failed=failed, message=site_import.failure_message)


def _commit_item_failed(job: Job, item: JobItem, message: str) -> None:
    SiteImport.objects.for_organization(job.organization_id).filter(pk=item.ref, status=ImportStatus.COMMITTING).update(
        status=ImportStatus.FAILED, failure_message=f"Nothing was written: {message}", updated_at=timezone.now()
    )


def _commit_settle(job: Job) -> None:
    if job.status == JobStatus.FAILED:
        SiteImport.objects.for_organization(job.organization_id).filter(
            commit_job=job, status=ImportStatus.COMMITTING
        ).update(
            status=ImportStatus.FAILED,
            failure_message=f"Nothing was written: {job.failure_reason}",
            updated_at=timezone.now(),
        )


jobs.job_kind_register(
    jobs.JobKind(
        name=SITE_IMPORT_COMMIT,
        run_item=_commit_item,
        # The commit's share of the runner task's time limit: a claim older than that belongs to a dead worker.
        time_limit=480,
        item_failed=_commit_item_failed,
        settle=_commit_settle,
    )
)
