"""The routing solver behind a schedule run: plain data in, a plan out, no database (scheduling.inputs builds the
data; scheduling.services writes the plan).

The VROOM engine (`pyvroom`) does the routing: one vehicle per technician per working day (their working hours,
from and back to their home base, pinned visits as breaks), one job per work order (its visit length, the site's
access windows over the date range without blackout dates). Which technician may take which work (skills,
certifications, radius) is encoded as VROOM skills: job i carries skill i, and a shift holds the skills of the jobs
its technician may take. Times are seconds from the horizon's origin (UTC midnight of the first day).

Rules on top of the engine:
- Workload balance: no technician gets more than `balance` × the mean number of visits of the technicians who
  could take some of the work (rounded up). Over the cap, their days get a maximum of tasks and the instance is
  solved again (a few rounds).
- A large instance is split by region of the technicians' home bases (k-means on home bases, fixed start), each
  work order going to the region of its nearest eligible technician; regions are solved one after another.
- Days in two passes: the earliest days that can hold the work (1.5× its time) first, the rest for what is left —
  fewer vehicles at once, and the wave's work done early.
- Deterministic: the same inputs and seed give the same plan (the seed orders the jobs given to the engine).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import vroom

from scheduling.travel import Point, Travel

TRAVEL_ALLOWANCE = 20 * 60  # seconds of travel counted per visit when choosing the days to plan first
SPLIT_SIZE = 250  # work orders per region when an instance is split (the engine slows down superlinearly)


@dataclass(frozen=True)
class Work:
    """A work order to place: where, how long (seconds), when the site is open (absolute seconds), and who may
    take it (technician ids)."""

    key: int
    point: Point
    service: int
    windows: tuple[tuple[int, int], ...]
    technicians: frozenset[int]


@dataclass(frozen=True)
class Shift:
    """One technician's working day: from and back to their home base between `start` and `end`, around their
    pinned visits (`busy`)."""

    technician: int
    day: date
    home: Point
    start: int
    end: int
    busy: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Placed:
    key: int
    technician: int
    day: date
    start: int
    end: int
    order: int
    km: float


@dataclass
class Plan:
    placed: list[Placed] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)
    km: float = 0.0
    solver_seconds: float = 0.0
    regions: int = 1

    def loads(self) -> Counter:
        return Counter(p.technician for p in self.placed)


def _distance_km(points: list[Point], travel: Travel) -> np.ndarray:
    lat = np.radians(np.array([p[0] for p in points], dtype=float))
    lon = np.radians(np.array([p[1] for p in points], dtype=float))
    d_lat = lat[:, None] - lat[None, :]
    d_lon = lon[:, None] - lon[None, :]
    a = np.sin(d_lat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(d_lon / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1))) * travel.road_factor


def _solve_once(works, shifts, travel, caps, seed, threads, timeout=None):
    order = list(range(len(works)))
    random.Random(seed).shuffle(order)
    homes = sorted({s.home for s in shifts})
    home_index = {home: n for n, home in enumerate(homes)}
    points = homes + [w.point for w in works]
    km = _distance_km(points, travel)
    durations = np.rint(km / travel.speed_kmh * 3600).astype(np.uint32)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=durations)
    problem.set_distances_matrix(profile="car", matrix_input=np.rint(km * 1000).astype(np.uint32))
    by_technician = defaultdict(set)
    for i, work in enumerate(works):
        for technician in work.technicians:
            by_technician[technician].add(i + 1)
    vehicles = []
    for v, shift in enumerate(shifts):
        skills = by_technician.get(shift.technician, set())
        if not skills:
            continue
        at = home_index[shift.home]
        breaks = [
            vroom.Break(n + 1, time_windows=[vroom.TimeWindow(a, a)], service=b - a)
            for n, (a, b) in enumerate(shift.busy)
        ]
        values = {"start": at, "end": at, "time_window": vroom.TimeWindow(shift.start, shift.end), "skills": skills}
        if breaks:
            values["breaks"] = breaks
        if caps.get(v) is not None:
            values["max_tasks"] = caps[v]
        vehicles.append(vroom.Vehicle(v + 1, **values))
    if not vehicles:
        return {}, [w.key for w in works]
    problem.add_vehicle(vehicles)
    jobs = []
    for i in order:
        work = works[i]
        jobs.append(
            vroom.Job(
                i + 1,
                location=len(homes) + i,
                default_service=work.service,
                time_windows=[vroom.TimeWindow(a, b) for a, b in work.windows],
                skills={i + 1},
            )
        )
    problem.add_job(jobs)
    solution = problem.solve(
        exploration_level=1, nb_threads=threads, timeout=timedelta(seconds=timeout) if timeout else None
    )
    routes = solution.routes
    placed = {}
    for vehicle_id, route in routes.groupby("vehicle_id", sort=True):
        v = int(vehicle_id) - 1
        shift = shifts[v]
        previous = home_index[shift.home]
        n = 0
        for row in route.itertuples():
            if row.type != "job":
                continue
            i = int(row.id) - 1
            here = len(homes) + i
            n += 1
            start = int(row.arrival) + int(row.waiting_time)
            placed[works[i].key] = (v, n, start, start + works[i].service, float(km[previous, here]))
            previous = here
    unplaced = [works[i].key for i in range(len(works)) if works[i].key not in placed]
    return placed, unplaced


def _solve_balanced(works, shifts, travel, *, balance, daily_max, seed, threads, timeout=None) -> Plan:
    caps: dict[int, int | None] = dict.fromkeys(range(len(shifts)), daily_max)
    started = time.perf_counter()
    placed, unplaced = _solve_once(works, shifts, travel, caps, seed, threads, timeout)
    offered = {s.technician for s in shifts} & {t for w in works for t in w.technicians}
    for _ in range(3):
        per_technician = Counter(shifts[v].technician for v, *_ in placed.values())
        if not per_technician:
            break
        cap = math.ceil(balance * sum(per_technician.values()) / len(offered))
        over = {t for t, count in per_technician.items() if count > cap}
        if not over:
            break
        per_shift = Counter(v for v, *_ in placed.values())
        for technician in sorted(over):
            days = sorted((v for v, s in enumerate(shifts) if s.technician == technician), key=lambda v: shifts[v].day)
            share = cap / per_technician[technician]
            budget = cap
            for v in days:
                allowed = min(math.floor(per_shift.get(v, 0) * share), budget)
                caps[v] = allowed if daily_max is None else min(allowed, daily_max)
                budget -= caps[v]
            for v in days:
                if budget <= 0:
                    break
                caps[v] += 1
                budget -= 1
        placed, unplaced = _solve_once(works, shifts, travel, caps, seed, threads, timeout)
    plan = Plan(unplaced=unplaced, solver_seconds=time.perf_counter() - started)
    for key, (v, n, start, end, km) in sorted(placed.items(), key=lambda item: (item[1][0], item[1][1])):
        shift = shifts[v]
        plan.placed.append(Placed(key, shift.technician, shift.day, start, end, n, round(km, 1)))
    plan.km = round(sum(p.km for p in plan.placed), 1)
    return plan


def _solve_region(works, shifts, travel, **options) -> Plan:
    """The earliest days whose working time covers the work 1.5 times over first (the engine slows down with every
    vehicle), then the work left on the later days."""
    demand = 1.5 * sum(w.service + TRAVEL_ALLOWANCE for w in works)
    days, capacity = set(), 0
    for day in sorted({s.day for s in shifts}):
        days.add(day)
        capacity += sum(s.end - s.start for s in shifts if s.day == day)
        if capacity >= demand:
            break
    plan = _solve_balanced(works, [s for s in shifts if s.day in days], travel, **options)
    later = [s for s in shifts if s.day not in days]
    if plan.unplaced and later:
        left = set(plan.unplaced)
        rest = _solve_balanced([w for w in works if w.key in left], later, travel, **options)
        plan.placed += rest.placed
        plan.unplaced = rest.unplaced
        plan.solver_seconds += rest.solver_seconds
        plan.km = round(sum(p.km for p in plan.placed), 1)
    return plan


def _regions(works: list[Work], shifts: list[Shift], travel: Travel) -> list[tuple[list[Work], list[Shift]]]:
    """Split by region of the technicians' home bases: k-means (fixed start: the homes in id order)."""
    homes = {}
    for shift in shifts:
        homes.setdefault(shift.technician, shift.home)
    technicians = sorted(homes)
    k = min(len(technicians), math.ceil(len(works) / SPLIT_SIZE))
    if k <= 1:
        return [(works, shifts)]
    points = np.array([homes[t] for t in technicians], dtype=float)
    centres = points[np.linspace(0, len(points) - 1, k).astype(int)]
    for _ in range(20):
        labels = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        centres = np.array([points[labels == c].mean(axis=0) if (labels == c).any() else centres[c] for c in range(k)])
    region_of = {t: int(label) for t, label in zip(technicians, labels, strict=True)}
    grouped_works: dict[int, list[Work]] = defaultdict(list)
    size = Counter(region_of.values())
    for work in works:
        eligible = sorted(t for t in work.technicians if t in region_of)
        if not eligible:
            grouped_works[0].append(work)
            continue
        # The region of the nearest eligible technician, unless a region of another eligible technician has less
        # work per technician: sites move between nearby technicians, so loads stay balanced across regions.
        nearest = {}
        for t in eligible:
            nearest.setdefault(region_of[t], travel.km(homes[t], work.point))
            nearest[region_of[t]] = min(nearest[region_of[t]], travel.km(homes[t], work.point))
        region = min(
            nearest, key=lambda c: (len(grouped_works[c]) / size[c] > 1.1 * len(works) / len(homes), nearest[c], c)
        )
        grouped_works[region].append(work)
    return [
        (grouped_works[c], [s for s in shifts if region_of[s.technician] == c]) for c in range(k) if grouped_works[c]
    ]


def solve(
    works: list[Work],
    shifts: list[Shift],
    *,
    travel: Travel,
    balance: float = 1.3,
    daily_max: int | None = None,
    seed: int = 0,
    threads: int = 2,
    timeout: float | None = None,
) -> Plan:
    """Place as many works as possible on the shifts (see the module's rules)."""
    works = sorted(works, key=lambda w: w.key)
    shifts = sorted(shifts, key=lambda s: (s.technician, s.day))
    regions = _regions(works, shifts, travel)
    plan = Plan(regions=len(regions))
    for region_works, region_shifts in regions:
        part = _solve_region(
            region_works,
            region_shifts,
            travel,
            balance=balance,
            daily_max=daily_max,
            seed=seed,
            threads=threads,
            timeout=timeout,
        )
        plan.placed += part.placed
        plan.unplaced += part.unplaced
        plan.solver_seconds += part.solver_seconds
    plan.km = round(sum(p.km for p in plan.placed), 1)
    plan.unplaced.sort()
    return plan
