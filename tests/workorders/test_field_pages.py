"""The technician's phone pages: Today and Upcoming list their own visits (site time, site, address, state, late),
and the visit page (workorders.field) embeds the visit's API resource for the phone app.

Who may open a visit page: its technician (200, with actions); another technician: 404, like a missing visit
or another organization's; staff and integrators: 200 read-only (no outbox, no actions — they act from the
dispatch pages); client viewers: 403 (they have the portal). Query budgets for the visit page and the lists.

The field world comes from tests/workorders/builders/field.py, shared with the browser tests.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from rollout.choices import Role
from rollout.tenancy import Access
from tests.workorders.builders.field import (
    PLACES,
    FieldWorld,
    browser_for,
    build_field_world,
    embedded_visit,
    field_work_order,
    field_world_of,
    other_field_technician,
    page_url,
    schedule,
)
from workorders.models import Visit
from workorders.packets import services as packet_services
from workorders.visits.services import field_actions, planning


@pytest.fixture
def world(tenant, django_capture_on_commit_callbacks) -> FieldWorld:
    with django_capture_on_commit_callbacks(execute=True):
        return field_world_of(tenant)


@pytest.fixture
def other_technician(tenant, world) -> dict:
    return other_field_technician(tenant, world)


# --- The visit page -------------------------------------------------------------------------------------------


def test_the_technician_opens_their_visit(tenant, world):
    # when
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(page_url(world))

    # then the page shows the site, the maps and call links, the packet, and embeds the API resource
    assert response.status_code == 200
    content = response.content.decode()
    assert world.site.name in content
    assert f"geo:{world.site.latitude},{world.site.longitude}" in content
    assert 'href="tel:+13125550142"' in content
    assert f"/packets/{world.packet.pk}/pdf/" in content
    assert "Photograph the checkout area" in content
    assert 'data-readonly="false"' in content
    assert 'id="outbox-indicator"' in content
    resource = embedded_visit(response)
    assert resource["id"] == world.visit.pk
    assert resource["status"] == "scheduled"
    assert resource["packet"] == {
        "id": world.packet.pk,
        "version": world.packet.version,
        "checksum": world.packet.checksum,
        "acknowledged": False,
    }
    assert [task["key"] for task in resource["tasks"]] == ["survey", "mount"]
    assert 'src="/static/js/field/visit-page.js"' in content


@pytest.mark.parametrize("role", [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR])
def test_staff_read_the_visit_page_without_actions(tenant, world, role):
    response = browser_for(tenant.members[role].user).get(page_url(world))

    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-readonly="true"' in content
    assert 'id="outbox-indicator"' not in content  # nothing is ever queued from a read-only page
    assert embedded_visit(response)["id"] == world.visit.pk


def test_client_viewers_are_refused(tenant, world):
    assert browser_for(tenant.members[Role.CLIENT].user).get(page_url(world)).status_code == 403


def test_anonymous_callers_are_sent_to_sign_in(world):
    response = Client().get(page_url(world))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_technicians_visit_is_404(tenant, world, other_technician):
    # when the tenant's technician opens Lee's visit, and Lee opens theirs
    mine = browser_for(tenant.members[Role.TECHNICIAN].user)
    lees = browser_for(other_technician["user"])

    # then it reads as missing, like an id that does not exist
    assert mine.get(page_url(world, other_technician["visit"])).status_code == 404
    assert mine.get(f"/o/{world.organization.slug}/field/visits/999999/").status_code == 404
    assert lees.get(page_url(world, other_technician["visit"])).status_code == 200
    assert lees.get(page_url(world)).status_code == 404


def test_another_organizations_visit_is_404(tenant, other_tenant, world, django_capture_on_commit_callbacks):
    # given a visit of another organization
    with django_capture_on_commit_callbacks(execute=True):
        foreign = build_field_world(
            other_tenant.organization,
            other_tenant.client,
            technician_user=other_tenant.members[Role.TECHNICIAN].user,
            pm_user=other_tenant.members[Role.PM].user,
            code="foreign",
        )

    # when the tenant's members ask for it under their own organization (and a technician under the other's)
    url = f"/o/{tenant.organization.slug}/field/visits/{foreign.visit.pk}/"

    # then it is a 404, like a missing visit
    assert browser_for(tenant.members[Role.TECHNICIAN].user).get(url).status_code == 404
    assert browser_for(tenant.members[Role.PM].user).get(url).status_code == 404
    foreign_url = f"/o/{other_tenant.organization.slug}/field/visits/{foreign.visit.pk}/"
    assert browser_for(tenant.members[Role.TECHNICIAN].user).get(foreign_url).status_code == 404


def test_visit_page_query_budget(tenant, world, django_assert_max_num_queries):
    # given a visit that is under way: checked in, a result and a sign-off recorded
    technician = Access(
        organization=tenant.organization, role=Role.TECHNICIAN, user=tenant.members[Role.TECHNICIAN].user
    )
    packet_services.packet_acknowledge(organization=tenant.organization, actor=technician, packet_id=world.packet.pk)
    field_actions.visit_check_in(
        organization=tenant.organization,
        actor=technician,
        visit_id=world.visit.pk,
        client_action_id="check-in-0001",
        device_time=timezone.now(),
        location_status="denied",
    )
    field_actions.visit_task_result(
        organization=tenant.organization,
        actor=technician,
        visit_id=world.visit.pk,
        client_action_id="result-0001",
        device_time=timezone.now(),
        task_key="mount",
        status="done",
        serial="SCO123456",
    )
    client = browser_for(tenant.members[Role.TECHNICIAN].user)
    client.get(page_url(world))  # warm the session

    # when / then: a fixed number of queries (session, user, membership, the visit and its prefetched detail:
    # contacts, results, photos; the packet acknowledgement)
    with django_assert_max_num_queries(10):
        response = client.get(page_url(world))
    assert response.status_code == 200
    resource = embedded_visit(response)
    assert resource["status"] == "checked_in"
    assert resource["check_in"]["location_status"] == "denied"


# --- Today and Upcoming ---------------------------------------------------------------------------------------


def test_today_lists_only_the_technicians_own_visits(tenant, world, other_technician):
    # when
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{world.organization.slug}/")

    # then
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="today-visits"' in content
    assert f'href="{page_url(world)}"' in content
    assert f'href="{page_url(world, other_technician["visit"])}"' not in content
    assert world.site.name in content
    assert world.work_order.number in content
    assert "No visits today" not in content
    start = world.visit.window_start.astimezone(world.zone)
    assert f"{start:%H:%M}" in content


def test_today_flags_a_late_visit_and_hides_cancelled_ones(tenant, world, other_technician):
    # given Lee's 06:00–07:00 visit, not checked in (late once its grace has passed), and the world's visit
    # cancelled
    planning.visit_cancel(
        organization=tenant.organization, actor=world.pm, visit_id=world.visit.pk, reason="Store closed"
    )
    Visit.objects.filter(pk=other_technician["visit"].pk).update(checkin_due_by=timezone.now() - timedelta(minutes=5))

    # when
    lee = browser_for(other_technician["user"]).get(f"/o/{world.organization.slug}/").content.decode()
    mine = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{world.organization.slug}/").content.decode()

    # then
    assert "late-badge" in lee
    assert "No visits today" in mine


def test_upcoming_lists_the_coming_days_grouped_by_day(tenant, world):
    # given a visit in three days at another site
    place = next(place for place in PLACES if place[0] == world.zone.key)
    work_order = field_work_order(tenant.organization, world.program, world.work_order.sow, place, code="HF-0077")
    later = world.today() + timedelta(days=3)
    visit = schedule(tenant.organization, world.pm, work_order, world.technician, later, time(9, 0), time(11, 0))

    # when
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{world.organization.slug}/upcoming/")

    # then today's visit is not there; the later one is, under its day
    content = response.content.decode()
    assert response.status_code == 200
    assert f'href="{page_url(world, visit)}"' in content
    assert f'href="{page_url(world)}"' not in content
    assert later.strftime("%A, %B ") + str(later.day) in content
    assert "09:00" in content


def test_upcoming_is_empty_without_visits(tenant):
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{tenant.organization.slug}/upcoming/")
    assert response.status_code == 200
    assert b"No upcoming visits" in response.content


def test_today_without_a_technician_profile_shows_the_empty_state(tenant):
    response = browser_for(tenant.members[Role.TECHNICIAN].user).get(f"/o/{tenant.organization.slug}/")
    assert response.status_code == 200
    assert b"No visits today" in response.content


def test_lists_query_budget(tenant, world, django_assert_max_num_queries):
    # given five more visits today and five upcoming
    place = next(place for place in PLACES if place[0] == world.zone.key)
    for number in range(5):
        work_order = field_work_order(
            tenant.organization, world.program, world.work_order.sow, place, code=f"HF-1{number:03d}"
        )
        schedule(
            tenant.organization,
            world.pm,
            work_order,
            world.technician,
            world.today() + timedelta(days=number + 1),
            time(9, 0),
            time(10, 0),
        )
    client = browser_for(tenant.members[Role.TECHNICIAN].user)
    client.get(f"/o/{world.organization.slug}/")

    # then the lists do not grow with the number of visits (8: the shell's notification bell is one COUNT)
    with django_assert_max_num_queries(8):
        assert client.get(f"/o/{world.organization.slug}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"/o/{world.organization.slug}/upcoming/").status_code == 200
