"""Work-order packets in a real browser, the way a PM works them: a wave of four sites with their work orders
and an approved SOW (one task only for mall stores, so one street store goes without it); the PM generates
the wave's packets from the program's Packets tab, watches the job to its end, downloads the ZIP (one PDF per
work order), opens one packet and its PDF; then changes a task in a new SOW version, approves it, and
re-issues: the preview lists the affected work orders with their diff, the visited one is left untouched,
the others get version 2. Last, the assigned technician reads the new version on a phone and acknowledges it.
Screenshots go to var/screenshots/desktop-packets-*.png and var/screenshots/phone-packet-view.png.
"""

import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from programs import sows as program_sows
from programs.choices import EvidenceKind
from programs.models import Program
from rollout.choices import Role
from tests.browser.helpers import SCREENSHOTS, VIEWPORTS
from tests.factories import DEFAULT_PASSWORD, ClientFactory, MembershipFactory, OrganizationFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.sites.factories import SiteContactFactory, SiteFactory
from tests.technicians.factories import SkillFactory, TechnicianFactory
from tests.workorders.builders.packets import pdf_text
from workorders import services as work_order_services
from workorders import shipments
from workorders.choices import WorkOrderStatus
from workorders.models import Packet, WorkOrder
from workorders.packets import services as packet_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHICAGO = ZoneInfo("America/Chicago")
OPEN_ALL_WEEK = {day: ["06:00-22:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
# (code, name, street, store format): the street store has no mall permit task.
SITES = [
    ("HF-2001", "Harbor Foods Loop", "233 S Wacker Dr", "mall"),
    ("HF-2002", "Harbor Foods River North", "520 N Michigan Ave", "mall"),
    ("HF-2003", "Harbor Foods Lincoln Park", "2500 N Clark St", "mall"),
    ("HF-2004", "Harbor Foods Wicker Park", "1550 N Milwaukee Ave", "street"),
]
PERMIT = "Mall management access permit"
NEW_INSTRUCTIONS = "Anchor each kiosk base with four M10 bolts.\n\n- level it\n- torque the bolts to 40 Nm"


@pytest.fixture
def viewport() -> str:
    """PMs generate and re-issue packets on the desktop; the technician's phone page gets its own context."""
    return "desktop"


@dataclass
class Rollout:
    program: Program
    pm: object
    technician: object
    work_orders: dict  # site code → WorkOrder


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHICAGO)


@pytest.fixture
def rollout() -> Rollout:
    """Northwind's sco-2027 program for Harbor Foods: an approved SOW v1 (through the services), a pilot wave
    of four Chicago stores with contacts, their work orders, and a certified technician with an account."""
    organization = OrganizationFactory(slug="northwind", name="Northwind Rollouts")
    client = ClientFactory(organization=organization, code="harbor", name="Harbor Foods")
    pm = MembershipFactory(
        organization=organization, user__email="priya@example.com", user__full_name="Priya Patel", role=Role.PM
    ).user
    tech_user = MembershipFactory(
        organization=organization,
        user__email="tomas@fieldline.example",
        user__full_name="Tomás Alvarez",
        role=Role.TECHNICIAN,
    ).user
    skill = SkillFactory(organization=organization, slug="pos-install", name="POS install")
    technician = TechnicianFactory(
        organization=organization, user=tech_user, email=tech_user.email, full_name="Tomás Alvarez", skills=[skill]
    )
    program = ProgramFactory(
        organization=organization,
        client=client,
        code="sco-2027",
        name="Self-checkout rollout 2027",
        start_date=date(2027, 1, 4),
        end_date=date(2027, 6, 30),
    )
    wave = WaveFactory(program=program, name="Pilot", order=1, start_date=date(2027, 1, 11), end_date=date(2027, 2, 26))
    for n, (code, name, street, store_format) in enumerate(SITES):
        site = SiteFactory(
            organization=organization,
            client=client,
            code=code,
            name=name,
            address_line1=street,
            latitude=Decimal("41.88") + Decimal(n) / 100,
            longitude=Decimal("-87.63") - Decimal(n) / 100,
            access_hours=OPEN_ALL_WEEK,
            attributes={"store_format": store_format},
        )
        SiteContactFactory(site=site, name=f"Manager of {code}", is_primary=True)
        EnrollmentFactory(program=program, site=site, wave=wave)

    services = {"organization": organization, "actor": pm}
    sow = program_sows.sow_create_draft(**services, program_id=program.pk)
    program_sows.sow_task_add(
        **services,
        sow_id=sow.pk,
        key="survey",
        title="Survey the checkout area",
        instructions="Photograph the checkout area from the entrance **before** any work starts.",
        estimated_minutes=15,
        evidence_kind=EvidenceKind.PHOTO,
        photo_min_count=2,
    )
    program_sows.sow_task_add(
        **services,
        sow_id=sow.pk,
        key="mount",
        title="Mount the kiosks",
        instructions="Anchor each kiosk base to the floor.\n\n- level it\n- route power and data",
        required_skill="pos-install",
        estimated_minutes=90,
        evidence_kind=EvidenceKind.SERIAL,
    )
    program_sows.sow_task_add(
        **services,
        sow_id=sow.pk,
        key="permit",
        title=PERMIT,
        instructions="Show the mall office the work permit and sign in at security.",
        estimated_minutes=15,
        condition='store_format = "mall"',
    )
    program_sows.sow_task_add(
        **services,
        sow_id=sow.pk,
        key="test",
        title="Test a sale end to end",
        instructions="Ring up a test item on each kiosk and void it.",
        estimated_minutes=20,
        evidence_kind=EvidenceKind.SIGNATURE,
    )
    program_sows.sow_material_add(
        **services, sow_id=sow.pk, part_number="SCO-K1", description="Self-checkout kiosk", quantity=Decimal("3")
    )
    program_sows.sow_approve(**services, sow_id=sow.pk)

    created = work_order_services.work_orders_create_for_program(**services, program_id=program.pk, wave_id=wave.pk)
    assert created.created == len(SITES)
    work_orders = {wo.site.code: wo for wo in WorkOrder.objects.filter(program=program).select_related("site")}
    return Rollout(program=program, pm=pm, technician=technician, work_orders=work_orders)


def stage_visits(rollout: Rollout) -> None:
    """Through the services, as the PM and the technician would: Tomás takes HF-2001 (read his packet, materials
    delivered, contact confirmed, dispatched, started: visited) and HF-2002 (scheduled for the next day)."""
    organization = rollout.program.organization
    services = {"organization": organization, "actor": rollout.pm}
    for code, day in (("HF-2001", date(2027, 1, 13)), ("HF-2002", date(2027, 1, 14))):
        work_order = rollout.work_orders[code]
        work_order_services.work_order_transition(**services, work_order_id=work_order.pk, to_status="ready")
        work_order_services.work_order_assign(
            **services,
            work_order_id=work_order.pk,
            technician_id=rollout.technician.pk,
            planned_start=at(day, 9),
            planned_end=at(day, 13),
            schedule=True,
        )
    visited = rollout.work_orders["HF-2001"]
    packet = Packet.objects.get(work_order=visited, version=1)
    packet_services.packet_acknowledge(organization=organization, actor=rollout.technician.user, packet_id=packet.pk)
    shipments.shipment_create(
        **services,
        work_order_id=visited.pk,
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        shipped_on=date(2027, 1, 5),
        expected_delivery=date(2027, 1, 8),
        delivered_on=date(2027, 1, 7),
    )
    work_order_services.work_order_confirm_site_contact(**services, work_order_id=visited.pk, note="Manager on site")
    work_order_services.work_order_transition(**services, work_order_id=visited.pk, to_status="dispatched")
    work_order_services.work_order_transition(**services, work_order_id=visited.pk, to_status="in_progress")
    visited.refresh_from_db()
    assert visited.status == WorkOrderStatus.IN_PROGRESS


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/o/northwind/")


def test_a_pm_generates_a_waves_packets_then_reissues_after_a_sow_change(
    page, browser, live_server, screenshot, rollout
):
    base = live_server.url
    program = rollout.program
    numbers = {code: wo.number for code, wo in rollout.work_orders.items()}
    sign_in(page, base, "priya@example.com")

    # the program's Packets tab: nothing generated yet
    page.goto(f"{base}/o/northwind/programs/{program.pk}/")
    page.get_by_role("navigation", name="Program sections").get_by_role("link", name="Packets").click()
    expect(page.get_by_role("heading", name="Generate packets")).to_be_visible()
    expect(page.get_by_text("No packets generated yet")).to_be_visible()
    expect(page.get_by_text(re.compile(r"4\s+work orders not yet visited"))).to_be_visible()
    screenshot("packets-program")

    # generate the pilot wave's packets; the job page shows the end state (the worker runs inline here)
    page.get_by_label("For", exact=True).select_option(label="Pilot")
    page.get_by_role("button", name="Generate packets").click()
    expect(page.get_by_role("heading", name="Packet generation")).to_be_visible()
    status = page.locator("#job-status")
    expect(status.get_by_role("heading", name="Done")).to_be_visible(timeout=60_000)  # polls while running
    expect(page.locator("#job-counts")).to_have_text(
        re.compile(r"4 of 4 work orders · 4 new packets · 0 unchanged · 0 failed")
    )
    expect(page.get_by_role("progressbar", name="Packets generated")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#job-failures")).to_have_count(0)
    download_link = page.get_by_role("link", name=re.compile("Download the PDFs"))
    expect(download_link).to_be_visible()
    screenshot("packets-job-done")

    # the ZIP holds one PDF per work order
    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert re.fullmatch(r"packets-sco-2027-job\d+\.zip", download.suggested_filename)
    with zipfile.ZipFile(download.path()) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"{numbers[code]}-{code}-v1.pdf" for code, *_ in SITES)
        assert all(archive.read(name).startswith(b"%PDF") for name in names)

    # back on the Packets tab, the job is listed
    page.get_by_role("link", name="Packets").first.click()
    expect(page.get_by_text(re.compile(r"4\s+current packets")).first).to_be_visible()
    expect(page.get_by_role("cell", name="4 / 4")).to_be_visible()

    # one packet (the street store, without the mall permit task) from its work order, and its PDF
    page.goto(f"{base}/o/northwind/work-orders/{rollout.work_orders['HF-2004'].pk}/")
    expect(page.get_by_text("Packet v1 is ready; assign a technician to acknowledge it.")).to_be_visible()
    screenshot("packets-work-order")
    page.get_by_role("link", name="Open the packet").click()
    expect(page.get_by_role("heading", name=f"Packet · {numbers['HF-2004']}")).to_be_visible()
    expect(page.get_by_text("Current version")).to_be_visible()
    expect(page.get_by_role("heading", name="Mount the kiosks")).to_be_visible()
    expect(page.get_by_text(PERMIT)).to_have_count(0)
    screenshot("packets-packet-page")
    pdf_href = page.get_by_role("link", name="PDF").get_attribute("href")
    response = page.request.get(f"{base}{pdf_href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.body())
    assert "HF-2004" in text and "Mount the kiosks" in text and PERMIT not in text
    mall = Packet.objects.get(work_order=rollout.work_orders["HF-2003"], version=1)
    assert PERMIT in pdf_text(mall.pdf.open("rb").read())

    # meanwhile Tomás read HF-2001's packet and started that visit; HF-2002 is scheduled for him
    stage_visits(rollout)

    # the SOW changes: a new version, one task's instructions rewritten, approved through its confirmation
    page.goto(f"{base}/o/northwind/programs/{program.pk}/")
    page.get_by_role("link", name="New version").click()
    expect(page.get_by_text("Version 2 starts as a copy of version 1")).to_be_visible()
    page.get_by_role("button", name="Start draft").click()
    expect(page.get_by_text("Draft SOW v2 started.")).to_be_visible()
    page.get_by_role("link", name="Edit “Mount the kiosks”").click()
    page.get_by_label("Instructions").fill(NEW_INSTRUCTIONS)
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_text("four M10 bolts")).to_be_visible()
    page.get_by_role("link", name="Approve…").click()
    expect(page.get_by_role("heading", name="Approve SOW v2 of sco-2027?")).to_be_visible()
    page.get_by_role("button", name="Approve v2").click()
    expect(page.get_by_text("SOW v2 approved.")).to_be_visible()
    screenshot("packets-sow-v2")

    # the re-issue page lists exactly the affected work orders with their diff; the visited one stays
    page.goto(f"{base}/o/northwind/programs/{program.pk}/")
    page.get_by_role("navigation", name="Program sections").get_by_role("link", name="Packets").click()
    page.get_by_role("link", name="Re-issue changed packets").click()
    affected = page.locator("#reissue-affected > li")
    expect(affected).to_have_count(4)
    expect(page.get_by_text("Task changed: Mount the kiosks (instructions)")).to_have_count(4)
    expect(page.get_by_text("SOW v1 → v2")).to_have_count(4)
    visited = affected.filter(has_text=numbers["HF-2001"])
    expect(visited).to_contain_text("Visited (in progress): keeps packet v1.")
    expect(visited.get_by_role("checkbox")).to_have_count(0)
    for code in ("HF-2002", "HF-2003", "HF-2004"):
        expect(page.get_by_role("checkbox", name=f"{numbers[code]} · {code}")).to_be_checked()
    screenshot("packets-reissue-preview")
    page.get_by_role("button", name="Re-issue the selected packets").click()
    result = page.locator("#reissue-result")
    expect(result.get_by_role("heading", name="Re-issue done")).to_be_visible()
    expect(result).to_contain_text("3 new packet versions issued")
    expect(result).to_contain_text("1 left untouched")
    expect(result.locator("#reissue-untouched li")).to_have_text(
        [f"{numbers['HF-2001']} · HF-2001: Visited (in progress): keeps packet v1."]
    )
    expect(result.locator("#reissue-issued li")).to_have_count(3)
    screenshot("packets-reissue-done")
    assert sorted(
        Packet.objects.filter(work_order__program=program, superseded_by__isnull=True, status="rendered").values_list(
            "work_order__site__code", "version"
        )
    ) == [("HF-2001", 1), ("HF-2002", 2), ("HF-2003", 2), ("HF-2004", 2)]

    # version 2 of a re-issued packet: what changed since v1, both versions listed
    result.get_by_role("link", name=f"{numbers['HF-2002']} · v2").click()
    expect(page.get_by_role("heading", name=f"Packet · {numbers['HF-2002']}")).to_be_visible()
    expect(page.get_by_text("What changed since v1")).to_be_visible()
    expect(page.get_by_text("Tomás Alvarez has not acknowledged packet v2 yet.")).to_be_visible()
    expect(page.get_by_text("four M10 bolts")).to_be_visible()
    expect(page.get_by_role("link", name="Version 1")).to_be_visible()
    screenshot("packets-packet-v2")
    v2_url = page.url

    # Tomás reads version 2 on his phone and acknowledges it
    phone = browser.new_context(**VIEWPORTS["phone"])
    phone.set_default_timeout(10_000)
    tech_page = phone.new_page()
    try:
        sign_in(tech_page, base, "tomas@fieldline.example")
        tech_page.goto(v2_url)
        expect(tech_page.get_by_role("heading", name=f"Packet · {numbers['HF-2002']}")).to_be_visible()
        acknowledge = tech_page.get_by_role("button", name="I have read version 2")
        expect(acknowledge).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tech_page.screenshot(path=str(SCREENSHOTS / "phone-packet-view.png"))
        acknowledge.click()
        expect(tech_page.get_by_text("Packet v2 acknowledged.")).to_be_visible()
        expect(tech_page.get_by_text("Tomás Alvarez acknowledged packet v2")).to_be_visible()
        tech_page.screenshot(path=str(SCREENSHOTS / "phone-packet-acknowledged.png"))
    finally:
        phone.close()
