"""DRFT roll-up on PostgreSQL: the snapshots rebuilt from the facts beside ONE raw SQL GROUP BY computing the same
numbers over the same rows, and one event's incremental update.

Data (bulk, synthetic): `rows` closed or accepted work orders of one program (sites, enrollments, work orders), each
with its DRFT fact spread over 4 waves, 10 regions, 10 vendors, 100 technicians and 52 ISO weeks (3 % not DRFT, 2 %
excluded, a fifth provisional). Facts are what the roll-up reads; the visits and reviews behind them are not needed
for these cases (the definition itself is tested in tests/quality).

Cases (issue 13's speed section):
- rebuild every snapshot of the program from its facts (quality.drft.drft_snapshots_rebuild: one statement that
  groups the facts, compares the groups with the stored rows and writes the ones that differ), beside one raw
  `GROUP BY GROUPING SETS` over the same facts that computes the same counters (checked equal): target ratio ≤ 1.5×.
  Twice per run: over snapshots that are current (the nightly reconciliation's usual case: the events kept them
  up to date, nothing to write) and from no snapshots at all (the first build: every row inserted);
- one event's incremental update (quality.drft.drft_fact_refresh on one work order whose status flips between
  accepted and closed: its fact and ten snapshot counters move), median of 25: target ≤ 50 ms.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta
from decimal import Decimal

from bench.report import Row

NAME = "drft"
SLUG = "bench-drft"
RATIO_CEILING = 1.5
UPDATE_CEILING_MS = 50.0
WAVES, REGIONS, VENDORS, TECHNICIANS, WEEKS = 4, 10, 10, 100, 52


# --- Data -----------------------------------------------------------------------------------------------


def _cleanup(organization) -> None:
    from programs.models import Enrollment, Program, Wave
    from quality.models import DrftFact, DrftSnapshot
    from rollout.models import AuditEvent
    from sites.models import Site
    from technicians.models import Technician, Vendor
    from workorders.models import WorkOrder

    for model in (DrftSnapshot, DrftFact, WorkOrder, Enrollment, Wave, Program, Site, Technician, Vendor, AuditEvent):
        model.objects.for_organization(organization).delete()


def _build(organization, client, rows: int) -> tuple:
    from django.utils import timezone

    from programs.models import Enrollment, Program, Wave
    from quality.choices import DrftStatus
    from quality.models import DrftFact
    from sites.models import Site
    from technicians.models import Technician, Vendor
    from workorders.models import WorkOrder

    rng = random.Random(13)
    program = Program.objects.create(
        organization=organization, client=client, code="bench-drft", name="Bench DRFT",
        start_date="2025-01-01", end_date="2027-12-31",
    )  # fmt: skip
    waves = Wave.objects.bulk_create(
        Wave(organization=organization, program=program, name=f"Wave {n}", order=n + 1,
             start_date="2025-01-01", end_date="2027-12-31")
        for n in range(WAVES)
    )  # fmt: skip
    vendors = Vendor.objects.bulk_create(
        Vendor(organization=organization, code=f"vendor-{n:02d}", name=f"Vendor {n:02d}") for n in range(VENDORS)
    )
    technicians = Technician.objects.bulk_create(
        Technician(organization=organization, vendor=vendors[n % VENDORS], full_name=f"Tech {n:03d}",
                   email=f"tech-{n:03d}@bench-drft.example", timezone="America/Chicago")
        for n in range(TECHNICIANS)
    )  # fmt: skip
    regions = [f"S{n}" for n in range(REGIONS)]
    weeks = [f"2026-W{n:02d}" for n in range(1, WEEKS + 1)]
    now = timezone.now()
    batch = 20_000
    for start in range(0, rows, batch):
        count = min(batch, rows - start)
        sites = Site.objects.bulk_create(
            Site(organization=organization, client=client, code=f"BD-{start + n:07d}", name=f"Store {start + n}",
                 address_line1="1 Main St", city="Chicago", state=regions[(start + n) % REGIONS], postal_code="60601",
                 latitude=Decimal("41.878100"), longitude=Decimal("-87.629800"), timezone="America/Chicago",
                 access_hours={}, blackout_dates=[])
            for n in range(count)
        )  # fmt: skip
        enrollments = Enrollment.objects.bulk_create(
            Enrollment(organization=organization, program=program, site=site, wave=waves[n % WAVES])
            for n, site in enumerate(sites)
        )
        statuses = ["closed" if rng.random() < 0.8 else "accepted" for _ in range(count)]
        work_orders = WorkOrder.objects.bulk_create(
            WorkOrder(organization=organization, program=program, site_id=e.site_id, enrollment=e,
                      number=f"BD-{start + n:07d}", sequence=start + n + 1, status=statuses[n],
                      accepted_at=now - timedelta(days=40), closed_at=now if statuses[n] == "closed" else None)
            for n, e in enumerate(enrollments)
        )  # fmt: skip
        facts = []
        for n, work_order in enumerate(work_orders):
            technician = technicians[rng.randrange(TECHNICIANS)]
            excluded = rng.random() < 0.02
            status = (
                DrftStatus.EXCLUDED
                if excluded
                else DrftStatus.FINAL
                if statuses[n] == "closed"
                else DrftStatus.PROVISIONAL
            )
            facts.append(
                DrftFact(organization=organization, work_order=work_order, program=program,
                         wave=waves[n % WAVES], region=regions[(start + n) % REGIONS], vendor_id=technician.vendor_id,
                         technician=technician, status=status, is_drft=not excluded and rng.random() >= 0.03,
                         reason="", week=weeks[rng.randrange(WEEKS)], accepted_on=now.date())
            )  # fmt: skip
        DrftFact.objects.bulk_create(facts, batch_size=5000)
    return program, work_orders[-1]


# --- Cases ----------------------------------------------------------------------------------------------

RAW_SQL = """
SELECT program_id, wave_id, region, vendor_id, technician_id, week,
       GROUPING(wave_id, region, vendor_id, technician_id, week) AS grouping,
       COUNT(*) FILTER (WHERE status = 'final' AND is_drft) AS final_drft,
       COUNT(*) FILTER (WHERE status = 'final') AS final_total,
       COUNT(*) FILTER (WHERE status = 'provisional' AND is_drft) AS provisional_drft,
       COUNT(*) FILTER (WHERE status = 'provisional') AS provisional_total,
       COUNT(*) FILTER (WHERE status = 'excluded') AS excluded
