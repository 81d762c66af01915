"""A technician's calendar feed: turned on from the profile (page and API), read by a calendar app without signing in,
their own visits only in the site's zone; a replaced, revoked, made-up or other organization's link is a 404; other
roles cannot make one."""

from __future__ import annotations

import pytest
from django.test import Client
from icalendar import Calendar

from rollout.choices import Role
from scheduling import calendar
from scheduling.models import CalendarFeed
from tests.workorders.builders.visits import (
    book,
    booked_visit,
    build_field_world,
    other_technician,
    ready_work_order,
)
from workorders.visits.services import planning


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def feed_of(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def issue(world) -> str:
    return calendar.calendar_feed_path(
        calendar.calendar_feed_issue(organization=world.organization, actor=world.tech).token
    )


def test_the_feed_lists_the_technicians_own_visits_in_the_sites_zone(world):
    # given Tomás's visit (09:00–12:00 in Chicago) and another technician's visit
    mine = booked_visit(world)
    theirs = book(world, ready_work_order(world, site_code="S-OTHER"), technician=other_technician(world))
    # when his calendar app reads his link, signed in as nobody
    events = feed_of(Client().get(issue(world))).walk("VEVENT")
    # then it lists his visit only, at the site's local time, with the address and a link to the visit
    assert [str(event["uid"]) for event in events] == [f"visit-{mine.pk}@{world.organization.slug}.tutti"]
    event = events[0]
    start = event.decoded("dtstart")
    assert (start.hour, str(start.tzinfo)) == (9, "America/Chicago")
    assert event.decoded("dtend").hour == 12
    assert mine.work_order.number in str(event["summary"])
    assert mine.work_order.site.city in str(event["location"])
    assert str(event["url"]).endswith(f"/field/visits/{mine.pk}/")
    assert f"visit-{theirs.pk}@" not in Client().get(issue(world)).content.decode()


def test_a_cancelled_visit_stays_marked_cancelled(world):
    visit = booked_visit(world)
    planning.visit_cancel(
        organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed"
    )
    event = feed_of(Client().get(issue(world))).walk("VEVENT")[0]
    assert str(event["status"]) == "CANCELLED"


def test_a_new_link_replaces_the_old_and_turning_off_ends_it(world):
    booked_visit(world)
    first = issue(world)
    second = issue(world)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert CalendarFeed.objects.get().last_read_at is not None
    calendar.calendar_feed_revoke(organization=world.organization, actor=world.tech)
    assert Client().get(second).status_code == 404
    assert Client().get("/calendars/tcal_made-up.ics").status_code == 404
    assert Client().get("/calendars/anything.ics").status_code == 404


def test_another_organizations_feed_shows_only_its_own_technicians_visits(world, other_tenant):
    # given a feed in each organization
    foreign = build_field_world(other_tenant, code="foreign")
    foreign_visit = booked_visit(foreign)
    mine = booked_visit(world)
    # then each link lists its own organization's visit only
    body = Client().get(issue(world)).content.decode()
    assert f"visit-{mine.pk}@" in body and f"visit-{foreign_visit.pk}@" not in body
    foreign_body = Client().get(issue(foreign)).content.decode()
    assert f"visit-{foreign_visit.pk}@{other_tenant.organization.slug}" in foreign_body
    assert f"@{world.organization.slug}.tutti" not in foreign_body


def test_the_profile_page_turns_the_feed_on_and_off(world, tenant):
    browser = Client()
    browser.force_login(tenant.members[Role.TECHNICIAN].user)
    org = tenant.organization.slug
    profile = browser.get(f"/o/{org}/profile/").content.decode()
    assert f'href="/o/{org}/calendar-feed/"' in profile
    page = browser.get(f"/o/{org}/calendar-feed/").content.decode()
    assert "No calendar receives your visits" in page
    made = browser.post(f"/o/{org}/calendar-feed/").content.decode()
    assert "Copy this link now" in made and "/calendars/tcal_" in made
    link = made.split('id="feed-link" value="')[1].split('"')[0]
    assert Client().get(link.replace("http://testserver", "")).status_code == 200
    assert "Last read by a calendar" in browser.get(f"/o/{org}/calendar-feed/").content.decode()
    assert "Turn your calendar feed off?" in browser.get(f"/o/{org}/calendar-feed/turn-off/").content.decode()
    assert browser.post(f"/o/{org}/calendar-feed/turn-off/").status_code == 302
    assert Client().get(link.replace("http://testserver", "")).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.CLIENT])
def test_other_roles_have_no_calendar_feed_page(tenant, role):
    browser = Client()
    browser.force_login(tenant.members[role].user)
    assert browser.get(f"/o/{tenant.organization.slug}/calendar-feed/").status_code == 403


def test_the_feed_pages_of_another_organization_are_404(world, other_tenant):
    browser = Client()
    browser.force_login(world.tenant.members[Role.TECHNICIAN].user)
    assert browser.get(f"/o/{other_tenant.organization.slug}/calendar-feed/").status_code == 404


def test_the_api_makes_reads_and_ends_the_feed(world, tenant):
    api = tenant.api(Role.TECHNICIAN)
    assert api.get("/api/v1/calendar-feed/").json() == {"active": False, "created_at": None, "last_read_at": None}
    made = api.post("/api/v1/calendar-feed/")
    assert made.status_code == 201
    link = made.json()["url"]
    assert "/calendars/tcal_" in link and Client().get(link.replace("http://testserver", "")).status_code == 200
    assert api.get("/api/v1/calendar-feed/").json()["active"] is True
    assert api.delete("/api/v1/calendar-feed/").status_code == 204
    again = api.delete("/api/v1/calendar-feed/")
    assert again.status_code == 404
    assert Client().get(link.replace("http://testserver", "")).status_code == 404


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.CLIENT, Role.INTEGRATOR])
def test_the_api_refuses_other_roles(tenant, role):
    api = tenant.api(role)
    assert api.get("/api/v1/calendar-feed/").status_code == 403
    assert api.post("/api/v1/calendar-feed/").status_code == 403


def test_a_technician_without_a_technician_record_is_told_why(tenant):
    api = tenant.api(Role.TECHNICIAN)
    refused = api.post("/api/v1/calendar-feed/")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "not_a_technician"
