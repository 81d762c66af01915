"""Planning a program in a real browser, the way a PM does it: a program for a client, a wave, a SOW with a
conditional task approved behind its confirmation, a site import whose dry run finds a bad row, the fixed file
committed, the new sites enrolled in the wave, then the sites on the site list (filtered by the program) and on the
program's map. Map tiles never load here (no internet, and the test blocks them): the page must say so and still
show every site. Screenshots go to var/screenshots/<viewport>-planning-*.png.
"""

import re

import pytest
from playwright.sync_api import expect

from rollout.choices import Role
from sites.demo.seed import US_CITIES
from tests.browser.helpers import VIEWPORTS
from tests.factories import DEFAULT_PASSWORD, ClientFactory, MembershipFactory, OrganizationFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.sites.factories import SiteFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TILES = "https://tile.openstreetmap.org/**"
HEADER = "code,name,address1,city,state,postal_code,latitude,longitude,timezone,attr:store_format"
GOOD_ROWS = [
    "HF-1001,Harbor Foods Loop,233 S Wacker Dr,Chicago,IL,60606,41.878876,-87.635915,America/Chicago,mall",
    "HF-1002,Harbor Foods Back Bay,800 Boylston St,Boston,MA,02199,42.347500,-71.082500,America/New_York,express",
    "HF-1003,Harbor Foods Capitol Hill,1500 E Olive Way,Seattle,WA,98122,47.618600,-122.318700,,supercenter",
]
# Row 3 of the file (the header is row 1): a latitude no place on Earth has.
BAD_ROWS = [GOOD_ROWS[0], GOOD_ROWS[1].replace("42.347500", "123"), GOOD_ROWS[2]]


@pytest.fixture
def viewport() -> str:
    """The whole planning flow runs on the desktop, where PMs plan; the phone test below looks at the map only."""
    return "desktop"


@pytest.fixture
def northwind():
    organization = OrganizationFactory(slug="northwind", name="Northwind Rollouts")
    client = ClientFactory(organization=organization, code="harbor", name="Harbor Foods")
    MembershipFactory(
        organization=organization, user__email="priya@example.com", user__full_name="Priya Patel", role=Role.PM
    )
    return {"organization": organization, "client": client}


def csv_file(rows: list[str], name: str = "harbor-stores.csv") -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": "\n".join([HEADER, *rows, ""]).encode()}


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile("Priya"))).to_be_visible()


