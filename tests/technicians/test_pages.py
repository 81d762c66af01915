"""Technician, vendor and skill pages: role matrix, cross-organization 404s, flows, highlights, budgets."""

from datetime import date, timedelta

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse
from django.utils import timezone

from rollout.choices import Role
from technicians.models import Certification, Skill, Technician, TimeOff, Vendor
from tests.technicians.factories import (
    CertificationFactory,
    SkillFactory,
    TechnicianFactory,
    TimeOffFactory,
    VendorFactory,
)

READERS = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR]
WRITERS = [Role.ADMIN, Role.PM, Role.COORDINATOR]
NOT_WRITERS = [Role.INTEGRATOR, Role.CLIENT, Role.TECHNICIAN]


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


def page_kwargs(plan) -> dict[str, dict]:
    technician, vendor, skill = plan["technician"], plan["vendor"], plan["pos"]
    certification, time_off = plan["certification"], plan["time_off"]
    return {
        "technicians:technicians": {},
        "technicians:technician-detail": {"pk": technician.pk},
        "technicians:vendors": {},
        "technicians:vendor-detail": {"pk": vendor.pk},
        "technicians:skills": {},
        "technicians:technician-create": {},
        "technicians:technician-invite": {},
        "technicians:technician-edit": {"pk": technician.pk},
        "technicians:technician-reinvite": {"pk": technician.pk},
        "technicians:technician-status": {"pk": technician.pk},
        "technicians:certification-create": {"pk": technician.pk},
        "technicians:certification-edit": {"cert": certification.pk},
        "technicians:certification-delete": {"cert": certification.pk},
        "technicians:time-off-create": {"pk": technician.pk},
        "technicians:time-off-delete": {"pk": time_off.pk},
        "technicians:vendor-create": {},
        "technicians:vendor-edit": {"pk": vendor.pk},
        "technicians:vendor-status": {"pk": vendor.pk},
        "technicians:skill-create": {},
        "technicians:skill-edit": {"pk": skill.pk},
        "technicians:skill-status": {"pk": skill.pk},
    }


READ_NAMES = [
    "technicians:technicians",
    "technicians:technician-detail",
    "technicians:vendors",
    "technicians:vendor-detail",
    "technicians:skills",
]
WRITE_NAMES = [
    "technicians:technician-create",
    "technicians:technician-invite",
    "technicians:technician-edit",
    "technicians:technician-reinvite",
    "technicians:technician-status",
    "technicians:certification-create",
    "technicians:certification-edit",
    "technicians:certification-delete",
    "technicians:time-off-create",
    "technicians:time-off-delete",
    "technicians:vendor-create",
    "technicians:vendor-edit",
    "technicians:vendor-status",
    "technicians:skill-create",
    "technicians:skill-edit",
    "technicians:skill-status",
]
LIST_NAMES = {
    "technicians:technicians",
    "technicians:vendors",
    "technicians:skills",
    "technicians:technician-create",
    "technicians:technician-invite",
    "technicians:vendor-create",
    "technicians:skill-create",
}


@pytest.fixture
def plan(workforce):
    return {**workforce, "time_off": TimeOffFactory(technician=workforce["technician"])}


@pytest.mark.parametrize("name", READ_NAMES)
@pytest.mark.parametrize("role", [*READERS, Role.CLIENT, Role.TECHNICIAN, None])
def test_read_pages_role_matrix(tenant, plan, name, role):
    # given a vendor, skills and a technician with a certification and time off
    # when a member with `role` opens the page
    response = browser(tenant, role).get(url(tenant, name, **page_kwargs(plan)[name]))
    # then staff and integrators see it, technicians and clients are refused, visitors are sent to sign in
    expected = {None: 302, Role.TECHNICIAN: 403, Role.CLIENT: 403}.get(role, 200)
    assert response.status_code == expected, (role, name)


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", [*WRITERS, *NOT_WRITERS])
def test_write_pages_role_matrix(tenant, plan, name, role):
    # given the plan
    # when a member with `role` opens the page
    response = browser(tenant, role).get(url(tenant, name, **page_kwargs(plan)[name]))
    # then admins, PMs and coordinators get it
    assert response.status_code == (200 if role in WRITERS else 403), (role, name)


