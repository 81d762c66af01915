"""Demo work orders for `seed_demo`: one per enrolled site of Harbor Foods' self-checkout rollout (sco-2026).

Everything goes through the services, as a PM would do it: work orders are created from the enrollments,
then the pilot wave's first stores are put in varied states — ready, scheduled with the nearest qualified
technician in a window inside the store's access hours (site contact confirmed, materials delivered), ready
with materials still in transit — and the rest stay draft.

The pilot needs a crew that holds every skill its stores ask for (POS, kiosk, low-voltage with a license,
signage), which the general workforce does not: the seed adds that Lakeshore crew (Chicago; day, evening and
overnight shifts, see CREW) through the technicians services, the way a coordinator would onboard them.

Idempotent: creation skips sites that have a work order; the pilot's states are set only while every pilot
work order is still a draft (the first run), so a second run changes nothing. Skips quietly when the
program (or its pilot wave) is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from programs.models import Program, Wave
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.models import Organization
from rollout.tenancy import Access
from technicians import services as technician_services
from technicians.models import Skill, Technician, Vendor
from workorders import services, shipments
from workorders.choices import WorkOrderStatus
from workorders.models import WorkOrder
from workorders.readiness import visit_window_problems
from workorders.selectors import work_order_technician_candidates

PM_EMAIL = "pm@northwind.example"
PROGRAM_CODE = "sco-2026"
PILOT = "Pilot"
CARRIERS = ["UPS", "FedEx", "XPO Logistics"]
CREW_EMAIL = "rosa.delgado@lakeshore.example"
CREW_SKILLS = ["pos-install", "kiosk-config", "low-voltage", "signage-mount", "network-cabling"]
# The pilot's Lakeshore crew, who hold every skill the pilot asks for, in three ten-hour shifts so that a store is
# covered around the clock: days, evenings (until midnight) and overnight (from midnight, for the stores that only
# let installers in after closing). Evenings and nights have five people on staggered five-day weeks (three or four
# a day), days four and Rosa, the crew lead, who works days Monday to Saturday.
# (e-mail, full name, phone, home address, latitude, longitude, working days, start, end)
WEEKS = [
    ["mon", "tue", "wed", "thu", "fri"],
    ["wed", "thu", "fri", "sat", "sun"],
    ["fri", "sat", "sun", "mon", "tue"],
    ["sat", "sun", "mon", "tue", "wed"],
    ["thu", "fri", "sat", "sun", "mon"],
]
DAYS, EVENINGS, NIGHTS = (time(6, 0), time(16, 30)), (time(13, 30), time(23, 59)), (time(0, 0), time(10, 0))
CREW = [
    (CREW_EMAIL, "Rosa Delgado", "+1 312 555 0190", "600 W Chicago Ave, Chicago, IL", "41.896500", "-87.643600",
     ["mon", "tue", "wed", "thu", "fri", "sat"], time(7, 0), time(19, 0)),
    ("darius.coleman@lakeshore.example", "Darius Coleman", "+1 773 555 0191", "1550 N Damen Ave, Chicago, IL",
     "41.909700", "-87.677600", WEEKS[0], *DAYS),
    ("aisha.rahman@lakeshore.example", "Aisha Rahman", "+1 773 555 0192", "2850 N Clark St, Chicago, IL",
     "41.933600", "-87.644000", WEEKS[1], *DAYS),
    ("kevin.novak@lakeshore.example", "Kevin Novak", "+1 708 555 0193", "2400 W Cermak Rd, Chicago, IL",
     "41.852300", "-87.686800", WEEKS[2], *DAYS),
    ("lucia.ferreira@lakeshore.example", "Lucia Ferreira", "+1 312 555 0194", "1100 S Michigan Ave, Chicago, IL",
     "41.868700", "-87.624200", WEEKS[3], *DAYS),
    ("mei.tanaka@lakeshore.example", "Mei Tanaka", "+1 773 555 0195", "3150 N Lincoln Ave, Chicago, IL",
     "41.939300", "-87.668000", WEEKS[0], *EVENINGS),
    ("victor.alvarado@lakeshore.example", "Victor Alvarado", "+1 773 555 0196", "3500 S Halsted St, Chicago, IL",
     "41.830500", "-87.646100", WEEKS[1], *EVENINGS),
    ("jerome.price@lakeshore.example", "Jerome Price", "+1 773 555 0197", "5200 S Harper Ave, Chicago, IL",
     "41.800100", "-87.588600", WEEKS[2], *EVENINGS),
    ("natalia.sokolova@lakeshore.example", "Natalia Sokolova", "+1 773 555 0198", "6400 N Sheridan Rd, Chicago, IL",
     "41.999000", "-87.655700", WEEKS[3], *EVENINGS),
    ("owen.fitzgerald@lakeshore.example", "Owen Fitzgerald", "+1 773 555 0183", "4800 N Broadway, Chicago, IL",
     "41.969500", "-87.659700", WEEKS[4], *EVENINGS),
    ("kelsey.odonnell@lakeshore.example", "Kelsey O'Donnell", "+1 708 555 0199", "5900 W Cermak Rd, Cicero, IL",
     "41.851700", "-87.772700", WEEKS[0], *NIGHTS),
    ("tyrone.banks@lakeshore.example", "Tyrone Banks", "+1 773 555 0180", "1900 W 95th St, Chicago, IL",
     "41.721300", "-87.670300", WEEKS[1], *NIGHTS),
    ("sean.murphy@lakeshore.example", "Sean Murphy", "+1 773 555 0181", "3300 N Pulaski Rd, Chicago, IL",
     "41.940600", "-87.727500", WEEKS[2], *NIGHTS),
    ("imani.brooks@lakeshore.example", "Imani Brooks", "+1 773 555 0182", "7900 S Cottage Grove Ave, Chicago, IL",
     "41.750300", "-87.604600", WEEKS[3], *NIGHTS),
    ("priscilla.nguyen@lakeshore.example", "Priscilla Nguyen", "+1 708 555 0184", "2000 W Division St, Chicago, IL",
     "41.903200", "-87.677400", WEEKS[4], *NIGHTS),
]  # fmt: skip
CREW_EMAILS = [row[0] for row in CREW]
# (certificate name, skill slug, reference prefix): each crew member holds both.
CREW_CERTIFICATES = [
    ("IL Low Voltage License", "low-voltage", "IL-LV-2044"),
    ("BICSI Installer 2", "network-cabling", "BICSI-INST2-771"),
]
VISIT_STARTS = [time(9, 0), time(10, 0), time(13, 0)]
# How the pilot's first work orders are set up, in number order; the rest stay draft.
PILOT_PLAN = ["scheduled", "scheduled", "scheduled", "scheduled", "ready", "ready", "ready_in_transit"]


def _pilot_crew(organization, actor: Access) -> None:
    """The Chicago crew who hold every skill the pilot asks for (each created once, with their licenses)."""
    skills = list(Skill.objects.for_organization(organization).filter(slug__in=CREW_SKILLS))
    if len(skills) != len(CREW_SKILLS):
        return  # the skills catalogue is not seeded
    by_slug = {skill.slug: skill for skill in skills}
    vendor = Vendor.objects.for_organization(organization).filter(code="lakeshore").first()
    existing = set(Technician.objects.for_organization(organization).values_list("email", flat=True))
    for n, (email, name, phone, address, latitude, longitude, days, start, end) in enumerate(CREW):
        if email in existing:
            continue
        technician = technician_services.technician_create(
            organization=organization,
            actor=actor,
            email=email,
            full_name=name,
            phone=phone,
            vendor=vendor,
            skills=skills,
            home_address=address,
            home_latitude=Decimal(latitude),
            home_longitude=Decimal(longitude),
            service_radius_km=60,
            working_days=days,
            work_start=start,
            work_end=end,
            timezone="America/Chicago",
        )
        for certificate, slug, reference in CREW_CERTIFICATES:
            technician_services.certification_create(
                organization=organization,
                actor=actor,
                technician_id=technician.pk,
                name=certificate,
                skill=by_slug[slug],
                issued_on=date(2025, 1, 15),
                expires_on=date(2028, 1, 14),
                reference=f"{reference}{18 + n * 7:02d}",
            )


def _visit_window(work_order: WorkOrder, wave: Wave) -> tuple[datetime, datetime] | None:
    """The first three-hour weekday window (site time) in the wave that the site's hours and blackouts allow."""
    zone = ZoneInfo(work_order.site.timezone)
    day = wave.start_date
    while day <= wave.end_date:
        for start_time in VISIT_STARTS if day.weekday() < 5 else ():
            start = datetime.combine(day, start_time, tzinfo=zone)
            end = start + timedelta(hours=3)
            if not visit_window_problems(site=work_order.site, planned_start=start, planned_end=end):
                return start, end
        day += timedelta(days=1)
    return None


