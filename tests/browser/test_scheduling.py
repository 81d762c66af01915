"""Schedule runs in a real browser: a PM starts a run for a wave from the sidebar, reads the proposal per
technician per day with the totals and the unscheduled work order's reason, and publishes it. Screenshots go to
/work/main/var/screenshots/sched/ (and var/screenshots/)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from rollout.choices import Role
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling.builders import WEEK, build_wave
from tests.workorders.builders.visits import build_field_world
from workorders.models import Visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = [Path("/work/main/var/screenshots/sched"), Path(__file__).resolve().parents[2] / "var" / "screenshots"]


@pytest.fixture
def viewport() -> str:
    return "desktop"


def shot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"desktop-scheduling-{name}.png"), full_page=True)


def test_a_pm_runs_a_wave_reviews_and_publishes(page, live_server, tenant):
    world = build_field_world(tenant)
    wave, work_orders = build_wave(world, sites=4)
    short = work_orders[-1].site
    short.access_hours = {day: ["10:00-10:30"] for day in ("mon", "tue", "wed", "thu", "fri")}
    short.save()
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("E-mail").fill(tenant.members[Role.PM].user.email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.get_by_role("link", name="Schedule runs").click()
    expect(page.get_by_text("No schedule runs yet")).to_be_visible()
    shot(page, "empty")
    page.get_by_role("link", name="New run").click()
    page.get_by_label("Program").select_option(str(world.program.pk))
    page.get_by_label("Wave").select_option(str(wave.pk))
    page.get_by_label("First day").fill(WEEK[0].isoformat())
    page.get_by_label("Last day").fill(WEEK[1].isoformat())
    shot(page, "create")
    page.get_by_role("button", name="Start the run").click()

    expect(page.locator("#proposal-table")).to_be_visible()
    expect(page.locator("#run-totals")).to_contain_text("3 of 4")
    expect(page.locator("#unscheduled-table")).to_contain_text("access_too_short")
    shot(page, "review")
    page.get_by_role("button", name="Publish all (3)").click()
    expect(page.get_by_text("3 visits booked.")).to_be_visible()
    expect(page.locator("#proposal-table")).to_contain_text("Booked")
    expect(page.get_by_role("button", name="Publish all (3)")).to_have_count(0)
    shot(page, "published")
    assert Visit.objects.filter(work_order__program=world.program).count() == 3
