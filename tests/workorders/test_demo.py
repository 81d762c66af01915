"""The demo work orders: one per enrolled store of sco-2026, the pilot in varied states, and a second run
that changes nothing."""

import pytest
from django.db.models import Count

from rollout.demo.seed import APP_SEEDERS, demo_seeder, seed_core
from rollout.models import AuditEvent
from workorders.demo import work_orders as demo
from workorders.models import Shipment, WorkOrder
from workorders.readiness import work_order_readiness

pytestmark = pytest.mark.django_db


def test_seed_without_the_program_skips_quietly():
    # given only the core demo (no sites, no programs)
    context = seed_core()
    # when the work order seed runs / then it creates nothing and does not fail
    demo.seed(context)
    assert WorkOrder.objects.count() == 0


def seed_through_work_orders():
    """The demo as far as the work orders (before packets and the day of visits, which re-plan the pilot)."""
    context = seed_core()
    for module in APP_SEEDERS[: APP_SEEDERS.index("workorders.demo.work_orders") + 1]:
        demo_seeder(module).seed(context)


def test_seed_demo_creates_work_orders_and_stages_the_pilot_once():
    # given the demo as far as the work orders
    seed_through_work_orders()
    work_orders = WorkOrder.objects.filter(program__code=demo.PROGRAM_CODE)
    first = (WorkOrder.objects.count(), Shipment.objects.count(), AuditEvent.objects.count())
    # then every enrolled store has one work order, numbered after the program
    assert work_orders.count() == 1220
    assert work_orders.filter(number__startswith="SCO-2026-").count() == 1220
    # and the pilot is in varied states: scheduled with a technician and a window, ready, the rest draft
    pilot = work_orders.filter(enrollment__wave__name="Pilot")
    states = dict(pilot.values_list("status").annotate(n=Count("id")).order_by())
    assert states.get("scheduled", 0) >= 1 and states.get("ready", 0) >= 1 and states.get("draft", 0) >= 1
    scheduled = pilot.filter(status="scheduled").select_related("program", "site", "technician").first()
    assert scheduled.technician is not None and scheduled.planned_start is not None
    assert Shipment.objects.filter(work_order__in=pilot, status="delivered").exists()
    readiness = work_order_readiness(organization=scheduled.organization, work_order=scheduled)
    assert readiness.get("technician").passed and readiness.get("visit_window").passed
    assert readiness.get("site_contact").passed and readiness.get("materials").passed
    # and outside the pilot everything is still a draft
    assert set(work_orders.exclude(enrollment__wave__name="Pilot").values_list("status", flat=True)) == {"draft"}
    # when the demo is seeded again, nothing changes
    seed_through_work_orders()
    assert (WorkOrder.objects.count(), Shipment.objects.count(), AuditEvent.objects.count()) == first
