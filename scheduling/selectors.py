"""Reads of the scheduling app: runs visible to an access, a run's proposals grouped for review, staleness."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import F, QuerySet

from rollout.tenancy import Access
from scheduling.models import ScheduleProposal, ScheduleRun, ScheduleUnscheduled


def schedule_run_list(*, access: Access) -> QuerySet[ScheduleRun]:
    return ScheduleRun.objects.visible_to(access).select_related("program", "wave")


def schedule_run_stale_ids(run: ScheduleRun) -> list[int]:
    """Work orders of not-yet-booked proposals that changed since the run read them (one query)."""
    return list(
        ScheduleProposal.objects.filter(run=run, visit__isnull=True)
        .exclude(work_order__version=F("work_order_version"))
        .values_list("work_order_id", flat=True)
    )


def schedule_run_proposals(*, run: ScheduleRun) -> QuerySet[ScheduleProposal]:
    return (
        ScheduleProposal.objects.filter(run=run, organization_id=run.organization_id)
        .select_related("work_order", "work_order__site", "technician")
        .order_by("technician__full_name", "technician_id", "day", "order")
    )


def schedule_run_unscheduled(*, run: ScheduleRun) -> QuerySet[ScheduleUnscheduled]:
    return (
        ScheduleUnscheduled.objects.filter(run=run, organization_id=run.organization_id)
        .select_related("work_order", "work_order__site")
        .order_by("reason", "work_order__number")
    )


def schedule_run_review(*, run: ScheduleRun) -> list[dict]:
    """Per technician, per day, the proposed visits (for the review page)."""
    grouped: dict = defaultdict(lambda: defaultdict(list))
    technicians = {}
    for proposal in schedule_run_proposals(run=run):
        technicians[proposal.technician_id] = proposal.technician
        grouped[proposal.technician_id][proposal.day].append(proposal)
    loads = {row["technician"]: row for row in run.summary.get("technicians", [])}
    return [
        {
            "technician": technicians[tid],
            "load": loads.get(tid, {}),
            "days": [{"day": day, "visits": visits} for day, visits in sorted(days.items())],
        }
        for tid, days in grouped.items()
    ]
