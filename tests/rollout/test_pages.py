"""Browser pages of the core: role matrix, cross-organization 404s, flows, and query budgets."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from rollout import services
from rollout.choices import Role
from rollout.models import ApiToken, AuditEvent, Invitation, Membership, User
from rollout.services import secret_hash
from rollout.tenancy import Access
from tests.factories import (
    DEFAULT_PASSWORD,
    ClientFactory,
    MembershipFactory,
    OrganizationFactory,
    UserFactory,
    issue_token,
)
from tests.programs.factories import ProgramFactory

ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})


def admin_of(tenant) -> Access:
    membership = tenant.members[Role.ADMIN]
    return Access(organization=tenant.organization, role=Role.ADMIN, user=membership.user, membership=membership)


def invite(tenant, email="newcomer@example.com", role=Role.PM, client=None):
    return services.invitation_create(
        organization=tenant.organization, actor=admin_of(tenant), email=email, role=role, client=client
    )


def objects_of(tenant) -> dict:
    """One object of each kind the pages address by id, all in `tenant`'s organization."""
    token = ApiToken.objects.get(key_hash=secret_hash(issue_token(tenant.organization)))
    return {
        "member": tenant.members[Role.TECHNICIAN].pk,
        "invitation": invite(tenant).invitation.pk,
        "token": token.pk,
    }


# (url name, which object id it takes, roles that may open it)
PAGES = [
    ("core:org-home", None, ALL),
    ("core:profile", None, ALL),
    ("field:upcoming", None, frozenset({Role.TECHNICIAN})),
    ("core:members", None, frozenset({Role.ADMIN, Role.PM, Role.COORDINATOR})),
    ("core:member-invite", None, ADMIN),
    ("core:member-edit", "member", ADMIN),
    ("core:member-status", "member", ADMIN),
    ("core:invitation-revoke", "invitation", ADMIN),
    ("core:api-tokens", None, ADMIN),
    ("core:api-token-create", None, ADMIN),
    ("core:api-token-revoke", "token", ADMIN),
    ("core:personal-token-create", None, frozenset({Role.TECHNICIAN})),
    ("core:audit-log", None, frozenset({Role.ADMIN, Role.PM})),
]
PAGE_IDS = [name for name, _, _ in PAGES]
BY_ID = [(name, kind) for name, kind, _ in PAGES if kind]


def page_url(organization, name, kind, objects) -> str:
    kwargs = {"org": organization.slug}
    if kind:
        kwargs["pk"] = objects[kind]
    return reverse(name, kwargs=kwargs)


# --- Role matrix and tenancy ------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind", "allowed"), PAGES, ids=PAGE_IDS)
def test_anonymous_visitors_are_sent_to_sign_in(client, tenant, name, kind, allowed):
    # given a page of an organization
    url = page_url(tenant.organization, name, kind, objects_of(tenant))
    # when an anonymous visitor opens it
    response = client.get(url)
    # then they are asked to sign in, and come back afterwards
    assert response.status_code == 302
    assert response.url == f"{reverse('core:login')}?next={url}"


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize(("name", "kind", "allowed"), PAGES, ids=PAGE_IDS)
def test_role_matrix(client, tenant, name, kind, allowed, role):
    # given a member with `role`
    url = page_url(tenant.organization, name, kind, objects_of(tenant))
    client.force_login(tenant.members[role].user)
    # when they open the page
    response = client.get(url)
    # then it opens for the roles it declares, and is refused to the others (a technician may revoke only their
    # own app tokens: a system's token does not exist for them)
    refused = 404 if (name, role) == ("core:api-token-revoke", Role.TECHNICIAN) else 403
    assert response.status_code == (200 if role in allowed else refused), response.content[:500]


@pytest.mark.parametrize(("name", "kind", "allowed"), PAGES, ids=PAGE_IDS)
def test_a_member_of_another_organization_gets_404(client, tenant, other_tenant, name, kind, allowed):
    # given the admin of another organization
    url = page_url(tenant.organization, name, kind, objects_of(tenant))
    client.force_login(other_tenant.members[Role.ADMIN].user)
    # when they open a page of this organization
    response = client.get(url)
    # then it does not exist for them
    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "kind"), BY_ID, ids=[name for name, _ in BY_ID])
