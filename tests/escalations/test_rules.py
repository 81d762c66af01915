"""Each SLA rule's boundary: nothing just before its breach time (an at-risk warning at most), raised exactly at
it, still one escalation just after; the condition clearing resolves it by itself."""

from datetime import timedelta
from unittest import mock

import pytest

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation
from escalations.rules import RULES
from tests.escalations.builders import SECOND, WINDOW_START, sweep, world_of
from tests.workorders.builders.visits import book, booked_visit, check_in, ready_work_order
from tests.workorders.factories import ShipmentFactory
from workorders.choices import ShipmentStatus, WorkOrderStatus
from workorders.models import Visit, WorkOrder

pytestmark = pytest.mark.django_db

S = EscalationState
T = WINDOW_START  # an instant the cases hang their times on


def _visit(world, **values):
    visit = booked_visit(world)
    if values:
        Visit.objects.filter(pk=visit.pk).update(**values)
    return visit


def _no_confirmation(world):
    _visit(world)
    return WINDOW_START - timedelta(hours=24)


def _no_on_the_way(world):
    _visit(world)
    return WINDOW_START - timedelta(minutes=60)


def _no_check_in(world):
    _visit(world)
    return WINDOW_START + timedelta(minutes=30)


def _overrun(world):
    visit = _visit(world)
    with mock.patch("django.utils.timezone.now", return_value=WINDOW_START):
        check_in(world, visit)
    visit.refresh_from_db()
    estimate = visit.packet.snapshot["summary"]["estimated_minutes"]
    assert estimate > 0
    return visit.checked_in_at + timedelta(minutes=estimate + 30)


def _packet_not_acknowledged(world):
    book(world, ready_work_order(world))  # booked, the packet never acknowledged
    return WINDOW_START - timedelta(hours=48)


def _materials(world):
    visit = _visit(world)
    ShipmentFactory(work_order=visit.work_order, status=ShipmentStatus.IN_TRANSIT, delivered_on=None)
    return WINDOW_START - timedelta(hours=48)


def _work_order(world, **values):
    work_order = ready_work_order(world, status=values.pop("status"))
    WorkOrder.objects.filter(pk=work_order.pk).update(**values)
    return work_order


def _review(world):
    _work_order(world, status=WorkOrderStatus.SUBMITTED, submitted_at=T)
    return T + timedelta(hours=24)


def _rework(world):
    _work_order(world, status=WorkOrderStatus.REWORK, rework_at=T)
    return T + timedelta(days=7)


def _not_ready(world):
    _work_order(world, status=WorkOrderStatus.DRAFT, planned_start=T, planned_end=T + timedelta(hours=3))
    return T - timedelta(days=3)


def _no_show(world):
    _visit(world, status="no_show", no_show_at=T)
    return T


CASES = {
    RuleKey.NO_CONFIRMATION: _no_confirmation,
    RuleKey.NO_ON_THE_WAY: _no_on_the_way,
    RuleKey.NO_CHECK_IN: _no_check_in,
    RuleKey.VISIT_OVERRUN: _overrun,
    RuleKey.PACKET_NOT_ACKNOWLEDGED: _packet_not_acknowledged,
    RuleKey.MATERIALS_NOT_DELIVERED: _materials,
    RuleKey.REVIEW_OVERDUE: _review,
    RuleKey.REWORK_OPEN: _rework,
    RuleKey.NOT_READY: _not_ready,
    RuleKey.NO_SHOW: _no_show,
}


def test_every_rule_has_a_boundary_case():
    assert set(CASES) == set(RULES)


