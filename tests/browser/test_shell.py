"""The UI shell in a real browser: sign in, pick and switch organizations, each role's home."""

import re

import pytest
from playwright.sync_api import expect

from rollout import services
from rollout.choices import Role
from rollout.models import Membership
from rollout.tenancy import Access
from tests.factories import DEFAULT_PASSWORD, ClientFactory, MembershipFactory, OrganizationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_organizations():
    """Dana is an admin of Northwind Rollouts and a technician for Fieldline Services."""
    northwind = OrganizationFactory(slug="northwind", name="Northwind Rollouts")
    fieldline = OrganizationFactory(slug="fieldline", name="Fieldline Services")
    contoso = ClientFactory(organization=northwind, code="contoso", name="Contoso Retail")
    dana = UserFactory(email="dana@example.com", full_name="Dana Whitfield")
    MembershipFactory(organization=northwind, user=dana, role=Role.ADMIN)
    MembershipFactory(organization=fieldline, user=dana, role=Role.TECHNICIAN)
    MembershipFactory(
        organization=northwind, user__email="priya@example.com", user__full_name="Priya Raman", role=Role.PM
    )
    MembershipFactory(
        organization=northwind,
        user__email="carl@contoso.example",
        user__full_name="Carl Jensen",
        role=Role.CLIENT,
        client=contoso,
    )
    return {"northwind": northwind, "fieldline": fieldline}


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page) -> None:
    page.get_by_role("button", name=re.compile("account menu", re.IGNORECASE)).click()
    page.locator(".user-menu .dropdown-menu").get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in to Tutti")).to_be_visible()


def test_sign_in_switch_organization_and_reach_every_role_home(page, live_server, screenshot, two_organizations):
    # given the sign-in page
    page.goto(f"{live_server.url}/")
    expect(page.get_by_role("heading", name="Sign in to Tutti")).to_be_visible()
    screenshot("login")

    # when Dana (two organizations) signs in through the form
    sign_in(page, live_server.url, "dana@example.com")
    # then she picks an organization
    expect(page.get_by_role("heading", name="Choose an organization")).to_be_visible()
    screenshot("picker")
    page.get_by_role("link", name=re.compile("Northwind Rollouts")).click()
    expect(page).to_have_url(f"{live_server.url}/o/northwind/")
    expect(page.get_by_role("heading", name="No programs yet")).to_be_visible()
    screenshot("admin-home")

    # when she switches organization through the switcher
    page.get_by_role("button", name=re.compile("Switch organization")).click()
    screenshot("switcher-open")
    page.get_by_role("link", name=re.compile("Fieldline Services")).click()
    # then she lands on the technician's phone home
    expect(page).to_have_url(f"{live_server.url}/o/fieldline/")
    expect(page.get_by_role("heading", name="No visits today")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Upcoming")).to_be_visible()
    screenshot("technician-home")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Profile").click()
    expect(page.get_by_role("heading", name="Your profile")).to_be_visible()
    screenshot("technician-profile")
    sign_out(page)

    # the client's read-only portal
    sign_in(page, live_server.url, "carl@contoso.example")
    expect(page).to_have_url(f"{live_server.url}/o/northwind/")
    expect(page.get_by_role("heading", name="No programs for Contoso Retail yet")).to_be_visible()
    screenshot("client-home")
    sign_out(page)

    # the PM's dashboard
    sign_in(page, live_server.url, "priya@example.com")
    expect(page).to_have_url(f"{live_server.url}/o/northwind/")
    expect(page.get_by_role("heading", name=re.compile("Priya"))).to_be_visible()
    screenshot("pm-home")


def test_admin_pages(page, live_server, screenshot, two_organizations):
    # given Dana, admin of Northwind
    sign_in(page, live_server.url, "dana@example.com")
    page.get_by_role("link", name=re.compile("Northwind Rollouts")).click()

    # members, and an invitation with a field error, then sent
    page.goto(f"{live_server.url}/o/northwind/members/invite/")
    page.get_by_label("E-mail", exact=True).fill("new.pm@example.com")
    page.get_by_label("Role", exact=True).select_option("client")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Choose the client this viewer may see.")).to_be_visible()
    screenshot("invite-error")
    page.get_by_label("Client", exact=True).select_option(label="Contoso Retail")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("Invitation sent to new.pm@example.com")).to_be_visible()
    screenshot("members")

    # the filter bar refreshes the table in place (htmx) and keeps the filter in the address
    page.get_by_placeholder("Search by e-mail").fill("priya")
    table = page.locator("#members-table")
    expect(table.get_by_role("link", name="Edit carl@contoso.example")).to_have_count(0)
    expect(table.get_by_role("link", name="Edit priya@example.com")).to_be_visible()
    expect(page).to_have_url(re.compile(r"email=priya"))

    # editing a member, and the confirmation before deactivating them
    page.get_by_role("link", name=re.compile("Edit.*priya@example.com")).click()
    expect(page.get_by_role("heading", name="Edit member")).to_be_visible()
    screenshot("member-edit")
    page.get_by_role("link", name=re.compile("Deactivate")).click()
    expect(page.get_by_role("heading", name="Deactivate Priya Raman?")).to_be_visible()
    screenshot("member-deactivate-confirm")
    page.get_by_role("link", name="Cancel").click()

    # an API token, shown once
    page.goto(f"{live_server.url}/o/northwind/api-tokens/new/")
    page.get_by_label("Name").fill("ServiceNow sync")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy this key now.")).to_be_visible()
    screenshot("token-created")
    page.goto(f"{live_server.url}/o/northwind/api-tokens/")
    screenshot("tokens")

    # the audit log of all that
    page.goto(f"{live_server.url}/o/northwind/audit/")
    expect(page.locator("#audit-table").get_by_text("created invitation").first).to_be_visible()
    screenshot("audit")


