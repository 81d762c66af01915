"""The technician's phone without signal, in a real browser (phone viewport): the lists and the visit pages kept by
the field app's service worker (templates/field/sw.js), and the outbox sent by the worker on a Background Sync
event when no Tutti page is open.

Screenshots: var/screenshots/phone-field-offline-*.png.
"""

import re
import time as clock
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import VIEWPORTS, indicator, phone_context, shoot, sign_in, watch_errors
from tests.workorders.builders.field import PLACES, field_work_order, schedule
from workorders.models import VisitAction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    return "phone"


def upcoming_visit(world, *, days: int = 2, code: str = "HF-0301"):
    """A visit of Tomás's in `days` days (Upcoming lists it)."""
    place = next(place for place in PLACES if place[0] == world.zone.key)
    work_order = field_work_order(world.organization, world.program, world.work_order.sow, place, code=code)
    return schedule(
        world.organization,
        world.pm,
        work_order,
        world.technician,
        world.today() + timedelta(days=days),
        time(9),
        time(11),
    )


def registrations(page) -> list:
    return page.evaluate(
        "async () => (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname)"
    )


def kept(page) -> list:
    """The paths kept in the field app's caches."""
    return page.evaluate(
        """async () => {
          const paths = [];
          for (const key of await caches.keys()) {
            if (!key.startsWith("tutti-field-")) continue;
            for (const request of await (await caches.open(key)).keys()) paths.push(new URL(request.url).pathname);
          }
          return paths;
        }"""
    )


def wait_for(page, condition, *, timeout: float = 20.0, what: str = "condition"):
    """Poll `condition` (the database, DevTools events), letting Playwright deliver its events meanwhile."""
    deadline = clock.monotonic() + timeout
    while clock.monotonic() < deadline:
        if condition():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"timed out waiting for {what}")


def test_today_upcoming_and_listed_visits_open_without_signal(browser, live_server, field):
    # given Tomás with a visit today and one in two days, who opens Today with signal
    world = field
    later = upcoming_visit(world)
    org = f"/o/{world.organization.slug}/"
    context = phone_context(browser, world, geolocation=False)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        sign_in(page, live_server.url, world.technician.user.email)
        expect(page.get_by_role("heading", name="Today")).to_be_visible()
        expect(page.locator('#field-list[data-offline-ready="true"]')).to_have_count(1, timeout=20_000)
        expect(page.locator("#list-offline-notice .alert")).to_have_count(0)

        # the organization's worker took over from any field-only one, and kept his pages (never opened yet) —
        # although the server marks them `no-store` for HTTP caches: the Cache API is not one
        assert registrations(page) == [org]
        paths = kept(page)
        for path in (
            org,
            f"{org}upcoming/",
            f"{org}field/offline/",
            f"{org}field/visits/{world.visit.pk}/",
            f"{org}field/visits/{later.pk}/",
        ):
            assert path in paths, path
        kept_headers = page.evaluate(
            """async (path) => {
              const response = await (await caches.open("tutti-field-v3")).match(path, { ignoreVary: true });
              return [response.headers.get("Cache-Control"), response.headers.get("X-Tutti-Offline")];
            }""",
            f"{org}upcoming/",
        )
        assert "no-store" in kept_headers[0] and kept_headers[1] == "keep", kept_headers

        # when the signal is gone and he reloads Today
        clock.sleep(1)
        context.set_offline(True)
        clock.sleep(0.5)  # the emulation reaches the service worker's target a moment after the page's
        went_offline = datetime.now(UTC)
        page.reload()

        # then the phone's copy of the list comes back, and says it is a copy
        row = page.locator(f'a.visit-row[data-visit="{world.visit.pk}"]')
        expect(row).to_contain_text(world.site.name)
        rendered_at = datetime.fromisoformat(page.locator("#field-list").get_attribute("data-rendered-at"))
        assert rendered_at < went_offline  # the kept copy, not a new one
        notice = page.locator("#list-offline-notice .alert")
        expect(notice).to_contain_text("No connection — this is the list as of ")
        expect(notice).to_have_attribute("data-state", "offline")
        assert re.search(r"as of \d{2}:\d{2}$", notice.inner_text().strip())  # 24-hour, as every other time

        shoot(page, "offline-today")

        # and Upcoming, and the pages of visits he never opened, open too
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Upcoming").click()
        expect(page.locator(f'a.visit-row[data-visit="{later.pk}"]')).to_contain_text("HF-0301")
        expect(page.locator("#list-offline-notice .alert")).to_contain_text("No connection")
        page.locator(f'a.visit-row[data-visit="{later.pk}"]').click()
        expect(page.locator("#field-visit")).to_have_attribute("data-visit-id", str(later.pk))
        expect(indicator(page)).to_contain_text("Offline")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
        row.click()
        expect(page.get_by_role("heading", name=world.site.name)).to_be_visible()
        expect(page.get_by_role("button", name="Confirm visit")).to_be_visible()
        shoot(page, "offline-visit-never-opened")

        # when the signal returns, the list is the server's again
        context.set_offline(False)
        page.goto(f"{live_server.url}{org}")
        expect(page.locator("#list-offline-notice .alert")).to_have_count(0)
        assert errors == []
    finally:
        context.close()


