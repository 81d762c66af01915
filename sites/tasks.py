"""Background work of the sites app: an import's dry run (its commit runs as a durable job, rollout.job_run,
kind sites.site_import_commit). Ids in, idempotent, bounded."""

from celery import shared_task

from sites import services


@shared_task(name="sites.site_import_validate", acks_late=True, soft_time_limit=540, time_limit=600)
def site_import_validate_task(*, organization_id: int, import_id: int) -> None:
    """Dry-run an uploaded import; progress and the report are written on the SiteImport row.

    A re-run after it finished does nothing; a re-run after a crash checks the file again.
    """
    services.site_import_run_dry_run(organization_id=organization_id, import_id=import_id)
