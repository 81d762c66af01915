"""The dashboards in a browser: the PM opens the portfolio, then a program's dashboard and follows a number to the
filtered work-order list; the client viewer signs in, sees progress on the home and opens the program's portal page
(desktop and a 390 px phone: no horizontal overflow). Screenshots: var/screenshots/<viewport>-dash-*.png."""

import pytest

from rollout.choices import Role
from sites.models import Site
from tests.browser.helpers import SCREENSHOTS, sign_in
from tests.dashboards.builders import SECRET_OVERRIDE, SECRET_RESOLUTION, program_world
from tests.workorders.builders.packets import pdf_text

pytestmark = pytest.mark.django_db(transaction=True)


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_pm_dashboard_and_portfolio(page, live_server, screenshot, tenant, viewport):
    if viewport != "desktop":
        pytest.skip("the PM's dashboard is desktop first; the phone is the client's")
    program, _, work_orders = program_world(tenant, sites=24)
    for index, work_order in enumerate(work_orders):  # spread over the Midwest, for the map
        Site.objects.filter(pk=work_order.site_id).update(
            latitude=38.5 + (index * 7 % 11) * 0.45, longitude=-93.0 + (index * 5 % 13) * 0.6
        )
    base = f"{live_server.url}/o/{tenant.organization.slug}"
    sign_in(page, live_server.url, tenant.members[Role.PM].user.email)
    page.goto(f"{base}/portfolio/")
    page.get_by_role("heading", name="Portfolio").first.wait_for()
    screenshot("dash-portfolio")
    page.get_by_role("link", name=program.code, exact=True).click()
    page.get_by_role("heading", name="Progress per wave against plan").wait_for()
    screenshot("dash-program")
    assert page.locator("#site-map circle").count() >= 24
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    _no_overflow(page)
    screenshot("dash-program-tablet")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("completed").get_by_role("link").click()
    page.wait_for_url("**/work-orders/?program=*")
    assert "status=accepted" in page.url
    screenshot("dash-work-orders-export")
    # the list's export keeps its filters: only the accepted work orders
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = download.value.path().read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 8 and all(",Accepted," in line for line in lines[1:]), lines[:3]
    # the weekly report, downloaded from the dashboard
    page.go_back()
    page.get_by_test_id("report-pdf").wait_for()
    page.locator("#downloads").scroll_into_view_if_needed()
    screenshot("dash-program-downloads")
    with page.expect_download() as download:
        page.get_by_test_id("report-pdf").click()
    download.value.save_as(SCREENSHOTS / "desktop-dash-report.pdf")  # looked at as pictures: pdftoppm -png
    text = pdf_text(download.value.path().read_bytes())
    assert "Progress per wave" in text and "8 of 24" in text and SECRET_OVERRIDE not in text


def test_client_portal(page, live_server, screenshot, tenant, viewport):
    program, _, work_orders = program_world(tenant, sites=12)
    visited = next(wo for wo in work_orders if wo.visits.exists())
    base = f"{live_server.url}/o/{tenant.organization.slug}"
    sign_in(page, live_server.url, tenant.members[Role.CLIENT].user.email)
    page.goto(f"{base}/")
    page.get_by_test_id("portal-program").first.wait_for()
    _no_overflow(page)
    screenshot("dash-client-home")
    page.goto(f"{base}/portal/programs/{program.pk}/")
    page.get_by_role("heading", name="Progress per wave").wait_for()
    _no_overflow(page)
    screenshot("dash-client-program")
    page.locator("#schedule").scroll_into_view_if_needed()
    screenshot("dash-client-schedule")
    text = page.content()
    assert SECRET_OVERRIDE not in text and SECRET_RESOLUTION not in text
    assert program.code in text
    page.locator("#sites").get_by_role("link", name=visited.site.code).click()
    page.get_by_test_id("site-timeline").first.wait_for()
    _no_overflow(page)
    screenshot("dash-client-site")