@pytest.mark.parametrize("name", [n for n in READ_NAMES + WRITE_NAMES if n not in LIST_NAMES])
def test_another_organizations_objects_are_404(tenant, other_tenant, name):
    # given another organization's vendor, skill, technician, certification and time off
    organization = other_tenant.organization
    vendor = VendorFactory(organization=organization)
    skill = SkillFactory(organization=organization)
    technician = TechnicianFactory(organization=organization, vendor=vendor, skills=[skill])
    foreign = {
        "vendor": vendor,
        "pos": skill,
        "technician": technician,
        "certification": CertificationFactory(technician=technician),
        "time_off": TimeOffFactory(technician=technician),
    }
    # when our admin opens it (or posts to it) under our organization
    admin = browser(tenant, Role.ADMIN)
    target = url(tenant, name, **page_kwargs(foreign)[name])
    # then it does not exist, and nothing changed
    assert admin.get(target).status_code == 404
    if name in WRITE_NAMES:
        posted = admin.post(target, {"name": "x", "start_date": "2026-05-01", "end_date": "2026-05-01"})
        assert posted.status_code == 404
    assert Technician.objects.get(pk=technician.pk).active is True
    assert Certification.objects.filter(pk=foreign["certification"].pk).exists()


def test_lists_never_show_another_organizations_rows(tenant, other_tenant, workforce):
    # given another organization's vendor and technician
    vendor = VendorFactory(organization=other_tenant.organization, name="Foreign Vendor Inc")
    TechnicianFactory(organization=other_tenant.organization, full_name="Foreign Tech", vendor=vendor)
    SkillFactory(organization=other_tenant.organization, name="Foreign Skill")
    admin = browser(tenant, Role.ADMIN)
    # when / then
    assert "Foreign Tech" not in admin.get(url(tenant, "technicians:technicians")).content.decode()
    assert "Foreign Vendor Inc" not in admin.get(url(tenant, "technicians:vendors")).content.decode()
    assert "Foreign Skill" not in admin.get(url(tenant, "technicians:skills")).content.decode()
    # and a foreign vendor id in the filter is not a valid choice
    filtered = admin.get(url(tenant, "technicians:technicians"), {"vendor": vendor.pk}).content.decode()
    assert "Tomás Alvarez" not in filtered


def test_technician_list_filters_sorts_and_paginates(tenant, workforce):
    # given more technicians: one with an expiring certification, one inactive, sixty more to page through
    soon = TechnicianFactory(organization=tenant.organization, full_name="Aaron Soon")
    CertificationFactory(technician=soon, expires_on=timezone.localdate() + timedelta(days=10))
    TechnicianFactory(organization=tenant.organization, full_name="Zed Gone", active=False)
    for n in range(60):
        TechnicianFactory(organization=tenant.organization, full_name=f"Bulk {n:02d}")
    coordinator = browser(tenant, Role.COORDINATOR)

    def page(**params):
        return coordinator.get(url(tenant, "technicians:technicians"), params).content.decode()

    # when / then: filters by vendor, skill, certification and status
    by_vendor = page(vendor=workforce["vendor"].pk)
    assert "Tomás Alvarez" in by_vendor and "Aaron Soon" not in by_vendor
    assert "Tomás Alvarez" in page(skill="network-cabling")
    expiring = page(certification="expiring")
    assert "Aaron Soon" in expiring and "Tomás Alvarez" not in expiring
    assert "1 expiring" in expiring
    inactive = page(active="false")
    assert "Zed Gone" in inactive and "Aaron Soon" not in inactive
    # sorting and pagination
    descending = page(sort="-full_name")
    assert descending.index("Zed Gone") < descending.index("Tomás Alvarez")
    assert "Showing" in page() and "page=2" in page()
    # an empty result says so
    assert "No technicians match these filters" in page(q="nobody-by-this-name")