def test_another_organizations_ids_are_404_under_your_own(client, tenant, other_tenant, name, kind, method):
    # given an admin, and the other organization's member, invitation and token
    foreign = objects_of(other_tenant)
    before = {
        "members": list(Membership.objects.order_by("pk").values_list("pk", "role", "is_active")),
        "invitations": list(Invitation.objects.order_by("pk").values_list("pk", "revoked_at")),
        "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    }
    client.force_login(tenant.members[Role.ADMIN].user)
    # when the admin addresses a foreign id under their own organization
    url = reverse(name, kwargs={"org": tenant.organization.slug, "pk": foreign[kind]})
    response = getattr(client, method)(url, {"role": Role.ADMIN, "is_active": "false"})
    # then it is a 404, like a missing id, and nothing changed
    assert response.status_code == 404
    assert before == {
        "members": list(Membership.objects.order_by("pk").values_list("pk", "role", "is_active")),
        "invitations": list(Invitation.objects.order_by("pk").values_list("pk", "revoked_at")),
        "tokens": list(ApiToken.objects.order_by("pk").values_list("pk", "revoked_at")),
    }


@pytest.mark.parametrize(("name", "kind"), BY_ID, ids=[name for name, _ in BY_ID])
def test_a_missing_id_is_404(client, tenant, name, kind):
    client.force_login(tenant.members[Role.ADMIN].user)
    response = client.get(reverse(name, kwargs={"org": tenant.organization.slug, "pk": 987654}))
    assert response.status_code == 404


def test_lists_never_show_another_organizations_rows(client, tenant, other_tenant):
    # given rows in both organizations
    objects_of(other_tenant)
    invite(other_tenant, email="foreign-invitee@example.com")
    client.force_login(tenant.members[Role.ADMIN].user)
    org = tenant.organization.slug
    # when the admin reads their lists
    members = client.get(reverse("core:members", kwargs={"org": org})).content.decode()
    tokens = client.get(reverse("core:api-tokens", kwargs={"org": org})).content.decode()
    audit = client.get(reverse("core:audit-log", kwargs={"org": org})).content.decode()
    # then none of the other organization's rows appear
    for role in Role:
        assert f"{role}@globex-field.example.com" not in members
    assert "foreign-invitee@example.com" not in members
    other_token = ApiToken.objects.for_organization(other_tenant.organization).first()
    assert other_token.prefix not in tokens
    assert "foreign-invitee@example.com" not in audit


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.CLIENT, Role.PM, Role.COORDINATOR])
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("core:member-invite", None),
        ("core:member-edit", "member"),
        ("core:member-status", "member"),
        ("core:invitation-revoke", "invitation"),
        ("core:api-token-create", None),
        ("core:api-token-revoke", "token"),
    ],
)
def test_only_admins_may_write(client, tenant, name, kind, role):
    # given a member who is not an admin
    url = page_url(tenant.organization, name, kind, objects_of(tenant))
    client.force_login(tenant.members[role].user)
    events = AuditEvent.objects.count()
    # when they post to an admin page
    response = client.post(url, {"email": "x@example.com", "role": Role.ADMIN, "name": "x", "is_active": "false"})
    # then it is refused (a system's token does not exist for a technician) and nothing is recorded
    assert response.status_code == (404 if (name, role) == ("core:api-token-revoke", Role.TECHNICIAN) else 403)
    assert AuditEvent.objects.count() == events


# --- Shells and homes -------------------------------------------------------------------------


def test_home_redirect_sends_anonymous_visitors_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("core:login")


def test_home_redirect_with_one_organization_goes_to_its_home(client, tenant):
    client.force_login(tenant.members[Role.PM].user)
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == f"/o/{tenant.organization.slug}/"


def test_home_redirect_with_several_organizations_offers_a_picker(client, tenant, other_tenant):
    # given a user in both organizations
    user = tenant.members[Role.ADMIN].user
    MembershipFactory(organization=other_tenant.organization, user=user, role=Role.TECHNICIAN)
    client.force_login(user)
    # when they open /
    response = client.get("/")
    # then they choose
    assert response.status_code == 200
    content = response.content.decode()
    assert "Choose an organization" in content
    assert f'href="/o/{tenant.organization.slug}/"' in content
    assert f'href="/o/{other_tenant.organization.slug}/"' in content


def test_home_redirect_without_organization_explains(client, db):
    client.force_login(UserFactory(email="lonely@example.com"))
    response = client.get("/")
    assert response.status_code == 200
    assert "You are not a member of any organization yet" in response.content.decode()