@pytest.mark.parametrize("rule", list(CASES))
def test_rule_breaches_exactly_at_its_time(tenant, rule):
    # given the rule's condition pending, with its breach due at `breach_at`
    world = world_of(tenant)
    breach_at = CASES[rule](world)
    lead = timedelta(minutes=RULES[rule].at_risk_minutes)

    def mine():
        return list(Escalation.objects.filter(rule=rule).order_by("level"))

    # when the sweep runs before the warning lead: nothing
    sweep(tenant, breach_at - lead - SECOND)
    assert mine() == []
    # just before the breach: an at-risk warning (when the rule warns), never a breach
    sweep(tenant, breach_at - SECOND)
    assert [row.state for row in mine()] == ([S.AT_RISK] if lead else [])
    # at the breach time: raised, at level 1, with its breach time
    sweep(tenant, breach_at)
    (row,) = mine()
    assert (row.state, row.level, row.breach_at) == (S.OPEN, 1, breach_at)
    # just after: still that one escalation
    sweep(tenant, breach_at + SECOND)
    assert [r.level for r in mine()] == [1]


def test_cancelling_the_visit_resolves_its_escalations(tenant):
    world = world_of(tenant)
    visit = _visit(world)
    sweep(tenant, WINDOW_START + timedelta(hours=1))
    assert Escalation.objects.filter(visit=visit, state=S.OPEN).exists()
    Visit.objects.filter(pk=visit.pk).update(status="cancelled")
    sweep(tenant, WINDOW_START + timedelta(hours=1, minutes=1))
    assert set(Escalation.objects.filter(visit=visit).values_list("state", flat=True)) == {S.RESOLVED}


def test_program_override_changes_the_breach_time_for_that_program_only(tenant):
    from escalations.services import sla_rule_update
    from rollout.choices import Role
    from tests.workorders.builders.visits import access_for

    world = world_of(tenant)
    other = world_of(tenant, code="other-2027")
    _visit(world)  # 09:00, check-in due 09:30
    book(other, ready_work_order(other), start=(13, 0), end=(15, 0))  # check-in due 13:30, + 20 min for this program
    sla_rule_update(
        organization=tenant.organization,
        actor=access_for(tenant, Role.PM),
        rule=RuleKey.NO_CHECK_IN,
        program_id=other.program.pk,
        enabled=True,
        threshold=20,
        at_risk_minutes=0,
        ladder=[{"role": "coordinator", "delay_minutes": 0}],
        client_visible=False,
    )
    sweep(tenant, WINDOW_START + timedelta(hours=4, minutes=50) - SECOND)
    raised = dict(Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).values_list("program_id", "state"))
    assert raised == {world.program.pk: S.OPEN}
    sweep(tenant, WINDOW_START + timedelta(hours=4, minutes=50))
    raised = dict(Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).values_list("program_id", "state"))
    assert raised == {world.program.pk: S.OPEN, other.program.pk: S.OPEN}


def test_a_disabled_rule_raises_nothing(tenant):
    from escalations.services import sla_rule_update
    from rollout.choices import Role
    from tests.workorders.builders.visits import access_for

    world = world_of(tenant)
    _visit(world)
    sla_rule_update(
        organization=tenant.organization,
        actor=access_for(tenant, Role.ADMIN),
        rule=RuleKey.NO_CHECK_IN,
        enabled=False,
        threshold=0,
        at_risk_minutes=10,
        ladder=[{"role": "coordinator", "delay_minutes": 0}],
        client_visible=False,
    )
    sweep(tenant, WINDOW_START + timedelta(hours=2))
    assert not Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).exists()


def test_switching_a_rule_off_leaves_what_it_raised_for_people_to_close(tenant):
    from escalations.services import sla_rule_update
    from rollout.choices import Role
    from tests.workorders.builders.visits import access_for

    world = world_of(tenant)
    _visit(world)
    sweep(tenant, WINDOW_START + timedelta(hours=1))
    sla_rule_update(
        organization=tenant.organization,
        actor=access_for(tenant, Role.ADMIN),
        rule=RuleKey.NO_CHECK_IN,
        enabled=False,
        threshold=0,
        at_risk_minutes=10,
        ladder=[{"role": "coordinator", "delay_minutes": 0}],
        client_visible=False,
    )
    sweep(tenant, WINDOW_START + timedelta(hours=2))
    assert list(Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).values_list("state", flat=True)) == [S.OPEN]
