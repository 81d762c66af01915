"""Demo visits for `seed_demo`: the pilot's day (Harbor Foods' self-checkout rollout, Chicago) as of the moment
the seed runs, in every state the dispatch board shows — checked out complete and incomplete, checked in, on the
way, confirmed, scheduled, late, no-show and cancelled — for the pilot's Lakeshore crew and tech@northwind.example's
profile (Tomás), whose confirmed visit can be checked in from the phone.

Where and when each visit falls is workorders.demo.day's plan: inside its store's access hours and its
technician's working hours on a working day, whatever the hour the seed runs (the pilot has 24-hour and
overnight stores and a crew in three shifts). The visits themselves are written directly, like fixtures (the
booking services refuse windows in the past); the work orders follow through the work-order services as far as
the state machine allows — dispatched (the site contact confirmed and the materials delivered through their
services; only the packet gate cleared with the PM's reason, the crew having no app accounts), in progress,
submitted (rework is QA's decision: quality.demo) — and a refusal just leaves a work order where it is.

Idempotent: nothing happens once any pilot work order has a visit. Skips quietly without the pilot.
"""

from __future__ import annotations

import contextlib
import io
import re
from datetime import datetime, timedelta
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from programs.choices import EvidenceKind
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.tenancy import Access
from technicians.demo.seed import TECH_EMAIL
from technicians.models import Technician, TimeOff
from workorders import gate_overrides, shipments
from workorders import services as work_order_services
from workorders.choices import (
    Gate,
    LocationStatus,
    ShipmentStatus,
    TaskResultStatus,
    VisitOutcome,
    VisitStatus,
    WorkOrderStatus,
)
from workorders.demo.day import plan_day
from workorders.demo.work_orders import CREW_EMAILS, PM_EMAIL, demo_rollout, ship
from workorders.models import Shipment, TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff, WorkOrder
from workorders.readiness import work_order_estimate_minutes, work_order_readiness
from workorders.visits import selectors
from workorders.visits.photos import photo_process
from workorders.visits.services import planning

S = WorkOrderStatus
V = VisitStatus
# A scheduled work order whose red gates the PM overrides, so that its technician can check in (which dispatches it).
GATES_GREEN = "gates_green"
# What each need of the day's plan (workorders.demo.day.needs) becomes: (board state, work order goes to).
STATES = {
    "late": ("late", S.SCHEDULED),
    "checked_in": ("checked_in", S.IN_PROGRESS),
    "on_the_way": ("on_the_way", S.SCHEDULED),
    "resolves": ("scheduled", S.SCHEDULED),
    "at_risk": ("scheduled", S.SCHEDULED),
    "no_show": ("no_show", S.SCHEDULED),
    "checked_out": ("checked_out", S.SUBMITTED),
    "incomplete": ("incomplete", S.SUBMITTED),  # sent to rework only by a QA review (quality.demo)
    "confirmed": ("confirmed", GATES_GREEN),
    "cancelled": ("scheduled", S.SCHEDULED),  # booked, then called off through the service (Tomás is told)
}
# Visits whose technician and window the work order carries (a cancelled visit's work order is back to ready).
PLANNED_STATES = {"checked_out", "incomplete", "checked_in", "confirmed", "late", "on_the_way", "no_show", "scheduled"}
# Forward path of the work-order moves the demo makes (each through the service).
PATH = [S.READY, S.SCHEDULED, S.DISPATCHED, S.IN_PROGRESS, S.SUBMITTED]
# The one gate the demo's crew cannot turn green themselves (they have no app accounts to acknowledge the packet in):
# the reason the PM writes when clearing it on the day of the visit. Every other gate is made green for real
# (the site contact confirmed, the materials delivered) or the work order stays where it is.
OVERRIDE_REASONS = {
    Gate.PACKET: "Packet walked through with the technician by phone; they acknowledge it on arrival.",
}
CANCEL_REASON = "The store asked to move the visit after the weekend rush."
SITE_CONTACT_NOTE = "Store manager expects the crew and has the back-room key ready."


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


def _red_gates(organization, work_order: WorkOrder) -> list:
    fresh = WorkOrder.objects.with_summary().get(pk=work_order.pk)
    return work_order_readiness(organization=organization, work_order=fresh).red


def _deliver(organization, actor: Access, work_order: WorkOrder) -> None:
    """The kit arrives at the store: the shipments in transit are recorded delivered, or one is shipped."""
    pending = list(
        Shipment.objects.for_organization(organization)
        .filter(work_order=work_order)
        .exclude(status__in=[ShipmentStatus.DELIVERED, ShipmentStatus.CANCELLED])
    )
    for shipment in pending:
        shipments.shipment_update(
            organization=organization,
            actor=actor,
            shipment_id=shipment.pk,
            delivered_on=max(shipment.shipped_on, timezone.localdate() - timedelta(days=1)),
        )
    if not pending:
        ship(organization, actor, work_order, work_order.sequence or 0, delivered=True)


