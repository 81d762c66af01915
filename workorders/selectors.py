"""Reads of the workorders app. Every read is scoped: `visible_to(access)` or `for_organization(org)`."""

from __future__ import annotations

from datetime import date, time

from django.db.models import Count, Q, QuerySet

from programs.selectors import site_variations_for_packet, sow_current_approved
from programs.training import program_required_courses
from rollout.errors import NotFound
from rollout.models import AuditEvent
from rollout.tenancy import Access
from technicians.models import Technician
from technicians.selectors import technicians_qualified_for
from workorders.contributions import candidate_scores
from workorders.models import Shipment, WorkOrder
from workorders.readiness import work_scope

WORK_ORDER_TYPE = WorkOrder._meta.label_lower
SHIPMENT_TYPE = Shipment._meta.label_lower


def work_order_list(*, access: Access) -> QuerySet[WorkOrder]:
    """The work orders the caller may see (clients: their own client's programs), with program, site, wave
    and technician joined (for lists)."""
    return WorkOrder.objects.visible_to(access).with_summary()


def work_order_get(*, access: Access, work_order_id: int) -> WorkOrder:
    """One visible work order, or NotFound (another organization's looks exactly like a missing one)."""
    work_order = work_order_list(access=access).filter(pk=work_order_id).first()
    if work_order is None:
        raise NotFound()
    return work_order


def work_order_skills(*, organization, work_order: WorkOrder) -> list[str]:
    """The skills the work asks of a technician: the approved SOW's tasks that apply to the site, with the
    site's approved variations (skipped tasks out, added tasks in)."""
    sow = work_order.sow or sow_current_approved(organization=organization, program_id=work_order.program_id)
    if sow is None:
        return []
    scope = work_scope(
        tasks=sow.tasks.all(),
        materials=[],
        variations=site_variations_for_packet(
            organization=organization, program_id=work_order.program_id, site_id=work_order.site_id
        ),
        attributes=work_order.site.attributes,
    )
    return list(scope.skills)


def work_order_status_counts(*, queryset: QuerySet[WorkOrder]) -> dict[str, int]:
    """How many of the given work orders are in each state, in one query."""
    return dict(queryset.order_by().values_list("status").annotate(count=Count("id")))


def shipment_list(*, access: Access) -> QuerySet[Shipment]:
    """The shipments the caller may see, with their work order's number."""
    return Shipment.objects.visible_to(access).select_related("work_order")


def work_order_timeline(*, organization, work_order: WorkOrder) -> list[AuditEvent]:
    """The work order's history from the audit trail (its own events and its shipments'), oldest first."""
    shipment_ids = [
        str(pk)
        for pk in Shipment.objects.for_organization(organization)
        .filter(work_order=work_order)
        .values_list("pk", flat=True)
    ]
    return list(
        AuditEvent.objects.for_organization(organization)
        .filter(
            Q(target_type=WORK_ORDER_TYPE, target_id=str(work_order.pk))
            | Q(target_type=SHIPMENT_TYPE, target_id__in=shipment_ids)
        )
        .order_by("created_at", "id")
    )


def work_order_technician_candidates(
    *, organization, work_order: WorkOrder, on_date: date, at_time: time | None = None
) -> list[Technician]:
    """Technicians qualified for this work order's visit on `on_date` (and at `at_time`, the site's local
    time), nearest first; each carries `distance_km` and `scores` (what apps built on workorders contribute, e.g.
    quality's score: a list of {key, score, label, detail}). A fixed number of queries, plus the contributors'."""
    technicians = technicians_qualified_for(
        organization=organization,
        skills=work_order_skills(organization=organization, work_order=work_order),
        on_date=on_date,
        latitude=work_order.site.latitude,
        longitude=work_order.site.longitude,
        at_time=at_time,
        location_timezone=work_order.site.timezone,
        courses=program_required_courses(organization=organization, program_id=work_order.program_id),
    )
    scores = candidate_scores(organization, [technician.pk for technician in technicians])
    for technician in technicians:
        technician.scores = [{"key": key, **value} for key, value in scores.get(technician.pk, {}).items()]
    return technicians
