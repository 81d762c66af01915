"""Bad input gets one consistent, clear error format, and nothing is half-written."""

import pytest

from rollout.choices import Role
from rollout.models import AuditEvent, Client


def test_malformed_json_is_a_parse_error(tenant):
    response = tenant.api(Role.PM).post("/api/v1/clients/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "client_error"
    assert body["errors"][0]["code"] == "parse_error"


def test_missing_fields_are_named(tenant):
    response = tenant.api(Role.PM).post("/api/v1/clients/", {})
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert {e["attr"] for e in response.json()["errors"]} == {"code", "name"}


def test_unknown_filter_value_is_a_validation_error(tenant):
    response = tenant.api(Role.ADMIN).get("/api/v1/memberships/?role=wizard")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "role"
    assert response.json()["errors"][0]["code"] == "invalid_choice"


def test_unknown_ordering_field_is_ignored_not_leaked(tenant):
    # DRF's OrderingFilter only accepts the declared ordering fields.
    response = tenant.api(Role.ADMIN).get("/api/v1/clients/?ordering=organization__name")
    assert response.status_code == 200


def test_oversized_request_is_413_and_writes_nothing(tenant, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = tenant.api(Role.PM).post("/api/v1/clients/", {"code": "big", "name": "x" * 5000}, format="json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "request_too_large"
    assert not Client.objects.filter(code="big").exists()


def test_method_not_allowed_uses_the_same_format(tenant):
    response = tenant.api(Role.ADMIN).delete("/api/v1/audit-events/")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"


@pytest.mark.django_db(transaction=True)
def test_a_failed_service_leaves_no_audit_event_behind(tenant):
    # given the last admin
    admin = tenant.members[Role.ADMIN]
    before = AuditEvent.objects.count()
    # when they try to demote themselves
    response = tenant.api(Role.ADMIN).patch(f"/api/v1/memberships/{admin.pk}/", {"role": "pm"})
    # then
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "last_admin"
    assert AuditEvent.objects.count() == before


def test_every_response_carries_a_request_id_and_audit_events_record_it(tenant):
    response = tenant.api(Role.PM).post("/api/v1/clients/", {"code": "rq", "name": "RQ"}, HTTP_X_REQUEST_ID="req-42")
    assert response["X-Request-ID"] == "req-42"
    assert AuditEvent.objects.get(verb="client.created", target_id=str(response.json()["id"])).request_id == "req-42"


@pytest.mark.parametrize(
    ("path", "body", "attr"),
    [
        ("/api/v1/work-orders/bulk-transition/", {"work_order_ids": [2**70], "to_status": "ready"}, "work_order_ids"),
        ("/api/v1/enrollments/bulk-create/", {"program": 1, "site_ids": [2**64]}, "site_ids"),
        ("/api/v1/packets/reissue/", {"program": 1, "work_orders": [2**63]}, "work_orders"),
    ],
)
def test_an_id_too_large_for_the_database_is_a_validation_error(tenant, path, body, attr):
    # a fuzzer's number that no row can have is refused on its field, never reaches the database (no 500)
    response = tenant.api(Role.PM).post(path, body, format="json")
    assert response.status_code == 400, response.content
    assert any(error["attr"].startswith(attr) for error in response.json()["errors"]), response.json()
