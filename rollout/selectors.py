"""Reads of the platform core, including turning a credential into an `Access`."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.utils import timezone

from rollout.choices import Role
from rollout.models import ApiToken, Membership, Organization, User
from rollout.services import TOKEN_PREFIX, secret_hash
from rollout.tenancy import Access


def organization_users(organization, *, roles=None):
    """The people of one organization (active members, of `roles` when given), by e-mail. Users are not tenant rows:
    this is the one scoped way to list them, through the organization's memberships."""
    members = Membership.objects.for_organization(organization).active()
    if roles is not None:
        members = members.filter(role__in=roles)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("email")


def memberships_for_user(user: User):
    """The active memberships of a user, with their organizations, for the switcher and home redirect."""
    return (
        Membership.objects.active()
        .filter(user=user)
        .select_related("organization", "client")
        .order_by("organization__name")
    )


def access_for_user(
    *, user: User, organization_slug: str | None = None, organization_id: int | None = None
) -> Access | None:
    """The user's access to one organization, or None when they are not an active member of it."""
    if not user.is_authenticated:
        return None
    query = Membership.objects.active().filter(user=user).select_related("organization")
    if organization_slug is not None:
        query = query.filter(organization__slug=organization_slug)
    elif organization_id is not None:
        query = query.filter(organization_id=organization_id)
    else:
        return None
    membership = query.first()
    if membership is None:
        return None
    return Access(
        organization=membership.organization,
        role=Role(membership.role),
        user=user,
        membership=membership,
        client_id=membership.client_id,
    )


# Writing last_used_at on every request would turn each read into a write; once a minute is enough.
LAST_USED_PRECISION = timedelta(minutes=1)


def access_for_api_key(key: str) -> tuple[Access | None, str]:
    """Resolve a raw API key into an Access; on failure, the reason code (invalid, expired, revoked)."""
    if not key.startswith(TOKEN_PREFIX) or key.count("_") < 2:
        return None, "token_invalid"
    prefix = key[len(TOKEN_PREFIX) :].split("_", 1)[0]
    token = ApiToken.objects.select_related("organization", "user").filter(prefix=prefix).first()
    if token is None or not _constant_time_equal(token.key_hash, secret_hash(key)):
        return None, "token_invalid"
    if token.revoked_at is not None:
        return None, "token_revoked"
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None, "token_expired"
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    membership = None
    if token.user_id is not None:
        # A personal token acts as its member, while they are one with the same role.
        membership = (
            Membership.objects.filter(
                organization=token.organization, user=token.user, role=token.role, is_active=True, user__is_active=True
            )
            .select_related("user")
            .first()
        )
        if membership is None:
            return None, "token_revoked"
    access = Access(
        organization=token.organization,
        role=Role(token.role),
        user=token.user,
        membership=membership,
        token=token,
        client_id=token.client_id,
    )
    return access, ""


def _constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def organization_get_by_slug(slug: str) -> Organization | None:
    return Organization.objects.filter(slug=slug).first()
