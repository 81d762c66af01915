"""The demo's day of visits: today's (Northwind's time zone) and the pilot's recent and next ones, every board
state, Tomás's profile among the technicians, his confirmed visit ready to check in, and a second run that changes
nothing."""

from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from rollout.models import AuditEvent, Membership, Organization
from rollout.tenancy import Access
from workorders.choices import VisitState
from workorders.models import Visit, VisitPhoto
from workorders.visits.services import field_actions

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_day_of_visits_in_every_state_once():
    # given
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    # (the pilot's visits: quality's demo history has past visits of another program)
    visits = (
        Visit.objects.for_organization(northwind)
        .filter(work_order__program__code="sco-2026")
        .select_related("technician", "work_order")
    )
    # then
    today = timezone.now().astimezone(ZoneInfo(northwind.timezone)).date()
    assert today in {visit.local_date for visit in visits}
    states = {visit.state for visit in visits}
    # Late and on the way need the clock's help: workorders.demo.day says when (tests/escalations/test_demo.py moves
    # the clock around the day).
    assert set(VisitState.values) - {VisitState.LATE, VisitState.ON_THE_WAY} <= states
    assert any(visit.outcome == "incomplete" for visit in visits)
    mine = [visit for visit in visits if visit.technician.email == "tech@northwind.example"]
    assert len(mine) >= 2
    # and Tomás can check in his confirmed visit from the phone
    membership = Membership.objects.get(organization=northwind, user__email="tech@northwind.example")
    access = Access(organization=northwind, role=membership.role, user=membership.user, membership=membership)
    confirmed = next(visit for visit in mine if visit.status == "confirmed")
    field_actions.visit_check_in(
        organization=northwind, actor=access, visit_id=confirmed.pk, client_action_id="demo-check-in-test",
        device_time=timezone.now(), location_status="denied",
    )  # fmt: skip
    assert Visit.objects.get(pk=confirmed.pk).work_order.status == "in_progress"
    # when the demo is seeded again, nothing changes
    counts = (Visit.objects.count(), VisitPhoto.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", stdout=None)
    assert (Visit.objects.count(), VisitPhoto.objects.count(), AuditEvent.objects.count()) == counts


def test_each_demo_visit_agrees_with_its_work_order():
    # given
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    # then every open visit's work order is scheduled or further, with the visit's technician and window
    open_visits = Visit.objects.for_organization(northwind).open().select_related("work_order")
    assert open_visits
    for visit in open_visits:
        work_order = visit.work_order
        assert work_order.status in {"scheduled", "dispatched", "in_progress"}, (visit.state, work_order.status)
        assert (work_order.technician_id, work_order.planned_start) == (visit.technician_id, visit.window_start)


def test_the_demo_overrides_carry_the_reasons_a_pm_writes():
    # the gates the demo clears on the day of the visit say why, as a PM would — never "Demo data"
    call_command("seed_demo", verbosity=0)
    from workorders.models import WorkOrder

    northwind = Organization.objects.get(slug="northwind")
    overrides = [
        override
        for work_order in WorkOrder.objects.for_organization(northwind).exclude(gate_overrides={})
        for override in work_order.gate_overrides.values()
    ]
    assert overrides
    reasons = [str(override.get("reason", "")) for override in overrides]
    assert all(reason and "demo" not in reason.lower() for reason in reasons), reasons