def test_empty_states_invite_the_next_step(tenant):
    coordinator = browser(tenant, Role.COORDINATOR)
    assert "Invite the first technician" in coordinator.get(url(tenant, "technicians:technicians")).content.decode()
    assert "No vendors yet" in coordinator.get(url(tenant, "technicians:vendors")).content.decode()
    assert "No skills yet" in coordinator.get(url(tenant, "technicians:skills")).content.decode()
    integrator = browser(tenant, Role.INTEGRATOR).get(url(tenant, "technicians:technicians")).content.decode()
    assert "once a coordinator adds or invites them" in integrator


def test_vendor_insurance_is_highlighted_when_expired_or_expiring(tenant):
    # given vendors with expired, soon-expiring, current and missing insurance
    today = timezone.localdate()
    VendorFactory(organization=tenant.organization, name="Expired Co", insurance_expires_on=today - timedelta(days=1))
    VendorFactory(organization=tenant.organization, name="Soon Co", insurance_expires_on=today + timedelta(days=12))
    VendorFactory(organization=tenant.organization, name="Fine Co", insurance_expires_on=today + timedelta(days=200))
    missing = VendorFactory(organization=tenant.organization, name="Missing Co", insurance_expires_on=None)
    coordinator = browser(tenant, Role.COORDINATOR)
    # when the vendors list is shown, and filtered on insurance
    listing = coordinator.get(url(tenant, "technicians:vendors")).content.decode()
    attention = coordinator.get(url(tenant, "technicians:vendors"), {"insurance": "expiring"}).content.decode()
    detail = coordinator.get(url(tenant, "technicians:vendor-detail", pk=missing.pk)).content.decode()
    # then expired and expiring stand out, and the filter finds them
    assert listing.count('data-expiry="expired"') == 1
    assert listing.count('data-expiry="expiring"') == 1
    assert listing.count('data-expiry="missing"') == 1
    assert 'data-insurance="expired"' in listing
    assert "Soon Co" in attention and "Expired Co" not in attention
    assert "No insurance on file." in detail


def test_technician_detail_shows_skills_certifications_time_off_and_hours(tenant, workforce):
    # given an expired and an expiring certification, and time off now
    today = timezone.localdate()
    technician = workforce["technician"]
    CertificationFactory(
        technician=technician,
        name="Lapsed Cert",
        issued_on=today - timedelta(days=400),
        expires_on=today - timedelta(1),
    )
    CertificationFactory(technician=technician, name="Soon Cert", expires_on=today + timedelta(days=5))
    TimeOffFactory(technician=technician, start_date=today, end_date=today + timedelta(days=2), reason="Vacation")
    # when the coordinator opens the profile
    page = (
        browser(tenant, Role.COORDINATOR)
        .get(url(tenant, "technicians:technician-detail", pk=technician.pk))
        .content.decode()
    )
    # then the skills, certifications with badges, time off and working hours are there
    assert "Structured cabling" in page and "POS install" in page
    assert 'data-expiry="expired"' in page and 'data-expiry="expiring"' in page and 'data-expiry="valid"' in page
    assert "Vacation" in page and "Now" in page
    assert "Mon–Fri" in page and "08:00 – 17:00" in page and "America/Chicago" in page
    assert "Not invited yet" in page