def test_a_deactivated_member_cannot_open_the_organization(client, tenant):
    membership = tenant.members[Role.PM]
    membership.is_active = False
    membership.save()
    client.force_login(membership.user)
    assert client.get(f"/o/{tenant.organization.slug}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "marker"),
    [
        (Role.ADMIN, "staff-sidebar"),
        (Role.PM, "staff-sidebar"),
        (Role.COORDINATOR, "staff-sidebar"),
        (Role.INTEGRATOR, "staff-sidebar"),
        (Role.TECHNICIAN, "phone-tabbar"),
        (Role.CLIENT, "portal-navbar"),
    ],
)
def test_each_role_lands_in_its_shell(client, tenant, role, marker):
    client.force_login(tenant.members[role].user)
    response = client.get(f"/o/{tenant.organization.slug}/")
    assert response.status_code == 200
    assert marker in response.content.decode()


def test_the_technician_home_says_there_are_no_visits(client, tenant):
    client.force_login(tenant.members[Role.TECHNICIAN].user)
    content = client.get(f"/o/{tenant.organization.slug}/").content.decode()
    assert "No visits today" in content
    assert reverse("field:upcoming", kwargs={"org": tenant.organization.slug}) in content


def test_the_client_portal_names_the_client_and_is_read_only(client, tenant):
    client.force_login(tenant.members[Role.CLIENT].user)
    content = client.get(f"/o/{tenant.organization.slug}/").content.decode()
    assert f"No programs for {tenant.client.name} yet" in content
    assert "Read-only" in content
    assert "/members/" not in content


def test_the_switcher_lists_the_users_organizations(client, tenant, other_tenant):
    # given a user in both organizations
    user = tenant.members[Role.ADMIN].user
    MembershipFactory(organization=other_tenant.organization, user=user, role=Role.TECHNICIAN)
    client.force_login(user)
    # when they open one organization
    content = client.get(f"/o/{tenant.organization.slug}/").content.decode()
    # then the switcher links to the other one's home
    assert "Switch organization" in content
    assert f'href="/o/{other_tenant.organization.slug}/"' in content
    # and following it lands on their technician home there
    response = client.get(f"/o/{other_tenant.organization.slug}/")
    assert "No visits today" in response.content.decode()


def test_the_sidebar_shows_admin_items_only_to_the_roles_that_may_open_them(client, tenant):
    org = tenant.organization.slug
    client.force_login(tenant.members[Role.COORDINATOR].user)
    content = client.get(f"/o/{org}/").content.decode()
    assert f"/o/{org}/members/" in content
    assert f"/o/{org}/api-tokens/" not in content
    assert f"/o/{org}/audit/" not in content


def test_the_403_page_is_friendly(client, tenant):
    client.force_login(tenant.members[Role.TECHNICIAN].user)
    response = client.get(f"/o/{tenant.organization.slug}/members/")
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


# --- Sign-in, lockout and password reset ---------------------------------------------------------


def test_the_login_page_asks_for_an_email(client, db):
    response = client.get(reverse("core:login"))
    content = response.content.decode()
    assert response.status_code == 200
    assert '<label class="form-label" for="id_username">E-mail' in content
    assert 'name="username"' in content