def test_a_pm_plans_a_program_from_nothing_to_sites_on_the_map(page, live_server, screenshot, northwind):
    page.route(TILES, lambda route: route.abort())
    base = live_server.url
    sign_in(page, base, "priya@example.com")

    # a program for Harbor Foods
    page.goto(f"{base}/o/northwind/programs/")
    page.get_by_role("link", name="New program").first.click()
    page.get_by_label("Client").select_option(label="Harbor Foods")
    page.get_by_label("Code").fill("sco-2027")
    page.get_by_label("Name", exact=True).fill("Self-checkout rollout 2027")
    page.get_by_label("Start date").fill("2027-01-04")
    page.get_by_label("End date").fill("2027-06-30")
    page.get_by_label("Responsible PM").select_option(label="Priya Patel (priya@example.com)")
    page.get_by_role("button", name="Create program").click()
    expect(page.get_by_text("Program sco-2027 created.")).to_be_visible()
    program_url = page.url

    # a wave inside the program's dates
    page.get_by_role("link", name="Add wave").click()
    page.get_by_label("Name").fill("Pilot")
    page.get_by_label("Start date").fill("2027-01-11")
    page.get_by_label("End date").fill("2027-02-26")
    page.get_by_role("button", name="Save wave").click()
    expect(page.get_by_text("Wave “Pilot” saved.")).to_be_visible()

    # a SOW: a task for every site, then one only for mall stores (a broken condition is refused first)
    page.get_by_role("link", name="Start SOW").first.click()
    page.get_by_role("button", name="Start draft").click()
    expect(page.get_by_text("Draft SOW v1 started.")).to_be_visible()
    page.get_by_role("link", name="Add task").first.click()
    page.get_by_label("Title").fill("Mount kiosks")
    page.get_by_label("Instructions").fill("Anchor each kiosk base to the floor.\n\n- level it\n- route power and data")
    page.get_by_label("Estimated minutes").fill("60")
    page.get_by_label("Evidence required").select_option("photo")
    page.get_by_label("Minimum photos").fill("2")
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_role("heading", name="Mount kiosks")).to_be_visible()
    page.get_by_role("link", name="Add task").first.click()
    page.get_by_label("Title").fill("Mall management access permit")
    page.get_by_label("Estimated minutes").fill("15")
    page.get_by_label("Evidence required").select_option("photo")
    page.get_by_label("Condition").fill('store_format = "mall" and')
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_text(re.compile(r"column \d+"))).to_be_visible()
    page.get_by_label("Condition").fill('store_format = "mall"')
    page.get_by_role("button", name="Save task").click()
    expect(page.get_by_role("heading", name="Mall management access permit")).to_be_visible()
    expect(page.get_by_text('store_format = "mall"')).to_be_visible()
    screenshot("planning-sow-editor")

    # approval asks first, then freezes the version
    page.get_by_role("link", name="Approve…").click()
    expect(page.get_by_role("heading", name="Approve SOW v1 of sco-2027?")).to_be_visible()
    page.get_by_role("button", name="Approve v1").click()
    expect(page.get_by_text("SOW v1 approved.")).to_be_visible()
    expect(page.get_by_text("This version is frozen")).to_be_visible()
    page.goto(program_url)
    expect(page.get_by_role("cell", name="Pilot", exact=True)).to_be_visible()
    screenshot("planning-program-detail")

    # a site file with a bad latitude: the dry run names the row and the column, and writes nothing
    page.get_by_role("navigation", name="Program sections").get_by_role("link", name="Attributes").click()
    page.get_by_role("link", name="Import sites with this schema").click()
    page.get_by_label("Site file").set_input_files(csv_file(BAD_ROWS))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("1 problem found")).to_be_visible()
    problem = page.locator("#import-errors tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(0)).to_have_text("3")
    expect(problem.locator("td").nth(1)).to_have_text("latitude")
    expect(page.get_by_role("button", name=re.compile("Commit"))).to_have_count(0)
    screenshot("planning-import-errors")

    # the fixed file passes, and the commit runs to the end
    page.goto(program_url)
    page.get_by_role("navigation", name="Program sections").get_by_role("link", name="Attributes").click()
    page.get_by_role("link", name="Import sites with this schema").click()
    page.get_by_label("Site file").set_input_files(csv_file(GOOD_ROWS, "harbor-stores-fixed.csv"))
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_text("Ready to commit 3 rows")).to_be_visible()
    screenshot("planning-import-ready")
    page.get_by_role("button", name="Commit 3 rows").click()
    expect(page.get_by_text("Committed.")).to_be_visible()
    expect(page.get_by_text("3 sites created")).to_be_visible()
    expect(page.locator(".progress")).to_have_count(0)  # polling stopped: nothing left running
    screenshot("planning-import-committed")

    # enroll the new sites in the pilot: the confirmation says how many, before anything changes
    page.get_by_role("link", name="Enroll in sco-2027").click()
    expect(page.get_by_label("In this program")).to_have_value("false")
    page.get_by_label(re.compile("All 3 sites matching")).check()
    page.locator("#bulk-form").get_by_label("Wave").select_option(label="Pilot (Jan 11 – Feb 26, 2027)")
    page.get_by_role("button", name="Enroll…").click()
    expect(page.get_by_text(re.compile(r"Will be enrolled \(in Pilot\)"))).to_be_visible()
    expect(page.get_by_role("button", name="Enroll 3 sites")).to_be_visible()
    screenshot("planning-enroll-confirm")
    page.get_by_role("button", name="Enroll 3 sites").click()
    expect(page.get_by_text("Enrollment done: 3 sites changed.")).to_be_visible()

    # the site list, filtered by the program through its filter bar
    page.goto(f"{base}/o/northwind/sites/")
    page.get_by_label("Program").select_option(label="sco-2027 · Self-checkout rollout 2027")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"program=\d+"))
    rows = page.locator("#sites-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("HF-1001")
    screenshot("planning-site-list")

    # and the map: three dots coloured by wave, a note that tiles did not load, the list below
    page.get_by_role("link", name="sco-2027 on the map").click()
    site_map = page.locator("#site-map")
    expect(site_map).to_have_attribute("data-ready", "true")
    expect(site_map).to_have_attribute("data-markers", "3")
    expect(page.get_by_text("The map background could not be loaded")).to_be_visible()
    expect(page.locator("#map-site-list tbody tr")).to_have_count(3)
    screenshot("planning-map")
    page.get_by_role("button", name="Show HF-1002 on the map").click()
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text("HF-1002")
    expect(popup).to_contain_text("Boston, MA")
    expect(popup).to_contain_text("Pilot")
    page.evaluate("window.scrollTo(0, 0)")  # a full-page capture of a scrolled page repeats the sticky header
    screenshot("planning-map-popup")
    popup.get_by_role("link", name="HF-1002").click()
    expect(page.get_by_role("heading", name=re.compile("Harbor Foods Back Bay"))).to_be_visible()


def test_the_map_of_a_big_program_on_a_phone(browser, live_server, northwind):
    # given a program with 300 sites in two waves and one without coordinates
    organization, client = northwind["organization"], northwind["client"]
    program = ProgramFactory(organization=organization, client=client, code="sco-2026", name="Self-checkout rollout")
    waves = [WaveFactory(program=program, name="Pilot", order=1), WaveFactory(program=program, name="Wave 1", order=2)]
    for n in range(300):
        city, state, latitude, longitude, *_ = US_CITIES[n % len(US_CITIES)]
        site = SiteFactory(
            organization=organization,
            client=client,
            code=f"HF-{n:04d}",
            city=city,
            state=state,
            latitude=round(latitude + (n % 7 - 3) * 0.05, 6),
            longitude=round(longitude + (n % 5 - 2) * 0.06, 6),
        )
        EnrollmentFactory(program=program, site=site, wave=waves[n % 2])
    EnrollmentFactory(program=program, site__client=client, site__latitude=None, site__longitude=None)
    context = browser.new_context(**VIEWPORTS["phone"])
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.route(TILES, lambda route: route.abort())
        sign_in(page, live_server.url, "priya@example.com")
        # when Priya opens the map on her phone
        page.goto(f"{live_server.url}/o/northwind/programs/{program.pk}/map/")
        # then every placed site is a marker, the offline note shows, the list pages through all 301
        expect(page.locator("#site-map")).to_have_attribute("data-markers", "300")
        expect(page.get_by_text("The map background could not be loaded")).to_be_visible()
        expect(page.get_by_text("1 site without coordinates is not on the map")).to_be_visible()
        expect(page.get_by_text(re.compile(r"Showing 1–50\s+of\s+301 sites"))).to_be_visible()
        page.locator("#site-map").scroll_into_view_if_needed()
        page.screenshot(path=str(_screenshot_path("phone-planning-map")))
        # and the wave legend narrows the map
        page.get_by_role("link", name=re.compile("Wave 1")).first.click()
        expect(page.locator("#site-map")).to_have_attribute("data-markers", "150")
    finally:
        context.close()


def _screenshot_path(name: str):
    from tests.browser.helpers import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
