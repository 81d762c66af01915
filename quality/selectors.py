"""Reads of the quality app: the review queue, reviews, and DRFT metrics read from the snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Max, QuerySet, Sum

from quality.choices import Dimension
from quality.models import DefectCode, DrftSnapshot, QaReview
from quality.visibility import CLIENT
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


def _label(access: Access, dimension: str, label: str) -> str:
    """A group's label as the caller may see it (a technician by first name for a client viewer)."""
    return CLIENT.person(access, label) if dimension == Dimension.TECHNICIAN else label


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
            label=values[group] if dimension == WEEK else _label(access, dimension, values["label_max"]),
            numerator=values["final_drft"],
            denominator=values["final_total"],
            excluded=values["excluded"],
            provisional_numerator=values["provisional_drft"],
            provisional_denominator=values["provisional_total"],
        )
        for values in grouped
    ]


# --- The review page --------------------------------------------------------------------------------------


@dataclass
class PhotoEvidence:
    photo: object
    distance_m: int | None  # from the site, by the camera's EXIF position


@dataclass
class TaskEvidence:
    """One packet task beside what the reviewed visit recorded for it."""

    task: object  # workorders.visits.selectors.VisitTask
    result: object | None
    photos: list[PhotoEvidence]
    in_range: bool | None  # the measurement against the task's range (None: no measurement or no range)

    @property
    def measurement_range(self) -> str:
        low, high = self.task.measurement_min, self.task.measurement_max
        if low is None and high is None:
            return ""
        return f"{low if low is not None else '…'}–{high if high is not None else '…'} {self.task.measurement_unit}"


@dataclass
class ReviewPacket:
    work_order: WorkOrder
    visit: object | None
    tasks: list[TaskEvidence]
    reviews: list[QaReview]
    sign_off: object | None


def _distance_m(site, latitude, longitude) -> int | None:
    from rollout.geo import haversine_km

    if None in (latitude, longitude, site.latitude, site.longitude):
        return None
    return round(haversine_km(float(site.latitude), float(site.longitude), float(latitude), float(longitude)) * 1000)


def _in_range(task, result) -> bool | None:
    if result is None or result.measurement is None:
        return None
    if task.measurement_min is None and task.measurement_max is None:
        return None
    low_ok = task.measurement_min is None or result.measurement >= task.measurement_min
    high_ok = task.measurement_max is None or result.measurement <= task.measurement_max
    return low_ok and high_ok


def review_packet_get(*, access: Access, work_order: WorkOrder) -> ReviewPacket:
    """What a reviewer looks at: the reviewed (last checked-out) visit's packet tasks, each beside its result,
    photos (with EXIF time and distance from the site), serial (duplicate flag) and measurement against its range;
    the sign-off; earlier reviews. A fixed number of queries whatever the number of tasks and photos."""
    from workorders.choices import VisitStatus
    from workorders.models import TaskResult, Visit, VisitPhoto, VisitSignOff
    from workorders.visits import selectors as visit_selectors

    organization = access.organization
    visit = (
        Visit.objects.for_organization(organization)
        .filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
        .select_related("technician", "packet")
        .order_by("-sequence", "-id")
        .first()
    )
    tasks: list[TaskEvidence] = []
    sign_off = None
    if visit is not None:
        results = {r.task_key: r for r in TaskResult.objects.for_organization(organization).filter(visit=visit)}
        photos: dict[str, list[PhotoEvidence]] = {}
        for photo in VisitPhoto.objects.for_organization(organization).filter(visit=visit).order_by("created_at", "id"):
            distance = _distance_m(work_order.site, photo.exif_latitude, photo.exif_longitude)
            photos.setdefault(photo.task_key, []).append(PhotoEvidence(photo, distance))
        for task in visit_selectors.packet_tasks(visit_selectors.visit_effective_packet(visit)):
            result = results.get(task.key)
            tasks.append(TaskEvidence(task, result, photos.get(task.key, []), _in_range(task, result)))
        sign_off = VisitSignOff.objects.for_organization(organization).filter(visit=visit).first()
    reviews = list(QaReview.objects.visible_to(access).filter(work_order=work_order).prefetch_related("defects__code"))
    return ReviewPacket(work_order=work_order, visit=visit, tasks=tasks, reviews=reviews, sign_off=sign_off)


