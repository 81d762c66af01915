"""The solver on small hand-made instances: who may take which work, access windows, pinned visits, balance,
determinism, the region split, and the validator over a split plan."""

import random
from dataclasses import replace
from datetime import date

from scheduling.solver import Plan, Shift, Work, solve
from scheduling.travel import Travel
from scheduling.validation import plan_violations

DAY = date(2027, 3, 3)
H = 3600
HOME = (41.90, -87.65)
TRAVEL = Travel()


def shift(technician, *, start=8 * H, end=17 * H, home=HOME, busy=(), day=DAY):
    return Shift(technician, day, home, start, end, tuple(busy))


def work(key, *, point=(41.91, -87.66), service=H, windows=((8 * H, 16 * H),), technicians=(1,)):
    return Work(key, point, service, tuple(windows), frozenset(technicians))


def test_each_work_goes_to_a_technician_who_may_take_it_inside_its_window():
    # given: work 1 only for technician 2; work 2 opens at 14:00 (its latest start 15:00)
    works = [work(1, technicians=(2,)), work(2, windows=((14 * H, 15 * H),), technicians=(1, 2))]
    # when
    plan = solve(works, [shift(1), shift(2)], travel=TRAVEL)
    # then
    placed = {p.key: p for p in plan.placed}
    assert placed[1].technician == 2
    assert 14 * H <= placed[2].start <= 15 * H and placed[2].end == placed[2].start + H
    assert plan.unplaced == []


def test_work_no_one_may_take_or_that_cannot_fit_is_left_unplaced():
    works = [work(1, technicians=(9,)), work(2, windows=((20 * H, 21 * H),))]
    plan = solve(works, [shift(1)], travel=TRAVEL)
    assert plan.unplaced == [1, 2] and plan.placed == []


def test_a_pinned_visit_is_planned_around():
    # given: the technician is busy 09:00–16:00 and the site is open only then and just after
    works = [work(1, windows=((9 * H, 15 * H),), service=H)]
    plan = solve(works, [shift(1, busy=[(9 * H, 16 * H)])], travel=TRAVEL)
    assert plan.unplaced == [1]


def test_the_balance_rule_caps_the_nearest_technician():
    # given: eight visits next to technician 1's home, technician 2 lives 20 km away
    works = [work(n, point=(41.90 + n * 0.001, -87.65), service=30 * 60, technicians=(1, 2)) for n in range(1, 9)]
    shifts = [shift(1), shift(2, home=(42.08, -87.65))]
    # when
    plan = solve(works, shifts, travel=TRAVEL, balance=1.3)
    # then: mean 4, cap 6
    assert plan.unplaced == []
    assert max(plan.loads().values()) <= 6


def test_same_inputs_and_seed_give_the_same_plan():
    works = [
        work(n, point=(41.90 + n * 0.01, -87.65 - n * 0.01), service=45 * 60, technicians=(1, 2)) for n in range(12)
    ]
    shifts = [shift(1), shift(2), shift(1, day=date(2027, 3, 4), start=32 * H, end=41 * H)]
    first = solve(works, shifts, travel=TRAVEL, seed=7)
    second = solve(list(reversed(works)), list(reversed(shifts)), travel=TRAVEL, seed=7)
    assert first.placed == second.placed and first.km == second.km


def test_a_large_instance_is_split_by_region():
    chicago, dallas = (41.9, -87.65), (32.78, -96.8)
    works = [
        work(
            n, point=(base[0] + (n % 20) * 0.002, base[1]), service=20 * 60, technicians=(1, 2), windows=((0, 40 * H),)
        )
        for n, base in ((n, chicago if n % 2 else dallas) for n in range(900))
    ]
    shifts = [shift(1, home=chicago, end=40 * H), shift(2, home=dallas, end=40 * H)]
    plan = solve(works, shifts, travel=TRAVEL)
    assert plan.regions == 2
    by_technician = {p.technician for p in plan.placed if p.key % 2}
    assert by_technician == {1}


def _region_instance(seed=5):
    """Three metros, four technicians each (one of them with a narrower skill set), five days, mixed windows,
    pinned visits: enough work (270) that the solver splits it."""
    rng = random.Random(seed)
    metros = [(41.88, -87.63), (42.30, -87.95), (41.55, -88.20)]
    homes = {}
    for n in range(12):
        lat, lon = metros[n % 3]
        homes[n + 1] = (lat + rng.uniform(-0.1, 0.1), lon + rng.uniform(-0.1, 0.1))
    days = [date(2027, 3, 1 + d) for d in range(5)]
    shifts = []
    for technician, home in homes.items():
        for d, day in enumerate(days):
            base = d * 24 * H
            busy = [(base + 12 * H, base + 13 * H)] if technician % 4 == 0 and d % 2 == 0 else []
            shifts.append(Shift(technician, day, home, base + 8 * H, base + 18 * H, tuple(busy)))
    works = []
    for key in range(1, 271):
        lat, lon = metros[key % 3]
        point = (lat + rng.uniform(-0.2, 0.2), lon + rng.uniform(-0.2, 0.2))
        service = rng.choice([45, 60, 75, 90]) * 60
        opens, closes = rng.choice([(7, 11), (10, 18), (6, 22)])
        windows = tuple((d * 24 * H + opens * H, d * 24 * H + closes * H - service) for d in range(5) if d != key % 7)
        allowed = [t for t, home in homes.items() if TRAVEL.km(home, point) <= 60 and (key % 5 or t % 3)]
        works.append(Work(key, point, service, windows, frozenset(allowed)))
    return works, shifts


def test_a_split_plan_holds_every_rule_and_is_the_same_for_the_same_seed():
    # given: 270 works over three metros (some near two of them), balance 1.3, at most 6 visits a day
    works, shifts = _region_instance()
    # when
    plan = solve(works, shifts, travel=TRAVEL, seed=4, daily_max=6)
    again = solve(list(reversed(works)), list(reversed(shifts)), travel=TRAVEL, seed=4, daily_max=6)
    # then
    assert plan.regions > 1
    assert plan_violations(works, shifts, plan, travel=TRAVEL, daily_max=6) == []
    assert len(plan.placed) >= 0.95 * len(works)
    assert max(plan.loads().values()) <= plan.cap
    assert (again.placed, again.unplaced, again.km) == (plan.placed, plan.unplaced, plan.km)


def test_the_validator_names_a_broken_rule():
    works = [work(1, windows=((9 * H, 10 * H),))]
    plan = solve(works, [shift(1)], travel=TRAVEL)
    assert plan_violations(works, [shift(1)], plan, travel=TRAVEL) == []
    moved = Plan(placed=[replace(plan.placed[0], start=11 * H, end=12 * H)])
    assert any("outside the site's windows" in p for p in plan_violations(works, [shift(1)], moved, travel=TRAVEL))
    stranger = Plan(placed=[replace(plan.placed[0], technician=2)])
    assert plan_violations(works, [shift(1), shift(2)], stranger, travel=TRAVEL)[0].endswith("may not take it")
