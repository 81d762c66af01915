"""The QA review loop in a real browser: a coordinator opens the review queue, walks a submitted work order's tasks
with the keyboard, rejects it with a defect on the current task, the return visit is worked (through the visit
services, as the phone does), the coordinator accepts it with one key, and the Quality page's DRFT moves.
Screenshots go to var/screenshots/desktop-quality-*.png."""

import pytest
from playwright.sync_api import expect

from quality.models import QaReview
from rollout.choices import Role
from tests.factories import DEFAULT_PASSWORD
from tests.quality.support import accept, close, defect_code, return_visit, submitted_work_order, work_visit
from tests.workorders.builders.visits import build_field_world
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    """Review happens at a desk."""
    return "desktop"


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_coordinator_reviews_with_the_keyboard_and_drft_moves(page, live_server, screenshot, tenant):
    # given a program with one closed DRFT work order and one submitted, waiting for review
    world = build_field_world(tenant)
    done = submitted_work_order(world)
    accept(world, done)
    close(world, done)
    from quality.drft import drft_reconcile

    drft_reconcile(organization=world.organization)
    work_order = submitted_work_order(world)
    code = defect_code(world, "cabling-untidy", title="Cabling untidy or unlabelled", default_severity="minor")
    base = live_server.url
    org = tenant.organization.slug
    sign_in(page, base, tenant.members[Role.COORDINATOR].user.email)
    # the Quality page shows DRFT 100 % on one closed work order
    page.goto(f"{base}/o/{org}/quality/")
    expect(page.get_by_test_id("drft-total")).to_have_text("100.0 %")
    expect(page.get_by_test_id("queue-size")).to_have_text("1")
    screenshot("quality-home-before")
    # when the coordinator opens the queue and the work order
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("link", name=work_order.number)).to_be_visible()
    screenshot("quality-queue")
    page.get_by_role("link", name=work_order.number).click()
    expect(page.get_by_role("heading", name=f"Review {work_order.number}")).to_be_visible()
    # walks to the third task with j, and starts a defect on it with r
    page.locator("body").click(position={"x": 5, "y": 5})
    for _ in range(3):
        page.keyboard.press("j")
    expect(page.locator("#task-cable")).to_be_focused()
    page.keyboard.press("r")
    expect(page.locator("#defect-code-0")).to_be_focused()
    expect(page.locator("select[name=defect_task]").first).to_have_value("cable")
    page.locator("#defect-code-0").select_option(str(code.pk))
    page.locator("input[name=defect_comment]").first.fill("Cable run not labelled")
    screenshot("quality-review-reject")
    page.get_by_role("button", name="Reject: send to rework").click()
    # then the work order goes to rework with the defect on that task
    expect(page.locator(".alert, .toast").filter(has_text="rework").first).to_be_visible()
    assert WorkOrder.objects.get(pk=work_order.pk).status == "rework"
    defect = QaReview.objects.get(work_order=work_order).defects.get()
    assert (defect.task_key, defect.comment, defect.code_id) == ("cable", "Cable run not labelled", code.pk)
    # when the return visit is worked and the coordinator accepts it with "a"
    visit = return_visit(world, WorkOrder.objects.get(pk=work_order.pk))
    work_visit(world, visit)
    page.goto(f"{base}/o/{org}/quality/reviews/{work_order.pk}/")
    expect(page.get_by_text("Visit 2")).to_be_visible()
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    expect(page.locator(".alert, .toast").filter(has_text="accepted").first).to_be_visible()
    close(world, WorkOrder.objects.get(pk=work_order.pk))
    drft_reconcile(organization=world.organization)
    # then the program's DRFT moved: one of two closed work orders was right first time
    page.goto(f"{base}/o/{org}/quality/")
    expect(page.get_by_test_id("drft-total")).to_have_text("50.0 %")
    expect(page.get_by_text("QA rejected").first).to_be_visible()
    screenshot("quality-home-after")
    page.goto(f"{base}/o/{org}/")
    expect(page.get_by_test_id("drft-tile")).to_have_text("50.0 %")
    screenshot("quality-pm-home-tile")