def test_signing_in_lands_on_the_role_home(client, tenant):
    response = client.post(
        reverse("core:login"), {"username": "pm@acme-rollouts.example.com", "password": DEFAULT_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/o/{tenant.organization.slug}/"


def test_a_wrong_password_is_explained_next_to_the_form(client, tenant):
    response = client.post(reverse("core:login"), {"username": "pm@acme-rollouts.example.com", "password": "nope"})
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()


def test_five_failed_sign_ins_lock_the_account(client, tenant):
    # given five failed attempts on one account
    email = "pm@acme-rollouts.example.com"
    for _ in range(5):
        client.post(reverse("core:login"), {"username": email, "password": "wrong-password"})
    # when the right password is tried
    response = client.post(reverse("core:login"), {"username": email, "password": DEFAULT_PASSWORD})
    # then the locked page explains the 15 minutes and offers a password reset
    content = response.content.decode()
    assert response.status_code == 429
    assert "Too many failed sign-ins" in content
    assert "15 minutes" in content
    assert reverse("core:password_reset") in content
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    # given a member who forgot their password
    email = "coordinator@acme-rollouts.example.com"
    # when they ask for a reset (the e-mail is sent by a background task)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:password_reset"), {"email": email})
    # then an e-mail with a link is sent
    assert response.status_code == 302
    assert response.url == reverse("core:password_reset_done")
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [email]
    assert message.subject == "Reset your Tutti password"
    link = next(line for line in message.body.splitlines() if "/password-reset/" in line).strip()
    path = link.split("testserver", 1)[1]
    # and following it sets a new password
    form_page = client.get(path, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-much-better-passphrase", "new_password2": "a-much-better-passphrase"},
        follow=True,
    )
    assert "Your password is changed" in done.content.decode()
    assert User.objects.get(email=email).check_password("a-much-better-passphrase")


def test_password_reset_for_an_unknown_address_looks_the_same(
    client, db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("core:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mailoutbox == []


# --- Invitations ---------------------------------------------------------------------------------


def test_an_invitation_creates_the_account_signs_in_and_lands_on_the_role_home(
    client, tenant, mailoutbox, django_capture_on_commit_callbacks
):
    # given an invitation e-mailed to a newcomer
    with django_capture_on_commit_callbacks(execute=True):
        issued = invite(tenant, email="newcomer@example.com", role=Role.COORDINATOR)
    assert issued.accept_path in mailoutbox[0].body
    page = client.get(issued.accept_path)
    assert page.status_code == 200
    assert "Field coordinator" in page.content.decode() or "field coordinator" in page.content.decode()
    assert tenant.organization.name in page.content.decode()
    # when they create their account
    response = client.post(
        issued.accept_path,
        {"full_name": "New Comer", "password": "tuning-fork-4-strings", "password_confirm": "tuning-fork-4-strings"},
    )
    # then they are signed in on their role's home
    assert response.status_code == 302
    assert response.url == f"/o/{tenant.organization.slug}/"
    membership = Membership.objects.get(user__email="newcomer@example.com")
    assert (membership.organization, membership.role) == (tenant.organization, Role.COORDINATOR)
    assert client.get(response.url).status_code == 200


def test_invitation_signup_errors_are_shown_next_to_the_fields(client, tenant):
    issued = invite(tenant)
    response = client.post(issued.accept_path, {"full_name": "New Comer", "password": "123", "password_confirm": "456"})
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password_confirm_error"' in content
    assert "The two passwords do not match." in content
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_a_weak_password_is_refused_by_the_service_next_to_the_field(client, tenant):
    issued = invite(tenant)
    response = client.post(
        issued.accept_path, {"full_name": "New Comer", "password": "12345678901", "password_confirm": "12345678901"}
    )
    assert 'id="id_password_error"' in response.content.decode()
    assert not User.objects.filter(email="newcomer@example.com").exists()


def test_an_existing_account_signed_in_accepts_with_one_click(client, tenant, other_tenant):
    # given a member of another organization, invited here and signed in
    user = other_tenant.members[Role.TECHNICIAN].user
    issued = invite(tenant, email=user.email, role=Role.TECHNICIAN)
    client.force_login(user)
    assert "Accept invitation" in client.get(issued.accept_path).content.decode()
    # when they accept
    response = client.post(issued.accept_path)
    # then they land on their new organization's home
    assert response.url == f"/o/{tenant.organization.slug}/"
    assert Membership.objects.filter(organization=tenant.organization, user=user, role=Role.TECHNICIAN).exists()


def test_an_existing_account_not_signed_in_is_asked_to_sign_in(client, tenant, other_tenant):
    user = other_tenant.members[Role.PM].user
    issued = invite(tenant, email=user.email)
    content = client.get(issued.accept_path).content.decode()
    assert "Sign in to accept" in content
    assert f"/login/?next=%2Finvitations%2F{issued.token}%2F" in content
    assert client.post(issued.accept_path).status_code == 400


def test_someone_else_signed_in_is_told_whose_invitation_it_is(client, tenant):
    issued = invite(tenant, email="someone@example.com")
    client.force_login(tenant.members[Role.PM].user)
    content = client.get(issued.accept_path).content.decode()
    assert "This invitation is for <strong>someone@example.com</strong>" in content
    assert client.post(issued.accept_path).status_code == 400
    assert not Invitation.objects.get(pk=issued.invitation.pk).accepted_at


def test_an_expired_invitation_is_410(client, tenant):
    issued = invite(tenant)
    Invitation.objects.filter(pk=issued.invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(issued.accept_path)
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()


def test_a_revoked_invitation_is_404(client, tenant):
    issued = invite(tenant)
    services.invitation_revoke(
        organization=tenant.organization, actor=admin_of(tenant), invitation_id=issued.invitation.pk
    )
    response = client.get(issued.accept_path)
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_a_used_invitation_is_404(client, tenant):
    issued = invite(tenant)
    services.invitation_accept(token=issued.token, full_name="A", password="tuning-fork-4-strings")
    assert client.get(issued.accept_path).status_code == 404
    assert client.post(issued.accept_path).status_code == 404


def test_an_unknown_invitation_token_is_404(client, db):
    assert client.get("/invitations/not-a-real-token/").status_code == 404


# --- Members ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, tenant):
    client.force_login(tenant.members[Role.ADMIN].user)
    return client


def test_inviting_a_member_sends_the_invitation(admin_client, tenant, mailoutbox, django_capture_on_commit_callbacks):
    # when the admin invites a PM
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/o/{tenant.organization.slug}/members/invite/", {"email": "Newcomer@Example.com", "role": Role.PM}
        )
    # then the invitation exists, is e-mailed, and is listed as pending
    assert response.status_code == 302
    invitation = Invitation.objects.get(organization=tenant.organization, email="newcomer@example.com")
    assert invitation.role == Role.PM
    assert mailoutbox[0].to == ["newcomer@example.com"]
    listing = admin_client.get(response.url).content.decode()
    assert "newcomer@example.com" in listing
    assert "Invitation sent to newcomer@example.com" in listing


def test_inviting_a_client_viewer_needs_a_client(admin_client, tenant):
    response = admin_client.post(
        f"/o/{tenant.organization.slug}/members/invite/", {"email": "viewer@example.com", "role": Role.CLIENT}
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_client_error"' in content
    assert "Choose the client this viewer may see." in content


def test_the_client_choices_are_the_organizations_own(admin_client, tenant, other_tenant):
    # the form offers only this organization's clients
    content = admin_client.get(f"/o/{tenant.organization.slug}/members/invite/").content.decode()
    assert tenant.client.name in content
    assert other_tenant.client.name not in content
    # and a foreign client id is refused as an invalid choice
    response = admin_client.post(
        f"/o/{tenant.organization.slug}/members/invite/",
        {"email": "viewer@example.com", "role": Role.CLIENT, "client": other_tenant.client.pk},
    )
    assert response.status_code == 200
    assert 'id="id_client_error"' in response.content.decode()
    assert not Invitation.objects.filter(email="viewer@example.com").exists()


def test_inviting_an_existing_member_is_refused_next_to_the_email(admin_client, tenant):
    response = admin_client.post(
        f"/o/{tenant.organization.slug}/members/invite/",
        {"email": "pm@acme-rollouts.example.com", "role": Role.PM},
    )
    content = response.content.decode()
    assert 'id="id_email_error"' in content
    assert "is already a member" in content


def test_changing_a_members_role(admin_client, tenant):
    membership = tenant.members[Role.TECHNICIAN]
    response = admin_client.post(f"/o/{tenant.organization.slug}/members/{membership.pk}/", {"role": Role.COORDINATOR})
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.role == Role.COORDINATOR
    assert AuditEvent.objects.filter(verb="membership.updated", target_id=str(membership.pk)).exists()


def test_the_last_admin_cannot_step_down(admin_client, tenant):
    membership = tenant.members[Role.ADMIN]
    response = admin_client.post(f"/o/{tenant.organization.slug}/members/{membership.pk}/", {"role": Role.PM})
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_role_error"' in content
    assert "at least one active admin" in content
    membership.refresh_from_db()
    assert membership.role == Role.ADMIN


def test_deactivating_and_reactivating_a_member_asks_first(admin_client, tenant):
    membership = tenant.members[Role.PM]
    url = f"/o/{tenant.organization.slug}/members/{membership.pk}/status/"
    # the GET only asks
    confirm = admin_client.get(url).content.decode()
    assert "Deactivate" in confirm and 'name="is_active" value="false"' in confirm
    membership.refresh_from_db()
    assert membership.is_active
    # the POST deactivates
    assert admin_client.post(url, {"is_active": "false"}).status_code == 302
    membership.refresh_from_db()
    assert not membership.is_active
    # and reactivation works the same way
    assert 'name="is_active" value="true"' in admin_client.get(url).content.decode()
    admin_client.post(url, {"is_active": "true"})
    membership.refresh_from_db()
    assert membership.is_active


def test_revoking_an_invitation_asks_first(admin_client, tenant):
    issued = invite(tenant)
    url = f"/o/{tenant.organization.slug}/invitations/{issued.invitation.pk}/revoke/"
    assert "Revoke the invitation for newcomer@example.com?" in admin_client.get(url).content.decode()
    assert Invitation.objects.get(pk=issued.invitation.pk).revoked_at is None
    response = admin_client.post(url)
    assert response.status_code == 302
    assert Invitation.objects.get(pk=issued.invitation.pk).revoked_at is not None
    # revoking twice explains instead of failing
    again = admin_client.post(url, follow=True)
    assert "already revoked" in again.content.decode()


def test_the_member_list_filters_with_the_api_filterset(admin_client, tenant):
    url = f"/o/{tenant.organization.slug}/members/"
    content = admin_client.get(url, {"role": Role.TECHNICIAN}).content.decode()
    assert "technician@acme-rollouts.example.com" in content
    assert "pm@acme-rollouts.example.com" not in content
    content = admin_client.get(url, {"email": "no-such-person"}).content.decode()
    assert "No members match these filters" in content


def test_the_member_list_sorts(admin_client, tenant):
    content = admin_client.get(f"/o/{tenant.organization.slug}/members/", {"sort": "-email"}).content.decode()
    rows = content.split("<tbody", 1)[1]
    assert rows.index("technician@acme-rollouts") < rows.index("pm@acme-rollouts") < rows.index("admin@acme-rollouts")


def test_an_invalid_filter_value_is_explained_not_a_crash(admin_client, tenant):
    response = admin_client.get(f"/o/{tenant.organization.slug}/members/", {"role": "conductor"})
    assert response.status_code == 200
    assert "No members match these filters" in response.content.decode()


# --- API tokens --------------------------------------------------------------------------------------


def test_creating_a_token_shows_the_key_once(admin_client, tenant):
    # when the admin creates a token
    response = admin_client.post(
        f"/o/{tenant.organization.slug}/api-tokens/new/", {"name": "ServiceNow sync", "role": Role.INTEGRATOR}
    )
    # then the full key is on the result page, not cached, and stored only as a hash
    content = response.content.decode()
    assert response.status_code == 200
    assert "Copy this key now." in content
    token = ApiToken.objects.get(organization=tenant.organization, name="ServiceNow sync")
    key = content.split('id="token-key" value="', 1)[1].split('"', 1)[0]
    assert key.startswith(f"tutti_{token.prefix}_")
    assert token.key_hash == secret_hash(key)
    assert "no-store" in response["Cache-Control"]
    # and the list shows only its prefix
    listing = admin_client.get(f"/o/{tenant.organization.slug}/api-tokens/").content.decode()
    assert "ServiceNow sync" in listing
    assert key not in listing


def test_a_client_token_needs_a_client_and_an_expiry_in_the_future(admin_client, tenant):
    url = f"/o/{tenant.organization.slug}/api-tokens/new/"
    response = admin_client.post(url, {"name": "Portal feed", "role": Role.CLIENT})
    assert 'id="id_client_error"' in response.content.decode()
    response = admin_client.post(
        url, {"name": "Old", "role": Role.INTEGRATOR, "expires_at": (timezone.now() - timedelta(days=2)).date()}
    )
    assert 'id="id_expires_at_error"' in response.content.decode()
    assert not ApiToken.objects.filter(organization=tenant.organization).exists()


def test_a_token_with_an_expiry_date_expires_at_the_end_of_that_day(admin_client, tenant):
    day = (timezone.now() + timedelta(days=30)).date()
    admin_client.post(
        f"/o/{tenant.organization.slug}/api-tokens/new/",
        {"name": "Monthly", "role": Role.PM, "expires_at": day.isoformat()},
    )
    token = ApiToken.objects.get(name="Monthly")
    assert token.role == Role.PM
    assert token.expires_at.date() in (day, day + timedelta(days=1))  # the organization's day, stored in UTC


def test_revoking_a_token_asks_first(admin_client, tenant):
    key = issue_token(tenant.organization)
    token = ApiToken.objects.get(key_hash=secret_hash(key))
    url = f"/o/{tenant.organization.slug}/api-tokens/{token.pk}/revoke/"
    assert "Every request made with this key fails" in admin_client.get(url).content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    assert admin_client.post(url).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in admin_client.get(f"/o/{tenant.organization.slug}/api-tokens/").content.decode()


# --- Audit log ------------------------------------------------------------------------------------


def test_the_audit_log_is_newest_first_and_filters_by_verb(admin_client, tenant):
    invite(tenant, email="first@example.com")
    key = issue_token(tenant.organization)
    token = ApiToken.objects.get(key_hash=secret_hash(key))
    services.api_token_revoke(organization=tenant.organization, actor=admin_of(tenant), token_id=token.pk)
    url = f"/o/{tenant.organization.slug}/audit/"

    def events(query=None) -> str:
        """The table of events (the filter bar above it lists every action as a choice)."""
        return admin_client.get(url, query or {}).content.decode().split('id="audit-table"')[1]

    content = events()
    # each event reads as a sentence, newest first, with no event code
    assert content.index("revoked API token") < content.index("created invitation")
    assert "api_token.revoked" not in content
    filtered = events({"verb": "invitation.created"})
    assert "first@example.com" in filtered
    assert "revoked API token" not in filtered
    by_type = events({"target_type": "rollout.apitoken"})
    assert "revoked API token" in by_type
    assert "created invitation" not in by_type
    by_actor = events({"actor": admin_of(tenant).user.pk})
    assert "revoked API token" in by_actor


def test_the_audit_log_hides_no_op_changes_links_its_objects_and_exports(admin_client, tenant):
    from rollout.audit import audit_record

    admin = admin_of(tenant)
    program_like = tenant.members[Role.PM]  # any object of the organization: a membership
    audit_record(
        organization=tenant.organization,
        actor=admin,
        verb="membership.updated",
        target=program_like,
        before={"role": "pm", "client": None},
        after={"role": "coordinator", "client": None},
    )
    url = f"/o/{tenant.organization.slug}/audit/"
    table = admin_client.get(url).content.decode().split('id="audit-table"')[1]
    assert "<del>pm</del> → coordinator" in table
    assert "client:" not in table  # unchanged: not shown
    exported = admin_client.get(url, {"format": "csv", "verb": "membership.updated"})
    assert exported["Content-Type"].startswith("text/csv")
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("when,actor,action,object")
    assert len(lines) == 2 and "updated membership" in lines[1] and "role: pm → coordinator" in lines[1]


# --- Query budgets ---------------------------------------------------------------------------------


def test_the_member_list_has_a_query_budget(admin_client, tenant, django_assert_max_num_queries):
    # given many members and pending invitations, with clients
    for n in range(30):
        MembershipFactory(
            organization=tenant.organization,
            role=Role.CLIENT,
            client=tenant.client,
            user__email=f"viewer{n}@example.com",
        )
    for n in range(10):
        invite(tenant, email=f"invitee{n}@example.com", role=Role.CLIENT, client=tenant.client)
    # when the list is read, the number of queries does not grow with the rows
    with django_assert_max_num_queries(12):
        response = admin_client.get(f"/o/{tenant.organization.slug}/members/")
    assert response.status_code == 200


def test_the_audit_log_has_a_query_budget(admin_client, tenant, django_assert_max_num_queries):
    for n in range(40):
        invite(tenant, email=f"invitee{n}@example.com")
    with django_assert_max_num_queries(14):
        response = admin_client.get(f"/o/{tenant.organization.slug}/audit/")
    assert response.status_code == 200


def test_the_token_list_has_a_query_budget(admin_client, tenant, django_assert_max_num_queries):
    for _ in range(20):
        issue_token(tenant.organization, role=Role.CLIENT, client=tenant.client)
    with django_assert_max_num_queries(11):
        response = admin_client.get(f"/o/{tenant.organization.slug}/api-tokens/")
    assert response.status_code == 200


def test_the_staff_home_has_a_query_budget(admin_client, tenant, django_assert_max_num_queries):
    # 17 for the core and programs, 3 for "Today in the field" (visits, technicians) and the work waiting for review
    with django_assert_max_num_queries(20):
        response = admin_client.get(f"/o/{tenant.organization.slug}/")
    assert response.status_code == 200


def test_a_new_organization_is_reachable_only_by_its_members(client, db):
    # given two organizations created the way the product creates them
    alice = UserFactory(email="alice@example.com")
    organization = services.organization_create(name="Solo Rollouts", slug="solo", owner=alice)
    OrganizationFactory(slug="elsewhere")
    client.force_login(alice)
    assert client.get(f"/o/{organization.slug}/").status_code == 200
    assert client.get("/o/elsewhere/").status_code == 404


def test_the_homes_list_the_programs_each_role_may_see(client, tenant, other_tenant):
    # given programs for this organization's client, another client, and another organization
    ProgramFactory(organization=tenant.organization, client=tenant.client, name="Self-checkout for our client")
    other_client = ClientFactory(organization=tenant.organization, name="Someone Else Inc")
    ProgramFactory(organization=tenant.organization, client=other_client, name="Kiosks for someone else")
    ProgramFactory(organization=other_tenant.organization, client=other_tenant.client, name="Foreign signage")
    org = tenant.organization.slug
    # when the PM opens the home, they see the organization's programs only
    client.force_login(tenant.members[Role.PM].user)
    staff_home = client.get(f"/o/{org}/").content.decode()
    assert "Self-checkout for our client" in staff_home
    assert "Kiosks for someone else" in staff_home
    assert "Foreign signage" not in staff_home
    assert "No programs yet" not in staff_home
    # and the client viewer sees only their own client's programs
    client.force_login(tenant.members[Role.CLIENT].user)
    portal = client.get(f"/o/{org}/").content.decode()
    assert "Self-checkout for our client" in portal
    assert "Kiosks for someone else" not in portal
    assert "Foreign signage" not in portal


# --- A technician's app tokens ------------------------------------------------------------------


def test_a_technician_connects_an_app_from_the_profile_then_revokes_it(client, tenant):
    # given Tomás signed in on his phone
    technician = tenant.members[Role.TECHNICIAN].user
    client.force_login(technician)
    slug = tenant.organization.slug
    # when he connects an app
    created = client.post(
        reverse("core:personal-token-create", kwargs={"org": slug}), {"name": "Field app on my Pixel"}
    )
    # then the key is shown once (never cached), acts as him, and his profile lists the app
    assert created.status_code == 200
    assert "no-cache" in created["Cache-Control"] or "max-age=0" in created["Cache-Control"]
    key = created.context["issued"].key
    assert key in created.content.decode()
    token = ApiToken.objects.get(name="Field app on my Pixel")
    assert (token.role, token.user) == (Role.TECHNICIAN, technician)
    profile = client.get(reverse("core:profile", kwargs={"org": slug}))
    assert [t.pk for t in profile.context["app_tokens"]] == [token.pk]
    assert key not in profile.content.decode()
    # when he revokes it (confirmation page, then POST)
    revoke_url = reverse("core:api-token-revoke", kwargs={"org": slug, "pk": token.pk})
    confirm = client.get(revoke_url)
    revoked = client.post(revoke_url)
    # then it is revoked and he is back on his profile, with no app listed
    assert confirm.status_code == 200 and "layouts/phone.html" in [t.name for t in confirm.templates]
    assert revoked.status_code == 302 and revoked["Location"] == reverse("core:profile", kwargs={"org": slug})
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(reverse("core:profile", kwargs={"org": slug})).context["app_tokens"] == []


def test_a_technician_cannot_revoke_another_technicians_app_token(client, tenant):
    # given Rosa's app token (another technician of the same organization)
    rosa = MembershipFactory(organization=tenant.organization, role=Role.TECHNICIAN)
    rosa_access = Access(organization=tenant.organization, role=Role.TECHNICIAN, user=rosa.user, membership=rosa)
    token = services.api_token_create_personal(organization=tenant.organization, actor=rosa_access, name="Rosa's app")
    client.force_login(tenant.members[Role.TECHNICIAN].user)
    # when Tomás tries to revoke it / then it does not exist for him
    url = reverse("core:api-token-revoke", kwargs={"org": tenant.organization.slug, "pk": token.token.pk})
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    token.token.refresh_from_db()
    assert token.token.revoked_at is None


def test_audit_events_about_a_line_of_a_page_link_to_that_page(admin_client, tenant):
    # given a SOW task added (its event names the SOW) and one whose event does not name it
    from rollout.audit import audit_record
    from rollout.audit_display import audit_link
    from tests.programs.factories import ProgramFactory, approved_sow

    sow = approved_sow(ProgramFactory(organization=tenant.organization, client=tenant.client))
    task = sow.tasks.first()
    named = audit_record(
        organization=tenant.organization, actor=None, verb="sow_task.added", target=task, after={"sow": sow.pk}
    )
    unnamed = audit_record(
        organization=tenant.organization, actor=None, verb="sow_task.updated", target=task, after={"title": "X"}
    )
    member = audit_record(
        organization=tenant.organization, actor=None, verb="membership.updated", target=tenant.members[Role.PM]
    )
    org = tenant.organization.slug
    # then the first links to the SOW's page, the second to nothing, a membership to its edit page
    assert audit_link(named, org) == f"/o/{org}/sows/{sow.pk}/"
    assert audit_link(unnamed, org) is None
    assert audit_link(member, org) == f"/o/{org}/members/{tenant.members[Role.PM].pk}/"
    table = admin_client.get(f"/o/{org}/audit/").content.decode().split('id="audit-table"')[1]
    assert f'href="/o/{org}/sows/{sow.pk}/"' in table
