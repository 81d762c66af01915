"""The routing solver behind a schedule run: plain data in, a plan out, no database (scheduling.inputs builds the
data; scheduling.services writes the plan).

The VROOM engine (`pyvroom`, exploration level 1, 2 threads) does the routing: one vehicle per technician per
working day (their working hours, from and back to their home base, pinned visits as breaks), one job per work
order (its visit length, the site's access windows over the date range without blackout dates). Which technician
may take which work (skills, certifications, radius) is encoded as VROOM skills: job i carries skill i, and a shift
holds the skills of the jobs its technician may take. Times are seconds from the horizon's origin (UTC midnight of
the first day); travel comes from scheduling.travel (distance × road factor at an average speed).

How the problem is cut (the engine slows down sharply with jobs × vehicles; one model for 2,000 sites and 1,000
technician-days does not finish):
- Regions (over SPLIT_SIZE work orders): the technicians' home bases are grouped by k-means (about
  TECHNICIANS_PER_REGION per region, fixed start: deterministic). Each region holds at most its technicians'
  balance caps of work. A site goes to the region of its nearest eligible technician unless that one is full,
  then to the next nearest; the sites that would lose most by moving (the farthest second choice) choose first,
  so the sites that move are those near a boundary, to whichever neighbour has room. Inside its region a site is
  offered to its NEARBY nearest eligible technicians (sites move between nearby technicians; the engine twice as
  fast, no more km). Each region is solved alone, with a distance matrix of its own homes and sites.
- Days: a region first gets its earliest days that hold its work DAY_SLACK times over (fewer vehicles at once, the
  wave's work done early), then its later days for what is left. Work still left is offered last to every eligible
  technician, anywhere, on their days not used yet.
- Workload balance is a hard limit: no technician gets more than `balance` × the mean visits per technician who
  could take some of the work (at least the mean rounded up); the limit is spread over their days as VROOM's
  maximum of tasks per vehicle (and `daily_max` per day).
- Deterministic: the same inputs and seed give the same plan (the seed orders the jobs given to the engine).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import vroom

from scheduling.travel import Point, Travel

TRAVEL_ALLOWANCE = 20 * 60  # seconds of travel counted per visit when choosing the days a region plans first
SPLIT_SIZE = 250  # an instance of more work orders than this is split into regions…
TECHNICIANS_PER_REGION = 4  # …of about this many technicians (or about SPLIT_SIZE work orders, if fewer)
DAY_SLACK = 1.3  # the earliest days of a region whose working time holds its work 1.3 times over come first
NEARBY = 3  # inside its region, a site is offered to its 3 nearest eligible technicians
EXPLORATION = 1  # level 0: a third of the time, 6% more km on the 2,000-site benchmark


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
    """`km`: every leg driven, the way home included (a placed visit's km is the leg that reaches it)."""

    placed: list[Placed] = field(default_factory=list)
    unplaced: list[int] = field(default_factory=list)
    km: float = 0.0
    solver_seconds: float = 0.0
    regions: int = 1
    cap: int = 0

    def loads(self) -> Counter:
        return Counter(p.technician for p in self.placed)


def _distance_km(points: list[Point], travel: Travel) -> np.ndarray:
    lat = np.radians(np.array([p[0] for p in points], dtype=float))
    lon = np.radians(np.array([p[1] for p in points], dtype=float))
    d_lat = lat[:, None] - lat[None, :]
    d_lon = lon[:, None] - lon[None, :]
    a = np.sin(d_lat / 2) ** 2 + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(d_lon / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(np.clip(a, 0, 1))) * travel.road_factor


@dataclass
class _Part:
    """What one engine call returns: placed (key → shift index, order, start, end, km), the unplaced keys, and
    the km of the legs home."""

    placed: dict[int, tuple[int, int, int, int, float]] = field(default_factory=dict)
    unplaced: list[int] = field(default_factory=list)
    home_km: float = 0.0


def _solve_once(works, shifts, travel, caps, *, seed, threads, timeout=None) -> _Part:
    """One VROOM call: `shifts` indexed as given, `caps` the maximum of tasks per shift index (None: no limit)."""
    usable = [v for v, shift in enumerate(shifts) if caps.get(v) != 0]
    by_technician = defaultdict(set)
    for i, work in enumerate(works):
        for technician in work.technicians:
            by_technician[technician].add(i + 1)
    usable = [v for v in usable if by_technician.get(shifts[v].technician)]
    if not works or not usable:
        return _Part(unplaced=[w.key for w in works])
    homes = sorted({shifts[v].home for v in usable})
    home_index = {home: n for n, home in enumerate(homes)}
    km = _distance_km(homes + [w.point for w in works], travel)
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=np.rint(km / travel.speed_kmh * 3600).astype(np.uint32))
    first, last = min(shifts[v].start for v in usable), max(shifts[v].end for v in usable)
    vehicles = []
    for v in usable:
        shift = shifts[v]
        at = home_index[shift.home]
        values = {
            "start": at,
            "end": at,
            "time_window": vroom.TimeWindow(shift.start, shift.end),
            "skills": by_technician[shift.technician],
        }
        if shift.busy:
            values["breaks"] = [
                vroom.Break(n + 1, time_windows=[vroom.TimeWindow(a, a)], service=b - a)
                for n, (a, b) in enumerate(shift.busy)
            ]
        if caps.get(v) is not None:
            values["max_tasks"] = caps[v]
        vehicles.append(vroom.Vehicle(v + 1, **values))
    problem.add_vehicle(vehicles)
    order = list(range(len(works)))
    random.Random(seed).shuffle(order)
    jobs = []
    for i in order:
        work = works[i]
        # Only the windows the vehicles' days can use: fewer windows, faster checks.
        windows = [vroom.TimeWindow(a, b) for a, b in work.windows if a <= last and b >= first]
        if not windows:
            continue
        jobs.append(
            vroom.Job(
                i + 1,
                location=len(homes) + i,
                default_service=work.service,
                time_windows=windows,
                skills={i + 1},
            )
        )
    if not jobs:
        return _Part(unplaced=[w.key for w in works])
    problem.add_job(jobs)
    solution = problem.solve(
        exploration_level=EXPLORATION,
        nb_threads=threads,
        timeout=timedelta(seconds=max(timeout, 1)) if timeout else None,
    )
    part = _Part()
    for vehicle_id, route in solution.routes.groupby("vehicle_id", sort=True):
        v = int(vehicle_id) - 1
        previous = home_index[shifts[v].home]
        n = 0
        for row in route.itertuples():
            if row.type != "job":
                continue
            i = int(row.id) - 1
            here = len(homes) + i
            n += 1
            start = int(row.arrival) + int(row.waiting_time)
            part.placed[works[i].key] = (v, n, start, start + works[i].service, float(km[previous, here]))
            previous = here
        part.home_km += float(km[previous, home_index[shifts[v].home]])
    part.unplaced = [w.key for w in works if w.key not in part.placed]
    return part


