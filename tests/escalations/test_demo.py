"""The demo, whatever the hour `seed_demo` runs (the clock moved to 02:30, 09:30, 14:30 and 22:30 UTC, on a Sunday
and a Monday in Chicago): a policy and escalations in each state — a missed check-in at level 2, an at-risk
confirmation, one resolved by itself, an acknowledged no-show — produced by the real sweep; today's visits in
several states with a late visit and a no-show for the homes; every visit inside its store's access hours and its
technician's working hours; still the same after the beat's next sweep; running it again changes nothing."""

from datetime import UTC, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation, SlaRule
from escalations.sweep import escalations_sweep
from rollout.models import Organization
from technicians.models import TimeOff
from workorders.choices import Gate, VisitState
from workorders.demo.day import technician_works
from workorders.models import Visit, WorkOrder
from workorders.readiness import visit_window_problems

pytestmark = pytest.mark.django_db

S = EscalationState
CHICAGO = ZoneInfo("America/Chicago")


def seed_at(now: datetime) -> Organization:
    with mock.patch("django.utils.timezone.now", return_value=now):
        call_command("seed_demo", verbosity=0)
    return Organization.objects.get(slug="northwind")


def promises(northwind: Organization) -> dict:
    current = Escalation.objects.for_organization(northwind).current()
    check_in = current.get(rule=RuleKey.NO_CHECK_IN, state=S.OPEN, visit__status__in=["scheduled", "confirmed"])
    resolved = current.get(state=S.RESOLVED, auto_resolved=True, rule=RuleKey.NO_CONFIRMATION)
    return {
        "check_in": (check_in.level, check_in.level_role, check_in.client_visible),
        "at_risk": current.filter(rule=RuleKey.NO_CONFIRMATION, state=S.AT_RISK).count(),
        "resolved": (resolved.visit.status, resolved.time_to_resolve is not None),
        "no_show": current.filter(rule=RuleKey.NO_SHOW, state=S.ACKNOWLEDGED).count(),
    }


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 12, 7, 2, 30, tzinfo=UTC),  # Sunday 20:30 in Chicago
        datetime(2026, 12, 7, 9, 30, tzinfo=UTC),  # Monday 03:30
        datetime(2026, 12, 6, 14, 30, tzinfo=UTC),  # Sunday 08:30
        datetime(2026, 12, 7, 22, 30, tzinfo=UTC),  # Monday 16:30
    ],
    ids=["02:30Z-sun", "09:30Z-mon", "14:30Z-sun", "22:30Z-mon"],
)
def test_the_demo_keeps_its_promises_whatever_the_hour(now, request):
    northwind = seed_at(now)
    # then the escalations are in each state
    assert promises(northwind) == {
        "check_in": (2, "pm", True),
        "at_risk": 1,
        "resolved": ("confirmed", True),
        "no_show": 1,
    }
    assert SlaRule.objects.filter(organization__slug="bluebird").exists()
    # and today's visits (Chicago) show several states, a late one and a no-show among them
    visits = list(Visit.objects.for_organization(northwind).select_related("technician", "work_order__site"))
    with mock.patch("django.utils.timezone.now", return_value=now):
        today = now.astimezone(CHICAGO).date()
        states = {visit.state for visit in visits if visit.local_date == today}
    assert {VisitState.LATE, VisitState.NO_SHOW, VisitState.CHECKED_IN} <= states and len(states) >= 4
    # and every visit is inside its store's access hours and its technician's working hours, on a working day
    days_off = {}
    for technician_id, first, last in TimeOff.objects.values_list("technician_id", "start_date", "end_date"):
        days_off.setdefault(technician_id, []).append((first, last))
    for visit in visits:
        site = visit.work_order.site
        assert not visit_window_problems(site=site, planned_start=visit.window_start, planned_end=visit.window_end)
        assert technician_works(
            visit.technician, visit.window_start, visit.window_end, days_off.get(visit.technician_id, ())
        ), (visit.state, visit.technician.email, visit.window_start)
        assert visit.local_date == visit.window_start.astimezone(ZoneInfo(site.timezone)).date()
    # and no gate was overridden but the packet's (the crew has no app accounts), with the PM's words
    overrides = [
        (gate, override.get("reason", ""))
        for work_order in WorkOrder.objects.for_organization(northwind).exclude(gate_overrides={})
        for gate, override in work_order.gate_overrides.items()
    ]
    assert {gate for gate, _ in overrides} <= {Gate.PACKET}
    assert all(reason and "demo" not in reason.lower() for _, reason in overrides)
    # and the beat's next sweeps leave the promises standing
    for minutes in (1, 2):
        escalations_sweep(organization=northwind, now=now + timedelta(minutes=minutes))
    assert promises(northwind)["check_in"] == (2, "pm", True)
    assert promises(northwind)["at_risk"] == 1
    if request.node.callspec.id == "22:30Z-mon":
        # and seeding again, hours later, changes nothing
        before = (Escalation.objects.count(), Visit.objects.count())
        seed_at(now + timedelta(hours=3))
        assert (Escalation.objects.count(), Visit.objects.count()) == before
