"""Background work of packets: render one version's PDF and tell the assigned technician about a new version.
(Bulk generation runs on the durable jobs' runner, rollout.job_run.) Ids in, idempotent, bounded in time."""

from __future__ import annotations

from celery import shared_task

from rollout.notices import MAIL_TASK_OPTIONS, mail_once


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


@shared_task(name="workorders.packet_notify_technician", **MAIL_TASK_OPTIONS)
def packet_notify_technician_task(*, organization_id: int, packet_id: int) -> None:
    """E-mail the assigned technician that a packet version is ready and must be acknowledged; once per
    (packet, technician). Does nothing when the version is no longer current or nobody is assigned."""
    from workorders.models import Packet
    from workorders.packets.services import visit_url

    packet = (
        Packet.objects.for_organization(organization_id)
        .select_related("work_order", "work_order__technician", "work_order__site", "work_order__organization")
        .filter(pk=packet_id)
        .first()
    )
    if packet is None or not packet.is_current or packet.work_order.technician is None:
        return
    work_order = packet.work_order
    # The issue time keeps the mark unique even if ids are ever reused (a restored database, a test run).
    mail_once(
        f"packet:{packet.pk}:{packet.issued_at.timestamp()}:{work_order.technician_id}",
        subject=f"Packet v{packet.version} for {work_order.number} at {work_order.site.code}: please acknowledge",
        template="workorders/packet/email_new_version.txt",
        context={"packet": packet, "work_order": work_order, "url": visit_url(work_order)},
        to=work_order.technician.email,
    )
