"""Writes of the platform core: organizations, members, invitations, API tokens, clients.

Each service is one transaction that checks, writes, audits and enqueues follow-up work after commit.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from rollout.audit import audit_created, audit_deleted, audit_record, audit_snapshot
from rollout.choices import TOKEN_ROLES, Role
from rollout.errors import ApplicationError, Conflict, NotFound
from rollout.models import ApiToken, Client, Invitation, Membership, Organization, User
from rollout.signals import member_joined
from rollout.tenancy import Access


def secret_hash(secret: str) -> str:
    """SHA-256 of a high-entropy secret (tokens are random, so a fast hash is the right tool)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class InvitationInvalid(ApplicationError):
    code = "invitation_invalid"
    default_message = "This invitation link is not valid. Ask your administrator for a new one."


class InvitationExpired(ApplicationError):
    code = "invitation_expired"
    default_message = "This invitation has expired. Ask your administrator to send a new one."


class LastAdmin(Conflict):
    code = "last_admin"
    default_message = "An organization needs at least one active admin."


def _check_role_client(*, organization, role: str, client: Client | None) -> None:
    if role == Role.CLIENT and client is None:
        raise ApplicationError("Choose the client this viewer may see.", code="client_required", field="client")
    if role != Role.CLIENT and client is not None:
        raise ApplicationError("Only client viewers are tied to a client.", code="client_not_allowed", field="client")
    if client is not None and client.organization_id != organization.pk:
        raise NotFound()


@transaction.atomic
def organization_create(*, name: str, slug: str, owner: User, timezone_name: str = "America/New_York") -> Organization:
    """Create a tenant and make `owner` its first admin."""
    organization = Organization.objects.create(name=name, slug=slug, timezone=timezone_name)
    membership = Membership.objects.create(organization=organization, user=owner, role=Role.ADMIN)
    audit_record(organization=organization, actor=owner, verb="organization.created", target=organization)
    audit_created(organization, owner, membership, ["role", "client"], verb="membership.created")
    return organization


@transaction.atomic
def client_create(*, organization: Organization, actor: Access, code: str, name: str, **fields) -> Client:
    """Add a client (customer) to the organization; its code is unique within the organization."""
    if Client.objects.for_organization(organization).filter(code=code).exists():
        raise ApplicationError(f"A client with code “{code}” already exists.", code="duplicate_code", field="code")
    client = Client.objects.create(organization=organization, code=code, name=name, **fields)
    audit_created(organization, actor, client, ["code", "name"], verb="client.created")
    return client


@transaction.atomic
def client_update(*, organization: Organization, actor: Access, client_id: int, **changes) -> Client:
    """Change a client's details."""
    client = Client.objects.for_organization(organization).select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound()
    fields = sorted(changes)
    before = audit_snapshot(client, fields)
    if (
        "code" in changes
        and Client.objects.for_organization(organization).filter(code=changes["code"]).exclude(pk=client.pk).exists()
    ):
        raise ApplicationError(
            f"A client with code “{changes['code']}” already exists.", code="duplicate_code", field="code"
        )
    for name, value in changes.items():
        setattr(client, name, value)
    client.save()
    audit_record(
        organization=organization,
        actor=actor,
        verb="client.updated",
        target=client,
        before=before,
        after=audit_snapshot(client, fields),
    )
    return client


@transaction.atomic
def client_delete(*, organization: Organization, actor: Access, client_id: int) -> None:
    """Delete a client that nothing refers to yet (no members, programs or sites)."""
    client = Client.objects.for_organization(organization).select_for_update().filter(pk=client_id).first()
    if client is None:
        raise NotFound()
    audit_deleted(organization, actor, client, ["code", "name"], verb="client.deleted")
    try:
        with transaction.atomic():
            client.delete()
    except ProtectedError as exc:
        raise Conflict(
            "This client still has members, programs or sites; remove those first.", code="client_in_use"
        ) from exc


# --- Members --------------------------------------------------------------------------------------


