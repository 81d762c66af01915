"""The demo's quality history: Harbor Foods' scale and label-printer refresh (`scale-2026`), run over the twelve
weeks before the seed through the real services, so that DRFT, its drill-down, the Pareto of root causes, the weekly
trend and the scorecards show computed figures.

Each store's work goes the way a coordinator, a technician and a reviewer take it: the program, its waves, SOW and
enrollments (programs services); a work order per store made ready, its visit booked (visit services), the site
contact confirmed, the packet issued and, as the vendors' technicians read it on paper, its acknowledgement gate
passed by the PM with the reason; then check-in, every task's evidence, the sign-off and the check-out (the field
actions: as the technician on the phone, or as the vendor's dispatch system through the API for technicians without
the app); then the QA review. Among them: one review rejects with three defects (catalogue codes, severities, root
causes) and books the return visit, which is worked and accepted; one store's first visit finds the site not ready
and the PM excludes it from DRFT with the reason; one accepted store gets a warranty report from the client within
the window and its warranty return; the last store waits in the review queue. Work accepted more than the warranty
window ago is closed by the same pass the beat runs.

Past moments: every service stamps `timezone.now()`, so each step runs inside `demo_clock(moment)` — the one place
the demo sets the time — and everything a service records (visits, actions, photos, reviews, audit events,
acceptance and its ISO week) carries that moment, consistently. Nothing is written around the services.

Idempotent: nothing happens once the program has a work order past draft. Skips quietly without Northwind, its PM,
coordinator, client viewer, the Harbor Foods client, the defect catalogue or the technicians it needs.
"""

from __future__ import annotations

import base64
import contextlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone
from PIL import Image, ImageDraw

from programs import enrollments, sows
from programs import services as program_services
from programs.choices import EvidenceKind, ProgramStatus
from programs.models import Program
from quality import services
from quality.models import DefectCode
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.models import Membership
from rollout.tenancy import Access
from sites.models import Site
from technicians.models import Technician
from workorders import gate_overrides
from workorders import services as work_order_services
from workorders.choices import WorkOrderStatus
from workorders.models import Visit, WorkOrder
from workorders.packets.services import packet_issue
from workorders.readiness import work_order_readiness
from workorders.visits.services import field_actions, planning

S = WorkOrderStatus
CODE = "scale-2026"
WEEKS = 12
PROGRAM = {
    "code": CODE,
    "name": "Scale and label printer refresh 2026",
    "description": (
        "Swap the deli and produce scales for certified connected ones and replace the shelf-label printers in "
        "Harbor Foods' Midwest and Southern stores: one visit per store, calibration certified on site, signed off "
        "by the store manager."
    ),
    "target_drft_percent": Decimal("98.50"),
    "warranty_window_days": 30,
    "checkin_grace_minutes": 20,
}
TASKS = [
    {"key": "before-photo", "title": "Photo of the counter before the swap", "required_skill": "pos-install",
     "estimated_minutes": 10, "evidence_kind": EvidenceKind.PHOTO, "photo_min_count": 1},
    {"key": "scale-serial", "title": "Install the scale and record its serial", "required_skill": "pos-install",
     "estimated_minutes": 40, "evidence_kind": EvidenceKind.SERIAL, "serial_pattern": r"^HS-\d{6}$"},
    {"key": "calibration", "title": "Calibrate with the 5 kg test weight", "required_skill": "pos-install",
     "estimated_minutes": 20, "evidence_kind": EvidenceKind.MEASUREMENT, "measurement_unit": "g",
     "measurement_min": Decimal("4995"), "measurement_max": Decimal("5005")},
    {"key": "manager-sign-off", "title": "Store manager sign-off", "estimated_minutes": 10,
     "evidence_kind": EvidenceKind.SIGNATURE},
]  # fmt: skip
# (city, technician's e-mail, stores): each city's stores are worked by the technician who lives there.
CREWS = [
    ("Chicago", "tech@northwind.example", 18),
    ("Minneapolis", "hannah.berg@lakeshore.example", 16),
    ("Dallas", "jordan.lee@summittech.example", 16),
    ("Atlanta", "keisha.brown@coastalinstall.example", 15),
    ("Nashville", "omar.haddad@coastalinstall.example", 15),
]
PM_EMAIL, COORDINATOR_EMAIL, CLIENT_EMAIL = (
    "pm@northwind.example",
    "coordinator@northwind.example",
    ("client@harborfoods.example"),
)
PACKET_REASON = "Vendor technician works from the printed packet; read through at the vendor's morning briefing."
REJECTION = [
    ("cabling-untidy", "minor", "packet_unclear", "scale-serial", "Data cable loose behind the counter, no label."),
    ("serial-wrong", "major", "technician_error", "scale-serial", "Serial recorded is the old scale's."),
    ("photo-missing", "major", "materials", "before-photo", "Photo taken after the swap: the kit came without "
     "the counter template, so the technician started before photographing."),
]  # fmt: skip
REVIEW_COMMENT = "Internal: go through the labelling standard with the technician before their next store."
SITE_NOT_READY = "The store's electrician had not moved the deli outlet; the counter was not ready for the scale."
EXCLUSION_REASON = "Store facilities had not moved the deli outlet as agreed: the site was not ready (client's side)."
WARRANTY = "The produce scale drifts by 20 g after an hour; the store re-weighs by hand."


