"""Notifications in a real browser: a coordinator cancels a visit → the technician's bell shows 1 on their phone →
the inbox lists the cancellation → the entry opens the visit (and is read). Screenshots of the inbox and the
preferences on the phone and on the desktop go to /work/main/var/screenshots/notify/."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from notifications.models import Notification
from rollout.choices import Role
from rollout.events import event_relay
from rollout.models import Event
from tests.browser.helpers import VIEWPORTS, sign_in
from tests.quality.support import submitted_work_order
from tests.workorders.builders.visits import book, build_field_world, ready_work_order
from workorders.visits.services import planning

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/work/main/var/screenshots/notify")


def shot(page, name: str, *, full: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)


@pytest.fixture
def viewport() -> str:
    """The technician works on a phone."""
    return "phone"


def test_a_cancelled_visit_rings_the_technicians_bell_and_links_to_the_visit(page, browser, live_server, tenant):
    # given a visit booked for the technician, whose earlier notices are read
    world = build_field_world(tenant)
    visit = book(world, ready_work_order(world))
    for event_id in Event.objects.filter(relayed_at__isnull=True).values_list("id", flat=True):
        event_relay(event_id)
    technician = tenant.members[Role.TECHNICIAN].user
    Notification.objects.filter(user=technician).update(read_at=visit.created_at)
    org = tenant.organization.slug
    base = live_server.url
    sign_in(page, base, technician.email)
    expect(page.get_by_test_id("notification-bell")).to_be_visible()
    expect(page.get_by_test_id("notification-count")).to_have_count(0)

    # when the coordinator cancels the visit (committed: the event is relayed, the inbox written)
    planning.visit_cancel(
        organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed for inventory"
    )

    # then the technician's bell shows 1
    page.goto(f"{base}/o/{org}/")
    expect(page.get_by_test_id("notification-count")).to_have_text("1")
    shot(page, "phone-today-bell")
    # and the inbox lists the cancellation, unread
    page.get_by_test_id("notification-bell").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    entry = page.get_by_test_id("inbox-entry").filter(has_text="Visit cancelled")
    expect(entry).to_contain_text("Store closed for inventory")
    expect(entry).to_contain_text(visit.work_order.number)
    shot(page, "phone-inbox")
    # when they open it, they are on the visit's page, and the bell is quiet again
    entry.click()
    expect(page).to_have_url(f"{base}/o/{org}/field/visits/{visit.pk}/")
    expect(page.get_by_test_id("notification-count")).to_have_count(0)
    assert Notification.objects.get(user=technician, type="visit.cancelled").read_at is not None
    # and the preferences show the cancellation locked
    page.goto(f"{base}/o/{org}/notifications/preferences/")
    expect(page.get_by_label("Visit cancelled by e-mail")).to_be_disabled()
    shot(page, "phone-preferences")

    # and a coordinator's inbox on the desktop (submitted work, a no-show…): the same pages in the staff shell
    desk = browser.new_context(**VIEWPORTS["desktop"])
    desk_page = desk.new_page()
    sign_in(desk_page, base, tenant.members[Role.COORDINATOR].user.email)
    submitted_work_order(world)  # the office hears of work waiting for review
    desk_page.goto(f"{base}/o/{org}/notifications/")
    expect(desk_page.get_by_role("heading", name="Notifications")).to_be_visible()
    shot(desk_page, "desktop-inbox-coordinator", full=True)
    desk_page.goto(f"{base}/o/{org}/notifications/preferences/")
    expect(desk_page.get_by_role("heading", name="Notification preferences")).to_be_visible()
    shot(desk_page, "desktop-preferences-coordinator", full=True)
    desk.close()

    # and a client viewer with nothing yet sees the empty inbox in the portal
    portal = browser.new_context(**VIEWPORTS["desktop"])
    portal_page = portal.new_page()
    sign_in(portal_page, base, tenant.members[Role.CLIENT].user.email)
    portal_page.goto(f"{base}/o/{org}/notifications/")
    expect(portal_page.get_by_text("No notices yet")).to_be_visible()
    expect(portal_page.get_by_test_id("notification-bell")).to_be_visible()
    shot(portal_page, "desktop-inbox-client-empty", full=True)
    portal.close()
