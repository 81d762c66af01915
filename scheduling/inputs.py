"""What a schedule run reads: the work orders it places and the technicians' working days, turned into the solver's
plain data (scheduling.solver), with the work orders that cannot be placed at all and why.

The rules are those of manual booking (workorders.visits.services.planning): who may take the work is decided by
technicians.selectors.technician_eligibility_many (skills and certifications, required training, vendor, home
base and service radius) on the range's first and last days; working days and time off per day by the same
selector; the visit must fit one access window of its day in the site's zone, on a day that is not a blackout date;
the technician's booked visits are pinned (the route plans around them); not before the latest expected delivery of
the work order's shipments still on their way (pending or in transit). A visit's skills and length are the
packet's (workorders.readiness.work_scope: the SOW's tasks that apply to the site with its approved variations;
60 minutes when the tasks give none).

Read in a fixed number of queries, whatever the size: SOW tasks and variations at once; eligibility asked once per
(skills, technician, day) for what does not depend on the site, and per (site, technician) for the radius — only
for the pairs whose great-circle distance is within the radius plus a kilometre (the others are certainly out).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.db.models import Max

from programs.choices import VariationStatus
from programs.models import SiteVariation, SowTask
from programs.selectors import sow_current_approved
from programs.training import program_required_courses
from rollout.geo import EARTH_RADIUS_KM
from scheduling.choices import UnscheduledReason as R
from scheduling.solver import Shift, Work
from technicians.choices import EligibilityProblemCode as Code
from technicians.models import Technician
from technicians.selectors import EligibilityQuestion, technician_eligibility_many
from workorders.choices import BOOKED_STATUSES, ShipmentStatus, WorkOrderStatus
from workorders.models import Shipment, Visit, WorkOrder
from workorders.readiness import WorkScope, work_scope

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_MINUTES = 60
# Problems that depend on the day only (checked per day, not per work order).
DAY_CODES = frozenset({Code.NOT_A_WORKING_DAY, Code.OUTSIDE_WORKING_HOURS, Code.TIME_OFF})
RADIUS_MARGIN_KM = 1.0  # pairs farther than the radius plus this are not asked: certainly outside it


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


def _scopes(organization, program_id: int, work_orders) -> dict[int, WorkScope]:
    """Each work order's scope (skills, minutes) as its packet has it, in three queries."""
    fallback = None
    if any(wo.sow_id is None for wo in work_orders):
        fallback = sow_current_approved(organization=organization, program_id=program_id)
    sow_ids = {wo.sow_id for wo in work_orders if wo.sow_id} | ({fallback.pk} if fallback else set())
    tasks = defaultdict(list)
    for task in SowTask.objects.for_organization(organization).filter(sow_id__in=sow_ids).order_by("position", "id"):
        tasks[task.sow_id].append(task)
    variations = defaultdict(list)
    approved = SiteVariation.objects.for_organization(organization).filter(
        program_id=program_id, site_id__in={wo.site_id for wo in work_orders}, status=VariationStatus.APPROVED
    )
    for variation in approved.order_by("created_at", "id"):
        variations[variation.site_id].append(variation)
    scopes = {}
    for wo in work_orders:
        sow_id = wo.sow_id or (fallback.pk if fallback else None)
        scopes[wo.pk] = work_scope(
            tasks=tasks.get(sow_id, []), materials=[], variations=variations[wo.site_id], attributes=wo.site.attributes
        )
    return scopes