def _clear_red_gates(organization, actor: Access, work_order: WorkOrder) -> bool:
    """Before dispatch: confirm the site contact and deliver the materials through their services, then clear the
    packet gate with the PM's reason; False (nothing overridden) if any other gate is still red."""
    red = {gate.gate for gate in _red_gates(organization, work_order)}
    try:
        if Gate.SITE_CONTACT in red:
            work_order_services.work_order_confirm_site_contact(
                organization=organization, actor=actor, work_order_id=work_order.pk, note=SITE_CONTACT_NOTE
            )
        if Gate.MATERIALS in red:
            _deliver(organization, actor, work_order)
    except ApplicationError:
        return False
    red = _red_gates(organization, work_order)
    if any(gate.gate not in OVERRIDE_REASONS for gate in red):
        return False
    for gate in red:
        try:
            gate_overrides.work_order_gate_override(
                organization=organization,
                actor=actor,
                work_order_id=work_order.pk,
                gate=gate.gate,
                reason=OVERRIDE_REASONS[gate.gate],
            )
        except ApplicationError:
            return False
    return True


def _advance(organization, actor: Access, work_order: WorkOrder, target: str | None) -> None:
    """Move the work order forward along PATH up to `target`, through the services; stop at the first refusal."""
    if target == GATES_GREEN:
        _advance(organization, actor, work_order, S.SCHEDULED)
        if WorkOrder.objects.for_organization(organization).filter(pk=work_order.pk, status=S.SCHEDULED).exists():
            _clear_red_gates(organization, actor, work_order)
        return
    if target not in PATH:
        return
    current = WorkOrder.objects.for_organization(organization).values_list("status", flat=True).get(pk=work_order.pk)
    if current == S.DRAFT:
        current = _move(organization, actor, work_order, S.READY) or current
    if current not in PATH:
        return
    for step in PATH[PATH.index(current) + 1 : PATH.index(target) + 1]:
        if step == S.SCHEDULED and not work_order.technician_id:
            return  # the pilot's unplanned work orders stay ready
        if step == S.DISPATCHED and not _clear_red_gates(organization, actor, work_order):
            return
        if _move(organization, actor, work_order, step) is None:
            return


def _plan(work_order: WorkOrder, technician: Technician, window: tuple[datetime, datetime]) -> None:
    """The work order carries its visit's technician and window, written like the visit itself (the booking
    services refuse past windows), so that the two agree as the visit services keep them."""
    work_order.technician = technician
    work_order.planned_start, work_order.planned_end = window
    WorkOrder.objects.filter(pk=work_order.pk).update(
        technician=technician, planned_start=window[0], planned_end=window[1]
    )


def _move(organization, actor, work_order: WorkOrder, to_status: str, reason: str = "") -> str | None:
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
    # The late visit was confirmed the day before; nobody has come.
    status = {"incomplete": V.CHECKED_OUT, "late": V.CONFIRMED}.get(state, state)
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
        visit.confirmed_at = min(start - timedelta(hours=12), now - timedelta(minutes=40))
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
    if status == V.NO_SHOW:  # the coordinator marked it half an hour after the grace, nobody answering the phone
        visit.no_show_at = visit.checkin_due_by + timedelta(minutes=30)
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


def _window_minutes(organization, work_order: WorkOrder) -> int:
    """The work's estimate (the duration gate's), rounded up to the half hour, at least two hours."""
    minutes = work_order_estimate_minutes(organization=organization, work_order=work_order) or 240
    return max(120, -(-minutes // 30) * 30)


def _days_off(organization, technicians) -> dict[int, list]:
    days_off: dict[int, list] = {}
    rows = TimeOff.objects.for_organization(organization).filter(technician__in=technicians)
    for technician_id, first, last in rows.values_list("technician_id", "start_date", "end_date"):
        days_off.setdefault(technician_id, []).append((first, last))
    return days_off


@transaction.atomic
def seed(demo: DemoContext) -> None:
    """The pilot's visits of the day, in every state (see the module's docstring)."""
    rollout = demo_rollout(demo)
    if rollout is None:
        return
    organization, actor = rollout.organization, rollout.actor
    pilot = list(rollout.pilot().select_related("site", "program"))
    if not pilot or Visit.objects.for_organization(organization).filter(work_order__in=pilot).exists():
        return
    order = [*CREW_EMAILS, TECH_EMAIL]
    crew = sorted(
        Technician.objects.for_organization(organization).filter(email__in=order, active=True),
        key=lambda technician: order.index(technician.email),
    )
    now = timezone.now()
    placed = plan_day(
        now=now,
        work_orders=pilot,
        technicians=crew,
        window_minutes={work_order.pk: _window_minutes(organization, work_order) for work_order in pilot},
        days_off=_days_off(organization, crew),
        grace=rollout.program.checkin_grace_minutes,
        tech=TECH_EMAIL,
    )
    for n, item in enumerate(placed):
        state, target = STATES[item.need.key]
        work_order, technician, window = item.work_order, item.technician, (item.start, item.end)
        if state in PLANNED_STATES:
            _plan(work_order, technician, window)
        _advance(organization, actor, work_order, target)
        visit = _visit(organization, work_order, technician, state, window, now, n)
        if item.need.key == "cancelled":
            with contextlib.suppress(ApplicationError):  # a refusal leaves the visit booked: still a demo
                planning.visit_cancel(organization=organization, actor=actor, visit_id=visit.pk, reason=CANCEL_REASON)
