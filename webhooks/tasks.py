"""Celery tasks of the webhooks app: thin wrappers that take ids."""

from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(
    name="webhooks.deliveries_send", bind=True, acks_late=True, soft_time_limit=50, time_limit=60, ignore_result=True
)
def webhook_deliveries_send_task(self, *, organization_id: int, endpoint_id: int) -> None:
    """Send a batch of one endpoint's due deliveries, each once (services.deliveries_send). Idempotent: the task id
    is the claim token, so a message redelivered after its worker died takes its own claims back; done, not-due or
    otherwise claimed deliveries are left alone."""
    services.deliveries_send(organization_id=organization_id, endpoint_id=endpoint_id, token=self.request.id)


@shared_task(name="webhooks.deliveries_sweep", acks_late=True, soft_time_limit=50, time_limit=60, ignore_result=True)
def deliveries_sweep_task() -> int:
    """Beat, every minute: enqueue batches for the deliveries whose next attempt is due or whose worker died."""
    return services.deliveries_sweep()
