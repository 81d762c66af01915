"""Webhooks REST API: the role matrix of every endpoint (admins and integrators only), cross-organization 404s,
the secret shown only on create and rotation, stable error codes, redelivery and test events through HTTP, and the
delivery list's query budget."""

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from rollout.choices import Role
from tests.webhooks.builders import THING, emit, endpoint_for
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookEndpoint

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
ALLOWED = {Role.ADMIN, Role.INTEGRATOR, "token"}


def expect(caller, response, ok_status):
    if caller in ALLOWED:
        assert response.status_code == ok_status, (caller, response.content)
    elif caller is None:
        assert response.status_code == 401, response.status_code
    else:
        assert response.status_code == 403, (caller, response.status_code, response.content)


def delivered(tenant, receiver, capture) -> WebhookDelivery:
    endpoint = endpoint_for(tenant, receiver.url)
    with capture(execute=True), transaction.atomic():
        event = emit(tenant)
    return WebhookDelivery.objects.get(endpoint=endpoint, event=event)


def error_codes(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("caller", CALLERS)
def test_role_matrix(tenant, receiver, caller, django_capture_on_commit_callbacks):
    delivery = delivered(tenant, receiver, django_capture_on_commit_callbacks)
    endpoint = delivery.endpoint
    api = tenant.api(caller)

    expect(caller, api.get("/api/v1/webhook-endpoints/"), 200)
    expect(caller, api.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/"), 200)
    expect(caller, api.get("/api/v1/webhook-deliveries/"), 200)
    expect(caller, api.get(f"/api/v1/webhook-deliveries/{delivery.pk}/"), 200)
    body = {"url": receiver.url, "event_types": [THING.name]}
    expect(caller, api.post("/api/v1/webhook-endpoints/", body, format="json"), 201)
    expect(caller, api.patch(f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"description": "ERP"}, format="json"), 200)
    expect(caller, api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/rotate-secret/"), 200)
    with django_capture_on_commit_callbacks(execute=True):
        expect(caller, api.post(f"/api/v1/webhook-endpoints/{endpoint.pk}/send-test/"), 202)
        expect(caller, api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/"), 202)
    expect(caller, api.delete(f"/api/v1/webhook-endpoints/{endpoint.pk}/"), 204)


def test_another_organizations_endpoints_and_deliveries_are_404(
    tenant, other_tenant, receiver, django_capture_on_commit_callbacks
):
    # given another organization's endpoint and delivery
    foreign = delivered(other_tenant, receiver, django_capture_on_commit_callbacks)
    api = tenant.api(Role.ADMIN)
    endpoint_path = f"/api/v1/webhook-endpoints/{foreign.endpoint_id}/"
    delivery_path = f"/api/v1/webhook-deliveries/{foreign.pk}/"

    # then every path is a 404 and the lists do not show them
    assert api.get(endpoint_path).status_code == 404
    assert api.patch(endpoint_path, {"description": "x"}, format="json").status_code == 404
    assert api.delete(endpoint_path).status_code == 404
    assert api.post(f"{endpoint_path}rotate-secret/").status_code == 404
    assert api.post(f"{endpoint_path}send-test/").status_code == 404
    assert api.get(delivery_path).status_code == 404
    assert api.post(f"{delivery_path}redeliver/").status_code == 404
    assert api.get("/api/v1/webhook-endpoints/").json()["results"] == []
    assert api.get("/api/v1/webhook-deliveries/").json()["results"] == []
    # and a foreign endpoint in the filter is not a valid choice
    filtered = api.get(f"/api/v1/webhook-deliveries/?endpoint={foreign.endpoint_id}")
    assert filtered.status_code == 400
    assert WebhookEndpoint.objects.get(pk=foreign.endpoint_id).description == ""


def test_the_secret_is_shown_on_create_and_rotation_only(tenant, receiver):
    api = tenant.api("token")
    created = api.post("/api/v1/webhook-endpoints/", {"url": receiver.url, "description": "ERP"}, format="json")
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("whsec_") and created.json()["event_types"] == []
    endpoint_id = created.json()["id"]
    assert "secret" not in api.get(f"/api/v1/webhook-endpoints/{endpoint_id}/").json()
    assert all("secret" not in row for row in api.get("/api/v1/webhook-endpoints/").json()["results"])
    rotated = api.post(f"/api/v1/webhook-endpoints/{endpoint_id}/rotate-secret/").json()["secret"]
    assert rotated.startswith("whsec_") and rotated != secret
    assert WebhookEndpoint.objects.get(pk=endpoint_id).secret == rotated


def test_bad_input_gets_stable_codes(tenant, receiver, settings):
    api = tenant.api(Role.ADMIN)
    unknown = api.post(
        "/api/v1/webhook-endpoints/", {"url": receiver.url, "event_types": ["visit.teleported"]}, format="json"
    )
    assert unknown.status_code == 400 and error_codes(unknown) == [("unknown_event_type", "event_types")]
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = False
    private = api.post("/api/v1/webhook-endpoints/", {"url": "http://127.0.0.1:9/x"}, format="json")
    assert private.status_code == 400 and error_codes(private) == [("url_address_not_allowed", "url")]
    settings.TUTTI_WEBHOOKS_ALLOW_HTTP = False
    plain = api.post("/api/v1/webhook-endpoints/", {"url": "http://93.184.216.34/x"}, format="json")
    assert plain.status_code == 400 and error_codes(plain) == [("url_scheme_not_allowed", "url")]


def test_disabled_endpoints_refuse_tests_and_redeliveries(tenant, receiver, django_capture_on_commit_callbacks):
    delivery = delivered(tenant, receiver, django_capture_on_commit_callbacks)
    api = tenant.api(Role.ADMIN)
    api.patch(f"/api/v1/webhook-endpoints/{delivery.endpoint_id}/", {"is_active": False}, format="json")
    test = api.post(f"/api/v1/webhook-endpoints/{delivery.endpoint_id}/send-test/")
    again = api.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")
    assert test.status_code == again.status_code == 409
    assert error_codes(test)[0][0] == error_codes(again)[0][0] == "endpoint_disabled"
    # enabling it again clears the reason
    enabled = api.patch(f"/api/v1/webhook-endpoints/{delivery.endpoint_id}/", {"is_active": True}, format="json")
    assert enabled.json()["is_active"] is True and enabled.json()["disabled_reason"] == ""


def test_the_delivery_log_filters_and_shows_attempts(tenant, receiver, django_capture_on_commit_callbacks):
    delivery = delivered(tenant, receiver, django_capture_on_commit_callbacks)
    api = tenant.api(Role.INTEGRATOR)
    rows = api.get(f"/api/v1/webhook-deliveries/?endpoint={delivery.endpoint_id}&status=succeeded").json()["results"]
    assert [row["id"] for row in rows] == [delivery.pk]
    assert rows[0]["webhook_id"] == delivery.event.uid and rows[0]["event_type"] == THING.name
    assert api.get("/api/v1/webhook-deliveries/?status=dead").json()["results"] == []
    assert api.get("/api/v1/webhook-deliveries/?event_type=webhook.test").json()["results"] == []
    detail = api.get(f"/api/v1/webhook-deliveries/{delivery.pk}/").json()
    assert [a["status_code"] for a in detail["attempt_rows"]] == [200]
    # the test event goes through the same log, and verifies with the endpoint's secret
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post(f"/api/v1/webhook-endpoints/{delivery.endpoint_id}/send-test/").json()
    assert sent["event_type"] == "webhook.test"
    Webhook(delivery.endpoint.secret).verify(receiver.received[-1].body, receiver.received[-1].headers)


def test_the_delivery_list_query_budget_does_not_grow_with_rows(tenant, receiver, django_assert_max_num_queries):
    endpoint = endpoint_for(tenant, receiver.url)
    api = tenant.api(Role.ADMIN)

    def add(n):
        for _ in range(n):
            services.deliveries_record(emit(tenant))  # rows only: no commit, nothing sent

    add(3)
    with django_assert_max_num_queries(12) as small:
        assert len(api.get(f"/api/v1/webhook-deliveries/?endpoint={endpoint.pk}").json()["results"]) == 3
    add(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get(f"/api/v1/webhook-deliveries/?endpoint={endpoint.pk}").json()["results"]) > 3


def test_the_schema_documents_every_catalogue_type_as_a_webhook(monkeypatch):
    from drf_spectacular.generators import SchemaGenerator

    from rollout import events

    # given a type an app declares (after the merge: every app's types)
    monkeypatch.setitem(
        events._TYPES,
        "gadget.installed",
        events.EventType(name="gadget.installed", title="Gadget installed", subject="gadget", example={"id": 3}),
    )
    # when the schema is generated
    schema = SchemaGenerator().get_schema(request=None, public=True)
    # (an OpenAPI 3.0 document: the section is `x-webhooks`, which Redoc renders; `webhooks` under 3.1)
    assert schema["openapi"].startswith("3.0") and "webhooks" not in schema
    webhooks = schema["x-webhooks"]
    # then every type of the catalogue is documented with its payload and the signature headers
    assert {"gadget.installed", "webhook.test", "webhook_endpoint.disabled"} <= set(webhooks)
    operation = webhooks["gadget.installed"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    assert body["example"]["data"] == {"id": 3} and body["schema"]["properties"]["type"]["enum"] == ["gadget.installed"]
    assert [p["name"] for p in operation["parameters"]] == ["webhook-id", "webhook-timestamp", "webhook-signature"]
    assert not any(name.startswith("tests.") for name in webhooks)
