"""Reads of the dashboards app: a program at a glance, the portfolio and the client portal. They read what the
programs, workorders, quality and escalations apps record (no writes), with aggregates in SQL: a fixed number of
queries whatever the number of sites, work orders or visits (the readiness blockers evaluate the not-yet-dispatched
work orders through workorders.readiness, itself a fixed number of queries)."""

from __future__ import annotations

import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from escalations.choices import EscalationState
from escalations.models import Escalation
from programs.models import Enrollment, Program, Wave
from quality.choices import Dimension, ReviewDecision, RootCause
from quality.models import Defect, QaReview
from quality.scorecards import LATE_CANCELLATION, Scorecard
from quality.selectors import WEEK, drft_metrics, percent
from quality.visibility import CLIENT
from rollout.tenancy import Access
from workorders.choices import OPEN_VISIT_STATUSES, Gate, VisitStatus, WorkOrderStatus
from workorders.models import Visit, WorkOrder

RECENT_DAYS = 28  # the completion rate behind a forecast: completions over the last four weeks
DONE_STATUSES = (WorkOrderStatus.ACCEPTED, WorkOrderStatus.CLOSED)
OPEN_ESCALATION_STATES = (EscalationState.OPEN, EscalationState.ACKNOWLEDGED)
NOT_DISPATCHED = (WorkOrderStatus.DRAFT, WorkOrderStatus.READY)
AGE_BUCKETS = (("under_1d", "Under 1 day"), ("d1_3", "1–3 days"), ("over_3d", "Over 3 days"))


