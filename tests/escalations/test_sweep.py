"""The SLA sweep: each rule's boundary (just before, at, just after), at-risk warnings, ladders and delays,
snoozes, auto-resolution with the time to resolve, idempotence and a fixed number of queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalations import services
from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation, EscalationEvent
from rollout.choices import Role
from rollout.models import Event
from tests.escalations.builders import CHECKIN_DUE, SECOND, many_visits, sweep, world_of
from tests.workorders.builders.visits import access_for, booked_visit, check_in

pytestmark = pytest.mark.django_db

S = EscalationState


def rows(rule=None, **filters):
    queryset = Escalation.objects.all()
    if rule:
        queryset = queryset.filter(rule=rule)
    return list(queryset.filter(**filters).order_by("level"))


@pytest.fixture
def world(tenant):
    return world_of(tenant)


@pytest.fixture
def visit(world):
    return booked_visit(world)


def test_no_check_in_breaches_exactly_at_window_start_plus_grace(tenant, visit):
    # given a visit of 09:00 with 30 minutes of grace, not checked in
    # when the sweep runs just before, at, and just after 09:30
    sweep(tenant, CHECKIN_DUE - 11 * 60 * SECOND)
    assert rows(RuleKey.NO_CHECK_IN) == []
    sweep(tenant, CHECKIN_DUE - SECOND)
    (warning,) = rows(RuleKey.NO_CHECK_IN)
    assert warning.state == S.AT_RISK and warning.breach_at == CHECKIN_DUE
    sweep(tenant, CHECKIN_DUE)
    # then it is raised at 09:30, once
    (raised,) = rows(RuleKey.NO_CHECK_IN)
    assert raised.state == S.OPEN and raised.level == 1 and raised.level_role == "coordinator"
    sweep(tenant, CHECKIN_DUE + SECOND)
    assert len(rows(RuleKey.NO_CHECK_IN)) == 1


def test_ladder_climbs_after_each_delay_without_acknowledgement(tenant, visit):
    sweep(tenant, CHECKIN_DUE)
    # the no-check-in ladder: coordinator, PM after 30 min, admin after 60 more
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30) - SECOND)
    assert [r.level for r in rows(RuleKey.NO_CHECK_IN)] == [1]
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    levels = rows(RuleKey.NO_CHECK_IN)
    assert [(r.level, r.level_role, r.current) for r in levels] == [(1, "coordinator", False), (2, "pm", True)]
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=90) - SECOND)
    assert len(rows(RuleKey.NO_CHECK_IN)) == 2
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=90))
    assert [r.level_role for r in rows(RuleKey.NO_CHECK_IN)] == ["coordinator", "pm", "admin"]
    # the top of the ladder: nothing more
    sweep(tenant, CHECKIN_DUE + timedelta(days=1))
    assert len(rows(RuleKey.NO_CHECK_IN)) == 3


def test_acknowledged_escalation_does_not_climb(tenant, visit):
    sweep(tenant, CHECKIN_DUE)
    (row,) = rows(RuleKey.NO_CHECK_IN)
    services.escalation_acknowledge(
        organization=tenant.organization, actor=access_for(tenant, Role.COORDINATOR), escalation_id=row.pk
    )
    sweep(tenant, CHECKIN_DUE + timedelta(hours=5))
    (row,) = rows(RuleKey.NO_CHECK_IN)
    assert row.state == S.ACKNOWLEDGED and row.acknowledged_by == tenant.members[Role.COORDINATOR].user


def test_snooze_holds_the_ladder_until_its_time(tenant, visit):
    from unittest import mock

    sweep(tenant, CHECKIN_DUE)
    (row,) = rows(RuleKey.NO_CHECK_IN)
    with mock.patch("django.utils.timezone.now", return_value=CHECKIN_DUE):
        services.escalation_snooze(
            organization=tenant.organization,
            actor=access_for(tenant, Role.COORDINATOR),
            escalation_id=row.pk,
            until=CHECKIN_DUE + timedelta(hours=1),
            reason="Technician called: stuck in traffic",
        )
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=59))
    assert len(rows(RuleKey.NO_CHECK_IN)) == 1
    sweep(tenant, CHECKIN_DUE + timedelta(hours=1))
    assert [r.level for r in rows(RuleKey.NO_CHECK_IN)] == [1, 2]


def test_check_in_resolves_the_escalation_by_itself_with_the_time_to_resolve(tenant, world, visit):
    from unittest import mock

    sweep(tenant, CHECKIN_DUE)
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    # when the technician checks in (at 10:05) and the sweep runs a minute later
    at = CHECKIN_DUE + timedelta(minutes=35)
    with mock.patch("django.utils.timezone.now", return_value=at):
        check_in(world, visit)
    sweep(tenant, at + timedelta(minutes=1))
    # then every level is resolved by itself, with the time from raise to resolution
    levels = rows(RuleKey.NO_CHECK_IN)
    assert {r.state for r in levels} == {S.RESOLVED} and all(r.auto_resolved for r in levels)
    assert levels[0].time_to_resolve == timedelta(minutes=36)
    assert levels[1].time_to_resolve == timedelta(minutes=6)
    assert EscalationEvent.objects.filter(kind="auto_resolved", escalation__rule=RuleKey.NO_CHECK_IN).count() == 2
    resolved = Event.objects.filter(type="escalation.resolved", data__rule="no_check_in").get()
    assert resolved.data["auto_resolved"] is True and resolved.data["level"] == 2
    # and it never comes back
    sweep(tenant, at + timedelta(days=1))
    assert len(rows(RuleKey.NO_CHECK_IN)) == 2


def test_sweep_twice_at_the_same_instant_writes_nothing_more(tenant, visit):
    first = sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    before = (Escalation.objects.count(), EscalationEvent.objects.count(), Event.objects.count())
    second = sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    assert first.raised >= 1
    assert (second.raised, second.escalated, second.at_risk, second.resolved) == (0, 0, 0, 0)
    assert (Escalation.objects.count(), EscalationEvent.objects.count(), Event.objects.count()) == before


def test_events_go_to_the_people_of_the_level(tenant, world, visit):
    world.program.responsible_pm = tenant.members[Role.PM].user
    world.program.save()
    sweep(tenant, CHECKIN_DUE)
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    raised = Event.objects.filter(type="escalation.raised", data__rule="no_check_in").get()
    escalated = Event.objects.filter(type="escalation.escalated", data__rule="no_check_in").get()
    assert raised.recipients == [tenant.members[Role.COORDINATOR].user_id]
    assert escalated.recipients == [tenant.members[Role.PM].user_id]
    assert escalated.data["level"] == 2 and escalated.data["organization"] == tenant.organization.slug


def statements(queries) -> int:
    """Queries run, a bulk insert counting once: SQLite (not PostgreSQL) splits one into batches of 999 parameters."""
    count, last = 0, None
    for query in queries.captured_queries:
        sql = query["sql"]
        batch = sql.split("(")[0] if sql.startswith("INSERT") and connection.vendor == "sqlite" else None
        if batch is None or batch != last:
            count += 1
        last = batch
    return count


def _sweep_queries(tenant, count: int) -> list[int]:
    world = world_of(tenant, code=f"q{count}")
    many_visits(world, count)
    counts = []
    # the first sweep raises (level 1), the second climbs (level 2) and raises other rules, the third resolves
    for at in (CHECKIN_DUE + timedelta(minutes=10), CHECKIN_DUE + timedelta(minutes=45)):
        with CaptureQueriesContext(connection) as queries:
            result = sweep(tenant, at)
        counts.append(statements(queries))
        assert result.raised + result.escalated >= count
    from workorders.models import Visit

    Visit.objects.filter(organization=tenant.organization).update(status="cancelled")
    with CaptureQueriesContext(connection) as queries:
        result = sweep(tenant, CHECKIN_DUE + timedelta(minutes=50))
    assert result.resolved >= count
    counts.append(statements(queries))
    return counts


def test_the_sweep_runs_a_fixed_number_of_queries_whatever_the_rows(tenant, other_tenant):
    # given 10 visits in one organization and 100 in another, every one breaching
    # when each is swept through raise, climb and resolve
    # then the query counts are the same
    assert _sweep_queries(tenant, 10) == _sweep_queries(other_tenant, 100)
