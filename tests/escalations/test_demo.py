"""The demo: `seed_demo` leaves a policy and escalations in each state on the demo day — a missed check-in at
level 2, an at-risk confirmation, one resolved by itself, one acknowledged — produced by the real sweep; running it
again changes nothing."""

import pytest
from django.core.management import call_command

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation, SlaRule
from rollout.models import Organization

pytestmark = pytest.mark.django_db

S = EscalationState


def test_demo_has_escalations_in_each_state():
    call_command("seed_demo", verbosity=0)
    northwind = Organization.objects.get(slug="northwind")
    current = Escalation.objects.for_organization(northwind).current()
    check_in = current.get(rule=RuleKey.NO_CHECK_IN, state=S.OPEN, visit__status__in=["scheduled", "confirmed"])
    assert (check_in.level, check_in.level_role, check_in.client_visible) == (2, "pm", True)
    assert current.filter(rule=RuleKey.NO_CONFIRMATION, state=S.AT_RISK).exists()
    resolved = current.get(state=S.RESOLVED, auto_resolved=True, rule=RuleKey.NO_CONFIRMATION)
    assert resolved.time_to_resolve is not None and resolved.visit.status == "confirmed"
    assert current.filter(rule=RuleKey.NO_SHOW, state=S.ACKNOWLEDGED).exists()
    assert SlaRule.objects.filter(organization__slug="bluebird").exists()
    before = Escalation.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Escalation.objects.count() == before
