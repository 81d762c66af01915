"""Schedule runs on a generated instance (fixed seed): 2,000 sites over four metro areas, 50 technicians with home
bases, a skill and a service radius, 20 working days, mixed access hours, some blackout dates.

Cases:
- the run end to end through its durable job (the Celery task runs inline in the benchmark's settings): inputs
  read, the solver, every proposal written — sites scheduled (%), km, km per visit, balance, wall time;
- the bare solver call on the same instance (inputs read once), and its share of the run;
- the baseline the optimiser must beat: each site offered to its nearest eligible technician only, solved by the
  same solver — the run's km against it (issue 15's target: ≤ 0.88×).
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from datetime import time as clock
from decimal import Decimal

from bench.report import Figure

NAME = "scheduling"
SITES = 2_000
TECHNICIANS = 50
FIRST_DAY = date(2027, 3, 1)  # a Monday
DAYS = 26  # 20 working days, Monday to Friday
METROS = [(41.88, -87.63), (32.78, -96.80), (33.75, -84.39), (39.74, -104.99)]
ZONES = ["America/Chicago", "America/Chicago", "America/New_York", "America/Denver"]
SLUG = "bench-scheduling"


def _cleanup(organization) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "scheduling_scheduleproposal",
            "scheduling_scheduleunscheduled",
            "scheduling_schedulerun",
            "rollout_jobitem",
            "rollout_job",
            "workorders_workorder",
            "programs_enrollment",
            "technicians_technicianskill",
            "technicians_technician",
            "technicians_skill",
            "sites_site",
            "programs_sowtask",
            "programs_sow",
            "programs_wave",
            "programs_program",
        ):
            cursor.execute(f'DELETE FROM "{table}" WHERE organization_id = %s', [organization.pk])


def _point(rng, metro, spread_km):
    return (
        round(metro[0] + rng.uniform(-1, 1) * spread_km / 111, 6),
        round(metro[1] + rng.uniform(-1, 1) * spread_km / 85, 6),
    )


def _build(organization, client):
    from django.utils import timezone

    from programs.models import Enrollment, Program, Sow, SowTask, Wave
    from sites.models import Site
    from technicians.models import Skill, Technician, TechnicianSkill
    from workorders.models import WorkOrder

    rng = random.Random(15)
    program = Program.objects.create(
        organization=organization, client=client, code="bench-sched", name="Bench scheduling",
        start_date=FIRST_DAY, end_date=FIRST_DAY + timedelta(days=60),
    )  # fmt: skip
    wave = Wave.objects.create(
        organization=organization, program=program, name="Wave 1", start_date=FIRST_DAY,
        end_date=FIRST_DAY + timedelta(days=DAYS - 1),
    )  # fmt: skip
    sow = Sow.objects.create(organization=organization, program=program, version=1)
    SowTask.objects.create(
        organization=organization, sow=sow, key="install", title="Install", position=1,
        required_skill="pos-install", estimated_minutes=75,
    )  # fmt: skip
    Sow.objects.filter(pk=sow.pk).update(status="approved", approved_at=timezone.now())
    skill = Skill.objects.create(organization=organization, slug="pos-install", name="POS install")
    technicians = []
    for n in range(TECHNICIANS):
        metro = n % len(METROS)
        lat, lon = _point(rng, METROS[metro], 25)
        technicians.append(
            Technician(
                organization=organization, email=f"t{n}@{SLUG}.example", full_name=f"Tech {n:02d}",
                home_latitude=Decimal(str(lat)), home_longitude=Decimal(str(lon)), service_radius_km=80,
                timezone=ZONES[metro], work_start=clock(8), work_end=clock(18),
            )
        )  # fmt: skip
    technicians = Technician.objects.bulk_create(technicians)
    TechnicianSkill.objects.bulk_create(
        TechnicianSkill(organization=organization, technician=t, skill=skill) for t in technicians
    )
    hours = [
        {d: ["06:00-22:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        {d: ["10:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat")},
        {d: ["07:00-11:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    ]
    sites = []
    for n in range(SITES):
        metro = n % len(METROS)
        lat, lon = _point(rng, METROS[metro], 40)
        blackout = (
            [(FIRST_DAY + timedelta(days=rng.randrange(DAYS))).isoformat() for _ in range(3)] if n % 10 == 0 else []
        )
        sites.append(
            Site(
                organization=organization, client=client, code=f"BS-{n:05d}", name=f"Store {n}", city="Metro",
                latitude=Decimal(str(lat)), longitude=Decimal(str(lon)), timezone=ZONES[metro],
                access_hours=hours[n % 3], blackout_dates=blackout,
            )
        )  # fmt: skip
    sites = Site.objects.bulk_create(sites)
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(organization=organization, program=program, site=site, wave=wave) for site in sites
    )
    WorkOrder.objects.bulk_create(
        WorkOrder(
            organization=organization, program=program, site_id=e.site_id, enrollment=e, sow=sow,
            number=f"BS-{n:06d}", sequence=n + 1, status="ready",
        )
        for n, e in enumerate(enrollments)
    )  # fmt: skip
    return program, wave


def run(rows: int = 0) -> list[Figure]:
    import tracemalloc

    from rollout.models import Client, Organization
    from scheduling import services
    from scheduling.inputs import build_instance
    from scheduling.models import ScheduleRun
    from scheduling.solver import Work, solve
    from scheduling.travel import travel_default

    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench scheduling"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    started = time.perf_counter()
    program, wave = _build(organization, client)
    figures = [Figure(NAME, "build (bulk insert)", SITES, time.perf_counter() - started, note="sites + work orders")]

    tracemalloc.start()
    started = time.perf_counter()
    run_row = services.schedule_run_create(
        organization=organization, actor=None, program_id=program.pk, wave_id=wave.pk,
        date_from=FIRST_DAY, date_to=FIRST_DAY + timedelta(days=DAYS - 1), seed=15, time_limit=600,
    )  # fmt: skip
    run_seconds = time.perf_counter() - started
    peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    run_row = ScheduleRun.objects.get(pk=run_row.pk)
    summary = run_row.summary
    visits = summary.get("visits", 0)
    figures.append(
        Figure(
            NAME,
            "run end to end (job, solver, writes)",
            SITES,
            run_seconds,
            note=(
                f"{run_row.status}; scheduled {visits}/{SITES} ({100 * visits / SITES:.1f} %), {summary.get('km')} km, "
                f"{summary.get('km_per_visit')} km/visit, busiest {summary.get('max_load_vs_mean')}× mean, "
                f"solver {summary.get('solver_seconds')} s, {summary.get('regions')} regions, "
                f"unscheduled {summary.get('unscheduled_by_reason')}"
            ),
            peak_mb=round(peak_mb, 1),
        )
    )

    started = time.perf_counter()
    instance = build_instance(run_row)
    inputs_seconds = time.perf_counter() - started
    travel = travel_default()
    started = time.perf_counter()
    plan = solve(instance.works, instance.shifts, travel=travel, seed=15)
    solver_seconds = time.perf_counter() - started
    figures.append(Figure(NAME, "inputs read (eligibility, windows)", len(instance.works), inputs_seconds))
    figures.append(
        Figure(
            NAME,
            "bare solver call",
            len(instance.works),
            solver_seconds,
            note=f"{len(plan.placed)} placed, {plan.km} km; run/solver wall time {run_seconds / solver_seconds:.1f}×",
        )
    )
    homes = {s.technician: s.home for s in instance.shifts}
    nearest_only = [
        Work(
            w.key,
            w.point,
            w.service,
            w.windows,
            frozenset({min(w.technicians, key=lambda t: travel.km(homes[t], w.point))}),
        )
        if any(t in homes for t in w.technicians)
        else w
        for w in instance.works
    ]
    started = time.perf_counter()
    baseline = solve(nearest_only, instance.shifts, travel=travel, seed=15, balance=100.0)
    ratio = plan.km / baseline.km if baseline.km else 0
    figures.append(
        Figure(
            NAME,
            "baseline: nearest technician alone",
            len(instance.works),
            time.perf_counter() - started,
            note=f"{len(baseline.placed)} placed, {baseline.km} km; run km / baseline km = {ratio:.3f} (target ≤ 0.88)",
        )
    )
    loads = sorted(plan.loads().values())
    if loads:
        mean = sum(loads) / len(loads)
        print(f"loads vs mean {mean:.1f}: min {loads[0] / mean:.2f}×, max {loads[-1] / mean:.2f}×")
    return figures
