"""The quality pages added on top of the API, in a real browser (desktop): the defect catalogue (with a refused
duplicate), DRFT exclusions, warranty reports, the sampling policy, and the client viewer's DRFT page and warranty
list in the client portal. Screenshots go to var/screenshots/desktop-quality-*.png (and, when QUALITY_SHOTS is set,
to that directory too)."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from quality import services
from rollout.choices import Role
from tests.browser.helpers import sign_in
from tests.quality.support import accept, close, defect_code, first_visit, reject, return_visit, work_visit
from tests.workorders.builders.visits import access_for, build_field_world
from workorders.models import WorkOrder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    return "desktop"


def keep(path: Path) -> None:
    target = os.environ.get("QUALITY_SHOTS")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def history(tenant):
    world = build_field_world(tenant)
    for code, title, severity in [
        ("photo-missing", "Required photo missing or unusable", "major"),
        ("cabling-untidy", "Cabling untidy or unlabelled", "minor"),
        ("device-not-working", "Installed device does not work", "critical"),
    ]:
        defect_code(world, code, title=title, default_severity=severity)
    done = work_visit(world, first_visit(world))
    accept(world, WorkOrder.objects.get(pk=done.work_order_id))
    close(world, WorkOrder.objects.get(pk=done.work_order_id))
    failed = work_visit(world, first_visit(world))
    work_order = WorkOrder.objects.get(pk=failed.work_order_id)
    reject(world, work_order, comment="Internal: the vendor was warned about labels")
    work_visit(world, return_visit(world, work_order))
    accept(world, WorkOrder.objects.get(pk=work_order.pk))
    close(world, WorkOrder.objects.get(pk=work_order.pk))
    warranty = work_visit(world, first_visit(world))
    accept(world, WorkOrder.objects.get(pk=warranty.work_order_id))
    services.warranty_report_create(
        organization=world.organization,
        actor=access_for(tenant, Role.CLIENT),
        work_order_id=warranty.work_order_id,
        description="The second terminal reboots every hour",
    )
    incomplete = work_visit(world, first_visit(world), outcome="incomplete", incomplete_reason="site_not_ready")
    services.drft_exclusion_set(
        organization=world.organization,
        actor=access_for(tenant, Role.PM),
        work_order_id=incomplete.work_order_id,
        cause="site_not_ready",
        reason="The store was still being refitted: no power at the checkout lanes",
    )
    from quality.drft import drft_reconcile

    drft_reconcile(organization=world.organization)
    return world


def test_the_quality_pages_and_the_client_view(page, live_server, screenshot, tenant):
    world = history(tenant)
    base, org = live_server.url, tenant.organization.slug
    # the admin's defect catalogue, sorted by code, and a refused duplicate
    sign_in(page, base, tenant.members[Role.ADMIN].user.email)
    page.goto(f"{base}/o/{org}/quality/defect-codes/")
    expect(page.get_by_role("heading", name="Defect catalogue")).to_be_visible()
    keep(screenshot("quality-defect-codes"))
    page.get_by_role("link", name="New code").click()
    page.get_by_label("Code").fill("photo-missing")
    page.get_by_label("Title").fill("Again")
    page.get_by_role("button", name="Add code").click()
    expect(page.get_by_text("already has a code")).to_be_visible()
    keep(screenshot("quality-defect-code-refused"))
    # the exclusions, the warranty reports and the sampling policy
    page.goto(f"{base}/o/{org}/quality/exclusions/")
    expect(page.get_by_text("no power at the checkout lanes")).to_be_visible()
    keep(screenshot("quality-exclusions"))
    page.get_by_role("link", name="Exclude a work order").click()
    keep(screenshot("quality-exclusion-form"))
    page.goto(f"{base}/o/{org}/quality/warranty/")
    expect(page.get_by_text("reboots every hour")).to_be_visible()
    keep(screenshot("quality-warranty"))
    page.goto(f"{base}/o/{org}/quality/sampling/")
    keep(screenshot("quality-sampling"))
    page.get_by_role("link", name=f"Edit {world.program.code}").click()
    keep(screenshot("quality-sampling-form"))
    page.goto(f"{base}/o/{org}/quality/")
    keep(screenshot("quality-home-nav"))
    # the client viewer: DRFT of their program, the root causes, no internal comment, first names only
    page.context.clear_cookies()
    sign_in(page, base, tenant.members[Role.CLIENT].user.email)
    page.goto(f"{base}/o/{org}/quality/client/")
    expect(page.get_by_test_id("client-drft")).to_have_text("50.0 %")
    expect(page.get_by_text("Technician error")).to_be_visible()
    assert "vendor was warned" not in page.content()
    assert world.technician.full_name not in page.content()
    keep(screenshot("quality-client"))
    page.goto(f"{base}/o/{org}/quality/warranty/")
    keep(screenshot("quality-client-warranty"))
