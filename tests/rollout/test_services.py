"""Core services: invitations, memberships, audit trail."""

from datetime import timedelta

import pytest
from django.utils import timezone

from rollout.choices import Role
from rollout.errors import ApplicationError, Conflict
from rollout.models import AuditEvent, Invitation, Membership, User
from rollout.services import (
    InvitationExpired,
    InvitationInvalid,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    membership_set_active,
    membership_update,
)
from rollout.tenancy import Access


def admin_access(tenant) -> Access:
    admin = tenant.members[Role.ADMIN]
    return Access(organization=tenant.organization, role=Role.ADMIN, user=admin.user, membership=admin)


def test_invitation_is_emailed_after_commit_and_accepted_with_a_new_account(
    tenant, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        issued = invitation_create(
            organization=tenant.organization,
            actor=admin_access(tenant),
            email="New.Tech@Example.com",
            role=Role.TECHNICIAN,
        )
    # then the e-mail went out only through the on-commit callback, with the one-time link
    assert len(callbacks) == 1
    assert mailoutbox[0].to == ["new.tech@example.com"]
    assert issued.accept_path in mailoutbox[0].body
    assert issued.token not in Invitation.objects.get().token_hash
    # when the invitee accepts and sets a password
    membership = invitation_accept(token=issued.token, full_name="New Tech", password="a-long-passphrase-42")
    # then
    assert membership.role == Role.TECHNICIAN
    assert User.objects.get(email="new.tech@example.com").check_password("a-long-passphrase-42")
    assert set(AuditEvent.objects.filter(organization=tenant.organization).values_list("verb", flat=True)) >= {
        "invitation.created",
        "invitation.accepted",
        "membership.created",
    }
    # and the link does not work twice
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=issued.token, full_name="Again", password="a-long-passphrase-42")


def test_an_existing_user_joins_a_second_organization(tenant, other_tenant):
    # given a technician of the other organization
    tech = other_tenant.members[Role.TECHNICIAN].user
    issued = invitation_create(
        organization=tenant.organization,
        actor=admin_access(tenant),
        email="someone-new@example.com",
        role=Role.TECHNICIAN,
    )
    Invitation.objects.filter(pk=issued.invitation.pk).update(email=tech.email)
    # when they accept while signed in
    invitation_accept(token=issued.token, user=tech)
    # then they belong to both
    assert set(Membership.objects.filter(user=tech).values_list("organization__slug", flat=True)) == {
        tenant.organization.slug,
        other_tenant.organization.slug,
    }


def test_expired_revoked_and_wrong_account_invitations_are_refused(tenant):
    access = admin_access(tenant)
    expired = invitation_create(organization=tenant.organization, actor=access, email="a@x.example", role=Role.PM)
    Invitation.objects.filter(pk=expired.invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvitationExpired):
        invitation_accept(token=expired.token, full_name="A", password="a-long-passphrase-42")

    revoked = invitation_create(organization=tenant.organization, actor=access, email="b@x.example", role=Role.PM)
    invitation_revoke(organization=tenant.organization, actor=access, invitation_id=revoked.invitation.pk)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=revoked.token, full_name="B", password="a-long-passphrase-42")

    other = invitation_create(organization=tenant.organization, actor=access, email="c@x.example", role=Role.PM)
    with pytest.raises(ApplicationError) as wrong:
        invitation_accept(token=other.token, user=tenant.members[Role.PM].user)
    assert wrong.value.code == "wrong_account"


def test_weak_password_is_refused_and_creates_nothing(tenant):
    issued = invitation_create(
        organization=tenant.organization, actor=admin_access(tenant), email="w@x.example", role=Role.PM
    )
    with pytest.raises(ApplicationError) as error:
        invitation_accept(token=issued.token, full_name="W", password="123")
    assert error.value.code == "weak_password"
    assert not User.objects.filter(email="w@x.example").exists()


def test_reinviting_replaces_the_pending_invitation(tenant):
    access = admin_access(tenant)
    first = invitation_create(organization=tenant.organization, actor=access, email="r@x.example", role=Role.PM)
    invitation_create(organization=tenant.organization, actor=access, email="r@x.example", role=Role.COORDINATOR)
    assert Invitation.objects.get(pk=first.invitation.pk).status == Invitation.Status.REVOKED
    assert Invitation.objects.for_organization(tenant.organization).pending().get().role == Role.COORDINATOR


def test_members_cannot_be_invited_twice(tenant):
    with pytest.raises(ApplicationError) as error:
        invitation_create(
            organization=tenant.organization,
            actor=admin_access(tenant),
            email=tenant.members[Role.PM].user.email,
            role=Role.PM,
        )
    assert error.value.code == "already_member"


def test_client_role_requires_a_client_of_the_same_organization(tenant, other_tenant):
    access = admin_access(tenant)
    with pytest.raises(ApplicationError) as error:
        invitation_create(organization=tenant.organization, actor=access, email="c@x.example", role=Role.CLIENT)
    assert error.value.code == "client_required"
    with pytest.raises(ApplicationError) as error:
        invitation_create(
            organization=tenant.organization,
            actor=access,
            email="c@x.example",
            role=Role.CLIENT,
            client=other_tenant.client,
        )
    assert error.value.code == "not_found"


def test_the_last_admin_cannot_be_demoted_or_deactivated(tenant):
    access = admin_access(tenant)
    admin = tenant.members[Role.ADMIN]
    with pytest.raises(Conflict):
        membership_update(organization=tenant.organization, actor=access, membership_id=admin.pk, role=Role.PM)
    with pytest.raises(Conflict):
        membership_set_active(organization=tenant.organization, actor=access, membership_id=admin.pk, is_active=False)
    # with a second admin, it works, and the change is audited with before/after
    membership_update(
        organization=tenant.organization, actor=access, membership_id=tenant.members[Role.PM].pk, role=Role.ADMIN
    )
    membership_update(organization=tenant.organization, actor=access, membership_id=admin.pk, role=Role.PM)
    event = AuditEvent.objects.filter(verb="membership.updated", target_id=str(admin.pk)).get()
    assert (event.before["role"], event.after["role"]) == ("admin", "pm")
    assert event.actor_user == admin.user


def test_a_deactivated_member_loses_access(tenant):
    access = admin_access(tenant)
    pm = tenant.members[Role.PM]
    api = tenant.api(Role.PM)
    membership_set_active(organization=tenant.organization, actor=access, membership_id=pm.pk, is_active=False)
    assert api.get("/api/v1/me/").status_code == 404
