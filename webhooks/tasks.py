"""Celery tasks of the webhooks app: thin wrappers that take ids."""

from __future__ import annotations

from celery import shared_task

from webhooks import services


@shared_task(
    name="webhooks.delivery_send", bind=True, acks_late=True, soft_time_limit=30, time_limit=45, ignore_result=True
)
def webhook_delivery_send_task(self, *, organization_id: int, delivery_id: int) -> None:
    """Send one due delivery once. Idempotent: the task id is the claim token, so a message redelivered after its
    worker died takes its own claim back; a done, not-due or otherwise claimed delivery is left alone."""
    services.delivery_send(organization_id=organization_id, delivery_id=delivery_id, token=self.request.id)


@shared_task(name="webhooks.deliveries_sweep", acks_late=True, soft_time_limit=50, time_limit=60, ignore_result=True)
def deliveries_sweep_task() -> int:
    """Beat, every minute: enqueue the deliveries whose next attempt is due or whose worker died."""
    return services.deliveries_sweep()
