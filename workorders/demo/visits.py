"""Demo visits for `seed_demo`: a day of visits (today in Northwind's time zone) for the pilot work orders of Harbor
Foods' self-checkout rollout, in every state the dispatch board shows — checked out complete and incomplete,
checked in, on the way, confirmed, scheduled, late, no-show and cancelled — for the crew lead, other technicians
and tech@northwind.example's profile (Tomás), whose confirmed visit can be checked in from the phone.

The visits themselves are written directly, like fixtures: their windows are relative to the moment the seed
runs (so that one is late and one a no-show whenever it runs), which the planning rules (working hours, access
hours, skills) cannot accept on every day of the week at every hour. The work orders follow through the
work-order services as far as the state machine allows — dispatched with the PM's written overrides of the gates
still red, in progress, submitted, rework — and a refusal just leaves a work order where it is.

Idempotent: nothing happens once any pilot work order has a visit. Skips quietly without the pilot.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from programs.choices import EvidenceKind
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.tenancy import Access
from technicians.demo.seed import TECH_EMAIL
from technicians.models import Technician
from workorders import gate_overrides
from workorders import services as work_order_services
from workorders.choices import Gate, LocationStatus, TaskResultStatus, VisitOutcome, VisitStatus, WorkOrderStatus
from workorders.demo.work_orders import CREW_EMAIL, PM_EMAIL, demo_rollout
from workorders.models import TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff, WorkOrder
from workorders.readiness import work_order_readiness
from workorders.visits import selectors
from workorders.visits.photos import photo_process

S = WorkOrderStatus
V = VisitStatus
# A scheduled work order whose red gates the PM overrides, so that its technician can check in (which dispatches it).
GATES_GREEN = "gates_green"
# In pilot work order order: (board state, technician e-mail, start in hours from now, hours long, work order goes to).
# The other pilot work orders stay as the work-order demo left them (scheduled, ready, draft).
PLAN = [
    ("checked_out", CREW_EMAIL, -6.0, 2.0, S.SUBMITTED),
    ("incomplete", CREW_EMAIL, -3.5, 1.5, S.REWORK),
    ("checked_in", TECH_EMAIL, -1.0, 3.0, S.IN_PROGRESS),
    ("confirmed", TECH_EMAIL, 2.5, 2.0, GATES_GREEN),
    ("late", CREW_EMAIL, -1.0, 2.0, S.SCHEDULED),
    ("on_the_way", "hannah.berg@lakeshore.example", 0.5, 2.0, S.SCHEDULED),
    ("no_show", "hannah.berg@lakeshore.example", -7.0, 2.0, S.SCHEDULED),
    ("scheduled", TECH_EMAIL, 5.0, 1.5, S.SCHEDULED),
    ("cancelled", "omar.haddad@coastalinstall.example", 1.0, 2.0, None),
    ("scheduled", CREW_EMAIL, 3.0, 2.0, S.SCHEDULED),
]
# Visits whose technician and window the work order carries (a cancelled visit's work order is back to ready).
PLANNED_STATES = {"checked_out", "incomplete", "checked_in", "confirmed", "late", "on_the_way", "no_show", "scheduled"}
# Forward path of the work-order moves the demo makes (each through the service).
PATH = [S.READY, S.SCHEDULED, S.DISPATCHED, S.IN_PROGRESS, S.SUBMITTED, S.REWORK]
# The reasons a PM writes when clearing a gate that is still red on the day of the visit.
OVERRIDE_REASONS = {
    Gate.PACKET: "Packet walked through with the technician by phone; they acknowledge it on arrival.",
    Gate.SITE_CONTACT: "Store manager confirmed the visit by phone this morning.",
    Gate.MATERIALS: "Kit picked up from the Chicago depot by the technician.",
    Gate.TECHNICIAN: "Vendor confirmed the technician's availability for this store's slot.",
    Gate.VISIT_WINDOW: "Store manager agreed to this slot by phone.",
    Gate.DURATION: "Crew of two on site for this store: the work fits the window.",
    Gate.VARIATIONS: "Variations reviewed with the client; none affects this visit.",
    Gate.SOW: "Client approved the scope by e-mail; the signed SOW follows.",
}
OVERRIDE_FALLBACK = "Cleared with the store and the vendor for today's visit."


def _window(now: datetime, zone: ZoneInfo, start_hours: float, hours: float) -> tuple[datetime, datetime]:
    """now + start_hours for `hours`, kept inside today (site time) so every visit shows on today's board."""
    local_now = now.astimezone(zone)
    day_start = datetime.combine(local_now.date(), time(0, 5), tzinfo=zone)
    day_end = datetime.combine(local_now.date(), time(23, 55), tzinfo=zone)
    start = min(max(local_now + timedelta(hours=start_hours), day_start), day_end - timedelta(minutes=30))
    end = min(start + timedelta(hours=hours), day_end)
    return start, end


