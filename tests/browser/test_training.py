"""The training path in a real browser: a coordinator records a completion with its certificate, reads the
training matrix (people × courses, what expires within 30 days) and opens the certificate; a PM sees on the
program's Team tab who is qualified. Screenshots: var/screenshots/desktop-training-*.png."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from programs.models import ProgramCourseRequirement
from rollout.choices import Role
from tests.factories import DEFAULT_PASSWORD, ClientFactory, MembershipFactory, OrganizationFactory
from tests.programs.factories import ProgramFactory
from tests.technicians.factories import CourseFactory, TechnicianFactory, TrainingRecordFactory, VendorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def viewport() -> str:
    return "desktop"


@pytest.fixture
def northwind():
    today = timezone.localdate()
    organization = OrganizationFactory(slug="northwind", name="Northwind Rollouts")
    client = ClientFactory(organization=organization, code="harbor", name="Harbor Foods")
    for email, name, role in (
        ("marcus@example.com", "Marcus Reed", Role.COORDINATOR),
        ("priya@example.com", "Priya Patel", Role.PM),
    ):
        MembershipFactory(organization=organization, user__email=email, user__full_name=name, role=role)
    safety = CourseFactory(
        organization=organization, name="Field safety", roles=["technician", "coordinator"], validity_months=24
    )
    kiosk = CourseFactory(organization=organization, name="Self-checkout kiosk install", roles=["technician"])
    CourseFactory(organization=organization, name="Program management essentials", roles=["pm"], validity_months=36)
    lakeshore = VendorFactory(organization=organization, name="Lakeshore Field Services")
    people = {}
    for name, vendor in (("Tomás Alvarez", None), ("Jordan Lee", lakeshore), ("Grace Mitchell", lakeshore)):
        people[name] = TechnicianFactory(organization=organization, full_name=name, vendor=vendor)
    TrainingRecordFactory(
        technician=people["Tomás Alvarez"], course=safety, completed_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=630),
    )  # fmt: skip
    TrainingRecordFactory(
        technician=people["Tomás Alvarez"], course=kiosk, completed_on=today - timedelta(days=20), expires_on=None
    )
    TrainingRecordFactory(
        technician=people["Jordan Lee"], course=safety, completed_on=today - timedelta(days=718),
        expires_on=today + timedelta(days=12),
    )  # fmt: skip
    TrainingRecordFactory(
        technician=people["Grace Mitchell"], course=safety, completed_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=70),
    )  # fmt: skip
    program = ProgramFactory(organization=organization, client=client, code="sco-2026", name="Self-checkout 2026")
    ProgramCourseRequirement.objects.create(
        organization=organization, program=program, course=kiosk, role=Role.TECHNICIAN
    )
    return {"organization": organization, "program": program, "people": people}


def sign_in(page, base_url: str, email: str, name: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(name))).to_be_visible()


def test_a_coordinator_records_training_and_reads_the_matrix(page, live_server, screenshot, northwind):
    base = live_server.url
    sign_in(page, base, "marcus@example.com", "Marcus")

    # record Jordan Lee's kiosk course, with the certificate
    page.goto(f"{base}/o/northwind/technicians/")
    page.get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="Training matrix")).to_be_visible()
    page.get_by_role("link", name="Record training").click()
    page.get_by_label("Person").select_option(label="Jordan Lee · Technician")
    page.get_by_label("Course").select_option(label="Self-checkout kiosk install")
    page.get_by_label("Completed on").fill((timezone.localdate() - timedelta(days=3)).isoformat())
    page.get_by_label("Certificate").set_input_files(
        {"name": "jordan-kiosk.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.get_by_role("button", name="Record training").click()
    expect(page.get_by_text("Training “Self-checkout kiosk install” recorded for Jordan Lee.")).to_be_visible()

    # the matrix: every person × course; Jordan's field safety expires within 30 days, Grace's has expired
    matrix = page.get_by_test_id("training-matrix")
    jordan = matrix.locator("tr", has_text="Jordan Lee")
    expect(jordan.locator('[data-training="expiring"]')).to_have_count(1)
    expect(jordan.locator('[data-training="valid"]')).to_have_count(1)
    expect(matrix.locator("tr", has_text="Grace Mitchell").locator('[data-training="expired"]')).to_have_count(1)
    expect(matrix.locator("tr", has_text="Priya Patel").locator('[data-training="missing"]')).to_have_count(1)
    expiring = page.locator("#expiring")
    expect(expiring).to_contain_text("Jordan Lee")
    expect(expiring).to_contain_text("Field safety")
    screenshot("training-matrix")

    # narrowed to technicians, the office staff leave the matrix
    page.get_by_label("Show").select_option(label="Field technicians")
    expect(page).to_have_url(re.compile(r"role=technician"))
    expect(page.get_by_test_id("training-matrix").locator("tr", has_text="Priya Patel")).to_have_count(0)
    expect(page.get_by_test_id("training-matrix").locator("tr", has_text="Jordan Lee")).to_have_count(1)
    matrix = page.get_by_test_id("training-matrix")
    jordan = matrix.locator("tr", has_text="Jordan Lee")

    # the certificate opens (a private file, streamed after the access check)
    with page.expect_download() as download:
        jordan.get_by_role("link", name=re.compile("Certificate of Jordan Lee")).click()
    assert download.value.suggested_filename == "jordan-kiosk.pdf"
    assert Path(download.value.path()).read_bytes() == PDF


def test_a_pm_sees_who_on_the_team_is_qualified(page, live_server, screenshot, northwind):
    base = live_server.url
    sign_in(page, base, "priya@example.com", "Priya")
    page.goto(f"{base}/o/northwind/programs/{northwind['program'].pk}/")
    page.get_by_role("link", name="Team").click()
    technicians = page.locator('[data-team-role="technician"]')
    expect(technicians.locator('[data-qualified="yes"]')).to_have_count(1)
    expect(technicians.locator('[data-qualified="no"]')).to_have_count(2)
    expect(technicians.locator("tr", has_text="Tomás Alvarez")).to_contain_text("Qualified")
    expect(technicians.locator("tr", has_text="Grace Mitchell")).to_contain_text("Not qualified")
    # require the PM course of PMs: the page then lists the PMs, Priya not qualified
    page.get_by_label("Course").select_option(label="Program management essentials")
    page.get_by_label("Required of").select_option(label="Program manager")
    page.get_by_role("button", name="Require").click()
    expect(page.get_by_text("“Program management essentials” is now required.")).to_be_visible()
    expect(page.locator('[data-team-role="pm"]').locator("tr", has_text="Priya Patel")).to_contain_text("Not qualified")
    screenshot("training-team")