def ship(organization, actor, work_order: WorkOrder, n: int, *, delivered: bool) -> None:
    """The work order's kit, shipped when the program starts: delivered two days later, or still in transit."""
    shipped = work_order.program.start_date
    shipments.shipment_create(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        carrier=CARRIERS[n % len(CARRIERS)],
        tracking_number=f"1Z{work_order.site.code.replace('-', '')}{n:04d}"[:30],
        shipped_on=shipped,
        expected_delivery=shipped + timedelta(days=3),
        delivered_on=shipped + timedelta(days=2) if delivered else None,
    )


def _schedule(organization, actor, work_order: WorkOrder, wave: Wave, n: int) -> bool:
    """Assign the nearest qualified technician in the first allowed window and schedule; False if none fits."""
    window = _visit_window(work_order, wave)
    if window is None:
        return False
    local_start = window[0]
    candidates = work_order_technician_candidates(
        organization=organization, work_order=work_order, on_date=local_start.date(), at_time=local_start.time()
    )
    if not candidates:
        return False
    try:
        services.work_order_assign(
            organization=organization,
            actor=actor,
            work_order_id=work_order.pk,
            technician_id=candidates[0].pk,
            planned_start=window[0],
            planned_end=window[1],
            schedule=True,
        )
    except ApplicationError:
        return False
    services.work_order_confirm_site_contact(
        organization=organization, actor=actor, work_order_id=work_order.pk, note="Store manager expects the crew."
    )
    ship(organization, actor, work_order, n, delivered=True)
    return True