def _spread(left: dict[int, int], shifts: list[Shift], daily_max: int | None) -> dict[int, int | None]:
    """Each technician's visits left under the balance cap spread over their shifts (earliest days get the extra
    one), as a maximum of tasks per shift index."""
    caps: dict[int, int | None] = {}
    by_technician = defaultdict(list)
    for v, shift in enumerate(shifts):
        by_technician[shift.technician].append(v)
    for technician, indexes in by_technician.items():
        indexes.sort(key=lambda v: shifts[v].day)
        each, extra = divmod(max(left.get(technician, 0), 0), len(indexes))
        for n, v in enumerate(indexes):
            cap = each + (n < extra)
            caps[v] = cap if daily_max is None else min(cap, daily_max)
    return caps


class _Solver:
    """One solve: the regions, their passes, and the running loads against the cap."""

    def __init__(self, works, shifts, travel, *, balance, daily_max, seed, threads, deadline):
        self.works, self.shifts, self.travel = works, shifts, travel
        self.daily_max, self.seed, self.threads, self.deadline = daily_max, seed, threads, deadline
        self.homes = {}
        for shift in shifts:
            self.homes.setdefault(shift.technician, shift.home)
        offered = {t for w in works for t in w.technicians if t in self.homes}
        mean = len(works) / len(offered) if offered else 0
        self.cap = max(math.floor(balance * mean + 1e-9), math.ceil(mean))
        self.loads: Counter = Counter()
        self.used: set[tuple[int, date]] = set()
        self.plan = Plan(cap=self.cap)

    def timeout(self) -> float | None:
        return None if self.deadline is None else max(self.deadline - time.perf_counter(), 1)

    def run(self, works, shifts) -> list[int]:
        """Place what fits of `works` on `shifts` under the cap; returns the keys left."""
        shifts = [s for s in shifts if (s.technician, s.day) not in self.used]
        left = {t: self.cap - self.loads[t] for t in {s.technician for s in shifts}}
        caps = _spread(left, shifts, self.daily_max)
        started = time.perf_counter()
        part = _solve_once(works, shifts, self.travel, caps, seed=self.seed, threads=self.threads,
                           timeout=self.timeout())  # fmt: skip
        self.plan.solver_seconds += time.perf_counter() - started
        for key, (v, n, start, end, km) in part.placed.items():
            shift = shifts[v]
            self.plan.placed.append(Placed(key, shift.technician, shift.day, start, end, n, round(km, 1)))
            self.loads[shift.technician] += 1
            self.used.add((shift.technician, shift.day))
        self.plan.km += part.home_km + sum(km for *_, km in part.placed.values())
        return part.unplaced

    def region(self, works, shifts) -> list[int]:
        """The earliest days that hold the work DAY_SLACK times over, then the later days for what is left."""
        demand = DAY_SLACK * sum(w.service + TRAVEL_ALLOWANCE for w in works)
        early, capacity = set(), 0
        for day in sorted({s.day for s in shifts}):
            early.add(day)
            capacity += sum(s.end - s.start for s in shifts if s.day == day)
            if capacity >= demand:
                break
        left = set(self.run(works, [s for s in shifts if s.day in early]))
        later = [s for s in shifts if s.day not in early]
        if left and later:
            left = set(self.run([w for w in works if w.key in left], later))
        return sorted(left)


