"""The field app's service worker as the server serves it (templates/field/sw.js, FieldServiceWorkerView), and what
the technician's pages tell it.

The worker is public code (an ES module importing the pages' outbox and sender) served at /field-sw.js with
`Service-Worker-Allowed: /o/`; a technician's pages register it with their organization as its scope. Only the
technician's own pages
(Today, Upcoming, a visit page with actions) carry `X-Tutti-Offline: keep` — the worker keeps nothing else — and only
they register it. Today lists the pages to keep for use without signal (Upcoming and its visits) and both lists say
when they were rendered.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.templatetags.static import static
from django.test import Client

from rollout.choices import Role
from tests.workorders.builders.field import (
    PLACES,
    FieldWorld,
    browser_for,
    field_work_order,
    field_world_of,
    other_field_technician,
    page_url,
    schedule,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(tenant, django_capture_on_commit_callbacks) -> FieldWorld:
    """A technician with a visit today (the field pages' world)."""
    with django_capture_on_commit_callbacks(execute=True):
        return field_world_of(tenant)


@pytest.fixture
def other_technician(tenant, world) -> dict:
    return other_field_technician(tenant, world)


WORKER_URL = "/field-sw.js"


def keep_urls(response) -> list[str]:
    match = re.search(rb'<script id="field-keep" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "Today lists the pages to keep"
    return json.loads(match.group(1))


# --- The worker -------------------------------------------------------------------------------------------------


def test_the_worker_is_a_module_of_the_pages_own_code_that_may_control_any_organization(tenant):
    # when the technician's phone fetches the worker (a module worker's script comes without cookies)
    response = Client().get(WORKER_URL)

    # then it may take an organization as its scope, is always checked for a new version, and imports the pages'
    # own outbox and sender (the static files themselves: no copy of them)
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == "/o/"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert f'import {{ Outbox }} from "{static("js/field/outbox.js")}";' in body
    assert f'import {{ Sender, userOfSyncTag }} from "{static("js/field/sender.js")}";' in body
    assert 'const CACHE = "tutti-field-v3";' in body
    assert "{%" not in body and "{{" not in body


def test_the_worker_holds_no_tenant_data(tenant, other_tenant):
    # the same code for everyone, signed in or not, whatever the organization: nothing of a tenant is in it
    anonymous = Client().get(WORKER_URL).content
    technician = browser_for(tenant.members[Role.TECHNICIAN].user).get(WORKER_URL).content
    foreign_admin = browser_for(other_tenant.members[Role.ADMIN].user).get(WORKER_URL).content
    assert anonymous == technician == foreign_admin
    assert tenant.organization.slug.encode() not in anonymous
    assert Client().post(WORKER_URL).status_code == 405


# --- What the pages tell it -----------------------------------------------------------------------------------


def test_only_the_technicians_own_pages_may_be_kept(tenant, world):
    # given the technician and a coordinator
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    coordinator = browser_for(tenant.members[Role.COORDINATOR].user)
    slug = tenant.organization.slug

    # then the technician's Today, Upcoming and visit page may be kept on the phone
    for url in (f"/o/{slug}/", f"/o/{slug}/upcoming/", f"/o/{slug}/field/offline/", page_url(world)):
        response = technician.get(url)
        assert response.status_code == 200, url
        assert response["X-Tutti-Offline"] == "keep", url

    # and no page of the coordinator's, not even the visit page they read or their home
    for url in (f"/o/{slug}/", page_url(world), f"/o/{slug}/dispatch/"):
        response = coordinator.get(url)
        assert response.status_code == 200, url
        assert "X-Tutti-Offline" not in response, url
    # nor the technician's profile (not one of the pages the worker keeps)
    assert "X-Tutti-Offline" not in technician.get(f"/o/{slug}/profile/")


def test_without_signal_a_page_the_phone_has_no_copy_of_answers_with_the_apps_offline_page(tenant, world):
    # the page the worker answers with (kept with Today: listed among the pages to keep)
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    slug = tenant.organization.slug
    today = technician.get(f"/o/{slug}/").content.decode()
    assert f'"/o/{slug}/field/offline/"' in today  # in the list Today asks the worker to keep
    offline = technician.get(f"/o/{slug}/field/offline/").content.decode()
    assert "This page needs a connection" in offline and f'href="/o/{slug}/"' in offline
    # and only a technician has it (staff have no worker)
    assert browser_for(tenant.members[Role.COORDINATOR].user).get(f"/o/{slug}/field/offline/").status_code == 403
    # the worker answers other navigations of the organization network-or-offline-page
    worker = technician.get(WORKER_URL).content.decode()
    assert "networkOrOfflinePage(request)" in worker and "field/offline/" in worker


def test_only_the_technicians_pages_register_the_worker(tenant, world):
    slug = tenant.organization.slug
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    worker = f'data-service-worker="{WORKER_URL}" data-worker-scope="/o/{slug}/"'

    assert worker in technician.get(f"/o/{slug}/").content.decode()
    assert worker in technician.get(f"/o/{slug}/upcoming/").content.decode()
    assert worker in technician.get(page_url(world)).content.decode()
    for role in (Role.ADMIN, Role.PM, Role.COORDINATOR):
        staff = browser_for(tenant.members[role].user)
        assert "data-service-worker" not in staff.get(f"/o/{slug}/").content.decode()
        assert "data-service-worker" not in staff.get(page_url(world)).content.decode()


def test_the_lists_say_when_they_were_rendered(tenant, world):
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    slug = tenant.organization.slug

    for url in (f"/o/{slug}/", f"/o/{slug}/upcoming/"):
        match = re.search(r'data-rendered-at="([^"]+)"', technician.get(url).content.decode())
        assert match, url
        rendered = datetime.fromisoformat(match.group(1))
        assert rendered.tzinfo is not None
        assert abs((datetime.now(rendered.tzinfo) - rendered).total_seconds()) < 60


def test_today_asks_to_keep_upcoming_and_its_visits_only_the_technicians_own(tenant, world, other_technician):
    # given a visit of Tomás's in two days, and one of another technician's in two days
    place = next(place for place in PLACES if place[0] == world.zone.key)
    in_two_days = world.today() + timedelta(days=2)
    mine = schedule(
        tenant.organization,
        world.pm,
        field_work_order(tenant.organization, world.program, world.work_order.sow, place, code="HF-0201"),
        world.technician,
        in_two_days,
        time(9),
        time(10),
    )
    theirs = schedule(
        tenant.organization,
        world.pm,
        field_work_order(tenant.organization, world.program, world.work_order.sow, place, code="HF-0202"),
        other_technician["technician"],
        in_two_days,
        time(9),
        time(10),
    )

    # when Tomás opens Today
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{tenant.organization.slug}/")

    # then the phone is asked to keep Upcoming, the offline page and his upcoming visit (today's are the list's rows)
    urls = keep_urls(response)
    slug = tenant.organization.slug
    assert urls == [f"/o/{slug}/upcoming/", f"/o/{slug}/field/offline/", page_url(world, mine)]
    assert page_url(world, theirs) not in urls
    assert f'href="{page_url(world)}"' in response.content.decode()
