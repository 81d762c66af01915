"""The demo day's plan: which pilot store, technician and window each demo visit gets, as of the moment the seed
runs — whatever the hour or the day of the week.

Every window lies inside its store's access hours (the site's zone, workorders.readiness.visit_window_problems,
blackout dates included) and inside its technician's working hours on one of their working days (a technician's
day cannot run past midnight, so neither can a window), off their time off, and away from their other visits.
The pilot's stores and crew are built for this (sites.demo.seed: 24-hour supercenters and malls open to
installers overnight; workorders.demo.work_orders.CREW: day, evening and overnight shifts): whatever the hour,
some store and some crew member can be at work now.

Each visit states what the clock must say of it (NEEDS, in minutes from now, for the demo policy of
escalations.demo.seed: confirmations due 24 h before the window and warned 6 h ahead; the pilot's missed check-in
climbs to the PM 30 minutes after it is raised and to the client 4 hours later):

- late: its check-in deadline (window start + the program's grace) passed 30 minutes to 4.5 hours ago (most
  recent first), so the sweep has raised it and climbed once (level 2); its window has not ended;
- checked in: started before now, ends after now; on the way: starts within the next hour and a quarter;
- the one that resolves by itself: still scheduled, starting within 24 h (its confirmation overdue);
- at risk: starts 24–30 h from now (its confirmation due within 6 hours);
- no-show: started at least 45 minutes past its grace ago (the coordinator marks it 30 minutes after the grace);
- checked out (complete, incomplete): ended at least 30 minutes ago;
- Tomás's confirmed visit (the phone's demo) and a cancelled one: his next slots.

A technician's day ends by midnight, so no window runs past it, and a five-hour window (the pilot's estimate)
cannot start after 19:00: no late visit can be placed between 23:30 and 01:00 local time, no checked-in one
between 23:30 and 00:15, and none "on the way" between about 18:45 and 22:45 (nor some early mornings, when the
night shift's three are all busy); the plan leaves out what the clock cannot give rather than bend a rule
(tests/workorders/test_demo_day.py walks the week).

Candidates are tried on the quarter hour, nearest the preferred start first. Pure: no queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from technicians.choices import WEEKDAYS
from workorders.readiness import visit_window_problems

QUARTER = 15
TRAVEL = timedelta(minutes=45)  # between two visits of one technician


@dataclass(frozen=True)
class Need:
    """What one demo visit asks of the clock: its start between `earliest` and `latest` minutes from now (tried
    nearest `preferred` first), and optionally its end after/before some minutes from now."""

    key: str
    earliest: int
    preferred: int
    latest: int
    ends_after: int | None = None
    ends_before: int | None = None
    technicians: tuple[str, ...] = ()  # asked for first (by e-mail)
    only: bool = False  # no one else will do
    today: bool = False  # today's (local) starts first: the homes show today's late visits and no-shows


@dataclass(frozen=True)
class Placed:
    need: Need
    work_order: object
    technician: object
    start: datetime
    end: datetime


def needs(*, grace: int, tech: str) -> list[Need]:
    """The demo day's visits, most constrained first (see the module's docstring); `grace` is the program's check-in
    grace in minutes, `tech` the e-mail of the technician whose phone the demo shows."""
    hour, day = 60, 24 * 60
    return [
        Need("late", -(30 + 240 + grace) + 5, -(50 + grace), -(30 + grace), ends_after=20),
        Need("no_show", -12 * hour, -5 * hour, -(grace + 45), today=True),
        Need("checked_in", -5 * hour + 20, -75, -10, ends_after=20),
        Need("on_the_way", 15, 30, 75),
        Need("resolves", 15, 3 * hour, day - 15, today=True),
        Need("at_risk", day + 15, day + hour, day + 6 * hour - 15),
        Need("confirmed", 30, 30, 5 * day, technicians=(tech,), only=True),
        Need("cancelled", 60, day, 6 * day, technicians=(tech,), only=True),
        Need("checked_out", -30 * hour, -9 * hour, -5 * hour, ends_before=-30),
        Need("incomplete", -30 * hour, -6 * hour, -5 * hour, ends_before=-30),
    ]


def technician_works(technician, start: datetime, end: datetime, days_off: Iterable[tuple[date, date]] = ()) -> bool:
    """Whether the window lies inside one of the technician's working days and hours (their own zone)."""
    zone = ZoneInfo(technician.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_end.date() != local_start.date():
        return False
    if WEEKDAYS[local_start.weekday()] not in (technician.working_days or []):
        return False
    if not technician.work_start <= local_start.time() or local_end.time() > technician.work_end:
        return False
    return not any(first <= local_start.date() <= last for first, last in days_off)


def _starts(now: datetime, zone: ZoneInfo, need: Need) -> list[datetime]:
    """The quarter hours (local clock) between the need's earliest and latest start, nearest preferred first (today's
    first, if the need asks)."""
    local = now.astimezone(zone)
    base = local.replace(second=0, microsecond=0)
    if base < local:
        base += timedelta(minutes=1)
    first = base + timedelta(minutes=need.earliest)
    first += timedelta(minutes=-first.minute % QUARTER)
    last = local + timedelta(minutes=need.latest)
    starts, moment = [], first
    while moment <= last:
        starts.append(moment)
        moment += timedelta(minutes=QUARTER)
    preferred = local + timedelta(minutes=need.preferred)
    return sorted(
        starts, key=lambda start: (need.today and start.date() != local.date(), abs(start - preferred), start)
    )


def plan_day(
    *,
    now: datetime,
    work_orders: Sequence,
    technicians: Sequence,
    window_minutes: dict[int, int],
    days_off: dict[int, list[tuple[date, date]]],
    grace: int,
    tech: str,
) -> list[Placed]:
    """One window, store and technician for each need that can be met (a need that cannot is left out)."""
    free = list(work_orders)
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    placed = []
    for need in needs(grace=grace, tech=tech):
        asked = [t for t in technicians if t.email in need.technicians]
        crew = asked if need.only else asked + [t for t in technicians if t.email not in need.technicians]
        found = _place(now, need, free, crew, window_minutes, days_off, busy)
        if found is None:
            continue
        placed.append(found)
        free.remove(found.work_order)
        busy.setdefault(found.technician.pk, []).append((found.start, found.end))
    return placed


def _open_minutes(site) -> int:
    total = 0
    for windows in (site.access_hours or {}).values():
        for text in windows:
            start, end = (int(h) * 60 + int(m) for h, m in (part.split(":") for part in text.split("-")))
            total += (end - start) % (24 * 60) or 24 * 60
    return total if site.access_hours else 7 * 24 * 60


def _place(now, need: Need, work_orders, crew, window_minutes, days_off, busy) -> Placed | None:
    """The first fit, trying the stores open the fewest hours first (at any start in the need's range), then the
    starts nearest the preferred one — or, for a need that wants today, today's starts first, then those stores."""
    if not work_orders or not crew:
        return None
    zone = ZoneInfo(work_orders[0].site.timezone)
    starts = _starts(now, zone, need)
    groups: dict[int, list] = {}
    for work_order in work_orders:
        groups.setdefault(_open_minutes(work_order.site), []).append(work_order)
    ordered = [group for _, group in sorted(groups.items())]
    if need.today:
        tries = [(start, group) for start in starts for group in ordered]
    else:
        tries = [(start, group) for group in ordered for start in starts]
    for start, group in tries:
        for work_order in group:
            end = start + timedelta(minutes=window_minutes.get(work_order.pk, 240))
            if need.ends_after is not None and end < now + timedelta(minutes=need.ends_after):
                continue
            if need.ends_before is not None and end > now + timedelta(minutes=need.ends_before):
                continue
            if visit_window_problems(site=work_order.site, planned_start=start, planned_end=end):
                continue
            for technician in crew:
                if not technician_works(technician, start, end, days_off.get(technician.pk, ())):
                    continue
                if any(start < to + TRAVEL and since < end + TRAVEL for since, to in busy.get(technician.pk, [])):
                    continue
                return Placed(need, work_order, technician, start, end)
    return None
