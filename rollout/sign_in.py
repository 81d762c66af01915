"""Sign-in and password-reset protection: the limits in force, read by the README's test.

Sign-in failures are counted by django-axes on two keys, each with its own limit, within AXES_COOLOFF_TIME:
- one account from one client address (SIGN_IN_FAILURES_PER_ACCOUNT_AND_ADDRESS): someone's typos lock only
  their own sign-in from where they are, never their office (which shares one address behind its router);
- one account from any address (SIGN_IN_FAILURES_PER_ACCOUNT): guessing one password from many addresses.
There is no key on the address alone: made-up e-mails from one address lock nobody else out.

Password reset requests are limited per client address and per e-mail asked for, and do the same work whether
the account exists or not: the e-mail is looked up and sent by a background task.
"""

from __future__ import annotations

import hashlib

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.core.cache import cache
from django.db.models import Sum

from rollout.client_address import client_address


def sign_in_username(request, credentials: dict | None) -> str:
    """The account a sign-in attempt is for: the e-mail as typed, trimmed and lower-cased (one account, one key)."""
    source = credentials if credentials is not None else getattr(request, "POST", {})
    return str(source.get(settings.AXES_USERNAME_FORM_FIELD) or "").strip().lower()[:255]


def sign_in_address(request) -> str:
    """The client address axes records and keys on: the trusted-proxy resolution (rollout.client_address)."""
    return client_address(request)


class SignInLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per key: AXES_LOCKOUT_PARAMETERS is [[username, ip_address], username].

    axes compares one number (the largest count over the keys) with one limit (AXES_FAILURE_LIMIT, the per account
    and address limit); the per-account count is scaled to that limit, so each key locks at its own limit.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_account_and_address, per_account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        limit = settings.AXES_FAILURE_LIMIT
        return max(per_account_and_address, per_account * limit // settings.SIGN_IN_FAILURES_PER_ACCOUNT)


class PasswordResetThrottled(Exception):
    """Too many password reset requests from this address or for this e-mail."""


def _over_limit(key: str, limit: int, window_seconds: int) -> bool:
    cache.add(key, 0, timeout=window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        count = 1
    return count > limit


def password_reset_throttle(request, email: str) -> None:
    """Count one reset request against its client address and its e-mail; raise PasswordResetThrottled past
    either limit. The e-mail is counted whether or not an account has it, so the answer tells nothing."""
    window = int(settings.PASSWORD_RESET_THROTTLE_WINDOW.total_seconds())
    address_over = _over_limit(
        f"password-reset:address:{client_address(request)}", settings.PASSWORD_RESET_PER_ADDRESS, window
    )
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()
    account_over = _over_limit(f"password-reset:account:{account}", settings.PASSWORD_RESET_PER_ACCOUNT, window)
    if address_over or account_over:
        raise PasswordResetThrottled
