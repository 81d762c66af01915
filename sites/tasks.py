"""Background work of the sites app. An import's dry run and commit run as durable jobs (rollout.job_run, kinds
sites.site_import_validate and sites.site_import_commit): nothing of their own in Celery."""

from celery import shared_task
from django.db import transaction

from sites.choices import ImportStatus
from sites.import_jobs import site_import_validation_start
from sites.models import SiteImport


@shared_task(name="sites.site_import_validate", acks_late=True, soft_time_limit=50, time_limit=60)
def site_import_validate_task(*, organization_id: int, import_id: int) -> None:
    """Kept for messages queued before the dry run became a durable job: start that job for an import still
    waiting for its dry run without one. Does nothing otherwise (another organization's id included)."""
    with transaction.atomic():
        site_import = (
            SiteImport.objects.for_organization(organization_id)
            .select_for_update()
            .filter(
                pk=import_id, validation_job__isnull=True, status__in=[ImportStatus.UPLOADED, ImportStatus.VALIDATING]
            )
            .first()
        )
        if site_import is not None:
            SiteImport.objects.filter(pk=site_import.pk).update(status=ImportStatus.UPLOADED)
            site_import_validation_start(site_import)