def _lock_membership(organization, membership_id: int) -> Membership:
    membership = (
        Membership.objects.for_organization(organization)
        .select_for_update()
        .select_related("user")
        .filter(pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound()
    return membership


def _ensure_admin_remains(organization, excluding: Membership) -> None:
    others = Membership.objects.for_organization(organization).active().filter(role=Role.ADMIN).exclude(pk=excluding.pk)
    if not others.exists():
        raise LastAdmin()


@transaction.atomic
def membership_update(
    *, organization: Organization, actor: Access, membership_id: int, role: str, client: Client | None = None
) -> Membership:
    """Change a member's role (and client, for client viewers). The last admin cannot be demoted."""
    membership = _lock_membership(organization, membership_id)
    _check_role_client(organization=organization, role=role, client=client)
    if membership.role == Role.ADMIN and role != Role.ADMIN:
        _ensure_admin_remains(organization, membership)
    before = audit_snapshot(membership, ["role", "client"])
    membership.role, membership.client = role, client
    membership.save(update_fields=["role", "client"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="membership.updated",
        target=membership,
        before=before,
        after=audit_snapshot(membership, ["role", "client"]),
    )
    return membership


@transaction.atomic
def membership_set_active(
    *, organization: Organization, actor: Access, membership_id: int, is_active: bool
) -> Membership:
    """Deactivate (or reactivate) a member: a deactivated member can no longer reach the organization."""
    membership = _lock_membership(organization, membership_id)
    if membership.is_active == is_active:
        return membership
    if not is_active and membership.role == Role.ADMIN:
        _ensure_admin_remains(organization, membership)
    membership.is_active = is_active
    membership.save(update_fields=["is_active"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="membership.reactivated" if is_active else "membership.deactivated",
        target=membership,
        before={"is_active": not is_active},
        after={"is_active": is_active},
    )
    return membership


# --- Invitations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    token: str  # shown once, in the e-mail link; only its hash is stored

    @property
    def accept_path(self) -> str:
        return f"/invitations/{self.token}/"


@transaction.atomic
def invitation_create(
    *, organization: Organization, actor: Access, email: str, role: str, client: Client | None = None
) -> IssuedInvitation:
    """Invite someone by e-mail. Re-inviting the same address replaces its pending invitation."""
    from rollout.tasks import invitation_send_task

    email = email.strip().lower()
    _check_role_client(organization=organization, role=role, client=client)
    if Membership.objects.for_organization(organization).filter(user__email__iexact=email, is_active=True).exists():
        raise ApplicationError(
            f"{email} is already a member of {organization.name}.", code="already_member", field="email"
        )
    now = timezone.now()
    Invitation.objects.for_organization(organization).pending().filter(email__iexact=email).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        client=client,
        token_hash=secret_hash(token),
        invited_by=actor.user,
        expires_at=now + settings.INVITATION_VALID_FOR,
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="invitation.created",
        target=invitation,
        after={"email": email, "role": role, "client": client.pk if client else None},
    )
    invitation_send_task.delay_on_commit(organization_id=organization.pk, invitation_id=invitation.pk, token=token)
    return IssuedInvitation(invitation=invitation, token=token)


@transaction.atomic
def invitation_revoke(*, organization: Organization, actor: Access, invitation_id: int) -> Invitation:
    """Withdraw a pending invitation; its link stops working at once."""
    invitation = Invitation.objects.for_organization(organization).select_for_update().filter(pk=invitation_id).first()
    if invitation is None:
        raise NotFound()
    if invitation.status != Invitation.Status.PENDING:
        raise Conflict(f"This invitation is already {invitation.status}.", code="invitation_not_pending")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(organization=organization, actor=actor, verb="invitation.revoked", target=invitation)
    return invitation


def invitation_get_by_token(token: str) -> Invitation:
    """The pending invitation a link refers to, or a clear error (invalid, expired, used, revoked)."""
    invitation = (
        Invitation.objects.select_related("organization", "client").filter(token_hash=secret_hash(token)).first()
    )
    if invitation is None or invitation.revoked_at or invitation.accepted_at:
        raise InvitationInvalid()
    if invitation.expires_at <= timezone.now():
        raise InvitationExpired()
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User | None = None, full_name: str = "", password: str = "") -> Membership:
    """Accept an invitation: as the signed-in user, or by creating the account with a password."""
    invitation = invitation_get_by_token(token)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationInvalid()
    organization = invitation.organization
    if user is None:
        user = User.objects.filter(email__iexact=invitation.email).first()
        if user is not None:
            raise ApplicationError("An account with this e-mail exists: sign in to accept.", code="sign_in_required")
        candidate = User(email=invitation.email, full_name=full_name)
        try:
            validate_password(password, user=candidate)
        except ValidationError as exc:
            raise ApplicationError(" ".join(exc.messages), code="weak_password", field="password") from exc
        user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name)
    elif user.email.lower() != invitation.email.lower():
        raise ApplicationError(
            f"This invitation is for {invitation.email}; you are signed in as {user.email}.", code="wrong_account"
        )
    membership, created = Membership.objects.get_or_create(
        organization=organization,
        user=user,
        defaults={"role": invitation.role, "client": invitation.client},
    )
    if not created:
        membership.role, membership.client, membership.is_active = invitation.role, invitation.client, True
        membership.save(update_fields=["role", "client", "is_active"])
    invitation.accepted_at, invitation.accepted_by = timezone.now(), user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(organization=organization, actor=user, verb="invitation.accepted", target=invitation)
    transaction.on_commit(lambda: member_joined.send(sender=Membership, membership=membership))
    audit_created(organization, user, membership, ["role", "client"], verb="membership.created")
    return membership


# --- API tokens -----------------------------------------------------------------------------------

TOKEN_PREFIX = "tutti_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    key: str  # the full secret, shown once


@transaction.atomic
def api_token_create(
    *,
    organization: Organization,
    actor: Access | User | None,
    name: str,
    role: str = Role.INTEGRATOR,
    client: Client | None = None,
    expires_at: datetime | None = None,
) -> IssuedToken:
    """Issue an API token bound to one organization and role. The key is returned once and stored hashed."""
    if role not in TOKEN_ROLES:
        raise ApplicationError(
            "API tokens are for systems: choose admin, pm, coordinator, integrator or client.",
            code="role_not_allowed",
            field="role",
        )
    _check_role_client(organization=organization, role=role, client=client)
    return _issue_token(organization, actor, name=name, role=role, client=client, expires_at=expires_at)


@transaction.atomic
def api_token_create_personal(
    *, organization: Organization, actor: Access, name: str, expires_at: datetime | None = None
) -> IssuedToken:
    """A technician's own token, for an app on their phone: it acts as them (their own visits only, their name
    in the audit trail) and stops working when they leave the organization. The key is returned once."""
    if not isinstance(actor, Access) or actor.role != Role.TECHNICIAN or actor.user is None or actor.token:
        raise ApplicationError(
            "Personal tokens are for technicians, signed in as themselves.", code="permission_denied", status=403
        )
    return _issue_token(organization, actor, name=name, role=Role.TECHNICIAN, user=actor.user, expires_at=expires_at)


def _issue_token(organization, actor, *, expires_at: datetime | None, **fields) -> IssuedToken:
    if expires_at is not None and expires_at <= timezone.now():
        raise ApplicationError("The expiry must be in the future.", code="expiry_in_past", field="expires_at")
    creator = actor.user if isinstance(actor, Access) else actor
    for _attempt in range(3):
        prefix = secrets.token_hex(4)
        key = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    organization=organization,
                    prefix=prefix,
                    key_hash=secret_hash(key),
                    created_by=creator,
                    expires_at=expires_at,
                    **fields,
                )
            break
        except IntegrityError:  # a prefix collision: draw again
            continue
    else:  # pragma: no cover - 2**32 prefixes make three collisions in a row practically impossible
        raise Conflict("Could not issue a token; try again.")
    audit_created(
        organization, actor, token, ["name", "role", "client", "user", "expires_at"], verb="api_token.created"
    )
    return IssuedToken(token=token, key=key)


@transaction.atomic
def api_token_revoke(*, organization: Organization, actor: Access, token_id: int) -> ApiToken:
    """Revoke a token: requests with it fail from now on. Revoking twice is harmless."""
    tokens = ApiToken.objects.for_organization(organization)
    if isinstance(actor, Access) and actor.role == Role.TECHNICIAN:
        tokens = tokens.filter(user=actor.user)  # a technician revokes only their own
    token = tokens.select_for_update().filter(pk=token_id).first()
    if token is None:
        raise NotFound()
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(organization=organization, actor=actor, verb="api_token.revoked", target=token)
    return token
