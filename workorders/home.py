"""What the workorders app adds to the staff homes (registered from WorkorderConfig.ready()): the field team's size
(technicians, not members), today's visits with the late ones and the no-shows named, and — for PMs and admins —
the submitted work waiting for review."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from rollout.choices import Role
from rollout.tenancy import Access
from technicians.models import Technician
from workorders.choices import VisitState, WorkOrderStatus
from workorders.models import Visit, WorkOrder

ATTENTION = (VisitState.LATE, VisitState.NO_SHOW)


def field_today(access: Access) -> dict:
    """The coordinator's and planners' view of today (the organization's zone): counts and the visits to act on."""
    organization = access.organization
    today = timezone.now().astimezone(ZoneInfo(organization.timezone)).date()
    visits = list(
        Visit.objects.visible_to(access)
        .filter(local_date=today)
        .select_related("work_order", "work_order__site", "technician")
        .order_by("window_start")
    )
    attention = [
        {"visit": visit, "state": visit.state, "label": VisitState(visit.state).label,
         "url": reverse("visits:visit-detail", kwargs={"org": organization.slug, "pk": visit.pk})}
        for visit in visits
        if visit.state in ATTENTION
    ]  # fmt: skip
    context = {
        "field_today": {
            "technician_count": Technician.objects.visible_to(access).count(),
            "visit_count": len(visits),
            "attention": attention,
            "late_count": sum(1 for item in attention if item["state"] == VisitState.LATE),
            "no_show_count": sum(1 for item in attention if item["state"] == VisitState.NO_SHOW),
            "dispatch_url": reverse("visits:dispatch", kwargs={"org": organization.slug}),
            "technicians_url": reverse("technicians:technicians", kwargs={"org": organization.slug}),
        }
    }
    if access.role in (Role.PM, Role.ADMIN):
        waiting = WorkOrder.objects.visible_to(access).filter(status=WorkOrderStatus.SUBMITTED)
        context["review_waiting"] = {
            "count": waiting.count(),
            "url": reverse("workorders:work-orders", kwargs={"org": organization.slug}) + "?status=submitted",
        }
    return context
