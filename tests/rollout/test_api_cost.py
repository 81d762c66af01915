"""No anonymous request is expensive or unlimited: the schema is generated once per process, and the anonymous
rate limit holds against rewritten headers and made-up tokens."""

import time

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from rollout.api.schema_view import schema_cache_clear
from rollout.api.throttling import PrincipalRateThrottle


@pytest.fixture
def tight_anon_rate(monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "100/min", "anon": "2/min"})
    cache.clear()
    yield
    cache.clear()


def timed_get(client, path, **extra):
    started = time.perf_counter()
    response = client.get(path, **extra)
    return response, time.perf_counter() - started


def test_the_schema_is_generated_once_per_process_and_format(db):
    # given a process that has not served the schema yet
    schema_cache_clear()
    anonymous = APIClient()
    # when it is asked for twice in each format
    first, first_seconds = timed_get(anonymous, "/api/schema/")
    again, again_seconds = timed_get(anonymous, "/api/schema/")
    as_json, _ = timed_get(anonymous, "/api/schema/?format=json")
    json_again, _ = timed_get(anonymous, "/api/schema/?format=json")
    # then the same document comes back, the second time without generating it
    assert first.status_code == again.status_code == 200
    assert first.content == again.content and first["Content-Type"] == again["Content-Type"]
    assert again_seconds < first_seconds / 5, (first_seconds, again_seconds)
    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.content == json_again.content and as_json.json()["openapi"].startswith("3.")


def test_the_schema_is_rate_limited_by_address_whatever_the_headers(db, tight_anon_rate):
    anonymous = APIClient()
    statuses = [
        anonymous.get(
            "/api/schema/",
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            HTTP_AUTHORIZATION=f"Bearer made-up-{n}",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]


def test_made_up_tokens_do_not_walk_past_the_rate_limit(db, tight_anon_rate):
    anonymous = APIClient()
    statuses = [
        anonymous.get(
            "/api/v1/clients/", REMOTE_ADDR="203.0.113.7", HTTP_AUTHORIZATION=f"Bearer made-up-{n}"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 429, 429]
