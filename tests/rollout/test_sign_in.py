"""Sign-in protection that works behind a proxy: one resolved client address, lockouts per account and per
account-with-address, the README's limits are the limits in force, and password resets limited and alike."""

import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from rollout.api.throttling import PrincipalRateThrottle
from rollout.client_address import client_address_resolve
from tests.factories import DEFAULT_PASSWORD

EMAIL = "pm@acme-rollouts.example.com"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def sign_in(_client, email, password, address, forwarded_for=None):
    """One sign-in attempt from a fresh browser (so an earlier success does not short-circuit the next)."""
    client = Client()
    extra = {"REMOTE_ADDR": address}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("core:login"), {"username": email, "password": password}, **extra)


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session


# --- The client address -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        # no trusted proxy: the header is ignored, whatever it says
        ("203.0.113.7", "198.51.100.1", [], "203.0.113.7"),
        ("203.0.113.7", "garbage", [], "203.0.113.7"),
        # an untrusted peer cannot speak for anyone else
        ("203.0.113.7", "198.51.100.1", ["10.0.0.0/8"], "203.0.113.7"),
        # one trusted proxy: the hop it appended is the client; what the client wrote before it is not believed
        ("10.0.0.2", "1.2.3.4, 198.51.100.1", ["10.0.0.0/8"], "198.51.100.1"),
        # two trusted proxies in a chain
        ("10.0.0.2", "1.2.3.4, 198.51.100.1, 10.0.0.9", ["10.0.0.0/8"], "198.51.100.1"),
        # a trusted proxy with no header: the proxy itself
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
        # garbage after a trusted hop: stop at the last address a trusted proxy vouched for
        ("10.0.0.2", "198.51.100.1, not-an-ip", ["10.0.0.2"], "10.0.0.2"),
        ("::1", "2001:db8::5", ["::1"], "2001:db8::5"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(remote, forwarded, trusted, expected):
    from rollout.client_address import _networks

    assert client_address_resolve(remote, forwarded, _networks(tuple(trusted))) == expected


@pytest.fixture
def tight_anon_rate(monkeypatch):
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "100/min", "anon": "2/min"})