def next_in_queue(*, access: Access, after: WorkOrder) -> WorkOrder | None:
    """The next submitted work order of the queue (oldest first) after `after`, else the oldest one."""
    queue = review_queue(access=access).exclude(pk=after.pk)
    if after.submitted_at is not None:
        later = queue.filter(submitted_at__gte=after.submitted_at).first()
        if later is not None:
            return later
    return queue.first()


# --- Quality home -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgramDrft:
    program: object
    figure: DrftFigure | None

    @property
    def below_target(self) -> bool:
        percent_ = self.figure.percent if self.figure else None
        return percent_ is not None and percent_ < self.program.target_drft_percent


def quality_overview(*, access: Access) -> dict:
    """The Quality home: DRFT per program against its target, the weekly trend, the Pareto of root causes, the
    queue's size and oldest age, and the latest work orders that failed DRFT with their reason. A fixed number of
    queries."""
    from django.db.models import Count, Min
    from django.utils import timezone

    from programs.models import Program
    from quality.choices import RootCause
    from quality.models import Defect, DrftFact

    by_program = {int(f.key): f for f in drft_metrics(access=access, dimension=Dimension.PROGRAM)}
    programs = [
        ProgramDrft(program, by_program.get(program.pk))
        for program in Program.objects.visible_to(access).order_by("code")
        if program.pk in by_program
    ]
    weeks = drft_metrics(access=access, dimension=WEEK)[-12:]
    pareto_rows = (
        Defect.objects.visible_to(access)
        .values("root_cause")
        .annotate(count=Count("pk"))
        .order_by("-count", "root_cause")
    )
    total = sum(row["count"] for row in pareto_rows)
    running = 0
    pareto = []
    for row in pareto_rows:
        running += row["count"]
        pareto.append(
            {
                "root_cause": RootCause(row["root_cause"]).label,
                "count": row["count"],
                "share": percent(row["count"], total),
                "cumulative": percent(running, total),
            }
        )
    queue = review_queue(access=access).aggregate(size=Count("pk"), oldest=Min("submitted_at"))
    oldest_hours = (timezone.now() - queue["oldest"]).total_seconds() / 3600 if queue["oldest"] else None
    failed = list(
        DrftFact.objects.visible_to(access)
        .exclude(reason="")
        .select_related("work_order", "work_order__site", "program", "technician")
        .order_by("-computed_at", "-id")[:15]
    )
    overall = drft_metrics(access=access, dimension=Dimension.PROGRAM)
    totals = DrftFigure(
        key="",
        label="All programs",
        numerator=sum(f.numerator for f in overall),
        denominator=sum(f.denominator for f in overall),
        excluded=sum(f.excluded for f in overall),
        provisional_numerator=sum(f.provisional_numerator for f in overall),
        provisional_denominator=sum(f.provisional_denominator for f in overall),
    )
    return {
        "programs": programs,
        "weeks": weeks,
        "pareto": pareto,
        "queue_size": queue["size"],
        "queue_oldest_hours": oldest_hours,
        "failed": failed,
        "totals": totals,
    }


# The drill-down path: each level narrows the next one.
DRILL = [Dimension.PROGRAM, Dimension.WAVE, Dimension.REGION, Dimension.VENDOR, Dimension.TECHNICIAN]
DRILL_FIELDS = {
    Dimension.PROGRAM: "program_id",
    Dimension.WAVE: "wave_id",
    Dimension.REGION: "region",
    Dimension.VENDOR: "vendor_id",
    Dimension.TECHNICIAN: "technician_id",
}


