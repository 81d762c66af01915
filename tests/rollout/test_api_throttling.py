"""Rate limits per caller: the API answers 429 with Retry-After and the standard error body."""

import pytest
from django.core.cache import cache

from rollout.api.throttling import PrincipalRateThrottle
from rollout.choices import Role


@pytest.fixture
def tight_rates(monkeypatch):
    # DRF reads rates once at import; narrow them for this test only.
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "3/min", "anon": "2/min"})
    cache.clear()
    yield
    cache.clear()


def test_a_caller_over_its_rate_gets_429(tenant, tight_rates):
    api = tenant.api(Role.PM)
    statuses = [api.get("/api/v1/me/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/me/")
    assert response.json()["errors"][0]["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_callers_are_limited_separately(tenant, tight_rates):
    pm, coordinator = tenant.api(Role.PM), tenant.api(Role.COORDINATOR)
    for _ in range(3):
        pm.get("/api/v1/me/")
    assert coordinator.get("/api/v1/me/").status_code == 200


def test_anonymous_callers_are_limited_by_address(db, tight_rates):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    statuses = [anonymous.get("/api/v1/me/").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
