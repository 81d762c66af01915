"""Background work of the quality app: DRFT recomputation (per event; the nightly reconciliation runs as a durable
job, quality.drft.drft_reconcile_start) and the warranty close. (A rejection's notice is the `qa_review.rejected`
event.) Tasks take ids, are idempotent and bounded in time."""

from __future__ import annotations

from celery import shared_task

# Database errors worth a retry (a lock timeout, a dropped connection); a bad id is not retried.
DRFT_TASK_OPTIONS = {"acks_late": True, "soft_time_limit": 120, "time_limit": 180}


@shared_task(name="quality.drft_fact_refresh", **DRFT_TASK_OPTIONS)
def drft_fact_refresh_task(*, organization_id: int, work_order_id: int) -> None:
    """Recompute one work order's DRFT fact and its program's snapshots. Safe to run twice."""
    from quality.drft import drft_fact_refresh

    drft_fact_refresh(organization=organization_id, work_order_id=work_order_id)


@shared_task(name="quality.drft_reconcile_sweep", acks_late=True, soft_time_limit=60, time_limit=120)
def drft_reconcile_sweep_task() -> None:
    """Fan out one reconciliation per organization (nightly beat entry), so one large tenant never stalls the
    rest."""
    from rollout.models import Organization

    for organization_id in Organization.objects.order_by("pk").values_list("pk", flat=True):
        drft_reconcile_organization_task.delay(organization_id=organization_id)


@shared_task(name="quality.drft_reconcile_organization", acks_late=True, soft_time_limit=60, time_limit=120)
def drft_reconcile_organization_task(*, organization_id: int) -> int:
    """Start the durable reconciliation of one organization's DRFT (a rollout.jobs job: chunks of work orders, then
    the snapshots), unless one is already open. Returns the job's id."""
    from quality.drft import drft_reconcile_start

    return drft_reconcile_start(organization=organization_id).pk


@shared_task(name="quality.warranty_close_sweep", acks_late=True, soft_time_limit=60, time_limit=120)
def warranty_close_sweep_task() -> None:
    """Fan out one warranty-close pass per organization with accepted work (hourly beat entry)."""
    from workorders.choices import WorkOrderStatus
    from workorders.models import WorkOrder

    organization_ids = (
        WorkOrder.objects.filter(status=WorkOrderStatus.ACCEPTED)
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in organization_ids:
        warranty_close_organization_task.delay(organization_id=organization_id)


@shared_task(name="quality.warranty_close_organization", acks_late=True, soft_time_limit=300, time_limit=360)
def warranty_close_organization_task(*, organization_id: int) -> int:
    """Close one organization's accepted work whose warranty window has ended. Idempotent."""
    from quality.services import warranty_close_expired
    from rollout.models import Organization

    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return 0
    return warranty_close_expired(organization=organization)


@shared_task(name="quality.sampling_draw", **DRFT_TASK_OPTIONS)
def sampling_draw_task(*, organization_id: int, work_order_id: int) -> None:
    """Draw a submitted work order for review by its program's sampling policy. Idempotent per submission."""
    from quality.sampling import sampling_draw

    sampling_draw(organization=organization_id, work_order_id=work_order_id)


@shared_task(name="quality.sampling_auto_accept_sweep", acks_late=True, soft_time_limit=60, time_limit=120)
def sampling_auto_accept_sweep_task() -> None:
    """Fan out one policy-acceptance pass per organization with work waiting on it (beat, every 10 minutes)."""
    from django.utils import timezone

    from quality.models import SamplingDraw
    from workorders.choices import WorkOrderStatus

    organization_ids = (
        SamplingDraw.objects.filter(
            review_required=False, auto_accept_at__lte=timezone.now(), work_order__status=WorkOrderStatus.SUBMITTED
        )
        .order_by()
        .values_list("organization_id", flat=True)
        .distinct()
    )
    for organization_id in organization_ids:
        sampling_auto_accept_organization_task.delay(organization_id=organization_id)


@shared_task(name="quality.sampling_auto_accept_organization", acks_late=True, soft_time_limit=300, time_limit=360)
def sampling_auto_accept_organization_task(*, organization_id: int) -> int:
    """Accept by the policy one organization's submitted work not drawn for review whose wait ended. Idempotent."""
    from quality.sampling import sampling_auto_accept_due

    return sampling_auto_accept_due(organization=organization_id)