def drft_drill(*, access: Access, path: dict[str, str]) -> tuple[str, list[DrftFigure]]:
    """One level of the drill-down program → wave → region → vendor → technician → work order: the figures of the
    next level under the groups chosen so far (`path`: dimension → key). Read from the facts (the snapshots are one
    dimension each), grouped in one query; at the end, the work orders themselves."""
    from django.db.models import Q

    from quality.choices import DrftStatus
    from quality.models import DrftFact

    facts = DrftFact.objects.visible_to(access).counted()
    for dimension, key in path.items():
        field = DRILL_FIELDS[dimension]
        facts = facts.filter(**{field: (key or None) if field.endswith("_id") else key})
    level = next((d for d in DRILL if d not in path), None)
    if level is None:
        return "work_order", facts
    field = DRILL_FIELDS[level]
    label_field = {
        Dimension.PROGRAM: "program__code",
        Dimension.WAVE: "wave__name",
        Dimension.REGION: "region",
        Dimension.VENDOR: "vendor__name",
        Dimension.TECHNICIAN: "technician__full_name",
    }[level]
    rows = (
        facts.values(field, label_field)
        .annotate(
            final_drft=Count("pk", filter=Q(status=DrftStatus.FINAL, is_drft=True)),
            final_total=Count("pk", filter=Q(status=DrftStatus.FINAL)),
            provisional_drft=Count("pk", filter=Q(status=DrftStatus.PROVISIONAL, is_drft=True)),
            provisional_total=Count("pk", filter=Q(status=DrftStatus.PROVISIONAL)),
            excluded=Count("pk", filter=Q(status=DrftStatus.EXCLUDED)),
        )
        .order_by(label_field)
    )
    return level, [
        DrftFigure(
            key="" if row[field] is None else str(row[field]),
            label=_label(access, level, row[label_field]) or "—",
            numerator=row["final_drft"],
            denominator=row["final_total"],
            excluded=row["excluded"],
            provisional_numerator=row["provisional_drft"],
            provisional_denominator=row["provisional_total"],
        )
        for row in rows
    ]


def drft_drill_labels(*, access: Access, path: dict[str, str]) -> dict[str, str]:
    """The names of the groups chosen in a drill-down `path` (dimension → label), from the all-time snapshots the
    caller may see: one query."""
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for dimension, key in path.items():
        wanted |= Q(dimension=dimension, key=key)
    rows = DrftSnapshot.objects.visible_to(access).filter(wanted, week="").values_list("dimension", "label")
    return {dimension: _label(access, dimension, label) for dimension, label in rows}


@dataclass(frozen=True)
class ClientFailure:
    """A work order that failed DRFT, as a client viewer sees it."""

    number: str
    site: str
    program: str
    reason: str
    detail: str
    technician: str  # first name only
    status: str


def client_quality_overview(*, access: Access) -> dict:
    """The client viewer's Quality page, through quality.visibility: the overview figures of their own programs (no
    review queue), the failed work orders with the reason and the defects' codes but no internal comment, technicians
    by first name; the exclusions by cause only. A fixed number of queries."""
    from django.db.models import F

    from quality.choices import DrftReason, DrftStatus
    from quality.models import DrftFact

    overview = quality_overview(access=access)
    facts = (
        DrftFact.objects.visible_to(access)
        .exclude(reason="")
        .select_related("work_order__site", "program", "technician")
        .order_by("-computed_at", "-id")[:25]
    )
    failures = [
        ClientFailure(
            number=fact.work_order.number,
            site=f"{fact.work_order.site.code} {fact.work_order.site.name}",
            program=fact.program.code,
            reason=DrftReason(fact.reason).label,
            detail=fact.reason_detail,
            technician=CLIENT.person(access, fact.technician.full_name) if fact.technician else "",
            status=DrftStatus(fact.status).label,
        )
        for fact in facts
    ]
    # The exclusions that count (accepted or closed work), as the DRFT figures count them.
    exclusions = list(
        DrftFact.objects.visible_to(access)
        .filter(status=DrftStatus.EXCLUDED)
        .values(cause=F("excluded_cause"))
        .annotate(count=Count("pk"))
        .order_by("cause")
    )
    return {
        "programs": overview["programs"],
        "weeks": overview["weeks"],
        "pareto": overview["pareto"],
        "totals": overview["totals"],
        "failures": failures,
        "exclusions": exclusions,
    }
