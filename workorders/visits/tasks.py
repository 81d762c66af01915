"""Background work of field visits. Tasks take ids, are idempotent and bounded in time."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="workorders.visits_no_show_sweep", acks_late=True, soft_time_limit=60, time_limit=120)
def visits_no_show_sweep_task() -> None:
    """Fan out one no-show sweep per organization that has a visit past its window and not checked in (for a
    beat entry, e.g. every 5 minutes), so that one slow tenant never stalls the rest."""
    from django.utils import timezone

    from workorders.choices import BEFORE_ARRIVAL
    from workorders.models import Visit

    organization_ids = (
        Visit.objects.filter(status__in=BEFORE_ARRIVAL, window_end__lt=timezone.now())
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in organization_ids:
        visits_no_show_organization_task.delay(organization_id=organization_id)


@shared_task(name="workorders.visits_no_show_organization", acks_late=True, soft_time_limit=120, time_limit=180)
def visits_no_show_organization_task(*, organization_id: int) -> int:
    """Mark one organization's missed visits as no-shows (window ended more than the check-in grace ago)."""
    from rollout.models import Organization
    from workorders.visits.services.planning import visits_mark_no_shows

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return visits_mark_no_shows(organization=organization)
