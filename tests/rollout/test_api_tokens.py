"""API tokens: shown once, stored hashed, bound to one organization and role, expiry, revocation, last use."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from rollout.choices import Role
from rollout.models import ApiToken, AuditEvent
from tests.factories import issue_token


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_admin_issues_a_token_whose_key_is_shown_once_and_stored_hashed(tenant):
    # when
    response = tenant.api(Role.ADMIN).post("/api/v1/api-tokens/", {"name": "ERP sync", "role": "integrator"})
    # then
    assert response.status_code == 201
    key = response.json()["key"]
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert key.startswith(f"tutti_{token.prefix}_")
    assert key not in token.key_hash and len(token.key_hash) == 64
    assert "key" not in tenant.api(Role.ADMIN).get(f"/api/v1/api-tokens/{token.pk}/").json()
    assert AuditEvent.objects.filter(verb="api_token.created", target_id=str(token.pk)).exists()
    # and the key works, for its organization and role
    me = bearer(key).get("/api/v1/me/").json()
    assert me["organization"]["slug"] == tenant.organization.slug
    assert me["role"] == "integrator"
    assert me["token"] == token.prefix


def test_last_used_time_is_recorded(tenant):
    # given
    key = issue_token(tenant.organization)
    # when
    bearer(key).get("/api/v1/me/")
    # then
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    ("state", "code"),
    [
        ("revoked", "token_revoked"),
        ("expired", "token_expired"),
        ("garbled", "token_invalid"),
        ("unknown", "token_invalid"),
    ],
)
def test_unusable_tokens_get_401_with_a_clear_code(tenant, state, code):
    # given
    key = issue_token(tenant.organization)
    token = ApiToken.objects.get()
    if state == "revoked":
        tenant.api(Role.ADMIN).post(f"/api/v1/api-tokens/{token.pk}/revoke/")
    elif state == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "garbled":
        key = key[:-4] + "AAAA"
    else:
        key = "tutti_deadbeef_nothing"
    # when
    response = bearer(key).get("/api/v1/me/")
    # then
    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == code
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expiry_in_the_past_is_refused(tenant):
    response = tenant.api(Role.ADMIN).post(
        "/api/v1/api-tokens/", {"name": "old", "expires_at": (timezone.now() - timedelta(days=1)).isoformat()}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "expires_at"


def test_technician_tokens_are_refused(tenant):
    response = tenant.api(Role.ADMIN).post("/api/v1/api-tokens/", {"name": "x", "role": "technician"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "role"


def test_client_token_needs_a_client_and_sees_only_it(tenant):
    # given
    admin = tenant.api(Role.ADMIN)
    assert admin.post("/api/v1/api-tokens/", {"name": "portal", "role": "client"}).status_code == 400
    key = admin.post("/api/v1/api-tokens/", {"name": "portal", "role": "client", "client": tenant.client.pk}).json()[
        "key"
    ]
    # when
    rows = bearer(key).get("/api/v1/clients/").json()["results"]
    # then
    assert [row["id"] for row in rows] == [tenant.client.pk]
    assert bearer(key).post("/api/v1/clients/", {"code": "x", "name": "x"}).status_code == 403


def test_create_api_token_command_prints_a_working_key(tenant, capsys):
    # when
    call_command("create_api_token", organization=tenant.organization.slug, role="integrator")
    key = capsys.readouterr().out.strip()
    # then
    assert bearer(key).get("/api/v1/me/").json()["role"] == "integrator"


def test_a_token_never_reaches_another_organization(tenant, other_tenant):
    # given a token of the other organization
    key = issue_token(other_tenant.organization)
    # when it asks for this organization by header
    response = bearer(key).get(f"/api/v1/clients/{tenant.client.pk}/", HTTP_X_ORGANIZATION=tenant.organization.slug)
    # then the header is ignored: the token's organization holds, and the client is not found
    assert response.status_code == 404
