"""The demo day's plan (workorders.demo.day) over a whole week, hour by hour, with the demo's own stores and crew:
every window inside its store's access hours and its technician's working hours, no technician in two places, and
every state the demo promises placed — except where a technician's day ending at midnight makes it impossible
(the module's docstring says which). Pure: no database."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sites.demo.seed import AROUND_THE_CLOCK, AROUND_THE_CLOCK_STORES
from sites.values import parse_access_hours
from technicians.demo.seed import TECH_EMAIL, TECHNICIANS
from workorders.demo.day import TRAVEL, plan_day, technician_works
from workorders.demo.work_orders import CREW
from workorders.readiness import visit_window_problems

CHICAGO = ZoneInfo("America/Chicago")
MONDAY = datetime(2026, 12, 7, tzinfo=CHICAGO)  # inside the pilot wave, no blackout date in the week
GRACE = 20  # sco-2026's check-in grace
ALWAYS = {"resolves", "at_risk", "confirmed", "cancelled", "no_show", "checked_out", "incomplete"}


def _crew():
    crew = [
        SimpleNamespace(pk=n, email=row[0], timezone="America/Chicago", working_days=row[6], work_start=row[7],
                        work_end=row[8])
        for n, row in enumerate(CREW)
    ]  # fmt: skip
    tomas = next(row for row in TECHNICIANS if row[0] == TECH_EMAIL)
    crew.append(
        SimpleNamespace(pk=99, email=TECH_EMAIL, timezone=tomas[7], working_days=tomas[10], work_start=time(7, 30),
                        work_end=time(17, 30))
    )  # fmt: skip
    return crew


def _stores():
    return [
        SimpleNamespace(
            pk=n,
            site=SimpleNamespace(
                timezone="America/Chicago",
                access_hours=parse_access_hours(AROUND_THE_CLOCK[n % len(AROUND_THE_CLOCK)][1]),
                blackout_dates=[],
            ),
        )
        for n in range(AROUND_THE_CLOCK_STORES)
    ]


def _plan(now):
    return plan_day(
        now=now,
        work_orders=_stores(),
        technicians=_crew(),
        window_minutes=dict.fromkeys(range(AROUND_THE_CLOCK_STORES), 300),
        days_off={},
        grace=GRACE,
        tech=TECH_EMAIL,
    )


@pytest.mark.parametrize("day", range(7), ids=["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
def test_every_hour_of_the_week_plans_a_day_inside_the_hours(day):
    for hour in range(0, 24, 2):
        now = (MONDAY + timedelta(days=day, hours=hour, minutes=17)).astimezone(UTC)
        placed = _plan(now)
        keys = {item.need.key for item in placed}
        local = now.astimezone(CHICAGO)
        # then every promise the clock allows is kept
        assert keys >= ALWAYS, (local, ALWAYS - keys)
        if local.hour >= 1:  # a late visit needs its window to have started after midnight, by more than the grace
            assert {"late", "checked_in"} <= keys, local
        if local.hour >= 2:  # and so does today's no-show, with the half hour the coordinator waited
            no_show = next(item for item in placed if item.need.key == "no_show")
            assert no_show.start.astimezone(CHICAGO).date() == local.date(), local
        # and every window is inside its store's access hours and its technician's working hours, on a working day
        busy = {}
        for item in placed:
            assert not visit_window_problems(site=item.work_order.site, planned_start=item.start, planned_end=item.end)
            assert technician_works(item.technician, item.start, item.end), (item.need.key, item.technician.email)
            for since, until in busy.get(item.technician.pk, []):
                assert item.end + TRAVEL <= since or until + TRAVEL <= item.start
            busy.setdefault(item.technician.pk, []).append((item.start, item.end))
        # and each store has one visit at most
        assert len({item.work_order.pk for item in placed}) == len(placed)


def test_the_live_visits_sit_where_the_escalation_demo_needs_them():
    now = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # Monday 16:30 in Chicago
    placed = {item.need.key: item for item in _plan(now)}
    due = placed["late"].start + timedelta(minutes=GRACE)
    assert now - timedelta(hours=4, minutes=30) < due <= now - timedelta(minutes=30) < placed["late"].end
    assert placed["checked_in"].start < now < placed["checked_in"].end
    assert now < placed["resolves"].start < now + timedelta(hours=24)
    assert now + timedelta(hours=24) < placed["at_risk"].start <= now + timedelta(hours=30)
    assert placed["confirmed"].technician.email == placed["cancelled"].technician.email == TECH_EMAIL
    assert placed["no_show"].start + timedelta(minutes=GRACE + 30) <= now
    assert all(placed[key].end <= now - timedelta(minutes=30) for key in ("checked_out", "incomplete"))
