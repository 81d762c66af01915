"""Breach episodes: each (rule, object, occurrence, level) escalates once, the occurrence being the rule's anchor
(here the visit's check-in deadline). A visit that missed its check-in, was rescheduled and misses again is a new
episode and escalates again; the old one resolves by itself; a policy change does not start a new episode."""

from datetime import time, timedelta

import pytest

from escalations import services
from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation
from rollout.choices import Role
from tests.escalations.builders import CHECKIN_DUE, sweep, world_of
from tests.workorders.builders.visits import VISIT_DAY, access_for, booked_visit, check_in, local
from workorders.visits.services import planning

pytestmark = pytest.mark.django_db

S = EscalationState
NEXT_DAY = VISIT_DAY + timedelta(days=1)
NEXT_DUE = local(NEXT_DAY, 13, 30)  # the new window 13:00 + 30 minutes of grace


def check_ins():
    return list(Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).order_by("occurrence", "level"))


@pytest.fixture
def world(tenant):
    return world_of(tenant)


@pytest.fixture
def missed(tenant, world):
    """A visit that missed its check-in and was escalated to the PM (level 2), then rescheduled to the next day."""
    visit = booked_visit(world)
    sweep(tenant, CHECKIN_DUE)
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    planning.visit_reschedule(
        organization=world.organization,
        actor=world.coordinator,
        visit_id=visit.pk,
        day=NEXT_DAY,
        start_time=time(13, 0),
        end_time=time(16, 0),
        reason="Store asked for the afternoon",
    )
    visit.refresh_from_db()
    assert visit.checkin_due_by == NEXT_DUE
    return visit


def test_a_rescheduled_visit_that_misses_again_is_escalated_again(tenant, world, missed):
    # when the sweep runs after the reschedule: the first episode's deadline is out of reach
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=40))
    first = check_ins()
    assert [(r.occurrence, r.level, r.state, r.auto_resolved) for r in first] == [
        (CHECKIN_DUE, 1, S.RESOLVED, True),
        (CHECKIN_DUE, 2, S.RESOLVED, True),
    ]
    # and when the new window's check-in is missed too
    sweep(tenant, NEXT_DUE - timedelta(minutes=5))
    sweep(tenant, NEXT_DUE)
    sweep(tenant, NEXT_DUE + timedelta(minutes=30))
    # then a new episode is warned, raised and climbs the ladder from level 1
    second = [r for r in check_ins() if r.occurrence == NEXT_DUE]
    assert [(r.level, r.state, r.current, r.breach_at) for r in second] == [
        (1, S.OPEN, False, NEXT_DUE),
        (2, S.OPEN, True, NEXT_DUE),
    ]
    assert second[0].warned_at == NEXT_DUE - timedelta(minutes=5)
    # the first episode stays resolved, and sweeping again adds nothing
    sweep(tenant, NEXT_DUE + timedelta(minutes=30))
    assert len(check_ins()) == 4


def test_the_new_episode_resolves_by_itself_when_the_technician_checks_in(tenant, world, missed):
    from unittest import mock

    sweep(tenant, NEXT_DUE)
    arrived = NEXT_DUE + timedelta(minutes=12)
    with mock.patch("django.utils.timezone.now", return_value=arrived):
        check_in(world, missed)
    sweep(tenant, arrived + timedelta(minutes=1))
    (second,) = [r for r in check_ins() if r.occurrence == NEXT_DUE]
    assert (second.state, second.auto_resolved, second.time_to_resolve) == (S.RESOLVED, True, timedelta(minutes=13))
    # and it never comes back
    sweep(tenant, arrived + timedelta(days=1))
    assert len(check_ins()) == 3


def test_a_resolved_episode_is_not_raised_again_but_the_next_one_is(tenant, world):
    visit = booked_visit(world)
    sweep(tenant, CHECKIN_DUE)
    (row,) = check_ins()
    coordinator = access_for(tenant, Role.COORDINATOR)
    services.escalation_resolve(
        organization=tenant.organization, actor=coordinator, escalation_id=row.pk, note="Store closed: flood"
    )
    # the same episode, still pending, stays resolved
    sweep(tenant, CHECKIN_DUE + timedelta(hours=2))
    assert [(r.occurrence, r.state, r.auto_resolved) for r in check_ins()] == [(CHECKIN_DUE, S.RESOLVED, False)]
    planning.visit_reschedule(
        organization=world.organization,
        actor=world.coordinator,
        visit_id=visit.pk,
        day=NEXT_DAY,
        start_time=time(13, 0),
        end_time=time(16, 0),
    )
    sweep(tenant, NEXT_DUE)
    assert [(r.occurrence, r.state) for r in check_ins()] == [(CHECKIN_DUE, S.RESOLVED), (NEXT_DUE, S.OPEN)]


def test_a_policy_change_moves_the_breach_but_not_the_episode(tenant, world):
    booked_visit(world)
    sweep(tenant, CHECKIN_DUE)
    services.sla_rule_update(
        organization=tenant.organization,
        actor=access_for(tenant, Role.ADMIN),
        rule=RuleKey.NO_CHECK_IN,
        enabled=True,
        threshold=5,
        at_risk_minutes=10,
        ladder=[{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 30}],
        client_visible=False,
    )
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    # the open escalation climbs; no second level 1 for a "new" deadline
    assert [(r.level, r.state) for r in check_ins()] == [(1, S.OPEN), (2, S.OPEN)]
