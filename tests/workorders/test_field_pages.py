"""The technician's phone pages: Today and Upcoming list their own visits (site time, site, address, state, late),
and the visit page (workorders.field) embeds the visit's API resource for the phone app.

Who may open a visit page: its technician (200, with actions); another technician: 404, like a missing visit
or another organization's; staff and integrators: 200 read-only (no outbox, no actions — they act from the
dispatch pages); client viewers: 403 (they have the portal). Query budgets for the visit page and the lists.

`field_world` is shared with the browser tests (tests/browser/test_field.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from programs.choices import EvidenceKind
from rollout.choices import Role
from rollout.tenancy import Access
from technicians.models import Technician
from tests.factories import MembershipFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory
from tests.sites.factories import SiteContactFactory
from tests.technicians.factories import TechnicianFactory
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from tests.workorders.test_packet_support import build_sow
from workorders.models import Packet, Visit, WorkOrder
from workorders.packets import services as packet_services
from workorders.visits import services as visit_services

ALL_WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
OPEN_ALL_WEEK = {day: ["06:00-22:00"] for day in ALL_WEEK}
# The field test's SOW: a photo task (two photos) and a serial task, one material.
FIELD_TASKS = [
    ("survey", "Photograph the checkout area", "", EvidenceKind.PHOTO),
    ("mount", "Mount the terminal", "", EvidenceKind.SERIAL),
]
FIELD_MATERIALS = [("terminal", "SCO-T1", Decimal("1"), "")]
# Real places, each with its time zone: the tests pick one where it is daytime now, so that "today" has a visit
# window that fits the site's access hours whenever the suite runs.
PLACES = [
    ("America/Chicago", "233 S Wacker Dr", "Chicago", "IL", "60606", Decimal("41.878876"), Decimal("-87.635915")),
    ("America/New_York", "350 5th Ave", "New York", "NY", "10118", Decimal("40.748400"), Decimal("-73.985700")),
    (
        "America/Los_Angeles",
        "600 Montgomery St",
        "San Francisco",
        "CA",
        "94111",
        Decimal("37.795200"),
        Decimal("-122.402800"),
    ),
    ("Pacific/Honolulu", "2250 Kalakaua Ave", "Honolulu", "HI", "96815", Decimal("21.279400"), Decimal("-157.828100")),
    ("Europe/London", "1 Canada Sq", "London", "", "E14 5AB", Decimal("51.504900"), Decimal("-0.019500")),
    ("Europe/Berlin", "Alexanderplatz 1", "Berlin", "", "10178", Decimal("52.521900"), Decimal("13.413200")),
    ("Asia/Dubai", "1 Sheikh Mohammed bin Rashid Blvd", "Dubai", "", "", Decimal("25.197200"), Decimal("55.274400")),
    ("Asia/Kolkata", "1 MG Road", "Bengaluru", "KA", "560001", Decimal("12.975600"), Decimal("77.606400")),
    ("Asia/Tokyo", "1-1 Marunouchi", "Tokyo", "", "100-0005", Decimal("35.681200"), Decimal("139.767100")),
    ("Australia/Sydney", "1 Macquarie St", "Sydney", "NSW", "2000", Decimal("-33.861500"), Decimal("151.211100")),
]


def daytime_place(now: datetime | None = None) -> tuple:
    """The first place where the local time is between 08:00 and 17:00 now (some place always is)."""
    now = now or timezone.now()
    for place in PLACES:
        if 8 <= now.astimezone(ZoneInfo(place[0])).hour < 17:
            return place
    return PLACES[0]


@dataclass
class FieldWorld:
    organization: object
    program: object
    site: object
    work_order: WorkOrder
    packet: Packet
    technician: Technician
    visit: Visit
    pm: Access
    zone: ZoneInfo

    def today(self) -> date:
        return timezone.now().astimezone(self.zone).date()


def field_technician(organization, user, *, place, **values) -> Technician:
    """A technician profile for `user`, working every day around the clock near the place."""
    zone, _, city, *_, latitude, longitude = place
    values.setdefault("full_name", user.full_name or "Tomás Alvarez")
    return TechnicianFactory(
        organization=organization,
        user=user,
        email=user.email,
        working_days=list(ALL_WEEK),
        work_start=time(0, 0),
        work_end=time(23, 59),
        home_address=city,
        home_latitude=latitude,
        home_longitude=longitude,
        timezone=zone,
        **values,
    )


def schedule(
    organization, pm: Access, work_order: WorkOrder, technician: Technician, day: date, start: time, end: time
):
    return visit_services.visit_schedule(
        organization=organization,
        actor=pm,
        work_order_id=work_order.pk,
        technician_id=technician.pk,
        day=day,
        start_time=start,
        end_time=end,
    )


def field_work_order(organization, program, sow, place, *, code: str, contact_name: str = "Dana Store-Manager"):
    """A ready work order at a new site of the place (access hours all week, a primary contact, materials
    delivered, the site contact confirmed), with its packet issued (rendered eagerly in tests)."""
    zone, street, city, state, postal, latitude, longitude = place
    enrollment = EnrollmentFactory(
        program=program,
        site__code=code,
        site__name=f"Harbor Foods {city}",
        site__address_line1=street,
        site__city=city,
        site__state=state,
        site__postal_code=postal,
        site__latitude=latitude,
        site__longitude=longitude,
        site__timezone=zone,
        site__access_hours=dict(OPEN_ALL_WEEK),
        site__blackout_dates=[],
    )
    SiteContactFactory(site=enrollment.site, name=contact_name, is_primary=True, phone="+1 312 555 0142")
    work_order = WorkOrderFactory(
        enrollment=enrollment,
        sow=sow,
        status=WorkOrder.Status.READY,
        site_contact_confirmed_at=timezone.now(),
        site_contact_confirmed_by_label="pm@example.com",
    )
    ShipmentFactory(work_order=work_order)
    packet_services.packet_issue(organization=organization, actor=None, work_order_id=work_order.pk)
    return work_order


def build_field_world(organization, client, *, technician_user, pm_user, place=None, code="sco-2026") -> FieldWorld:
    """A program with an approved SOW (a photo task and a serial task), a site where it is daytime now, a work
    order with its packet issued, the technician, and a visit for today booked through the visits service
    (the window: the current hour to four hours later, site time)."""
    place = place or daytime_place()
    zone = ZoneInfo(place[0])
    program = ProgramFactory(organization=organization, client=client, code=code, checkin_grace_minutes=120)
    sow = build_sow(program, tasks=FIELD_TASKS, materials=FIELD_MATERIALS)
    work_order = field_work_order(organization, program, sow, place, code="HF-0042")
    technician = field_technician(organization, technician_user, place=place)
    pm = Access(organization=organization, role=Role.PM, user=pm_user)
    now = timezone.now().astimezone(zone)
    start = time(now.hour, 0)
    end = time(min(now.hour + 4, 22), 0) if now.hour < 21 else time(22, 0)
    visit = schedule(organization, pm, work_order, technician, now.date(), start, end)
    work_order.refresh_from_db()
    packet = Packet.objects.for_organization(organization).get(work_order=work_order)
    return FieldWorld(
        organization=organization,
        program=program,
        site=work_order.site,
        work_order=work_order,
        packet=packet,
        technician=technician,
        visit=visit,
        pm=pm,
        zone=zone,
    )


def serial_recorded_elsewhere(world: FieldWorld, serial: str, *, email: str = "lee@field.example") -> Visit:
    """Another technician's visit today at another site of the program, checked in, with `serial` recorded on its
    serial task (through the services): the same serial recorded again is a duplicate."""
    membership = MembershipFactory(
        organization=world.organization, role=Role.TECHNICIAN, user__email=email, user__full_name="Lee Park"
    )
    place = next(place for place in PLACES if place[0] == world.zone.key)
    technician = field_technician(world.organization, membership.user, place=place, full_name="Lee Park")
    work_order = field_work_order(world.organization, world.program, world.work_order.sow, place, code="HF-0050")
    visit = schedule(world.organization, world.pm, work_order, technician, world.today(), time(6, 0), time(7, 0))
    lee = Access(organization=world.organization, role=Role.TECHNICIAN, user=membership.user)
    packet = Packet.objects.for_organization(world.organization).get(work_order=work_order)
    packet_services.packet_acknowledge(organization=world.organization, actor=lee, packet_id=packet.pk)
    now = timezone.now()
    visit_services.visit_check_in(
        organization=world.organization,
        actor=lee,
        visit_id=visit.pk,
        client_action_id="lee-check-in",
        device_time=now,
        location_status="unavailable",
    )
    visit_services.visit_task_result(
        organization=world.organization,
        actor=lee,
        visit_id=visit.pk,
        client_action_id="lee-serial",
        device_time=now,
        task_key="mount",
        status="done",
        serial=serial,
    )
    return visit


# --- Fixtures ---------------------------------------------------------------------------------------------


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def world(tenant, django_capture_on_commit_callbacks) -> FieldWorld:
    with django_capture_on_commit_callbacks(execute=True):
        return build_field_world(
            tenant.organization,
            tenant.client,
            technician_user=tenant.members[Role.TECHNICIAN].user,
            pm_user=tenant.members[Role.PM].user,
        )


@pytest.fixture
def other_technician(tenant, world):
    """A second technician of the same organization, with a visit of their own today."""
    membership = MembershipFactory(
        organization=tenant.organization,
        role=Role.TECHNICIAN,
        user__email="lee@field.example",
        user__full_name="Lee Park",
    )
    place = next(place for place in PLACES if place[0] == world.zone.key)
    technician = field_technician(tenant.organization, membership.user, place=place, full_name="Lee Park")
    work_order = field_work_order(tenant.organization, world.program, world.work_order.sow, place, code="HF-0099")
    now = timezone.now().astimezone(world.zone)
    visit = schedule(tenant.organization, world.pm, work_order, technician, now.date(), time(6, 0), time(7, 0))
    return {"user": membership.user, "technician": technician, "visit": visit}


def page_url(world: FieldWorld, visit=None) -> str:
    return f"/o/{world.organization.slug}/field/visits/{(visit or world.visit).pk}/"


def embedded_visit(response) -> dict:
    match = re.search(rb'<script id="visit-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the visit resource is embedded"
    return json.loads(match.group(1))


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
    visit_services.visit_check_in(
        organization=tenant.organization,
        actor=technician,
        visit_id=world.visit.pk,
        client_action_id="check-in-0001",
        device_time=timezone.now(),
        location_status="denied",
    )
    visit_services.visit_task_result(
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
    visit_services.visit_cancel(
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

    # then the lists do not grow with the number of visits
    with django_assert_max_num_queries(7):
        assert client.get(f"/o/{world.organization.slug}/").status_code == 200
    with django_assert_max_num_queries(7):
        assert client.get(f"/o/{world.organization.slug}/upcoming/").status_code == 200