def test_coordinator_creates_and_edits_a_technician_with_field_errors(tenant, workforce):
    # given a coordinator on the new technician form
    coordinator = browser(tenant, Role.COORDINATOR)
    form = {
        "full_name": "Keisha Brown",
        "email": "keisha@coastal.example",
        "vendor": workforce["vendor"].pk,
        "skills": [workforce["pos"].pk],
        "home_latitude": "33.7589",
        "service_radius_km": "90",
        "working_days": ["mon", "tue", "sat"],
        "work_start": "07:30",
        "work_end": "16:00",
        "timezone": "America/New_York",
    }
    # when they forget the longitude
    refused = coordinator.post(url(tenant, "technicians:technician-create"), form)
    # then the form says so next to the field, and nothing is saved
    assert refused.status_code == 200
    assert "Give both, or neither." in refused.content.decode()
    assert not Technician.objects.filter(email="keisha@coastal.example").exists()
    # when they complete it
    created = coordinator.post(url(tenant, "technicians:technician-create"), {**form, "home_longitude": "-84.3865"})
    technician = Technician.objects.get(email="keisha@coastal.example")
    assert created.status_code == 302
    assert technician.working_days == ["mon", "tue", "sat"]
    assert list(technician.skills.values_list("slug", flat=True)) == ["pos-install"]
    # when they use another technician's e-mail on edit
    edit = coordinator.post(
        url(tenant, "technicians:technician-edit", pk=technician.pk),
        {**form, "home_longitude": "-84.3865", "email": "tech0@x"},
    )
    assert "Enter a valid email address." in edit.content.decode()
    duplicate = coordinator.post(
        url(tenant, "technicians:technician-edit", pk=technician.pk),
        {**form, "home_longitude": "-84.3865", "email": workforce["technician"].email},
    )
    assert "already exists" in duplicate.content.decode()
    # and a good edit is saved
    coordinator.post(
        url(tenant, "technicians:technician-edit", pk=technician.pk),
        {**form, "home_longitude": "-84.3865", "skills": []},
    )
    assert technician.skills.count() == 0


def test_inviting_shows_the_link_once(tenant, mailoutbox, django_capture_on_commit_callbacks):
    # given a coordinator on the invite page
    coordinator = browser(tenant, Role.COORDINATOR)
    # when they invite a technician
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            url(tenant, "technicians:technician-invite"),
            {"full_name": "Omar Haddad", "email": "omar@coastal.example", "phone": "+1 615 555 0112"},
        )
    # then the page shows the link (and a text with it) once, not cached, and the same link was e-mailed
    page = response.content.decode()
    link = mailoutbox[0].body.split("http", 1)[1].split()[0]
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert f"http{link}" in page
    assert "Hi Omar, Acme Rollouts invites you to Tutti" in page
    technician = Technician.objects.get(email="omar@coastal.example")
    # and the profile page never shows it again
    profile = coordinator.get(url(tenant, "technicians:technician-detail", pk=technician.pk)).content.decode()
    assert f"http{link}" not in profile
    assert "Invited, link valid until" in profile


def test_reinviting_from_the_profile_and_errors_on_the_invite_form(tenant, workforce):
    coordinator = browser(tenant, Role.COORDINATOR)
    technician = workforce["technician"]
    # when a coordinator re-invites from the profile
    response = coordinator.post(url(tenant, "technicians:technician-reinvite", pk=technician.pk))
    # then the invited page shows the fresh link
    assert response.status_code == 200
    assert "/invitations/" in response.content.decode()
    # and the invite form refuses an existing member with the reason next to the e-mail
    member = tenant.members[Role.PM].user
    refused = coordinator.post(url(tenant, "technicians:technician-invite"), {"full_name": "PM", "email": member.email})
    assert "is already a member" in refused.content.decode()


