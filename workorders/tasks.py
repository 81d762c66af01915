"""Background work of the workorders app. Tasks take ids, are idempotent and bounded in time."""

from __future__ import annotations

from celery import shared_task

from rollout.notices import MAIL_TASK_OPTIONS, mail_once

NOTICE_SUBJECTS = {
    "assigned": "New visit: {number} at {site}",
    "rescheduled": "Visit moved: {number} at {site}",
    "dispatched": "Dispatched: {number} at {site}",
    "recalled": "Visit recalled: {number} at {site}",
    "rework": "Rework needed: {number} at {site}",
    "return_visit": "Return visit booked: {number} at {site}",
    "cancelled": "Visit cancelled: {number} at {site}",
}


@shared_task(name="workorders.work_order_notify_technician", **MAIL_TASK_OPTIONS)
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
    context = {
        "work_order": work_order,
        "event": event,
        "window": describe_window(work_order),
        "organization": work_order.organization,
    }
    mail_once(
        f"work-order:{work_order_id}:{work_order.created_at.timestamp():.6f}:{version}:{event}",
        subject=NOTICE_SUBJECTS[event].format(number=work_order.number, site=work_order.site.code),
        template="workorders/emails/technician_notice.txt",
        context=context,
        to=work_order.technician.email,
    )
