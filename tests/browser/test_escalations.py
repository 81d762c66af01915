"""Escalations in a real browser: a technician misses a check-in, the sweep raises it and climbs to the PM; the
coordinator sees it on the escalation board and in the navigation badge, acknowledges it, the technician checks
in (through the field service, as the phone does) and the next sweep resolves it by itself — shown on the board,
the escalation's timeline and the visit page. Screenshots go to /work/main/var/screenshots/escalations/."""

from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
from playwright.sync_api import expect

from escalations.choices import RuleKey
from escalations.models import Escalation
from rollout.choices import Role
from tests.escalations.builders import CHECKIN_DUE, sweep, world_of
from tests.factories import DEFAULT_PASSWORD
from tests.workorders.builders.visits import booked_visit, check_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/main/var/screenshots/escalations")


@pytest.fixture
def viewport() -> str:
    """The board is watched at a desk."""
    return "desktop"


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page, base_url: str, email: str, password: str = DEFAULT_PASSWORD) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_missed_check_in_escalates_is_acknowledged_and_resolves_itself(page, live_server, tenant):
    # given a visit whose technician has not checked in by window start + grace, swept as the minute beat would
    world = world_of(tenant)
    visit = booked_visit(world)
    sweep(tenant, CHECKIN_DUE - timedelta(minutes=5))  # at risk
    sweep(tenant, CHECKIN_DUE)  # raised to the coordinators
    base, org = live_server.url, tenant.organization.slug
    sign_in(page, base, tenant.members[Role.COORDINATOR].user.email)

    # when the coordinator opens the escalation board: the missed check-in is there, the badge counts it
    page.goto(f"{base}/o/{org}/escalations/?state=open")
    row = page.get_by_role("row").filter(has_text="No check-in by window start + grace")
    expect(row).to_be_visible()
    expect(row).to_contain_text(visit.work_order.number)
    open_now = Escalation.objects.open().count()
    expect(page.locator("[data-nav-badge]")).to_contain_text(str(open_now))
    shot(page, "board-open")

    # and nobody acknowledges for 30 minutes: it climbs to the PM
    sweep(tenant, CHECKIN_DUE + timedelta(minutes=30))
    page.reload()
    expect(page.get_by_role("row").filter(has_text="No check-in by window start + grace")).to_contain_text(
        "2 · Program manager"
    )

    # the coordinator acknowledges it on its page
    page.get_by_role("link", name="No check-in by window start + grace").click()
    expect(page.get_by_role("heading", name="No check-in by window start + grace")).to_be_visible()
    shot(page, "detail-open")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text("Acknowledged: the ladder stops here.")).to_be_visible()
    escalation = Escalation.objects.get(rule=RuleKey.NO_CHECK_IN, current=True)
    assert escalation.state == "acknowledged"
    assert escalation.acknowledged_by == tenant.members[Role.COORDINATOR].user

    # then the technician checks in (the field service, as the phone calls it) and the next sweep runs
    arrived = CHECKIN_DUE + timedelta(minutes=40)
    with mock.patch("django.utils.timezone.now", return_value=arrived):
        check_in(world, visit)
    sweep(tenant, arrived + timedelta(minutes=1))

    # the escalation resolved itself, with the time it took
    page.reload()
    expect(page.get_by_text("Resolved by itself").first).to_be_visible()
    expect(page.get_by_text("Resolved by itself · The condition cleared.").first).to_be_visible()
    shot(page, "detail-resolved")
    page.goto(f"{base}/o/{org}/escalations/?state=resolved")
    expect(page.get_by_role("row").filter(has_text="No check-in by window start + grace")).to_be_visible()
    shot(page, "board-resolved")
    page.goto(f"{base}/o/{org}/visits/{visit.pk}/")
    expect(page.locator("#escalations")).to_contain_text("No check-in by window start + grace")
    shot(page, "visit-panel")
    page.goto(f"{base}/o/{org}/work-orders/{visit.work_order_id}/")
    expect(page.locator("#escalations")).to_contain_text("Resolved by itself")
    shot(page, "work-order-panel")
    page.goto(f"{base}/o/{org}/sla-policy/")
    expect(page.get_by_role("form", name="No check-in by window start + grace")).to_be_visible()
    shot(page, "policy")
    escalation.refresh_from_db()
    assert escalation.auto_resolved and escalation.time_to_resolve == timedelta(minutes=11)


def test_the_demo_board_for_the_pm_and_the_client(page, live_server):
    from django.core.management import call_command

    from rollout.demo.seed import DEMO_PASSWORD

    # given the demo day, swept by the real sweep
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    # the PM sees every state: the missed check-in at level 2, the at-risk confirmation, the one resolved by itself
    sign_in(page, base, "pm@northwind.example", DEMO_PASSWORD)
    page.goto(f"{base}/o/northwind/escalations/?state=open&rule=no_check_in")
    expect(page.get_by_role("row").filter(has_text="2 · Program manager").first).to_be_visible()
    shot(page, "demo-board-open")
    shot(page, "demo-board-open")
    page.goto(f"{base}/o/northwind/escalations/?state=at_risk")
    expect(page.get_by_role("row").filter(has_text="No confirmation before the visit")).to_be_visible()
    page.goto(f"{base}/o/northwind/escalations/?state=resolved")
    expect(page.get_by_role("row").filter(has_text="No confirmation before the visit")).to_be_visible()
    page.goto(
        f"{base}/o/northwind/sla-policy/?program="
        + str(Escalation.objects.filter(rule="no_check_in").first().program_id)
    )
    expect(page.get_by_text("override for").first).to_be_visible()
    shot(page, "demo-policy-program")
    # Harbor Foods' contact sees only the client-visible escalations of their programs
    page.context.clear_cookies()
    sign_in(page, base, "client@harborfoods.example", DEMO_PASSWORD)
    page.goto(f"{base}/o/northwind/escalations/?state=")
    rows = page.locator("tbody tr")
    expect(rows.first).to_contain_text("No check-in by window start + grace")
    assert rows.filter(has_text="No confirmation").count() == 0
    shot(page, "demo-board-client")
