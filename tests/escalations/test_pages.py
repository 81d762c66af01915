"""Escalation pages: role matrix, cross-organization 404s, the list's tabs and filters and the navigation badge, the
actions from the detail page (with their validation messages), the policy editor, and the escalation timeline
panel on the work-order and visit pages (workorders.panels)."""

from datetime import timedelta

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation, SlaRule
from rollout.choices import Role
from tests.escalations.builders import CHECKIN_DUE, sweep, world_of
from tests.workorders.builders.visits import booked_visit

pytestmark = pytest.mark.django_db

ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


@pytest.fixture
def visit(tenant):
    return booked_visit(world_of(tenant))


@pytest.fixture
def escalation(tenant, visit):
    sweep(tenant, CHECKIN_DUE)
    return Escalation.objects.get(rule=RuleKey.NO_CHECK_IN)


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, escalation, role):
    client = browser(tenant, role)
    for name, kwargs, readers in [
        ("escalations:escalations", {}, {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT}),
        (
            "escalations:escalation-detail",
            {"pk": escalation.pk},
            {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR},
        ),
        ("escalations:sla-policy", {}, {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR}),
    ]:
        response = client.get(url(tenant, name, **kwargs))
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"]
        elif role in readers:
            assert response.status_code == 200, (name, role)
        else:
            # a client viewer gets a 404 for an escalation the policy does not show clients
            assert response.status_code in (403, 404), (name, role)


def test_another_organizations_escalation_is_a_404(tenant, other_tenant, escalation):
    client = browser(other_tenant, Role.ADMIN)
    detail = reverse(
        "escalations:escalation-detail", kwargs={"org": other_tenant.organization.slug, "pk": escalation.pk}
    )
    assert client.get(detail).status_code == 404
    action = reverse(
        "escalations:escalation-action",
        kwargs={"org": other_tenant.organization.slug, "pk": escalation.pk, "verb": "acknowledge"},
    )
    assert client.post(action).status_code == 404
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN


def test_list_tabs_badge_and_acknowledge(tenant, escalation):
    client = browser(tenant, Role.COORDINATOR)
    page = client.get(url(tenant, "escalations:escalations") + "?state=open").content.decode()
    assert "No check-in by window start + grace" in page and escalation.work_order.number in page
    open_count = Escalation.objects.open().count()
    assert f"data-nav-badge>{open_count}<" in page
    assert (
        "No escalations here" in client.get(url(tenant, "escalations:escalations") + "?state=resolved").content.decode()
    )
    # acknowledge from the detail page
    action = url(tenant, "escalations:escalation-action", pk=escalation.pk, verb="acknowledge")
    response = client.post(action, follow=True)
    assert "Acknowledged" in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.ACKNOWLEDGED
    page = client.get(url(tenant, "escalations:escalations") + "?state=acknowledged").content.decode()
    assert escalation.work_order.number in page


def test_actions_show_clear_validation_messages(tenant, escalation):
    client = browser(tenant, Role.PM)
    snooze = url(tenant, "escalations:escalation-action", pk=escalation.pk, verb="snooze")
    page = client.post(snooze, {"until": "2020-01-01T10:00", "reason": "x"}, follow=True).content.decode()
    assert "Snooze until a time in the next 30 days." in page
    resolve = url(tenant, "escalations:escalation-action", pk=escalation.pk, verb="resolve")
    page = client.post(resolve, {"note": ""}, follow=True).content.decode()
    assert "Say how it was resolved." in page
    page = client.post(resolve, {"note": "Called the store: tech on site"}, follow=True).content.decode()
    assert "Resolved." in page
    assert Escalation.objects.get(pk=escalation.pk).resolution_note == "Called the store: tech on site"


def test_policy_page_saves_a_rule_and_refuses_a_looping_ladder(tenant):
    world = world_of(tenant)
    client = browser(tenant, Role.ADMIN)
    policy = url(tenant, "escalations:sla-policy")
    form = {
        "rule": "no_check_in",
        "enabled": "on",
        "threshold": "5",
        "at_risk_minutes": "10",
        "role_1": "coordinator",
        "role_2": "pm",
        "delay_2": "30",
        "role_3": "coordinator",
        "delay_3": "30",
    }
    page = client.post(policy, form, follow=True).content.decode()
    assert "ladder_loops" in page and not SlaRule.objects.exists()
    page = client.post(policy, {**form, "role_3": "admin"}, follow=True).content.decode()
    assert "Saved" in page
    assert SlaRule.objects.get(program=None).ladder[-1] == {"role": "admin", "delay_minutes": 30}
    page = client.post(policy, {**form, "threshold": "-3", "role_3": ""}, follow=True).content.decode()
    assert "negative_threshold" in page
    # a program override
    page = client.post(
        f"{policy}?program={world.program.pk}", {**form, "program": world.program.pk, "role_3": ""}, follow=True
    )
    assert SlaRule.objects.filter(program=world.program).exists()
    assert "override" in page.content.decode()
    # coordinators read, do not write
    assert browser(tenant, Role.COORDINATOR).post(policy, form).status_code == 403


def test_work_order_and_visit_pages_show_the_escalation_timeline(tenant, visit, escalation):
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    client = browser(tenant, Role.COORDINATOR)
    for name, pk in (("workorders:work-order-detail", visit.work_order_id), ("visits:visit-detail", visit.pk)):
        page = client.get(url(tenant, name, pk=pk)).content.decode()
        assert 'id="escalations"' in page
        assert "No check-in by window start + grace" in page and "Escalated to the next level" in page
    # a technician's pages carry no panel
    assert browser(tenant, Role.TECHNICIAN).get(url(tenant, "visits:visit-detail", pk=visit.pk)).status_code in (
        200,
        302,
        403,
    )