def test_waiting_changes_are_sent_by_the_worker_when_no_page_is_open(browser, live_server, field):
    # given Tomás on his visit page, the page kept on the phone
    world = field
    context = phone_context(browser, world, geolocation=False)
    page = context.new_page()
    errors = watch_errors(page)
    tag = f"tutti-outbox:{world.technician.user.pk}"
    try:
        sign_in(page, live_server.url, world.technician.user.email)
        page.locator(f'a.visit-row[data-visit="{world.visit.pk}"]').click()
        expect(page.locator('#field-visit[data-offline-ready="true"]')).to_have_count(1, timeout=20_000)

        # when, without signal, he confirms the visit and says he is on his way
        context.set_offline(True)
        page.get_by_role("button", name="Confirm visit").click()
        page.get_by_role("button", name="On my way").click()
        expect(indicator(page)).to_have_text("Offline — 2 changes saved on this phone")

        # then the page asked the browser to send them in the background
        tags = page.evaluate("async () => (await navigator.serviceWorker.getRegistration()).sync.getTags()")
        assert tag in tags
        assert errors == []

        # and he closes the page before the signal returns
        page.close()
        assert VisitAction.objects.filter(visit=world.visit).count() == 0
        context.set_offline(False)

        # when the browser fires the sync event (here through DevTools, on a page that is not Tutti's)
        blank = context.new_page()
        blank.goto("about:blank")
        cdp = context.new_cdp_session(blank)
        found = []
        cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: found.extend(event["registrations"]))
        cdp.send("ServiceWorker.enable")
        scope = f"{live_server.url}/o/{world.organization.slug}/"
        wait_for(
            blank, lambda: any(r["scopeURL"] == scope and not r["isDeleted"] for r in found), what="the registration"
        )
        registration = next(r for r in found if r["scopeURL"] == scope and not r["isDeleted"])
        cdp.send(
            "ServiceWorker.dispatchSyncEvent",
            {
                "origin": live_server.url,
                "registrationId": registration["registrationId"],
                "tag": tag,
                "lastChance": False,
            },
        )

        # then the worker sent both, in order, each recorded once
        def recorded():
            kinds = list(VisitAction.objects.filter(visit=world.visit).order_by("pk").values_list("kind", flat=True))
            return kinds == ["confirm", "on_my_way"]

        wait_for(blank, recorded, what="the actions on the server")
        world.visit.refresh_from_db()
        assert world.visit.status == "on_the_way"

        # and the outbox is empty (looked at from a page of the app's origin outside the organization's scope)
        # (the worker removes each entry after the server's answer, so the last removal may trail the database)
        blank.goto(f"{live_server.url}/static/img/tutti-mark.svg")

        def outbox_empty():
            left = blank.evaluate(
                """async () => {
                  const { Outbox } = await import("/static/js/field/outbox.js");
                  return (await new Outbox().all()).length;
                }"""
            )
            return left == 0

        wait_for(blank, outbox_empty, timeout=10, what="the outbox to empty")
        cdp.detach()

        # and the kept copy of the visit page was refreshed: opened without signal, it shows him on his way
        context.set_offline(True)
        again = context.new_page()
        again.goto(f"{live_server.url}/o/{world.organization.slug}/field/visits/{world.visit.pk}/")
        expect(again.locator("#visit-status")).to_contain_text("On the way")
        expect(indicator(again)).to_have_text("Offline — nothing waiting to send")
        shoot(again, "offline-sent-in-background")
        assert VisitAction.objects.filter(visit=world.visit).count() == 2
    finally:
        context.close()


def test_staff_pages_register_no_worker_and_other_pages_are_not_kept(browser, live_server, field):
    # given Cole the coordinator reading Tomás's visit page and his own home
    world = field
    org = f"/o/{world.organization.slug}/"
    desk = browser.new_context(**VIEWPORTS["desktop"])
    try:
        page = desk.new_page()
        sign_in(page, live_server.url, "cole@example.com")
        page.goto(f"{live_server.url}{org}field/visits/{world.visit.pk}/")
        expect(page.locator("#field-visit")).to_have_attribute("data-readonly", "true")
        page.goto(f"{live_server.url}{org}")
        page.wait_for_timeout(500)

        # then no worker was registered and nothing was kept
        assert registrations(page) == []
        assert kept(page) == []
    finally:
        desk.close()

    # given Tomás's phone, whose worker covers the organization
    context = phone_context(browser, world, geolocation=False)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, world.technician.user.email)
        expect(page.locator('#field-list[data-offline-ready="true"]')).to_have_count(1, timeout=20_000)
        assert page.evaluate("navigator.serviceWorker.controller !== null")

        # when he opens a page of the organization that is not one of his lists or visits (his profile)
        page.goto(f"{live_server.url}{org}profile/")
        expect(page.get_by_role("heading", name="Profile")).to_be_visible()

        # then the worker let it through and did not keep it
        assert f"{org}profile/" not in kept(page)
        assert f"{org}" in kept(page)

        # and the sign-in page (here after the session ended) forgets the worker and its copies (a shared phone)
        context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        wait_for(
            page, lambda: registrations(page) == [] and kept(page) == [], what="the sign-in page to clear the phone"
        )
    finally:
        context.close()
