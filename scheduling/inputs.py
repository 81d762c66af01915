"""What a schedule run reads: the work orders it places and the technicians' working days, turned into the solver's
plain data (scheduling.solver), with the work orders that cannot be placed at all and why.

The rules are those of manual booking (workorders.visits.services.planning): who may take the work is decided by
technicians.selectors.technician_eligibility_many (skills and certifications, required training, vendor, home
base and service radius) on the range's first and last days; working days and time off per day by the same
selector; the visit must fit one access window of its day in the site's zone, on a day that is not a blackout date;
the technician's booked visits are pinned (the route plans around them). A visit's length is the sum of the SOW's
task minutes (60 when the SOW gives none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Sum

from programs.models import SowTask
from programs.training import program_required_courses
from scheduling.choices import UnscheduledReason as R
from scheduling.solver import Shift, Work
from technicians.choices import EligibilityProblemCode as Code
from technicians.models import Technician
from technicians.selectors import EligibilityQuestion, technician_eligibility_many
from workorders.choices import BOOKED_STATUSES, WorkOrderStatus
from workorders.models import Visit, WorkOrder
from workorders.selectors import work_order_skills

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MINUTES = 60
# Problems that depend on the day only (checked per day, not per work order).
DAY_CODES = frozenset({Code.NOT_A_WORKING_DAY, Code.OUTSIDE_WORKING_HOURS, Code.TIME_OFF})


@dataclass
class Instance:
    origin: datetime
    works: list[Work] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    work_orders: dict[int, WorkOrder] = field(default_factory=dict)
    left_out: dict[int, tuple[str, str]] = field(default_factory=dict)  # work order id → (reason, message)

    def at(self, seconds: int) -> datetime:
        return self.origin + timedelta(seconds=seconds)


def _seconds(origin: datetime, moment: datetime) -> int:
    return int((moment - origin).total_seconds())


def _minutes(text: str) -> tuple[int, int] | None:
    try:
        start, end = (part.strip() for part in text.split("-"))
        h1, m1 = (int(x) for x in start.split(":"))
        h2, m2 = (int(x) for x in end.split(":"))
    except ValueError:
        return None
    a, b = h1 * 60 + m1, h2 * 60 + m2
    if b <= a:
        b += 1440
    return a, b


def run_work_orders(run):
    """The work orders a run places: the wave's (or the chosen ones), ready, without an open visit."""
    queryset = WorkOrder.objects.for_organization(run.organization_id).filter(
        program_id=run.program_id, status=WorkOrderStatus.READY
    )
    if run.work_order_ids:
        queryset = queryset.filter(pk__in=run.work_order_ids)
    elif run.wave_id:
        queryset = queryset.filter(enrollment__wave_id=run.wave_id)
    open_visits = Visit.objects.for_organization(run.organization_id).open().values("work_order_id")
    return queryset.exclude(pk__in=open_visits).select_related("site", "sow", "program").order_by("pk")


def _visit_seconds(organization_id, work_orders) -> dict[int, int]:
    sow_ids = {wo.sow_id for wo in work_orders if wo.sow_id}
    totals = dict(
        SowTask.objects.filter(sow_id__in=sow_ids).values_list("sow_id").annotate(minutes=Sum("estimated_minutes"))
    )
    return {wo.pk: 60 * (totals.get(wo.sow_id) or DEFAULT_MINUTES) for wo in work_orders}


def _site_windows(site, days, origin, service) -> tuple[list[tuple[int, int]], str | None, str]:
    """Start windows (absolute seconds) over the days: each access window shortened by the visit's length."""
    zone = ZoneInfo(site.timezone)
    blackout = set(site.blackout_dates or [])
    hours = site.access_hours or {}
    open_days, longest, windows = 0, 0, []
    for day in days:
        if day.isoformat() in blackout:
            continue
        texts = hours.get(WEEKDAYS[day.weekday()], []) if hours else ["00:00-24:00"]
        midnight = datetime.combine(day, time.min, tzinfo=zone)
        for text in texts:
            span = _minutes(text)
            if span is None:
                continue
            open_days += 1
            start = _seconds(origin, midnight + timedelta(minutes=span[0]))
            end = _seconds(origin, midnight + timedelta(minutes=span[1]))
            longest = max(longest, end - start)
            if end - start >= service:
                windows.append((start, end - service))
    if not open_days:
        return [], R.BLACKOUT, R.BLACKOUT.label
    if not windows:
        hours_text = f"{longest // 3600}h{longest % 3600 // 60:02d}"
        words = f"The work takes {service // 60} minutes; the longest access window is {hours_text}."
        return [], R.ACCESS_TOO_SHORT, f"{R.ACCESS_TOO_SHORT.label} {words}"
    return sorted(windows), None, ""