def local_today(organization) -> date:
    try:
        zone = zoneinfo.ZoneInfo(organization.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return timezone.now().astimezone(zone).date()


@dataclass
class Progress:
    """Sites planned and completed against a plan's finish, with a forecast from the recent completion rate."""

    key: str
    label: str
    planned: int
    completed: int
    recent: int  # completions within RECENT_DAYS
    last_completed: date | None
    planned_finish: date | None
    today: date
    start: date | None = None
    booked: int = 0  # sites not yet done with a visit booked in the next RECENT_DAYS
    crew: int = 0  # the technicians those visits are booked with

    @property
    def remaining(self) -> int:
        return max(self.planned - self.completed, 0)

    @property
    def percent(self):
        return percent(self.completed, self.planned)

    @property
    def rate_per_week(self) -> float:
        return round(self.recent * 7 / RECENT_DAYS, 1)

    @property
    def pace(self) -> int:
        """Sites per RECENT_DAYS the forecast assumes: the faster of the recent completions and the sites the
        booked technicians will visit in the next four weeks (a crew ramping up shows in its bookings first)."""
        return max(self.recent, self.booked)

    @property
    def forecast_basis(self) -> str:
        return "booked" if self.booked > self.recent else "recent"

    @property
    def forecast_finish(self) -> date | None:
        """When the remaining sites are done at `pace` (the last completion once none remain; None when nothing
        was completed recently, nothing is booked and work remains)."""
        if self.planned and not self.remaining:
            return self.last_completed or self.today
        if not self.pace:
            return None
        return self.today + timedelta(days=math.ceil(self.remaining * RECENT_DAYS / self.pace))

    @property
    def variance_days(self) -> int | None:
        """Forecast minus planned finish, in days: positive is late."""
        if self.forecast_finish is None or self.planned_finish is None:
            return None
        return (self.forecast_finish - self.planned_finish).days


def _done_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status__in": DONE_STATUSES})


def _planned_and_done(access, scope: dict, key: str, since) -> tuple[dict, dict]:
    """Sites enrolled and completion figures (`_completion_aggregates`) per `key` ("wave" or "program") of the
    enrollments and work orders in `scope`: two queries."""
    planned = dict(
        Enrollment.objects.visible_to(access)
        .filter(**scope)
        .values_list(key)
        .annotate(n=Count("pk"))
        .values_list(key, "n")
    )
    by = "enrollment__wave" if key == "wave" else key
    done = {
        row[by]: row
        for row in WorkOrder.objects.visible_to(access)
        .filter(**scope)
        .values(by)
        .annotate(**_completion_aggregates(since))
        .order_by()
    }
    return planned, done


def _completion_aggregates(since) -> dict:
    finished = Coalesce("accepted_at", "closed_at")
    return {
        "completed": Count("pk", filter=_done_q()),
        "recent": Count("pk", filter=_done_q() & Q(accepted_at__gte=since)),
        "last": Max(finished, filter=_done_q()),
    }


def _local_date(moment, organization):
    if moment is None:
        return None
    return timezone.localtime(moment, zoneinfo.ZoneInfo(organization.timezone)).date()


def wave_progress(*, access: Access, program: Program) -> tuple[Progress, list[Progress]]:
    """The program's and each wave's progress (five queries): planned = sites enrolled, completed = their work
    orders accepted or closed."""
    organization = access.organization
    today = local_today(organization)
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    waves = list(Wave.objects.visible_to(access).filter(program=program).order_by("order", "start_date"))
    planned, done = _planned_and_done(access, {"program": program}, "wave", since)
    bookings = (
        Visit.objects.visible_to(access)
        .filter(
            work_order__program=program,
            status__in=OPEN_VISIT_STATUSES,
            local_date__gte=today,
            local_date__lt=today + timedelta(days=RECENT_DAYS),
        )
        .exclude(work_order__status__in=DONE_STATUSES)
        .order_by()
    )
    booking = {"n": Count("work_order", distinct=True), "crew": Count("technician", distinct=True)}
    booked = {
        row["work_order__enrollment__wave"]: row
        for row in bookings.values("work_order__enrollment__wave").annotate(**booking)
    }
    booked_total = bookings.aggregate(**booking)
    rows = []
    groups = [(wave.pk, wave.name, wave.start_date, wave.end_date) for wave in waves]
    if planned.get(None) or (done.get(None) and done[None]["completed"]):
        groups.append((None, "No wave", None, program.end_date))
    for pk, name, start, end in groups:
        figures = done.get(pk, {})
        rows.append(
            Progress(
                key="" if pk is None else str(pk),
                label=name,
                planned=planned.get(pk, 0),
                completed=figures.get("completed", 0),
                recent=figures.get("recent", 0),
                last_completed=_local_date(figures.get("last"), organization),
                planned_finish=end,
                today=today,
                start=start,
                booked=booked.get(pk, {}).get("n", 0),
                crew=booked.get(pk, {}).get("crew", 0),
            )
        )
    lasts = [row.last_completed for row in rows if row.last_completed]
    total = Progress(
        key="",
        label="Program",
        planned=sum(planned.values()),
        completed=sum(row.get("completed", 0) for row in done.values()),
        recent=sum(row.get("recent", 0) for row in done.values()),
        last_completed=max(lasts) if lasts else None,
        planned_finish=program.end_date,
        today=today,
        start=program.start_date,
        booked=booked_total["n"],
        crew=booked_total["crew"],
    )
    return total, rows


def pareto(*, access: Access, program_ids) -> list[dict]:
    """Defects by root cause, most frequent first, with the share and the running share (one query)."""
    rows = (
        Defect.objects.visible_to(access)
        .filter(review__work_order__program_id__in=program_ids)
        .values("root_cause")
        .annotate(count=Count("pk"))
        .order_by("-count", "root_cause")
    )
    rows = list(rows)
    total = sum(row["count"] for row in rows)
    running, result = 0, []
    for row in rows:
        running += row["count"]
        result.append(
            {
                "root_cause": row["root_cause"],
                "label": RootCause(row["root_cause"]).label,
                "count": row["count"],
                "share": percent(row["count"], total),
                "cumulative": percent(running, total),
            }
        )
    return result


def escalations_by_level(*, access: Access, program: Program) -> list[dict]:
    """Open (raised or acknowledged) escalations by level and by age since raised (one query)."""
    now = timezone.now()
    day, three = now - timedelta(days=1), now - timedelta(days=3)
    rows = (
        Escalation.objects.visible_to(access)
        .current()
        .filter(program=program, state__in=OPEN_ESCALATION_STATES)
        .values("level")
        .annotate(
            total=Count("pk"),
            under_1d=Count("pk", filter=Q(raised_at__gt=day) | Q(raised_at__isnull=True)),
            d1_3=Count("pk", filter=Q(raised_at__lte=day, raised_at__gt=three)),
            over_3d=Count("pk", filter=Q(raised_at__lte=three)),
        )
        .order_by("level")
    )
    return list(rows)


def visits_today(*, access: Access, program: Program, today: date) -> list[dict]:
    counts = dict(
        Visit.objects.visible_to(access)
        .filter(work_order__program=program, local_date=today)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [{"status": status, "label": label, "count": counts.get(status, 0)} for status, label in VisitStatus.choices]


def readiness_blockers(*, access: Access, program: Program) -> list[dict]:
    """How many not-yet-dispatched work orders each readiness gate holds (red and not overridden)."""
    from workorders.readiness import work_orders_readiness

    work_orders = WorkOrder.objects.visible_to(access).with_summary().filter(program=program, status__in=NOT_DISPATCHED)
    readiness = work_orders_readiness(organization=access.organization, work_orders=work_orders)
    held = dict.fromkeys(Gate.values, 0)
    for result in readiness.values():
        for gate in result.gates:
            if not gate.passed and not gate.override:
                held[gate.gate] += 1
    return [{"gate": gate, "label": label, "count": held[gate]} for gate, label in Gate.choices]


def _visit_figures(*, access: Access, program: Program) -> dict:
    """Per technician, this program's ended visits: worked, on time, no-shows, late cancellations (one query)."""
    ended = Q(status__in=(VisitStatus.CHECKED_OUT, VisitStatus.NO_SHOW, VisitStatus.CANCELLED))
    worked = Q(status=VisitStatus.CHECKED_OUT)
    rows = (
        Visit.objects.visible_to(access)
        .filter(ended, work_order__program=program)
        .values("technician")
        .annotate(
            visits=Count("pk"),
            worked=Count("pk", filter=worked),
            on_time=Count("pk", filter=worked & Q(checked_in_at__lte=F("checkin_due_by"))),
            no_shows=Count("pk", filter=Q(status=VisitStatus.NO_SHOW)),
            late_cancellations=Count(
                "pk",
                filter=Q(status=VisitStatus.CANCELLED, cancelled_at__gt=F("window_start") - LATE_CANCELLATION),
            ),
        )
        .order_by()
    )
    return {row.pop("technician"): row for row in rows}


def _first_reviews(*, access: Access, program: Program) -> dict:
    """Per technician, this program's first QA reviews and how many passed (one query)."""
    rows = (
        QaReview.objects.visible_to(access)
        .filter(work_order__program=program, sequence=1)
        .values("work_order__technician")
        .annotate(reviewed=Count("pk"), qa_passed=Count("pk", filter=Q(decision=ReviewDecision.ACCEPTED)))
        .order_by()
    )
    return {row.pop("work_order__technician"): row for row in rows}


FIGURES = ("visits", "worked", "on_time", "no_shows", "late_cancellations", "reviewed", "qa_passed")


def _scored(row: dict, drft) -> dict:
    """On-time % and the scorecard's score (quality.scorecards: the one formula) from a row's program figures."""
    card = Scorecard(
        technician_id=0,
        jobs=drft.denominator if drft else 0,
        drft=drft.numerator if drft else 0,
        **{name: row.get(name, 0) for name in FIGURES},
    )
    row.update(on_time_percent=card.on_time_percent, score=card.score)
    return row


def people(*, access: Access, program: Program) -> tuple[list[dict], list[dict]]:
    """Vendors and technicians: their jobs (work orders, cancelled apart), completed, DRFT, on-time arrival and the
    scorecard's score over this program's work (five queries)."""
    jobs = list(
        WorkOrder.objects.visible_to(access)
        .filter(program=program, technician__isnull=False)
        .exclude(status=WorkOrderStatus.CANCELLED)
        .values("technician", "technician__full_name", "technician__vendor", "technician__vendor__name")
        .annotate(jobs=Count("pk"), completed=Count("pk", filter=_done_q()))
        .order_by("technician__vendor__name", "technician__full_name")
    )
    drft_tech = {f.key: f for f in drft_metrics(access=access, dimension=Dimension.TECHNICIAN, program_id=program.pk)}
    drft_vendor = {f.key: f for f in drft_metrics(access=access, dimension=Dimension.VENDOR, program_id=program.pk)}
    visits, reviews = _visit_figures(access=access, program=program), _first_reviews(access=access, program=program)
    technicians, vendors = [], {}
    for row in jobs:
        figure = drft_tech.get(str(row["technician"]))
        counts = {**visits.get(row["technician"], {}), **reviews.get(row["technician"], {})}
        technicians.append(
            _scored(
                {
                    "id": row["technician"],
                    "name": CLIENT.person(access, row["technician__full_name"]),
                    "vendor": row["technician__vendor__name"] or "",
                    "jobs": row["jobs"],
                    "completed": row["completed"],
                    "drft_percent": figure.percent if figure else None,
                    "drft_denominator": figure.denominator if figure else 0,
                    **{name: counts.get(name, 0) for name in FIGURES},
                },
                figure,
            )
        )
        key = row["technician__vendor"]
        vendor = vendors.setdefault(
            key,
            {
                "id": key,
                "name": row["technician__vendor__name"] or "No vendor",
                "jobs": 0,
                "completed": 0,
                **dict.fromkeys(FIGURES, 0),
            },
        )
        vendor["jobs"] += row["jobs"]
        vendor["completed"] += row["completed"]
        for name in FIGURES:
            vendor[name] += counts.get(name, 0)
    for key, vendor in vendors.items():
        figure = drft_vendor.get("" if key is None else str(key))
        vendor["drft_percent"] = figure.percent if figure else None
        vendor["drft_denominator"] = figure.denominator if figure else 0
        _scored(vendor, figure)
    return list(vendors.values()), technicians


def burn_up(*, access: Access, program: Program, planned_total: int, today: date) -> dict:
    """Sites completed by week (cumulative) against the plan's straight line from the program's start (0) to its
    end (every enrolled site): one grouped query; the points are weeks, not rows. Coordinates in a 100 × 100 box."""
    zone = zoneinfo.ZoneInfo(access.organization.timezone)
    weekly = (
        WorkOrder.objects.visible_to(access)
        .filter(program=program, status__in=DONE_STATUSES)
        .annotate(week=TruncWeek(Coalesce("accepted_at", "closed_at"), tzinfo=zone))
        .values("week")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    start = program.start_date - timedelta(days=program.start_date.weekday())
    end = max(program.end_date, today)
    span = max((end - start).days, 1)
    ceiling = max(planned_total, 1)
    points, running = [(0.0, 100.0)], 0
    weeks = []
    for row in weekly:
        if row["week"] is None:
            continue
        day = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        running += row["n"]
        x = min(max((day + timedelta(days=7) - start).days / span * 100, 0), 100)
        points.append((round(x, 2), round(100 - min(running / ceiling, 1) * 100, 2)))
        weeks.append({"week": day, "completed": row["n"], "cumulative": running})
    plan_end_x = round((program.end_date - start).days / span * 100, 2)
    today_x = round(min((today - start).days / span * 100, 100), 2)
    return {
        "actual": " ".join(f"{x},{y}" for x, y in points),
        "plan": f"0,100 {plan_end_x},0 100,0",
        "today_x": today_x,
        "weeks": weeks,
        "start": start,
        "end": end,
    }


def program_dashboard(*, access: Access, program: Program) -> dict:
    """Everything on the program dashboard, in a fixed number of queries."""
    total, waves = wave_progress(access=access, program=program)
    weeks = drft_metrics(access=access, dimension=WEEK, program_id=program.pk)[-12:]
    overall = drft_metrics(access=access, dimension=Dimension.PROGRAM, program_id=program.pk)
    vendors, technicians = people(access=access, program=program)
    return {
        "total": total,
        "waves": waves,
        "burn_up": burn_up(access=access, program=program, planned_total=total.planned, today=total.today),
        "drft": overall[0] if overall else None,
        "target": program.target_drft_percent,
        "weeks": weeks,
        "pareto": pareto(access=access, program_ids=[program.pk]),
        "escalations": escalations_by_level(access=access, program=program),
        "visits_today": visits_today(access=access, program=program, today=total.today),
        "blockers": readiness_blockers(access=access, program=program),
        "vendors": vendors,
        "technicians": technicians,
    }


# --- The portfolio ----------------------------------------------------------------------------------------


@dataclass
class PortfolioRow:
    program: Program
    progress: Progress
    drft: object | None
    open_escalations: int
    flag: str = "green"
    reasons: list[str] = field(default_factory=list)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons) or "On plan"


LATE_RED_DAYS = 14


def _flag(row: PortfolioRow) -> None:
    """Red / amber / green with its reasons: red when the forecast is over two weeks late, or DRFT is more than ten
    points under target, or nothing was completed in four weeks with work left on a running program; amber when
    late at all, under target, or escalations are open."""
    red, amber = [], []
    variance = row.progress.variance_days
    if variance is not None and variance > LATE_RED_DAYS:
        red.append(f"forecast {variance} days late")
    elif variance is not None and variance > 0:
        amber.append(f"forecast {variance} days late")
    running = row.program.status in (Program.Status.PILOT, Program.Status.ACTIVE)
    if running and row.progress.remaining and row.progress.forecast_finish is None:
        red.append(f"no site completed in {RECENT_DAYS} days")
    drft_percent = row.drft.percent if row.drft else None
    if drft_percent is not None:
        gap = row.program.target_drft_percent - drft_percent
        if gap > 10:
            red.append(f"DRFT {drft_percent} % vs target {row.program.target_drft_percent:.1f} %")
        elif gap > 0:
            amber.append(f"DRFT {drft_percent} % vs target {row.program.target_drft_percent:.1f} %")
    if row.open_escalations:
        amber.append(f"{row.open_escalations} open escalation{'s' if row.open_escalations != 1 else ''}")
    row.flag = "red" if red else "amber" if amber else "green"
    row.reasons = red + amber


def portfolio(*, access: Access) -> list[PortfolioRow]:
    """Every program the caller may see with progress, forecast, DRFT against target, open escalations and a flag
    (five queries whatever the number of programs)."""
    organization = access.organization
    today = local_today(organization)
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    programs = list(Program.objects.visible_to(access).select_related("client").order_by("code"))
    ids = [p.pk for p in programs]
    planned, done = _planned_and_done(access, {"program_id__in": ids}, "program", since)
    escalations = dict(
        Escalation.objects.visible_to(access)
        .current()
        .filter(program_id__in=ids, state__in=OPEN_ESCALATION_STATES)
        .values_list("program")
        .annotate(n=Count("pk"))
        .values_list("program", "n")
    )
    drft = {int(f.key): f for f in drft_metrics(access=access, dimension=Dimension.PROGRAM) if f.key.isdigit()}
    rows = []
    for program in programs:
        figures = done.get(program.pk, {})
        row = PortfolioRow(
            program=program,
            progress=Progress(
                key=str(program.pk),
                label=program.code,
                planned=planned.get(program.pk, 0),
                completed=figures.get("completed", 0),
                recent=figures.get("recent", 0),
                last_completed=_local_date(figures.get("last"), organization),
                planned_finish=program.end_date,
                today=today,
                start=program.start_date,
            ),
            drft=drft.get(program.pk),
            open_escalations=escalations.get(program.pk, 0),
        )
        _flag(row)
        rows.append(row)
    return rows


# --- The client portal ------------------------------------------------------------------------------------


def upcoming_visits(*, access: Access, program: Program, limit: int = 20) -> list[dict]:
    """The next visits of a program (today on), as a client may see them: site, day, the local window, and the
    technician's first name only."""
    today = local_today(access.organization)
    visits = (
        Visit.objects.visible_to(access)
        .filter(work_order__program=program, local_date__gte=today)
        .exclude(status__in=(VisitStatus.CANCELLED, VisitStatus.NO_SHOW))
        .select_related("work_order__site", "technician")
        .order_by("window_start", "id")[:limit]
    )
    rows = []
    for visit in visits:
        site = visit.work_order.site
        zone = zoneinfo.ZoneInfo(site.timezone or access.organization.timezone)
        start, end = timezone.localtime(visit.window_start, zone), timezone.localtime(visit.window_end, zone)
        rows.append(
            {
                "site": f"{site.code} {site.name}",
                "city": site.city,
                "date": visit.local_date,
                "window": f"{start:%H:%M}–{end:%H:%M}",
                "zone": start.tzname(),
                "technician": (visit.technician.full_name or "").split()[0] if visit.technician else "",
                "status": visit.get_status_display(),
            }
        )
    return rows


def program_sites(*, access: Access, program: Program, limit: int = 200) -> list[dict]:
    """The program's sites with their wave and the status of their work order (one query)."""
    enrollments = (
        Enrollment.objects.visible_to(access)
        .filter(program=program)
        .select_related("site", "wave", "work_order")
        .order_by("site__code")[:limit]
    )
    rows = []
    for enrollment in enrollments:
        work_order = getattr(enrollment, "work_order", None)
        rows.append(
            {
                "id": enrollment.site_id,
                "code": enrollment.site.code,
                "name": enrollment.site.name,
                "wave": enrollment.wave.name if enrollment.wave else "",
                "status": work_order.get_status_display() if work_order else "Not started",
            }
        )
    return rows


def client_program(*, access: Access, program: Program) -> dict:
    """One program as its client viewer sees it: progress per wave, forecast, upcoming visits, DRFT and root
    causes, client-visible escalations, and the sites with their status — no internal notes."""
    from escalations.selectors import escalation_list

    total, waves = wave_progress(access=access, program=program)
    overall = drft_metrics(access=access, dimension=Dimension.PROGRAM, program_id=program.pk)
    escalations = list(
        escalation_list(access=access)
        .filter(program=program, state__in=OPEN_ESCALATION_STATES)
        .order_by("-raised_at", "-id")[:20]
    )
    return {
        "total": total,
        "waves": waves,
        "drft": overall[0] if overall else None,
        "target": program.target_drft_percent,
        "pareto": pareto(access=access, program_ids=[program.pk]),
        "visits": upcoming_visits(access=access, program=program),
        "escalations": [
            {
                "rule": escalation.get_rule_display(),
                "level": escalation.level,
                "state": escalation.get_state_display(),
                "site": escalation.work_order.site.code,
                "raised_at": escalation.raised_at,
            }
            for escalation in escalations
        ],
        "sites": program_sites(access=access, program=program),
    }


def site_timeline(*, access: Access, program: Program, site_id) -> dict | None:
    """One site of a program as its client viewer sees it: its work orders, their visits (window, check-in and
    check-out in the site's zone, outcome, tasks done, photos, the sign-off) and the defects found (code and root
    cause, no comment). None when the site is not in a program the caller may see (a 404). Five queries."""
    from django.db.models import Prefetch

    from workorders.choices import TaskResultStatus
    from workorders.models import VisitPhoto

    if not str(site_id).isdigit():
        return None
    enrollment = (
        Enrollment.objects.visible_to(access)
        .filter(program=program, site_id=site_id)
        .select_related("site", "wave")
        .first()
    )
    if enrollment is None:
        return None
    site = enrollment.site
    zone = zoneinfo.ZoneInfo(site.timezone or access.organization.timezone)
    work_orders = list(
        WorkOrder.objects.visible_to(access).filter(program=program, site=site).order_by("created_at", "id")
    )
    visits = (
        Visit.objects.visible_to(access)
        .filter(work_order__in=work_orders)
        .select_related("technician", "sign_off")
        .annotate(
            tasks_done=Count("task_results", filter=Q(task_results__status=TaskResultStatus.DONE), distinct=True),
            tasks_total=Count("task_results", distinct=True),
        )
        .prefetch_related(Prefetch("photos", queryset=VisitPhoto.objects.order_by("task_key", "id")))
        .order_by("window_start", "id")
    )

    def local(moment):
        return timezone.localtime(moment, zone) if moment else None

    by_work_order: dict[int, list] = {wo.pk: [] for wo in work_orders}
    for visit in visits:
        sign_off = getattr(visit, "sign_off", None)
        by_work_order[visit.work_order_id].append(
            {
                "id": visit.pk,
                "date": visit.local_date,
                "window": f"{local(visit.window_start):%H:%M}–{local(visit.window_end):%H:%M}",
                "zone": local(visit.window_start).tzname(),
                "checked_in": local(visit.checked_in_at),
                "checked_out": local(visit.checked_out_at),
                "status": visit.get_status_display(),
                "outcome": visit.get_outcome_display() if visit.outcome else "",
                "technician": CLIENT.person(access, visit.technician.full_name) if visit.technician else "",
                "tasks_done": visit.tasks_done,
                "tasks_total": visit.tasks_total,
                "photos": [photo.pk for photo in visit.photos.all()],
                "sign_off": {"name": sign_off.name, "at": local(sign_off.signed_at)} if sign_off else None,
            }
        )
    defects = (
        Defect.objects.visible_to(access)
        .filter(review__work_order__in=work_orders)
        .select_related("code", "review")
        .order_by("review__decided_at", "id")
    )
    defects_by: dict[int, list] = {wo.pk: [] for wo in work_orders}
    for defect in defects:
        defects_by[defect.review.work_order_id].append(
            {
                "code": defect.code.title,
                "root_cause": defect.get_root_cause_display(),
                "severity": defect.get_severity_display(),
                "found": local(defect.review.decided_at),
            }
        )
    return {
        "site": site,
        "wave": enrollment.wave,
        "work_orders": [
            {
                "id": wo.pk,
                "number": wo.number,
                "status": wo.get_status_display(),
                "accepted": wo.status in DONE_STATUSES,
                "visits": by_work_order[wo.pk],
                "defects": defects_by[wo.pk],
            }
            for wo in work_orders
        ],
    }


def client_portal_home(access: Access) -> dict:
    """The client viewer's home (rollout.homes): each of their programs with its progress and forecast."""
    return {"portal_programs": portfolio(access=access)}
