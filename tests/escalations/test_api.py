"""The escalations API: role matrix, cross-organization 404s, the actions and their errors, the SLA policy with its
validation codes, and client viewers' scope (client-visible escalations of their own programs)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation
from rollout.choices import Role
from rollout.models import Event
from tests.escalations.builders import CHECKIN_DUE, sweep, world_of
from tests.workorders.builders.visits import booked_visit

pytestmark = pytest.mark.django_db

ROLES = [None, Role.ADMIN, Role.PM, Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT, "token"]
READERS = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.CLIENT, "token"}
ACTORS = {Role.ADMIN, Role.PM, Role.COORDINATOR}


def raised(tenant) -> Escalation:
    world = world_of(tenant)
    visit = booked_visit(world)
    sweep(tenant, CHECKIN_DUE)
    return Escalation.objects.get(rule=RuleKey.NO_CHECK_IN, visit=visit)


@pytest.fixture
def escalation(tenant):
    return raised(tenant)


@pytest.mark.parametrize("role", ROLES, ids=str)
def test_list_role_matrix(tenant, escalation, role):
    response = tenant.api(role).get("/api/v1/escalations/")
    expected = 401 if role is None else (200 if role in READERS else 403)
    assert response.status_code == expected
    if role in (Role.ADMIN, Role.COORDINATOR, "token"):
        assert escalation.pk in [row["id"] for row in response.json()["results"]]
    if role == Role.CLIENT:  # the policy does not make this rule client-visible
        assert response.json()["count"] == 0


@pytest.mark.parametrize("role", ROLES[1:], ids=str)
def test_acknowledge_role_matrix(tenant, escalation, role):
    response = tenant.api(role).post(f"/api/v1/escalations/{escalation.pk}/acknowledge/", {}, format="json")
    if role in ACTORS:
        assert response.status_code == 200, response.content
        assert response.json()["state"] == "acknowledged"
        assert response.json()["acknowledged_by_label"] == tenant.members[role].user.email
        assert Event.objects.filter(type="escalation.acknowledged", subject_id=escalation.pk).count() == 1
    else:
        assert response.status_code in (403, 404)


def test_acknowledging_another_organizations_escalation_is_a_404(tenant, other_tenant, escalation):
    api = other_tenant.api(Role.ADMIN)
    for verb, body in (("acknowledge", {}), ("resolve", {"note": "x"}), ("assign", {"assignee": None})):
        response = api.post(f"/api/v1/escalations/{escalation.pk}/{verb}/", body, format="json")
        assert response.status_code == 404
    assert api.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 404
    assert api.get("/api/v1/escalations/").json()["count"] == 0
    escalation.refresh_from_db()
    assert escalation.state == EscalationState.OPEN


def test_actions_and_their_errors(tenant, escalation):
    api = tenant.api(Role.COORDINATOR)
    base = f"/api/v1/escalations/{escalation.pk}"
    # assign to a technician: refused; to the PM: done
    bad = api.post(f"{base}/assign/", {"assignee": tenant.members[Role.TECHNICIAN].user_id}, format="json")
    assert bad.status_code == 400 and bad.json()["errors"][0]["code"] == "assignee_invalid"
    pm = tenant.members[Role.PM].user
    assert api.post(f"{base}/assign/", {"assignee": pm.pk}, format="json").json()["assignee"] == pm.email
    # snooze into the past or without a reason: refused
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    response = api.post(f"{base}/snooze/", {"until": past, "reason": "later"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "snooze_invalid"
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api.post(f"{base}/snooze/", {"until": future, "reason": ""}, format="json")
    assert response.status_code == 400
    response = api.post(f"{base}/snooze/", {"until": future, "reason": "Tech stuck in traffic"}, format="json")
    assert response.status_code == 200 and response.json()["snooze_reason"] == "Tech stuck in traffic"
    # resolve without a note: refused; with one: resolved, then 409
    response = api.post(f"{base}/resolve/", {"note": " "}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "resolution_note_required"
    response = api.post(f"{base}/resolve/", {"note": "Tech arrived, check-in app failed"}, format="json")
    body = response.json()
    assert response.status_code == 200 and body["state"] == "resolved" and body["auto_resolved"] is False
    assert sorted(line["kind"] for line in body["timeline"]) == ["assigned", "raised", "resolved", "snoozed"]
    response = api.post(f"{base}/acknowledge/", {}, format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "escalation_resolved"


def test_list_filters(tenant, escalation):
    api = tenant.api(Role.PM)
    assert api.get("/api/v1/escalations/?state=open&rule=no_check_in").json()["count"] == 1
    assert api.get("/api/v1/escalations/?state=resolved").json()["count"] == 0
    assert api.get("/api/v1/escalations/?level=2").json()["count"] == 0
    assert api.get(f"/api/v1/escalations/?program={escalation.program_id}&rule=no_check_in").json()["count"] == 1


def test_the_assignee_filter_offers_this_organizations_staff_only(tenant, other_tenant, escalation):
    api = tenant.api(Role.PM)
    own = tenant.members[Role.COORDINATOR].user
    assert api.get(f"/api/v1/escalations/?assignee={own.pk}").status_code == 200
    # another organization's coordinator, or this organization's technician, is not a valid choice
    for user in (other_tenant.members[Role.COORDINATOR].user, tenant.members[Role.TECHNICIAN].user):
        refused = api.get(f"/api/v1/escalations/?assignee={user.pk}")
        assert refused.status_code == 400, user


def test_client_viewer_sees_client_visible_escalations_of_their_programs(tenant, other_tenant):
    escalation = raised(tenant)
    Escalation.objects.filter(pk=escalation.pk).update(client_visible=True)
    api = tenant.api(Role.CLIENT)
    assert [row["id"] for row in api.get("/api/v1/escalations/?rule=no_check_in").json()["results"]] == [escalation.pk]
    # a client viewer cannot act
    assert api.post(f"/api/v1/escalations/{escalation.pk}/acknowledge/", {}, format="json").status_code == 403


RULE = {
    "enabled": True,
    "threshold": 15,
    "at_risk_minutes": 5,
    "ladder": [{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 20}],
    "client_visible": False,
}


@pytest.mark.parametrize(
    "change, code",
    [
        ({"threshold": -1}, "negative_threshold"),
        ({"at_risk_minutes": -5}, "negative_threshold"),
        ({"ladder": []}, "ladder_empty"),
        ({"ladder": [{"role": "boss", "delay_minutes": 0}]}, "ladder_unknown_role"),
        (
            {
                "ladder": [
                    {"role": "coordinator", "delay_minutes": 0},
                    {"role": "pm", "delay_minutes": 10},
                    {"role": "coordinator", "delay_minutes": 10},
                ]
            },
            "ladder_loops",
        ),
        ({"ladder": [{"role": "pm", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 10}]}, "ladder_loops"),
        (
            {"ladder": [{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 0}]},
            "ladder_bad_delay",
        ),
        (
            {"ladder": [{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": -3}]},
            "ladder_bad_delay",
        ),
        (
            {"ladder": [{"role": "coordinator", "delay_minutes": 0}, {"role": "client", "delay_minutes": 30}]},
            "client_level_not_visible",
        ),
    ],
)
def test_policy_validation_codes(tenant, change, code):
    response = tenant.api(Role.ADMIN).put("/api/v1/sla-policy/rules/no_check_in/", {**RULE, **change}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["errors"][0]["code"] == code


def test_policy_read_update_and_program_override(tenant, other_tenant):
    world = world_of(tenant)
    admin = tenant.api(Role.ADMIN)
    rules = admin.get("/api/v1/sla-policy/").json()
    assert len(rules) == 10 and {r["rule"] for r in rules} == set(RuleKey.values)
    response = admin.put("/api/v1/sla-policy/rules/no_check_in/", RULE, format="json")
    assert response.status_code == 200 and response.json()["threshold"] == 15
    # a program override, then dropping it
    path = f"/api/v1/sla-policy/programs/{world.program.pk}/rules/no_check_in/"
    response = tenant.api(Role.PM).put(path, {**RULE, "threshold": 45}, format="json")
    assert response.status_code == 200 and response.json()["overridden"] is True
    program_rules = {r["rule"]: r for r in admin.get(f"/api/v1/sla-policy/programs/{world.program.pk}/").json()}
    assert program_rules["no_check_in"]["threshold"] == 45 and program_rules["no_show"]["overridden"] is False
    assert admin.delete(path).status_code == 204
    assert admin.get(path).json()["threshold"] == 15
    # coordinators read but do not edit; another organization's program is a 404; an unknown rule too
    assert tenant.api(Role.COORDINATOR).put(path, RULE, format="json").status_code == 403
    assert other_tenant.api(Role.ADMIN).put(path, RULE, format="json").status_code == 404
    assert admin.put("/api/v1/sla-policy/rules/nope/", RULE, format="json").status_code == 404
    assert tenant.api(Role.CLIENT).get("/api/v1/sla-policy/").status_code == 403
