"""Background work of packets: render one version's PDF (the technician hears of a new version through the
`packet.issued` event). Bulk generation runs on the durable jobs' runner (rollout.job_run). Ids in, idempotent,
bounded in time."""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="workorders.packet_render",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
)
def packet_render_task(*, organization_id: int, packet_id: int) -> None:
    """Render a packet version's PDF once; a re-run after success (or after a recorded failure) does nothing.
    Retries only what is transient (file system errors); a render error is recorded on the version."""
    from workorders.packets import services

    services.packet_render(organization=organization_id, packet_id=packet_id)
