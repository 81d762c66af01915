"""Background work of field visits. Tasks take ids, are idempotent and bounded in time."""

from __future__ import annotations

from celery import shared_task

from rollout.notices import MAIL_TASK_OPTIONS, mail_once

NOTICE_SUBJECTS = {
    "cancelled": "Visit cancelled: {number} at {site}",
    "unassigned": "Visit reassigned to someone else: {number} at {site}",
}


@shared_task(name="workorders.visit_notify_technician", **MAIL_TASK_OPTIONS)
def visit_notify_technician_task(
    *, organization_id: int, visit_id: int, event: str, technician_id: int, version: int
) -> None:
    """E-mail a technician about a change to their visit (cancelled, or taken off it), once per (visit,
    version, event, technician). Does nothing when the visit is gone or changed again since (a later change sends
    its own notice). The sent mark is taken before sending and released if sending fails."""
    from technicians.models import Technician
    from workorders.models import Visit
    from workorders.visits.selectors import describe_visit_window

    visit = (
        Visit.objects.for_organization(organization_id)
        .select_related("work_order", "work_order__site", "work_order__program", "organization")
        .filter(pk=visit_id)
        .first()
    )
    technician = Technician.objects.for_organization(organization_id).filter(pk=technician_id).first()
    if visit is None or technician is None or visit.version != version or event not in NOTICE_SUBJECTS:
        return
    work_order = visit.work_order
    context = {
        "visit": visit,
        "work_order": work_order,
        "technician": technician,
        "event": event,
        "window": describe_visit_window(visit),
        "organization": visit.organization,
    }
    mail_once(
        f"visit:{visit_id}:{visit.created_at.timestamp():.6f}:{version}:{event}:{technician_id}",
        subject=NOTICE_SUBJECTS[event].format(number=work_order.number, site=work_order.site.code),
        template="workorders/visits/email_notice.txt",
        context=context,
        to=technician.email,
    )


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