def test_certification_and_time_off_pages(tenant, workforce):
    coordinator = browser(tenant, Role.COORDINATOR)
    technician = workforce["technician"]
    # when a coordinator adds a certification with dates out of order, then correctly
    bad = coordinator.post(
        url(tenant, "technicians:certification-create", pk=technician.pk),
        {"name": "OSHA 10", "issued_on": "2026-02-01", "expires_on": "2026-01-01"},
    )
    assert "cannot expire before it is issued" in bad.content.decode()
    coordinator.post(
        url(tenant, "technicians:certification-create", pk=technician.pk),
        {"name": "OSHA 10", "skill": workforce["cabling"].pk, "issued_on": "2026-01-01"},
    )
    assert Certification.objects.filter(technician=technician, name="OSHA 10", expires_on=None).exists()
    # when they add overlapping time off
    coordinator.post(
        url(tenant, "technicians:time-off-create", pk=technician.pk),
        {"start_date": "2026-06-01", "end_date": "2026-06-05"},
    )
    overlap = coordinator.post(
        url(tenant, "technicians:time-off-create", pk=technician.pk),
        {"start_date": "2026-06-04", "end_date": "2026-06-08"},
    )
    # then the second is refused with the dates of the first
    assert "overlaps time off already recorded from Jun 1 to Jun 5, 2026" in overlap.content.decode()
    assert TimeOff.objects.filter(technician=technician).count() == 1
    # and cancelling it works
    coordinator.post(url(tenant, "technicians:time-off-delete", pk=TimeOff.objects.get().pk))
    assert not TimeOff.objects.exists()


def test_vendor_and_skill_forms(tenant, workforce):
    coordinator = browser(tenant, Role.COORDINATOR)
    # vendor: create, duplicate code refused, deactivate
    coordinator.post(url(tenant, "technicians:vendor-create"), {"name": "Summit Tech", "code": "summit"})
    duplicate = coordinator.post(url(tenant, "technicians:vendor-create"), {"name": "Again", "code": "summit"})
    assert "already exists" in duplicate.content.decode()
    vendor = Vendor.objects.get(code="summit")
    coordinator.post(url(tenant, "technicians:vendor-status", pk=vendor.pk))
    vendor.refresh_from_db()
    assert vendor.active is False
    # skill: create, edit (the slug is not offered), retire
    coordinator.post(url(tenant, "technicians:skill-create"), {"name": "Kiosk", "slug": "kiosk-config"})
    skill = Skill.objects.get(slug="kiosk-config")
    edit_page = coordinator.get(url(tenant, "technicians:skill-edit", pk=skill.pk)).content.decode()
    assert 'name="slug"' not in edit_page
    coordinator.post(
        url(tenant, "technicians:skill-edit", pk=skill.pk), {"name": "Kiosk setup", "requires_certification": "on"}
    )
    coordinator.post(url(tenant, "technicians:skill-status", pk=skill.pk))
    skill.refresh_from_db()
    assert (skill.name, skill.requires_certification, skill.active) == ("Kiosk setup", True, False)
    # a retired skill is no longer offered on the technician form, except to those who have it
    form = coordinator.get(url(tenant, "technicians:technician-create")).content.decode()
    assert "POS install" in form
    assert "Kiosk setup · certification required" not in form


@pytest.mark.parametrize(
    ("name", "budget"), [("technicians:technicians", 14), ("technicians:vendors", 12), ("technicians:skills", 12)]
)
def test_list_page_query_budgets(tenant, name, budget, django_assert_max_num_queries):
    # given many technicians with vendors, skills and certifications
    skills = [SkillFactory(organization=tenant.organization) for _ in range(3)]
    for n in range(30):
        technician = TechnicianFactory(
            organization=tenant.organization,
            vendor=VendorFactory(organization=tenant.organization, insurance_expires_on=date(2026, 1, n % 28 + 1)),
            skills=skills,
        )
        CertificationFactory(technician=technician, skill=skills[0])
    coordinator = browser(tenant, Role.COORDINATOR)
    coordinator.get(url(tenant, name))  # warm the session
    # when the list is rendered
    with django_assert_max_num_queries(budget):
        response = coordinator.get(url(tenant, name))
    # then
    assert response.status_code == 200
