"""Screenshots of the pages issue 11's last defects changed, from the demo (var/screenshots/pages/): the work order
with a booked visit (red gates say why and what to do), the coordinator's and PM's homes, the Packets tab, the
import page, the dispatch board on a phone (filters folded), and a client viewer's work order."""

import pytest
from django.core.management import call_command

from rollout.demo.seed import DEMO_PASSWORD
from tests.browser.helpers import SCREENSHOTS
from workorders.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = SCREENSHOTS / "pages"
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def signed_in(browser, base_url, email, size):
    context = browser.new_context(**size)
    page = context.new_page()
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")
    return context, page


def shoot(page, url, name, *, full=True):
    page.goto(url)
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


def test_screens(browser, live_server):
    call_command("seed_demo", stdout=None)
    base = live_server.url
    org = f"{base}/o/northwind"
    booked = (
        Visit.objects.filter(work_order__organization__slug="northwind", status="scheduled")
        .select_related("work_order")
        .first()
        .work_order
    )
    program = booked.program_id
    context, page = signed_in(browser, base, "pm@northwind.example", LAPTOP)
    shoot(page, f"{org}/work-orders/{booked.pk}/", "pm-work-order-booked")
    shoot(page, f"{org}/", "pm-home")
    shoot(page, f"{org}/packets/programs/{program}/", "pm-packets-tab")
    shoot(page, f"{org}/sites/imports/", "pm-import")
    context.close()
    context, page = signed_in(browser, base, "coordinator@northwind.example", LAPTOP)
    shoot(page, f"{org}/", "coordinator-home")
    context.close()
    context, page = signed_in(browser, base, "coordinator@northwind.example", PHONE)
    shoot(page, f"{org}/dispatch/", "coordinator-dispatch-phone", full=False)
    context.close()
    context, page = signed_in(browser, base, "client@harborfoods.example", LAPTOP)
    shoot(page, f"{org}/work-orders/{booked.pk}/", "client-work-order")
    context.close()