def build_instance(run) -> Instance:
    organization = run.organization_id
    days = [run.date_from + timedelta(days=n) for n in range((run.date_to - run.date_from).days + 1)]
    origin = datetime.combine(run.date_from - timedelta(days=1), time.min, tzinfo=UTC)
    instance = Instance(origin=origin)
    work_orders = list(run_work_orders(run))
    instance.work_orders = {wo.pk: wo for wo in work_orders}
    seconds = _visit_seconds(organization, work_orders)
    courses = tuple(program_required_courses(organization=organization, program_id=run.program_id))
    technicians = list(
        Technician.objects.for_organization(organization)
        .filter(active=True, home_latitude__isnull=False, home_longitude__isnull=False)
        .order_by("pk")
    )
    located = []
    for wo in work_orders:
        if wo.site.latitude is None or wo.site.longitude is None:
            instance.left_out[wo.pk] = (R.NO_COORDINATES, R.NO_COORDINATES.label)
        else:
            located.append(wo)
    skills = {wo.pk: tuple(work_order_skills(organization=organization, work_order=wo)) for wo in located}
    questions = [
        EligibilityQuestion(
            key=(wo.pk, tech.pk, day),
            technician_id=tech.pk,
            skills=skills[wo.pk],
            on_date=day,
            latitude=wo.site.latitude,
            longitude=wo.site.longitude,
            courses=courses,
        )
        for wo in located
        for tech in technicians
        for day in {days[0], days[-1]}
    ]
    verdicts = technician_eligibility_many(organization=organization, questions=questions)
    qualified: dict[int, set[int]] = defaultdict(set)
    blocked: dict[int, set[int]] = defaultdict(set)
    refused: dict[int, str] = {}
    for (wo_id, tech_id, _day), verdict in sorted(verdicts.items(), key=lambda item: item[0]):
        blocking = [p for p in verdict.problems if p.code not in DAY_CODES]
        if blocking:
            refused.setdefault(wo_id, blocking[0].message)
            blocked[wo_id].add(tech_id)
        else:
            qualified[wo_id].add(tech_id)
    # Working days and time off, per technician per day.
    day_questions = [
        EligibilityQuestion(key=(tech.pk, day), technician_id=tech.pk, skills=(), on_date=day)
        for tech in technicians
        for day in days
    ]
    available = technician_eligibility_many(organization=organization, questions=day_questions)
    busy = defaultdict(list)
    horizon_end = origin + timedelta(days=len(days) + 2)
    booked = Visit.objects.for_organization(organization).filter(
        status__in=BOOKED_STATUSES, window_start__lt=horizon_end, window_end__gt=origin, technician__isnull=False
    )
    for technician_id, start, end in booked.values_list("technician_id", "window_start", "window_end"):
        busy[technician_id].append((_seconds(origin, start), _seconds(origin, end)))
    for tech in technicians:
        zone = ZoneInfo(tech.timezone)
        for day in days:
            if available[(tech.pk, day)].problems:
                continue
            start = _seconds(origin, datetime.combine(day, tech.work_start, tzinfo=zone))
            end = _seconds(origin, datetime.combine(day, tech.work_end, tzinfo=zone))
            pinned = tuple(sorted((a, b) for a, b in busy[tech.pk] if a < end and b > start))
            instance.shifts.append(
                Shift(tech.pk, day, (float(tech.home_latitude), float(tech.home_longitude)), start, end, pinned)
            )
    for wo in located:
        allowed = frozenset(qualified[wo.pk] - blocked[wo.pk])
        if not allowed:
            message = refused.get(wo.pk, "No active technician with a home base.")
            instance.left_out[wo.pk] = (R.NO_TECHNICIAN, f"{R.NO_TECHNICIAN.label} For example: {message}")
            continue
        windows, problem, words = _site_windows(wo.site, days, origin, seconds[wo.pk])
        if problem:
            instance.left_out[wo.pk] = (problem, words)
            continue
        shifts = [s for s in instance.shifts if s.technician in allowed]
        if not any(a < s.end and b > s.start for s in shifts for a, b in windows):
            instance.left_out[wo.pk] = (R.NO_WORKING_DAY, R.NO_WORKING_DAY.label)
            continue
        point = (float(wo.site.latitude), float(wo.site.longitude))
        instance.works.append(Work(wo.pk, point, seconds[wo.pk], tuple(windows), allowed))
    return instance


def local_day(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(ZoneInfo(zone_name)).date()