@contextlib.contextmanager
def demo_clock(moment: datetime) -> Iterator[None]:
    """Run the services as if it were `moment` (never later than the real now): `django.utils.timezone.now` (what
    every service, model default and localdate reads) returns it, then the real clock is back."""
    real = timezone.now
    moment = min(moment, real() - timedelta(minutes=5))
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


@dataclass
class Story:
    """Who acts in the history, and the program."""

    organization: object
    pm: Access
    coordinator: Access
    client: Access
    program: Program


def _access(organization, email: str, role: str) -> Access | None:
    membership = (
        Membership.objects.filter(organization=organization, user__email=email, role=role)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    return Access(
        organization=organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )


def _field_actor(story: Story, technician: Technician) -> Access:
    """The technician on the phone when they have the app; else the vendor's dispatch system, through the API."""
    if technician.user_id:
        return Access(organization=story.organization, role=Role.TECHNICIAN, user=technician.user)
    return Access(organization=story.organization, role=Role.INTEGRATOR)


def _at(day: date, hour: int, minute: int = 0, zone: str = "America/Chicago") -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def _jpeg(label: str) -> bytes:
    image = Image.new("RGB", (480, 360), (90, 110, 130))
    ImageDraw.Draw(image).text((20, 20), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _signature() -> str:
    image = Image.new("RGBA", (400, 120), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 90), (90, 30), (150, 95), (230, 35), (380, 80)], fill=(20, 20, 60), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


# --- The program ------------------------------------------------------------------------------------------------


def _program(demo: DemoContext, organization, pm: Access, start: date) -> Program | None:
    """The program, its two waves, its approved SOW and its stores enrolled, set up two weeks before the work."""
    client = demo.clients.get("harbor")
    if client is None:
        return None
    with demo_clock(_at(start - timedelta(days=14), 10)):
        program = program_services.program_create(
            organization=organization,
            actor=pm,
            client=client,
            responsible_pm=pm.user,
            start_date=start,
            end_date=start + timedelta(weeks=WEEKS + 6),
            **PROGRAM,
        )
        halfway = start + timedelta(weeks=WEEKS // 2)
        waves = [
            program_services.wave_create(
                organization=organization, actor=pm, program_id=program.pk, name=name, start_date=first, end_date=last
            )
            for name, first, last in [
                ("Wave 1", start, halfway - timedelta(days=3)),
                ("Wave 2", halfway, start + timedelta(weeks=WEEKS + 6)),
            ]
        ]
        draft = sows.sow_create_draft(
            organization=organization, actor=pm, program_id=program.pk, notes="Scale and printer swap, one visit."
        )
        for task in TASKS:
            sows.sow_task_add(organization=organization, actor=pm, sow_id=draft.pk, **task)
        sows.sow_approve(organization=organization, actor=pm, sow_id=draft.pk)
        stores = []
        for city, _, count in CREWS:
            stores += list(
                Site.objects.for_organization(organization)
                .filter(client=client, city=city)
                .order_by("-code")
                .values_list("pk", flat=True)[:count]
            )
        for n, wave in enumerate(waves):
            enrollments.enrollment_bulk_create(
                organization=organization, actor=pm, program_id=program.pk, site_ids=stores[n::2], wave_id=wave.pk
            )
        for status in (ProgramStatus.PILOT, ProgramStatus.ACTIVE):
            program_services.program_transition(
                organization=organization, actor=pm, program_id=program.pk, to_status=status
            )
        work_order_services.work_orders_create_for_program(organization=organization, actor=pm, program_id=program.pk)
    return program


# --- One visit ----------------------------------------------------------------------------------------------------


def _book(story: Story, work_order: WorkOrder, technician: Technician, day: date) -> Visit | None:
    """Book the visit on `day` or the next day and time the rules allow (the technician's working days, the store's
    hours and blackouts, other bookings), as the coordinator, four days ahead; None when no past day in a week fits."""
    today = timezone.localdate()
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if candidate >= today:
            return None
        for start_hour in (9, 11, 13):
            with demo_clock(_at(candidate - timedelta(days=4), 9, 30)):
                try:
                    return planning.visit_schedule(
                        organization=story.organization,
                        actor=story.coordinator,
                        work_order_id=work_order.pk,
                        technician_id=technician.pk,
                        day=candidate,
                        start_time=time(start_hour, 0),
                        end_time=time(start_hour + 2, 30),
                    )
                except ApplicationError:
                    continue
    return None


def _prepare(story: Story, work_order: WorkOrder, technician: Technician, moment: datetime) -> None:
    """The day before the visit: the store manager confirms, the packet is issued, and the PM passes the gates the
    paper packet leaves red (the acknowledgement), with the reason."""
    organization = story.organization
    with demo_clock(moment):
        work_order_services.work_order_confirm_site_contact(
            organization=organization, actor=story.coordinator, work_order_id=work_order.pk, note="Manager confirmed."
        )
        with contextlib.suppress(ApplicationError):  # unchanged content: the issued version stands
            packet_issue(organization=organization, actor=story.pm, work_order_id=work_order.pk)
        fresh = WorkOrder.objects.with_summary().get(pk=work_order.pk)
        for gate in work_order_readiness(organization=organization, work_order=fresh).red:
            gate_overrides.work_order_gate_override(
                organization=organization,
                actor=story.pm,
                work_order_id=work_order.pk,
                gate=gate.gate,
                reason=PACKET_REASON,
            )


def _work(story: Story, visit: Visit, *, incomplete_reason: str = "", note: str = "") -> None:
    """The visit itself, from check-in to check-out, in the store's morning."""
    site = visit.work_order.site
    actor = _field_actor(story, visit.technician)
    moment = visit.window_start + timedelta(minutes=6)

    def act(service, minutes: int = 0, **fields):
        nonlocal moment
        moment += timedelta(minutes=minutes)
        with demo_clock(moment):
            return service(
                organization=story.organization,
                actor=actor,
                visit_id=visit.pk,
                client_action_id=str(uuid.uuid4()),
                device_time=moment,
                **fields,
            )

    act(
        field_actions.visit_check_in,
        location_status="ok",
        latitude=site.latitude + Decimal("0.000250"),
        longitude=site.longitude,
        accuracy_m=11.0,
    )
    if incomplete_reason:
        act(field_actions.visit_check_out, 25, outcome="incomplete", incomplete_reason=incomplete_reason, note=note)
        return
    act(field_actions.visit_photo_add, 4, task_key="before-photo", data=_jpeg(site.code), filename="IMG_0412.jpg")
    act(field_actions.visit_task_result, 1, task_key="before-photo", status="done")
    act(field_actions.visit_task_result, 40, task_key="scale-serial", status="done", serial=f"HS-{visit.pk:06d}")
    act(field_actions.visit_task_result, 20, task_key="calibration", status="done", measurement=Decimal("5001"))
    act(field_actions.visit_sign_off, 8, name="Store manager", signature=_signature())
    act(field_actions.visit_task_result, 1, task_key="manager-sign-off", status="done")
    act(field_actions.visit_check_out, 3, outcome="complete")


def _accept(story: Story, work_order: WorkOrder, moment: datetime) -> None:
    with demo_clock(moment):
        services.qa_review_accept(organization=story.organization, actor=story.coordinator, work_order_id=work_order.pk)


def _return_visit(story: Story, work_order: WorkOrder, technician: Technician, day: date) -> Visit | None:
    """The return visit of a work order in rework: booked (unless the rejection booked it), prepared, worked."""
    visit = Visit.objects.for_organization(story.organization).filter(work_order=work_order).open().first()
    visit = visit or _book(story, work_order, technician, day)
    if visit is None:
        return None
    _prepare(story, work_order, technician, visit.window_start - timedelta(hours=20))
    _work(story, visit)
    return visit


# --- The stories ----------------------------------------------------------------------------------------------


def _reject(story: Story, work_order: WorkOrder, technician: Technician, moment: datetime) -> date:
    """The reviewer rejects with three defects and books the return visit two days later."""
    codes = dict(DefectCode.objects.for_organization(story.organization).values_list("code", "pk"))
    day = (moment + timedelta(days=2)).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    defects = [
        services.DefectInput(code_id=codes[code], severity=severity, root_cause=cause, task_key=task, comment=comment)
        for code, severity, cause, task, comment in REJECTION
    ]
    booking = services.ReturnVisitInput(
        technician_id=technician.pk, day=day, start_time=time(11, 0), end_time=time(13, 30)
    )
    with demo_clock(moment):
        try:
            services.qa_review_reject(
                organization=story.organization,
                actor=story.coordinator,
                work_order_id=work_order.pk,
                comment=REVIEW_COMMENT,
                defects=defects,
                return_visit=booking,
            )
        except ApplicationError:  # the technician cannot come that day: rejected now, the return booked after
            services.qa_review_reject(
                organization=story.organization,
                actor=story.coordinator,
                work_order_id=work_order.pk,
                comment=REVIEW_COMMENT,
                defects=defects,
            )
    return day


def _story_of(n: int, total: int) -> str:
    """What happens to the n-th store (in visit order)."""
    return {  # with five crews taking turns, n modulo 5 picks the crew: each story happens to another one
        total // 4 + 2: "rejected",
        total // 2 + 4: "site_not_ready",
        total - 17: "warranty",
        total - 1: "queued",
    }.get(n, "accepted")


def _run(story: Story, start: date, plan: list[tuple[WorkOrder, Technician]]) -> None:
    organization = story.organization
    total = len(plan)
    today = timezone.localdate()
    for n, (work_order, technician) in enumerate(plan):
        # A rollout ramps up: more stores a week as it goes (the n-th store's working day grows as n^(2/3)).
        week, weekday = divmod(int(WEEKS * 5 * (n / total) ** (2 / 3)), 5)
        day = start + timedelta(weeks=week, days=weekday)
        if day >= today:
            day = today - timedelta(days=1 + (today.weekday() == 0) * 2)
        with demo_clock(_at(day - timedelta(days=6), 8)):
            work_order_services.work_order_transition(
                organization=organization, actor=story.pm, work_order_id=work_order.pk, to_status=S.READY
            )
        visit = _book(story, work_order, technician, day)
        if visit is None:
            continue
        _prepare(story, work_order, technician, visit.window_start - timedelta(hours=20))
        kind = _story_of(n, total)
        if kind == "site_not_ready":
            _work(story, visit, incomplete_reason="site_not_ready", note=SITE_NOT_READY)
            returned = _return_visit(story, work_order, technician, visit.local_date + timedelta(days=2))
            if returned is None:
                continue
            _accept(story, work_order, returned.window_end + timedelta(hours=20))
            with demo_clock(returned.window_end + timedelta(days=1, hours=22)):
                services.drft_exclusion_set(
                    organization=organization,
                    actor=story.pm,
                    work_order_id=work_order.pk,
                    cause="site_not_ready",
                    reason=EXCLUSION_REASON,
                )
            continue
        _work(story, visit)
        if kind == "queued":
            continue
        reviewed_at = visit.window_end + timedelta(hours=20)
        if kind == "rejected":
            day = _reject(story, work_order, technician, reviewed_at)
            returned = _return_visit(story, work_order, technician, day)
            if returned is not None:
                _accept(story, work_order, returned.window_end + timedelta(hours=5))
            continue
        _accept(story, work_order, reviewed_at)
        if kind == "warranty":
            reported_at = reviewed_at + timedelta(days=9)
            with demo_clock(reported_at):
                services.warranty_report_create(
                    organization=organization, actor=story.client, work_order_id=work_order.pk, description=WARRANTY
                )
            returned = _return_visit(story, work_order, technician, (reported_at + timedelta(days=2)).date())
            if returned is not None:
                _accept(story, work_order, returned.window_end + timedelta(hours=5))
    # The beat's hourly pass: work accepted longer ago than the warranty window is closed.
    services.warranty_close_expired(organization=organization)


def seed(demo: DemoContext) -> None:
    """The twelve weeks of scale-2026 (see the module's docstring); once."""
    organization = demo.organizations.get("northwind")
    if organization is None:
        return
    pm = _access(organization, PM_EMAIL, Role.PM)
    coordinator = _access(organization, COORDINATOR_EMAIL, Role.COORDINATOR)
    client = _access(organization, CLIENT_EMAIL, Role.CLIENT)
    if pm is None or coordinator is None or client is None:
        return
    program = Program.objects.for_organization(organization).filter(code=CODE).first()
    worked = WorkOrder.objects.for_organization(organization).filter(program=program).exclude(status=S.DRAFT)
    if program is not None and worked.exists():
        return
    today = timezone.localdate()
    start = today - timedelta(weeks=WEEKS, days=today.weekday())  # a Monday twelve weeks back
    program = program or _program(demo, organization, pm, start)
    if program is None:
        return
    crews = {
        city: Technician.objects.for_organization(organization).filter(email=email).first() for city, email, _ in CREWS
    }
    work_orders = (
        WorkOrder.objects.for_organization(organization)
        .filter(program=program, status=S.DRAFT)
        .select_related("site")
        .order_by("site__city", "number")
    )
    by_city: dict[str, list[WorkOrder]] = {}
    for work_order in work_orders:
        by_city.setdefault(work_order.site.city, []).append(work_order)
    plan = []  # the cities' stores interleaved, so that every week has every crew
    for round_ in range(max((len(stores) for stores in by_city.values()), default=0)):
        for city, stores in sorted(by_city.items()):
            if round_ < len(stores) and crews.get(city) is not None:
                plan.append((stores[round_], crews[city]))
    story = Story(organization, pm, coordinator, client, program)
    _run(story, start, plan)