def _great_circle_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances (km) between every point of `a` and every point of `b` (degrees, shape (n, 2) and (m, 2))."""
    a, b = np.radians(a), np.radians(b)
    d_lat = a[:, None, 0] - b[None, :, 0]
    d_lon = a[:, None, 1] - b[None, :, 1]
    h = np.sin(d_lat / 2) ** 2 + np.cos(a[:, None, 0]) * np.cos(b[None, :, 0]) * np.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1)))


def _who_may(organization, located, technicians, scopes, courses, days) -> tuple[dict[int, set], dict[int, str]]:
    """work order id → the technicians who may take it on the range's first and last days, and an example of why
    not for the work orders nobody may take."""
    edges = sorted({days[0], days[-1]})
    groups = sorted({scopes[wo.pk].skills for wo in located})
    verdicts = technician_eligibility_many(
        organization=organization,
        questions=[
            EligibilityQuestion(key=(skills, tech.pk, day), technician_id=tech.pk, skills=skills, on_date=day,
                                courses=courses)
            for skills in groups
            for tech in technicians
            for day in edges
        ],
    )  # fmt: skip
    fit = {
        (skills, tech.pk)
        for skills in groups
        for tech in technicians
        if not any(p.code not in DAY_CODES for day in edges for p in verdicts[(skills, tech.pk, day)].problems)
    }
    sites = np.array([(float(wo.site.latitude), float(wo.site.longitude)) for wo in located], dtype=float)
    homes = np.array([(float(t.home_latitude), float(t.home_longitude)) for t in technicians], dtype=float)
    radius = np.array([t.service_radius_km for t in technicians], dtype=float)
    near = _great_circle_km(sites, homes) <= radius[None, :] + RADIUS_MARGIN_KM if len(located) else np.zeros((0, 0))
    pairs = [
        (wo, tech)
        for n, wo in enumerate(located)
        for m, tech in enumerate(technicians)
        if near[n, m] and (scopes[wo.pk].skills, tech.pk) in fit
    ]
    reach = technician_eligibility_many(
        organization=organization,
        questions=[
            EligibilityQuestion(key=(wo.pk, tech.pk), technician_id=tech.pk, skills=(), on_date=days[0],
                                latitude=wo.site.latitude, longitude=wo.site.longitude)
            for wo, tech in pairs
        ],
    )  # fmt: skip
    allowed: dict[int, set] = defaultdict(set)
    for wo, tech in pairs:
        if not any(p.code not in DAY_CODES for p in reach[(wo.pk, tech.pk)].problems):
            allowed[wo.pk].add(tech.pk)
    # Why nobody may: the nearest technician's reasons, asked in full.
    nobody = [(n, wo) for n, wo in enumerate(located) if not allowed[wo.pk]]
    if not nobody or not technicians:
        return allowed, {}
    distances = _great_circle_km(sites, homes)
    examples = technician_eligibility_many(
        organization=organization,
        questions=[
            EligibilityQuestion(key=wo.pk, technician_id=technicians[int(np.argmin(distances[n]))].pk,
                                skills=scopes[wo.pk].skills, on_date=days[0], latitude=wo.site.latitude,
                                longitude=wo.site.longitude, courses=courses)
            for n, wo in nobody
        ],
    )  # fmt: skip
    why = {}
    for _, wo in nobody:
        blocking = [p.message for p in examples[wo.pk].problems if p.code not in DAY_CODES]
        why[wo.pk] = blocking[0] if blocking else "No technician may take it on the range's first and last days."
    return allowed, why


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
    scopes = _scopes(organization, run.program_id, work_orders)
    seconds = {pk: 60 * (scope.minutes or DEFAULT_MINUTES) for pk, scope in scopes.items()}
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
    qualified, refused = _who_may(organization, located, technicians, scopes, courses, days)
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
    arrivals = dict(
        Shipment.objects.for_organization(organization)
        .filter(
            work_order_id__in=[wo.pk for wo in located],
            status__in=(ShipmentStatus.PENDING, ShipmentStatus.IN_TRANSIT),
            expected_delivery__isnull=False,
        )
        .values_list("work_order_id")
        .annotate(last=Max("expected_delivery"))
    )
    shifts_of, windows_of = defaultdict(list), {}
    for shift in instance.shifts:
        shifts_of[shift.technician].append(shift)
    for wo in located:
        allowed = frozenset(qualified[wo.pk])
        if not allowed:
            message = refused.get(wo.pk, "No active technician with a home base.")
            instance.left_out[wo.pk] = (R.NO_TECHNICIAN, f"{R.NO_TECHNICIAN.label} For example: {message}")
            continue
        arrival = arrivals.get(wo.pk)
        if arrival is not None and arrival > days[-1]:
            words = f"{R.MATERIALS_LATE.label} Expected on {arrival:%b %-d, %Y}."
            instance.left_out[wo.pk] = (R.MATERIALS_LATE, words)
            continue
        # Sites mostly share their hours: windows computed once per (zone, hours, blackout dates, length, first day).
        site, first = wo.site, max(days[0], arrival or days[0])
        shape = (site.timezone, repr(site.access_hours), tuple(site.blackout_dates or ()), seconds[wo.pk], first)
        if shape not in windows_of:
            windows_of[shape] = _site_windows(site, [d for d in days if d >= first], origin, seconds[wo.pk])
        windows, problem, words = windows_of[shape]
        if problem:
            instance.left_out[wo.pk] = (problem, words)
            continue
        if not any(a < s.end and b > s.start for t in allowed for s in shifts_of[t] for a, b in windows):
            instance.left_out[wo.pk] = (R.NO_WORKING_DAY, R.NO_WORKING_DAY.label)
            continue
        point = (float(wo.site.latitude), float(wo.site.longitude))
        instance.works.append(Work(wo.pk, point, seconds[wo.pk], tuple(windows), allowed))
    return instance


def local_day(moment: datetime, zone_name: str) -> date:
    return moment.astimezone(ZoneInfo(zone_name)).date()