def _stage_pilot(organization, actor: Access, program: Program, wave: Wave) -> None:
    pilot = list(
        WorkOrder.objects.for_organization(organization)
        .filter(program=program, enrollment__wave=wave)
        .select_related("site", "program", "technician")
        .order_by("sequence")
    )
    if not pilot or any(work_order.status != WorkOrderStatus.DRAFT for work_order in pilot):
        return
    for n, (work_order, plan) in enumerate(zip(pilot, PILOT_PLAN, strict=False)):
        try:
            services.work_order_transition(
                organization=organization, actor=actor, work_order_id=work_order.pk, to_status=WorkOrderStatus.READY
            )
        except ApplicationError:
            continue  # e.g. no approved SOW yet: the work order stays a draft
        work_order.refresh_from_db()
        if plan == "scheduled":
            _schedule(organization, actor, work_order, wave, n)
        elif plan == "ready_in_transit":
            ship(organization, actor, work_order, n, delivered=False)


@dataclass(frozen=True)
class Rollout:
    """What the work-order, packet and visit demos build on: Northwind, its PM acting, and sco-2026."""

    organization: Organization
    actor: Access
    program: Program

    def pilot(self):
        """The pilot wave's work orders, in number order."""
        return (
            WorkOrder.objects.for_organization(self.organization)
            .filter(program=self.program, enrollment__wave__name=PILOT)
            .order_by("number")
        )


def demo_rollout(demo: DemoContext) -> Rollout | None:
    """The demo's rollout, or None when the seeds it needs did not run (each demo then skips quietly)."""
    organization = demo.organizations.get("northwind")
    pm = demo.users.get(PM_EMAIL)
    if organization is None or pm is None:
        return None
    program = Program.objects.for_organization(organization).filter(code=PROGRAM_CODE).first()
    if program is None:
        return None
    return Rollout(organization, Access(organization=organization, role=Role.PM, user=pm), program)


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """Work orders for every enrolled site of sco-2026, and the pilot's first stores in varied states."""
    rollout = demo_rollout(demo)
    if rollout is None:
        return
    organization, actor, program = rollout.organization, rollout.actor, rollout.program
    _pilot_crew(organization, actor)
    services.work_orders_create_for_program(organization=organization, actor=actor, program_id=program.pk)
    wave = Wave.objects.for_organization(organization).filter(program=program, name=PILOT).first()
    if wave is not None:
        _stage_pilot(organization, actor, program, wave)
