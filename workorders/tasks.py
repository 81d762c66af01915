"""Background work of the workorders app. Tasks take ids, are idempotent and bounded in time."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.template.loader import render_to_string

NOTICE_SUBJECTS = {
    "assigned": "New visit: {number} at {site}",
    "rescheduled": "Visit moved: {number} at {site}",
    "dispatched": "Dispatched: {number} at {site}",
    "recalled": "Visit recalled: {number} at {site}",
    "rework": "Rework needed: {number} at {site}",
    "return_visit": "Return visit booked: {number} at {site}",
    "cancelled": "Visit cancelled: {number} at {site}",
}
SENT_MARK_SECONDS = 7 * 24 * 3600


@shared_task(
    name="workorders.work_order_notify_technician",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
    acks_late=True,
    soft_time_limit=30,
    time_limit=60,
)
def work_order_notify_technician_task(*, organization_id: int, work_order_id: int, event: str, version: int) -> None:
    """E-mail the assigned technician about a change to their visit, once per (work order, version, event).

    Does nothing when the work order is gone, has no technician, or changed again since (a later change
    sends its own notice). The sent mark is taken before sending and released if sending fails, so a
    retry or a duplicate delivery never sends the same notice twice.
    """
    from workorders.models import WorkOrder
    from workorders.readiness import describe_window

    work_order = (
        WorkOrder.objects.for_organization(organization_id)
        .select_related("site", "program", "technician", "organization")
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None or work_order.technician is None or work_order.version != version:
        return
    if event not in NOTICE_SUBJECTS:
        return
    # The row's creation time keeps the mark unique when ids are reused (a database recreated, a shared cache).
    mark = f"workorders:notice:{work_order_id}:{work_order.created_at.timestamp():.6f}:{version}:{event}"
    if not cache.add(mark, 1, timeout=SENT_MARK_SECONDS):
        return
    context = {
        "work_order": work_order,
        "event": event,
        "window": describe_window(work_order),
        "organization": work_order.organization,
    }
    try:
        send_mail(
            subject=NOTICE_SUBJECTS[event].format(number=work_order.number, site=work_order.site.code),
            message=render_to_string("workorders/emails/technician_notice.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[work_order.technician.email],
        )
    except Exception:
        cache.delete(mark)
        raise
