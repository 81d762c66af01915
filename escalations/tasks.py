"""Background work of the escalations app: the minute sweep fans out one task per organization (ids only); each
evaluates that organization's rules (escalations.sweep). Idempotent, acked late (a killed worker's message comes
back), bounded well within the broker's visibility timeout."""

from __future__ import annotations

from celery import shared_task

SWEEP_TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "soft_time_limit": 240, "time_limit": 300}


@shared_task(name="escalations.escalation_sweep", acks_late=True, soft_time_limit=50, time_limit=60)
def escalation_sweep_task() -> int:
    """Fan out one organization sweep per organization (beat, every minute). Returns how many were enqueued."""
    from rollout.models import Organization

    ids = list(Organization.objects.order_by("pk").values_list("pk", flat=True))
    for organization_id in ids:
        escalation_sweep_organization_task.delay(organization_id=organization_id)
    return len(ids)


@shared_task(name="escalations.escalation_sweep_organization", **SWEEP_TASK_OPTIONS)
def escalation_sweep_organization_task(*, organization_id: int) -> dict:
    """Sweep one organization's SLA rules as of now. Safe to run twice or side by side (see escalations.sweep)."""
    from escalations.sweep import escalations_sweep

    result = escalations_sweep(organization=organization_id)
    return {
        "at_risk": result.at_risk,
        "raised": result.raised,
        "escalated": result.escalated,
        "resolved": result.resolved,
    }