def test_a_new_forwarded_for_per_request_does_not_walk_past_the_anonymous_throttle(db, tight_anon_rate):
    api = APIClient()
    statuses = [
        api.get("/api/v1/me/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 429, 429]


def test_behind_a_trusted_proxy_each_client_has_its_own_anonymous_rate(db, settings, tight_anon_rate):
    settings.TUTTI_TRUSTED_PROXIES = ["10.0.0.0/8"]
    api = APIClient()

    def get(client_ip, spoofed="6.6.6.6"):
        forwarded = f"{spoofed}, {client_ip}"  # the client's own (ignored) claim, then what the proxy appended
        return api.get("/api/v1/me/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded).status_code

    assert [get("198.51.100.1", spoofed=f"6.6.6.{n}") for n in range(3)] == [401, 401, 429]
    assert get("198.51.100.2") == 401  # another client behind the same proxy


# --- Lockouts -------------------------------------------------------------------------------------------------


def test_typos_lock_the_account_from_that_address_only(client, tenant):
    limit = django_settings.AXES_FAILURE_LIMIT
    # given a member who mistyped their password `limit` times at their desk
    for _ in range(limit):
        sign_in(client, EMAIL, "wrong-password", "198.51.100.10")
    # when they (or anyone) try the right password from there, then it is locked
    locked = sign_in(client, EMAIL, DEFAULT_PASSWORD, "198.51.100.10")
    assert locked.status_code == 429
    assert f"{django_settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in locked.content.decode()
    # but from their phone's network they sign in
    assert signed_in(sign_in(client, EMAIL, DEFAULT_PASSWORD, "203.0.113.50"))
    # and a colleague behind the same address is not affected
    assert signed_in(sign_in(client, "coordinator@acme-rollouts.example.com", DEFAULT_PASSWORD, "198.51.100.10"))


def test_made_up_emails_from_one_address_lock_nobody_out(client, tenant):
    # given an attacker trying 50 made-up e-mails from the office's address
    for n in range(50):
        sign_in(client, f"nobody{n}@example.com", "guess", "198.51.100.10")
    # when a real member signs in from the same address, then they get in
    assert signed_in(sign_in(client, EMAIL, DEFAULT_PASSWORD, "198.51.100.10"))


def test_guessing_one_password_from_many_addresses_locks_the_account(client, tenant):
    per_account = django_settings.SIGN_IN_FAILURES_PER_ACCOUNT
    assert per_account > django_settings.AXES_FAILURE_LIMIT
    # given failures spread over many addresses, each under the per-address limit
    for n in range(per_account - 1):
        sign_in(client, EMAIL, "guess", f"203.0.113.{n + 1}")
    assert signed_in(sign_in(client, EMAIL, DEFAULT_PASSWORD, "198.51.100.99"))  # success resets the counts
    for n in range(per_account):
        sign_in(client, EMAIL, "guess", f"203.0.113.{n + 1}")
    # when the right password is tried from a fresh address, then the account is locked everywhere
    assert sign_in(client, EMAIL, DEFAULT_PASSWORD, "198.51.100.99").status_code == 429
    # and other accounts are not
    assert signed_in(sign_in(client, "coordinator@acme-rollouts.example.com", DEFAULT_PASSWORD, "203.0.113.1"))


def test_behind_a_trusted_proxy_lockouts_follow_the_real_client(client, tenant, settings):
    settings.TUTTI_TRUSTED_PROXIES = ["10.0.0.2"]
    for n in range(settings.AXES_FAILURE_LIMIT):
        # a header rewritten per request cannot make each failure look like a new address
        sign_in(client, EMAIL, "wrong", "10.0.0.2", forwarded_for=f"6.6.6.{n}, 198.51.100.10")
    assert sign_in(client, EMAIL, DEFAULT_PASSWORD, "10.0.0.2", forwarded_for="198.51.100.10").status_code == 429
    assert signed_in(sign_in(client, EMAIL, DEFAULT_PASSWORD, "10.0.0.2", forwarded_for="198.51.100.11"))


def test_the_account_key_ignores_case_and_spaces(client, tenant):
    for variant in ("PM@acme-rollouts.example.com", " pm@ACME-rollouts.example.com", EMAIL, EMAIL.upper(), EMAIL):
        sign_in(client, variant, "wrong", "198.51.100.10")
    assert sign_in(client, EMAIL, DEFAULT_PASSWORD, "198.51.100.10").status_code == 429


def test_the_readme_states_the_limits_in_force():
    readme = re.sub(r"\s+", " ", (django_settings.BASE_DIR / "README.md").read_text())
    sign_in_rule = re.search(
        r"After (\d+) failed sign-ins to an account from one address, that address is locked out of it for "
        r"(\d+)\s+minutes; after (\d+) failed sign-ins to an account from any addresses, the account is locked for "
        r"(\d+)\s+minutes",
        readme,
    )
    assert sign_in_rule, "README: the sign-in limits sentence is missing or reworded"
    per_address, cooloff, per_account, cooloff_again = (int(group) for group in sign_in_rule.groups())
    assert per_address == django_settings.AXES_FAILURE_LIMIT
    assert per_account == django_settings.SIGN_IN_FAILURES_PER_ACCOUNT
    assert cooloff == cooloff_again == django_settings.AXES_COOLOFF_TIME.total_seconds() / 60
    reset_rule = re.search(r"at most (\d+) reset requests per e-mail and (\d+) per address in (\d+) minutes", readme)
    assert reset_rule, "README: the password reset limits sentence is missing or reworded"
    assert [int(group) for group in reset_rule.groups()] == [
        django_settings.PASSWORD_RESET_PER_ACCOUNT,
        django_settings.PASSWORD_RESET_PER_ADDRESS,
        django_settings.PASSWORD_RESET_THROTTLE_WINDOW.total_seconds() / 60,
    ]


# --- Password reset -------------------------------------------------------------------------------------------


def reset(client, email, address="198.51.100.10"):
    return client.post(reverse("core:password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_password_resets_are_limited_per_account(client, tenant, mailoutbox, django_capture_on_commit_callbacks):
    limit = django_settings.PASSWORD_RESET_PER_ACCOUNT
    with django_capture_on_commit_callbacks(execute=True):
        statuses = [reset(client, EMAIL, address=f"203.0.113.{n}").status_code for n in range(limit + 1)]
    assert statuses == [302] * limit + [429]
    assert len(mailoutbox) == limit
    # another account is not affected
    assert reset(client, "coordinator@acme-rollouts.example.com").status_code == 302


def test_password_resets_are_limited_per_address(client, db):
    limit = django_settings.PASSWORD_RESET_PER_ADDRESS
    statuses = [reset(client, f"someone{n}@example.com").status_code for n in range(limit + 1)]
    assert statuses == [302] * limit + [429]
    assert "Too many reset requests" in reset(client, "else@example.com").content.decode()
    assert reset(client, "else@example.com", address="203.0.113.9").status_code == 302


def test_a_password_reset_does_the_same_work_whether_the_account_exists_or_not(
    client, tenant, django_capture_on_commit_callbacks
):
    def request(email):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
            response = reset(client, email)
        return response, [query["sql"] for query in queries.captured_queries], callbacks

    existing, existing_queries, existing_jobs = request(EMAIL)
    missing, missing_queries, missing_jobs = request("nobody@example.com")
    # the same answer
    assert (existing.status_code, existing.url) == (missing.status_code, missing.url)
    # no lookup of the account while the caller waits: it happens in the background task, in both cases
    assert not [sql for sql in existing_queries + missing_queries if "rollout_user" in sql]
    assert len(existing_queries) == len(missing_queries)
    assert len(existing_jobs) == len(missing_jobs) == 1
