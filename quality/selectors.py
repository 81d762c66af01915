"""Reads of the quality app: the review queue, reviews, and DRFT metrics read from the snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Max, QuerySet, Sum

from quality.choices import Dimension
from quality.models import DefectCode, DrftSnapshot, QaReview
from rollout.tenancy import Access
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder

WEEK = "week"
METRIC_DIMENSIONS = [*Dimension.values, WEEK]
SUMS = ["final_drft", "final_total", "provisional_drft", "provisional_total", "excluded"]


def review_queue(*, access: Access) -> QuerySet[WorkOrder]:
    """Submitted work orders waiting for review, oldest first (the caller's scope)."""
    return (
        WorkOrder.objects.visible_to(access)
        .with_summary()
        .select_related("technician__vendor")
        .filter(status=WorkOrderStatus.SUBMITTED)
        .order_by("submitted_at", "id")
    )


def qa_review_list(*, access: Access) -> QuerySet[QaReview]:
    return QaReview.objects.visible_to(access).with_summary()


def defect_code_list(*, access: Access) -> QuerySet[DefectCode]:
    return DefectCode.objects.visible_to(access)


def percent(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a percentage with one decimal (None when there is nothing to count)."""
    if not denominator:
        return None
    return (Decimal(numerator) * 100 / Decimal(denominator)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class DrftFigure:
    """DRFT of one group: final (closed work orders) and provisional (accepted, window open), and exclusions."""

    key: str
    label: str
    numerator: int
    denominator: int
    excluded: int
    provisional_numerator: int
    provisional_denominator: int

    @property
    def percent(self) -> Decimal | None:
        return percent(self.numerator, self.denominator)

    @property
    def provisional_percent(self) -> Decimal | None:
        return percent(self.provisional_numerator, self.provisional_denominator)

    @property
    def failed(self) -> int:
        return self.denominator - self.numerator


def drft_metrics(
    *, access: Access, dimension: str, program_id: int | None = None, week_from: str = "", week_to: str = ""
) -> list[DrftFigure]:
    """DRFT per group of `dimension` (program, wave, region, vendor, technician, or week), summed over the caller's
    visible programs (or one), over all time or a range of ISO weeks. Reads the snapshots only (one query)."""
    rows = DrftSnapshot.objects.visible_to(access)
    if program_id is not None:
        rows = rows.filter(program_id=program_id)
    if dimension == WEEK:
        rows = rows.filter(dimension=Dimension.PROGRAM).exclude(week="")
        group = "week"
    else:
        rows = rows.filter(dimension=dimension)
        rows = rows.exclude(week="") if (week_from or week_to) else rows.filter(week="")
        group = "key"
    if week_from:
        rows = rows.filter(week__gte=week_from)
    if week_to:
        rows = rows.filter(week__lte=week_to)
    grouped = rows.values(group).annotate(label_max=Max("label"), **{name: Sum(name) for name in SUMS}).order_by(group)
    return [
        DrftFigure(
            key=values[group],
            label=values[group] if dimension == WEEK else values["label_max"],
            numerator=values["final_drft"],
            denominator=values["final_total"],
            excluded=values["excluded"],
            provisional_numerator=values["provisional_drft"],
            provisional_denominator=values["provisional_total"],
        )
        for values in grouped
    ]
