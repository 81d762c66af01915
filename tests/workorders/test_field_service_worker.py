"""The field app's service worker as the server serves it (templates/field/sw.js, FieldServiceWorkerView), and what
the technician's pages tell it.

The worker is served at /o/<org>/field/sw.js with `Service-Worker-Allowed: /o/<org>/` (its scope is the
organization); a classic worker with the pages' outbox and sender inlined (a module worker's script is fetched
without cookies). Only the technician's own pages
(Today, Upcoming, a visit page with actions) carry `X-Tutti-Offline: keep` — the worker keeps nothing else — and only
they register it. Today lists the pages to keep for use without signal (Upcoming and its visits) and both lists say
when they were rendered.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.conf import settings

from rollout.choices import Role
from tests.workorders import test_field_pages as field_pages
from tests.workorders.test_field_pages import PLACES, browser_for, field_work_order, page_url, schedule
from workorders.field.views import classic_module

pytestmark = pytest.mark.django_db

# The field pages' fixtures: a technician with a visit today (world), and another technician (other_technician).
world = field_pages.world
other_technician = field_pages.other_technician


def worker_url(organization) -> str:
    return f"/o/{organization.slug}/field/sw.js"


def keep_urls(response) -> list[str]:
    match = re.search(rb'<script id="field-keep" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "Today lists the pages to keep"
    return json.loads(match.group(1))


# --- The worker -------------------------------------------------------------------------------------------------


def test_the_worker_may_control_the_whole_organization(tenant):
    # when the technician's phone fetches the worker
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(worker_url(tenant.organization))

    # then it may take the organization as its scope, is always checked for a new version, and sends with the
    # pages' own outbox and sender, inlined (a classic worker: no import statement left)
    assert response.status_code == 200
    assert response["Service-Worker-Allowed"] == f"/o/{tenant.organization.slug}/"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    sender = (settings.BASE_DIR / "static/js/field/sender.js").read_text()
    assert 'modules["sender"] = (() => {' in body
    assert 'const { csrfToken } = modules["util"];' in body
    assert sender.split("\n", 1)[0] in body  # the file itself, not a copy of it
    assert "return { Outbox, summarize };" in body
    assert not re.search(r"^\s*(import|export)\b", body, re.M)
    assert body.index('modules["util"]') < body.index('modules["outbox"]') < body.index('modules["sender"]')
    assert 'const CACHE = "tutti-field-v2";' in body
    assert "{%" not in body and "{{" not in body


def test_a_module_is_inlined_in_its_own_scope_and_unknown_syntax_is_refused():
    source = 'import { a, b } from "./util.js";\nconst x = 1;\nexport async function go() {}\nexport class Box {}\n'

    inlined = classic_module("sender", source)

    assert inlined.startswith('modules["sender"] = (() => {\nconst { a, b } = modules["util"];')
    assert "async function go() {}" in inlined and "\nclass Box {}" in inlined
    assert inlined.endswith("return { go, Box };\n})();\n")
    with pytest.raises(ValueError):
        classic_module("x", "export default function () {}\n")
    with pytest.raises(ValueError):
        classic_module("x", 'import * as u from "./util.js";\n')


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.TECHNICIAN, 200),
        # staff may read a visit page, so they may fetch its worker; their pages never register it
        (Role.ADMIN, 200),
        (Role.COORDINATOR, 200),
        (Role.INTEGRATOR, 200),
        (Role.CLIENT, 403),
    ],
)
def test_who_may_fetch_the_worker(tenant, role, status):
    response = browser_for(tenant.members[role].user).get(worker_url(tenant.organization))

    assert response.status_code == status
    if status != 200:
        assert "Service-Worker-Allowed" not in response


def test_anonymous_callers_get_no_worker(tenant):
    from django.test import Client

    response = Client().get(worker_url(tenant.organization))

    assert response.status_code == 302
    assert "Service-Worker-Allowed" not in response


def test_the_worker_of_another_organization_is_404(tenant, other_tenant):
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(worker_url(other_tenant.organization))

    assert response.status_code == 404
    assert "Service-Worker-Allowed" not in response


# --- What the pages tell it -----------------------------------------------------------------------------------


def test_only_the_technicians_own_pages_may_be_kept(tenant, world):
    # given the technician and a coordinator
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    coordinator = browser_for(tenant.members[Role.COORDINATOR].user)
    slug = tenant.organization.slug

    # then the technician's Today, Upcoming and visit page may be kept on the phone
    for url in (f"/o/{slug}/", f"/o/{slug}/upcoming/", page_url(world)):
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


def test_only_the_technicians_pages_register_the_worker(tenant, world):
    slug = tenant.organization.slug
    technician = browser_for(tenant.members[Role.TECHNICIAN].user)
    worker = f'data-service-worker="/o/{slug}/field/sw.js"'

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

    # then the phone is asked to keep Upcoming and his upcoming visit (today's are the rows of the list)
    urls = keep_urls(response)
    assert urls == [f"/o/{tenant.organization.slug}/upcoming/", page_url(world, mine)]
    assert page_url(world, theirs) not in urls
    assert f'href="{page_url(world)}"' in response.content.decode()