def _serial(pattern: str, n: int) -> str:
    for candidate in (f"SCO-{n:06d}", f"SCO{n:06d}", f"SN{n:08d}", str(100000 + n)):
        try:
            if not pattern or re.fullmatch(pattern, candidate):
                return candidate
        except re.error:
            return candidate
    return f"SCO-{n:06d}"


def _image(label: str, color: tuple[int, int, int]) -> bytes:
    image = Image.new("RGB", (960, 720), color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 920, 680), outline=(255, 255, 255), width=6)
    draw.text((80, 80), label, fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _signature() -> bytes:
    image = Image.new("RGB", (600, 200), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.line(
        [(40, 140), (120, 60), (180, 150), (260, 70), (340, 140), (420, 80), (560, 120)], fill=(20, 20, 60), width=4
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _override_red_gates(organization, actor: Access, work_order: WorkOrder) -> bool:
    fresh = WorkOrder.objects.with_summary().get(pk=work_order.pk)
    for gate in work_order_readiness(organization=organization, work_order=fresh).red:
        try:
            gate_overrides.work_order_gate_override(
                organization=organization,
                actor=actor,
                work_order_id=work_order.pk,
                gate=gate.gate,
                reason=OVERRIDE_REASONS.get(gate.gate, OVERRIDE_FALLBACK),
            )
        except ApplicationError:
            return False
    return True


def _advance(organization, actor: Access, work_order: WorkOrder, target: str | None, reason: str = "") -> None:
    """Move the work order forward along PATH up to `target`, through the services; stop at the first refusal."""
    if target == GATES_GREEN:
        if work_order.status == S.SCHEDULED:
            _override_red_gates(organization, actor, work_order)
        return
    if target not in PATH:
        return
    current = WorkOrder.objects.for_organization(organization).values_list("status", flat=True).get(pk=work_order.pk)
    if current == S.DRAFT:
        current = _move(organization, actor, work_order, S.READY, "") or current
    if current not in PATH:
        return
    for step in PATH[PATH.index(current) + 1 : PATH.index(target) + 1]:
        if step == S.SCHEDULED and not work_order.technician_id:
            return  # the pilot's unplanned work orders stay ready
        if step == S.DISPATCHED and not _override_red_gates(organization, actor, work_order):
            return
        if _move(organization, actor, work_order, step, reason if step == S.REWORK else "") is None:
            return


def _plan(work_order: WorkOrder, technician: Technician, window: tuple[datetime, datetime]) -> None:
    """The work order carries its visit's technician and window, written like the visit itself (the planning rules
    cannot accept every now-relative window), so that the two agree as the visit services keep them."""
    work_order.technician = technician
    work_order.planned_start, work_order.planned_end = window
    WorkOrder.objects.filter(pk=work_order.pk).update(
        technician=technician, planned_start=window[0], planned_end=window[1]
    )


def _move(organization, actor, work_order: WorkOrder, to_status: str, reason: str) -> str | None:
    try:
        work_order_services.work_order_transition(
            organization=organization, actor=actor, work_order_id=work_order.pk, to_status=to_status, reason=reason
        )
    except ApplicationError:
        return None
    return to_status


def _check_in(visit: Visit, packet, started: datetime) -> None:
    site = visit.work_order.site
    visit.checked_in_at = visit.check_in_device_time = started
    if site.latitude is not None:
        visit.check_in_latitude = site.latitude + Decimal("0.000300")
        visit.check_in_longitude = site.longitude
        visit.check_in_accuracy_m = 14.0
        visit.check_in_distance_m = 33
        visit.location_status = LocationStatus.OK
    else:
        visit.location_status = LocationStatus.UNAVAILABLE
    visit.packet = packet


def _results(visit: Visit, packet, *, complete: bool, n: int) -> None:
    """Task results (all done with their evidence when `complete`; the first half otherwise), photos and the
    site contact's sign-off, as the phone would have sent them."""
    tasks = selectors.packet_tasks(packet)
    worked = tasks if complete else tasks[: len(tasks) // 2]
    moment = visit.checked_in_at
    for index, task in enumerate(worked, start=1):
        moment += timedelta(minutes=9)
        values = {"status": TaskResultStatus.DONE, "device_time": moment, "received_at": moment}
        if task.evidence_kind == EvidenceKind.SERIAL:
            values["serial"] = _serial(task.serial_pattern, 410000 + n * 10 + index)
        if task.evidence_kind == EvidenceKind.MEASUREMENT:
            low = task.measurement_min if task.measurement_min is not None else Decimal("1")
            values["measurement"] = low + Decimal("2")
        TaskResult.objects.create(organization_id=visit.organization_id, visit=visit, task_key=task.key, **values)
        for shot in range(task.photo_min_count):
            processed = photo_process(_image(f"{visit.work_order.number} · {task.title} · {shot + 1}", (40, 90, 140)))
            photo = VisitPhoto(
                organization_id=visit.organization_id,
                visit=visit,
                task_key=task.key,
                original_format=processed.original_format,
                original_name=f"IMG_{4000 + index * 10 + shot}.jpg",
                size=len(processed.content),
                width=processed.width,
                height=processed.height,
                sha256=processed.sha256,
                device_time=moment,
                uploaded_by_label=visit.technician.email,
            )
            photo.file.save("photo.jpg", ContentFile(processed.content), save=False)
            photo.thumbnail.save("thumbnail.jpg", ContentFile(processed.thumbnail), save=False)
            photo.save()
    if complete:
        sign_off = VisitSignOff(
            organization_id=visit.organization_id,
            visit=visit,
            name="Dana Whitfield",
            signed_at=moment,
            device_time=moment,
            size=0,
        )
        content = _signature()
        sign_off.size, sign_off.width, sign_off.height = len(content), 600, 200
        sign_off.signature.save("signature.png", ContentFile(content), save=False)
        sign_off.save()


def _visit(organization, work_order: WorkOrder, technician: Technician, state: str, window, now, n: int) -> Visit:
    start, end = window
    status = {"incomplete": V.CHECKED_OUT, "late": V.SCHEDULED}.get(state, state)
    visit = Visit(
        organization_id=organization.pk,
        work_order=work_order,
        technician=technician,
        window_start=start,
        window_end=end,
        local_date=start.date(),
        checkin_due_by=start + timedelta(minutes=work_order.program.checkin_grace_minutes),
        status=status,
        created_by_label=PM_EMAIL,
    )
    packet = selectors.packet_for_visit(organization=organization, work_order_id=work_order.pk)
    if status in (V.CONFIRMED, V.ON_THE_WAY, V.CHECKED_IN, V.CHECKED_OUT):
        visit.confirmed_at = start - timedelta(hours=12)
    if status in (V.ON_THE_WAY, V.CHECKED_IN, V.CHECKED_OUT):
        visit.on_the_way_at = min(start, now) - timedelta(minutes=25)
    if status in (V.CHECKED_IN, V.CHECKED_OUT) and packet is not None:
        _check_in(visit, packet, min(start + timedelta(minutes=4), now))
    if status == V.CHECKED_OUT:
        visit.checked_out_at = visit.check_out_device_time = min(end - timedelta(minutes=5), now)
        visit.outcome = VisitOutcome.INCOMPLETE if state == "incomplete" else VisitOutcome.COMPLETE
        if state == "incomplete":
            visit.incomplete_reason = "parts_missing"
            visit.check_out_note = "The kiosk's mounting bracket was not in the shipment; the rest is staged."
    if status == V.NO_SHOW:
        visit.no_show_at = end + timedelta(minutes=30)
    if status == V.CANCELLED:
        visit.cancelled_at = now - timedelta(hours=2)
        visit.cancel_reason = "The store asked to move the visit after the weekend rush."
    visit.save()
    if visit.checked_in_at is not None:
        _results(visit, packet, complete=state == "checked_out", n=n)
        VisitAction.objects.create(
            organization_id=organization.pk,
            visit=visit,
            client_action_id=f"demo-check-in-{visit.pk}",
            kind="check_in",
            device_time=visit.check_in_device_time,
            payload={"location_status": visit.location_status},
            result={"status": "checked_in"},
            actor_label=technician.email,
        )
    return visit


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """Today's visits for the pilot's work orders, in every state (see the module's docstring)."""
    rollout = demo_rollout(demo)
    if rollout is None:
        return
    organization, actor = rollout.organization, rollout.actor
    pilot = list(rollout.pilot().select_related("site", "program"))
    if not pilot or Visit.objects.for_organization(organization).filter(work_order__in=pilot).exists():
        return
    technicians = {
        technician.email: technician
        for technician in Technician.objects.for_organization(organization).filter(
            email__in={email for _, email, *_ in PLAN}
        )
    }
    fallback = technicians.get(CREW_EMAIL) or technicians.get(TECH_EMAIL)
    if fallback is None:
        return
    now = timezone.now()
    for n, (work_order, (state, email, start_hours, hours, target)) in enumerate(zip(pilot, PLAN, strict=False)):
        zone = ZoneInfo(work_order.site.timezone)
        technician = technicians.get(email) or fallback
        reason = "Visit 1 ended incomplete: Parts missing (kiosk bracket)."
        window = _window(now, zone, start_hours, hours)
        if state in PLANNED_STATES:
            _plan(work_order, technician, window)
        _advance(organization, actor, work_order, target, reason)
        _visit(organization, work_order, technician, state, window, now, n)
