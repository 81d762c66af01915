"""Builders of the technician's phone pages (tests/workorders/test_field_pages.py, test_field_service_worker.py and
the browser tests): a field world — a program, a site in a time zone where it is daytime, a technician with a
visit today and a rendered, issued packet — and the helpers to add more."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

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
from tests.workorders.builders.packets import build_sow
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from workorders.models import Packet, Visit, WorkOrder
from workorders.packets import services as packet_services
from workorders.visits.services import field_actions, planning

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
    return planning.visit_schedule(
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
    field_actions.visit_check_in(
        organization=world.organization,
        actor=lee,
        visit_id=visit.pk,
        client_action_id="lee-check-in",
        device_time=now,
        location_status="unavailable",
    )
    field_actions.visit_task_result(
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


def browser_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_url(world: FieldWorld, visit=None) -> str:
    return f"/o/{world.organization.slug}/field/visits/{(visit or world.visit).pk}/"


def embedded_visit(response) -> dict:
    match = re.search(rb'<script id="visit-data" type="application/json">(.*?)</script>', response.content, re.S)
    assert match, "the visit resource is embedded"
    return json.loads(match.group(1))


def field_world_of(tenant) -> FieldWorld:
    """build_field_world for a test tenant: its technician member is the visit's technician, its PM plans."""
    return build_field_world(
        tenant.organization,
        tenant.client,
        technician_user=tenant.members[Role.TECHNICIAN].user,
        pm_user=tenant.members[Role.PM].user,
    )


def other_field_technician(tenant, world: FieldWorld) -> dict:
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
