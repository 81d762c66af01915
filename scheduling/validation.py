"""A validator over a solver's plan (scheduling.solver): every rule the plan must hold, checked from the plain data
alone, in words. The tests and the benchmark run it over every plan they make; an empty list means the plan holds.

Checked: each work placed once or left unplaced, never both; by a technician who may take it, on one of their
shifts, inside the shift's hours and one of the site's start windows, for the work's length; no two visits of a
day overlapping each other or a pinned visit, with the travel between them; at most `daily_max` visits a day and
no technician over the plan's balance cap, itself no more than `balance` × the mean visits per technician who could
take some of the work (at least that mean rounded up).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from scheduling.solver import Plan, Shift, Work
from scheduling.travel import Travel


def plan_violations(
    works: list[Work],
    shifts: list[Shift],
    plan: Plan,
    *,
    travel: Travel,
    balance: float = 1.3,
    daily_max: int | None = None,
) -> list[str]:
    problems = []
    by_key = {w.key: w for w in works}
    shift_of = {(s.technician, s.day): s for s in shifts}
    placed_keys = Counter(p.key for p in plan.placed)
    problems += [f"work {key} placed {n} times" for key, n in placed_keys.items() if n > 1]
    problems += [f"work {key} both placed and unplaced" for key in set(plan.unplaced) & set(placed_keys)]
    problems += [
        f"work {key} neither placed nor unplaced" for key in set(by_key) - set(placed_keys) - set(plan.unplaced)
    ]
    days = defaultdict(list)
    for p in plan.placed:
        work, shift = by_key.get(p.key), shift_of.get((p.technician, p.day))
        if work is None or shift is None:
            problems.append(f"work {p.key}: unknown work or no shift for technician {p.technician} on {p.day}")
            continue
        if p.technician not in work.technicians:
            problems.append(f"work {p.key}: technician {p.technician} may not take it")
        if p.end - p.start != work.service:
            problems.append(f"work {p.key}: lasts {p.end - p.start} s, not {work.service} s")
        if not any(a <= p.start <= b for a, b in work.windows):
            problems.append(f"work {p.key}: starts at {p.start}, outside the site's windows")
        if p.start < shift.start or p.end > shift.end:
            problems.append(f"work {p.key}: outside technician {p.technician}'s hours on {p.day}")
        problems += [
            f"work {p.key}: overlaps a pinned visit of technician {p.technician}"
            for a, b in shift.busy
            if p.start < b and a < p.end
        ]
        days[(p.technician, p.day)].append((p, work))
    for (technician, day), visits in days.items():
        shift = shift_of[(technician, day)]
        visits.sort(key=lambda item: item[0].start)
        if daily_max is not None and len(visits) > daily_max:
            problems.append(f"technician {technician} has {len(visits)} visits on {day}, over {daily_max}")
        where, free = shift.home, shift.start
        for p, work in visits:
            reach = free + travel.seconds(travel.km(where, work.point))
            if p.start + 1 < reach:
                problems.append(f"work {p.key}: starts at {p.start}, before technician {technician} can be there")
            where, free = work.point, p.end
    loads = plan.loads()
    offered = {t for w in works for t in w.technicians} & {s.technician for s in shifts}
    if offered and loads:
        mean = len(works) / len(offered)
        limit = max(math.floor(balance * mean + 1e-9), math.ceil(mean))
        problems += [f"technician {t} has {n} visits, over the cap {limit}" for t, n in loads.items() if n > limit]
    return problems