def test_a_newcomer_accepts_an_invitation(page, live_server, screenshot, two_organizations):
    # given an invitation for someone without an account
    northwind = two_organizations["northwind"]
    admin = Membership.objects.get(organization=northwind, role=Role.ADMIN)
    access = Access(organization=northwind, role=Role.ADMIN, user=admin.user, membership=admin)
    issued = services.invitation_create(organization=northwind, actor=access, email="sam@example.com", role=Role.PM)
    # when they open the link and create their account
    page.goto(f"{live_server.url}{issued.accept_path}")
    expect(page.get_by_role("heading", name="Join Northwind Rollouts")).to_be_visible()
    page.get_by_label("Full name").fill("Sam Okafor")
    page.get_by_label("Password", exact=True).fill("short")
    page.get_by_label("Confirm password").fill("short")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_text("This password is too short.")).to_be_visible()
    screenshot("invitation-error")
    page.get_by_label("Password", exact=True).fill("tuning-fork-4-strings")
    page.get_by_label("Confirm password").fill("tuning-fork-4-strings")
    page.get_by_role("button", name="Create account and join").click()
    # then they land, signed in, on the PM home
    expect(page).to_have_url(f"{live_server.url}/o/northwind/")
    expect(page.get_by_role("heading", name=re.compile("Sam Okafor"))).to_be_visible()


def test_too_many_failed_sign_ins_show_the_locked_page(page, live_server, screenshot, two_organizations):
    # given four failed sign-ins
    for _ in range(4):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("E-mail").fill("priya@example.com")
        page.get_by_label("Password").fill("not-her-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_text("do not match an account")).to_be_visible()
    screenshot("login-error")
    # when a fifth fails, then even the right password meets the locked page
    page.get_by_label("Password").fill("still-not-her-password")
    page.get_by_role("button", name="Sign in").click()
    sign_in(page, live_server.url, "priya@example.com")
    expect(page.get_by_role("heading", name="Too many failed sign-ins")).to_be_visible()
    screenshot("locked-out")