FROM quality_drftfact
WHERE organization_id = %s AND program_id = %s AND status IN ('final', 'provisional', 'excluded')
GROUP BY GROUPING SETS (
  (program_id), (program_id, week), (program_id, wave_id), (program_id, wave_id, week),
  (program_id, region), (program_id, region, week), (program_id, vendor_id), (program_id, vendor_id, week),
  (program_id, technician_id), (program_id, technician_id, week)
)
"""
# GROUPING(...) bit per column (wave, region, vendor, technician, week; 1 = not grouped by it) → the dimension.
DIMENSION_OF_BITS = {0b11111: "program", 0b01111: "wave", 0b10111: "region", 0b11011: "vendor", 0b11101: "technician"}


def _raw(organization_id: int, program_id: int) -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(RAW_SQL, [organization_id, program_id])
        rows = cursor.fetchall()
    figures = {}
    for program, wave, region, vendor, technician, week, grouping, *counts in rows:
        by_week = not grouping & 1
        dimension = DIMENSION_OF_BITS[grouping | 1]
        key = {"program": program, "wave": wave, "region": region, "vendor": vendor, "technician": technician}[
            dimension
        ]
        figures[(dimension, "" if key is None else str(key), week if by_week else "")] = tuple(counts)
    return figures


def _snapshots(organization_id: int, program_id: int) -> dict:
    from quality.models import DrftSnapshot

    return {
        (row.dimension, row.key, row.week): (
            row.final_drft, row.final_total, row.provisional_drft, row.provisional_total, row.excluded,
        )
        for row in DrftSnapshot.objects.for_organization(organization_id).filter(program_id=program_id)
    }  # fmt: skip


def _median_seconds(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(size) -> list[Row]:
    from django.db import connection

    from quality.drft import drft_fact_refresh, drft_snapshots_rebuild
    from quality.models import DrftSnapshot
    from rollout.models import Client, Organization
    from workorders.models import WorkOrder

    rows = size.pick(1_000_000, 5_000, 200)  # full: the 1,000,000 closed work orders
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench DRFT"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    _cleanup(organization)
    program, last = _build(organization, client, rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE quality_drftfact")

    def clear():
        DrftSnapshot.objects.for_organization(organization).filter(program_id=program.pk).delete()

    def rebuild():
        drft_snapshots_rebuild(organization=organization, program_id=program.pk)

    firsts, rebuilds, raws = [], [], []
    for _ in range(size.runs):  # interleaved: the roll-up from no snapshots, over current ones, then its ceiling
        clear()
        firsts.append(_median_seconds(rebuild, 1))
        rebuilds.append(_median_seconds(rebuild, 1))
        raws.append(_median_seconds(lambda: _raw(organization.pk, program.pk), 1))
    same = _raw(organization.pk, program.pk) == _snapshots(organization.pk, program.pk)
    snapshot_rows = DrftSnapshot.objects.for_organization(organization).filter(program_id=program.pk).count()
    with connection.cursor() as cursor:
        # As autovacuum would after a rebuild: without statistics on the fresh rows the planner scans the program's
        # snapshots instead of looking the ten rows of an update up by the unique index.
        cursor.execute("ANALYZE quality_drftsnapshot")

    def flip():
        status = "accepted" if WorkOrder.objects.get(pk=last.pk).status == "closed" else "closed"
        WorkOrder.objects.filter(pk=last.pk).update(status=status)
        started = time.perf_counter()
        drft_fact_refresh(organization=organization, work_order_id=last.pk)
        return time.perf_counter() - started

    flip()  # warm
    updates = [statistics.median(flip() for _ in range(9)) * 1000 for _ in range(size.runs)]
    still_same = _raw(organization.pk, program.pk) == _snapshots(organization.pk, program.pk)
    update_ms = statistics.median(updates)
    return [
        Row(NAME, f"rebuild every snapshot, figures current (nightly), {rows:,} facts", "ms",
            [t * 1000 for t in rebuilds], "one raw SQL GROUP BY (GROUPING SETS)", [t * 1000 for t in raws],
            goal=1 / RATIO_CEILING, lower_is_better=True,
            note=f"{'same numbers' if same else 'NUMBERS DIFFER'} as the raw GROUP BY; {snapshot_rows:,} rows, none "
            "to write"),
        Row(NAME, f"rebuild every snapshot from none (first build), {rows:,} facts", "ms",
            [t * 1000 for t in firsts], "one raw SQL GROUP BY (GROUPING SETS)", [t * 1000 for t in raws],
            goal=1 / RATIO_CEILING, lower_is_better=True, note=f"{snapshot_rows:,} rows written"),
        Row(NAME, "one event's incremental update", "ms", updates, f"none (target ≤ {UPDATE_CEILING_MS:.0f} ms)",
            lower_is_better=True,
            note=f"median of 9 per run: {'ok' if update_ms <= UPDATE_CEILING_MS else 'MISSED'}"
            f"{'' if still_same else ', snapshots drifted'}"),
    ]  # fmt: skip
