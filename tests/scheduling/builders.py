"""Builders shared by the scheduling tests (no tests here): a wave of ready work orders in Chicago around the
field world's technician, and a run computed through its durable job."""

from __future__ import annotations

from datetime import date

from programs.models import Wave
from scheduling import services
from tests.programs.factories import WaveFactory
from tests.workorders.builders.visits import VISIT_DAY, build_field_world, ready_work_order

WEEK = (VISIT_DAY, date(2027, 3, 5))  # Wednesday to Friday


def build_wave(world, *, sites: int = 3, **site_values) -> tuple[Wave, list]:
    wave = WaveFactory(program=world.program, start_date=date(2027, 3, 1), end_date=date(2027, 3, 31))
    work_orders = []
    for n in range(sites):
        work_order = ready_work_order(world, site_code=f"CHI-{n + 1:03d}", **site_values)
        work_order.enrollment.wave = wave
        work_order.enrollment.save(update_fields=["wave"])
        work_orders.append(work_order)
    return wave, work_orders


def scheduling_world(tenant, **values):
    world = build_field_world(tenant, **values)
    return world


def run_now(world, wave, capture, *, days=WEEK, **values):
    with capture(execute=True):
        run = services.schedule_run_create(
            organization=world.organization,
            actor=world.coordinator,
            program_id=world.program.pk,
            wave_id=wave.pk,
            date_from=days[0],
            date_to=days[1],
            **values,
        )
    run.refresh_from_db()
    return run
