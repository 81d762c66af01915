"""Idempotency-Key on POST: same key and body replay once-recorded results; another body is refused."""

import pytest

from rollout.choices import Role
from rollout.models import Client, IdempotencyRecord


def test_the_same_post_sent_three_times_is_recorded_once(tenant):
    # given
    api = tenant.api(Role.PM)
    body = {"code": "harbor", "name": "Harbor Foods"}
    # when
    responses = [api.post("/api/v1/clients/", body, HTTP_IDEMPOTENCY_KEY="k-123") for _ in range(3)]
    # then
    assert [r.status_code for r in responses] == [201, 201, 201]
    assert responses[0].json() == responses[1].json() == responses[2].json()
    assert "Idempotent-Replayed" not in responses[0]
    assert responses[2]["Idempotent-Replayed"] == "true"
    assert Client.objects.for_organization(tenant.organization).filter(code="harbor").count() == 1


def test_the_same_key_with_another_body_is_refused(tenant):
    api = tenant.api(Role.PM)
    api.post("/api/v1/clients/", {"code": "a", "name": "A"}, HTTP_IDEMPOTENCY_KEY="k-1")
    # when
    response = api.post("/api/v1/clients/", {"code": "b", "name": "B"}, HTTP_IDEMPOTENCY_KEY="k-1")
    # then
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "idempotency_key_reused"
    assert not Client.objects.filter(code="b").exists()


def test_validation_errors_are_replayed_too(tenant):
    api = tenant.api(Role.PM)
    first = api.post("/api/v1/clients/", {"code": "bad code!", "name": ""}, HTTP_IDEMPOTENCY_KEY="k-2")
    second = api.post("/api/v1/clients/", {"code": "bad code!", "name": ""}, HTTP_IDEMPOTENCY_KEY="k-2")
    assert first.status_code == second.status_code == 400
    assert first.json() == second.json()


def test_keys_are_scoped_to_the_caller(tenant):
    # given two callers using the same key for different bodies
    pm, admin = tenant.api(Role.PM), tenant.api(Role.ADMIN)
    # when
    first = pm.post("/api/v1/clients/", {"code": "a", "name": "A"}, HTTP_IDEMPOTENCY_KEY="shared")
    second = admin.post("/api/v1/clients/", {"code": "b", "name": "B"}, HTTP_IDEMPOTENCY_KEY="shared")
    # then both run
    assert (first.status_code, second.status_code) == (201, 201)


def test_posts_without_a_key_are_not_deduplicated(tenant):
    api = tenant.api(Role.PM)
    api.post("/api/v1/clients/", {"code": "a", "name": "A"})
    second = api.post("/api/v1/clients/", {"code": "a", "name": "A"})
    assert second.status_code == 400
    assert second.json()["errors"][0] == {
        "code": "duplicate_code",
        "detail": "A client with code “a” already exists.",
        "attr": "code",
    }


def test_secrets_shown_once_are_never_kept_for_replays(tenant):
    # given an admin who issues a token with an idempotency key
    from rollout.models import ApiToken, IdempotencyRecord

    api = tenant.api(Role.ADMIN)
    first = api.post("/api/v1/api-tokens/", {"name": "ERP"}, HTTP_IDEMPOTENCY_KEY="tok-1")
    # when the request is retried
    replay = api.post("/api/v1/api-tokens/", {"name": "ERP"}, HTTP_IDEMPOTENCY_KEY="tok-1")
    # then one token exists, the replay names it but does not reveal the key, and the key is stored nowhere
    key = first.json()["key"]
    assert key.startswith("tutti_")
    assert replay.json()["id"] == first.json()["id"]
    assert replay.json()["key"] is None
    assert ApiToken.objects.filter(name="ERP").count() == 1
    assert key not in str(IdempotencyRecord.objects.get(key="tok-1").response_body)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_key_is_reserved_and_replayed_the_same_way(tenant):
    # given: requests as served (autocommit: the key's INSERT is its own transaction, without a savepoint)
    api = tenant.api(Role.PM)
    body = {"code": "autocommit", "name": "Autocommit Foods"}
    # when
    first = api.post("/api/v1/clients/", body, HTTP_IDEMPOTENCY_KEY="k-auto")
    again = api.post("/api/v1/clients/", body, HTTP_IDEMPOTENCY_KEY="k-auto")
    other = api.post("/api/v1/clients/", {**body, "code": "other"}, HTTP_IDEMPOTENCY_KEY="k-auto")
    # then
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert other.status_code == 422
    assert Client.objects.for_organization(tenant.organization).filter(code__in=["autocommit", "other"]).count() == 1
    assert IdempotencyRecord.objects.get(key="k-auto").response_status == 201


def test_an_expired_key_runs_the_request_afresh(tenant):
    # given: a key used more than a day ago
    from datetime import timedelta

    from django.utils import timezone

    from rollout.api.idempotency import KEY_TTL

    api = tenant.api(Role.PM)
    api.post("/api/v1/clients/", {"code": "old", "name": "Old"}, HTTP_IDEMPOTENCY_KEY="k-old")
    IdempotencyRecord.objects.filter(key="k-old").update(created_at=timezone.now() - KEY_TTL - timedelta(minutes=1))
    # when: the same key with another body
    response = api.post("/api/v1/clients/", {"code": "new", "name": "New"}, HTTP_IDEMPOTENCY_KEY="k-old")
    # then: it runs, and its answer is the one kept for the key now
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Client.objects.for_organization(tenant.organization).filter(code="new").exists()
    assert IdempotencyRecord.objects.get(key="k-old").response_body["code"] == "new"