def _regions(works: list[Work], shifts: list[Shift], travel: Travel, cap: int) -> list[tuple[list[Work], list[Shift]]]:
    """Split by region of the technicians' home bases (see the module's rules)."""
    homes = {}
    for shift in shifts:
        homes.setdefault(shift.technician, shift.home)
    technicians = sorted(homes)
    k = min(
        len(technicians),
        max(math.ceil(len(technicians) / TECHNICIANS_PER_REGION), math.ceil(len(works) / SPLIT_SIZE)),
    )
    if k <= 1 or len(works) <= SPLIT_SIZE:
        return [(works, shifts)]
    points = np.array([homes[t] for t in technicians], dtype=float)
    scale = np.array([1.0, math.cos(math.radians(float(points[:, 0].mean())))])
    points = points * scale
    # Fixed start: the farthest-point sequence from the first home base.
    chosen = [0]
    nearest = ((points - points[0]) ** 2).sum(axis=1)
    while len(chosen) < k:
        chosen.append(int(np.argmax(nearest)))
        nearest = np.minimum(nearest, ((points - points[chosen[-1]]) ** 2).sum(axis=1))
    centres = points[chosen]
    for _ in range(50):
        labels = np.argmin(((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        moved = np.array([points[labels == c].mean(axis=0) if (labels == c).any() else centres[c] for c in range(k)])
        if np.allclose(moved, centres):
            break
        centres = moved
    region_of = {t: int(label) for t, label in zip(technicians, labels, strict=True)}
    index = {t: n for n, t in enumerate(technicians)}
    km = _distance_km([homes[t] for t in technicians] + [w.point for w in works], travel)
    km = km[len(technicians) :, : len(technicians)]
    # Each region holds at most its technicians' caps; a site goes to its nearest region with room, the sites whose
    # second choice is farthest away choosing first (then the nearer, then by key: deterministic).
    room = Counter()
    for t in technicians:
        room[region_of[t]] += cap
    grouped: dict[int, list[Work]] = defaultdict(list)
    choices = []
    for n, work in enumerate(works):
        nearest_by_region: dict[int, float] = {}
        for t in work.technicians:
            if t in region_of:
                c = region_of[t]
                nearest_by_region[c] = min(nearest_by_region.get(c, math.inf), float(km[n, index[t]]))
        ranked = sorted((d, c) for c, d in nearest_by_region.items())
        if ranked:
            regret = ranked[1][0] - ranked[0][0] if len(ranked) > 1 else math.inf
            choices.append((-regret, ranked[0][0], work.key, n, ranked))
    placed = set()
    for *_, n, ranked in sorted(choices, key=lambda item: item[:3]):
        for _d, c in ranked:
            if room[c] > 0:
                work = works[n]
                mine = sorted((float(km[n, index[t]]), t) for t in work.technicians if region_of.get(t) == c)
                grouped[c].append(replace(work, technicians=frozenset(t for _, t in mine[:NEARBY])))
                room[c] -= 1
                placed.add(work.key)
                break
    grouped[-1] = [w for w in works if w.key not in placed]
    parts = [(grouped[c], [s for s in shifts if region_of[s.technician] == c]) for c in range(k) if grouped[c]]
    if grouped[-1]:
        parts.append((grouped[-1], []))
    return parts


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
    deadline = None if timeout is None else time.perf_counter() + timeout
    solver = _Solver(
        works, shifts, travel, balance=balance, daily_max=daily_max, seed=seed, threads=threads, deadline=deadline
    )
    regions = _regions(works, shifts, travel, solver.cap)
    left = []
    for region_works, region_shifts in regions:
        left += solver.region(region_works, region_shifts)
    if left:
        # What no region could place: offered to every eligible technician on their days not used yet.
        keys = set(left)
        wanted = {t for w in works if w.key in keys for t in w.technicians}
        left = solver.run([w for w in works if w.key in keys], [s for s in shifts if s.technician in wanted])
    plan = solver.plan
    plan.placed.sort(key=lambda p: (p.technician, p.day, p.order))
    plan.unplaced = sorted(left)
    plan.km = round(plan.km, 1)
    plan.regions = len(regions)
    return plan
