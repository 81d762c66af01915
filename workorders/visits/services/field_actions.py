"""Writes of the technician's phone on a visit: confirm, on my way, acknowledge the packet, check-in, task
results, photos, sign-off, check-out.

Rules:
- Every field action is one transaction that locks the visit row, and is recorded once per (visit,
  client_action_id) in VisitAction: a resend with the same id returns without doing anything. The lookup is
  the caller's own scope, so a technician acting on someone else's visit gets a 404.
- Check-in moves the work order to in progress (dispatching it first when it is scheduled and every readiness
  gate is green); check-out complete moves it to submitted when every task has its result and evidence,
  otherwise it is refused with `evidence_missing` and the list. Check-out incomplete (with a reason from the
  fixed list) moves the work order in_progress → rework with the visit's reason; rework → scheduled books the
  follow-up visit.
Every state change records an audit event.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from programs.serials import serial_example
from rollout.audit import audit_record
from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.geo import COORDINATE_RANGES, coordinate_in_range, coordinate_number, coordinate_round, haversine_km
from rollout.models import Organization
from rollout.tenancy import Access, actor_label, actor_user, organization_id_of
from workorders._common import _touch
from workorders.choices import (
    BEFORE_ARRIVAL,
    IncompleteReason,
    LocationStatus,
    TaskResultStatus,
    VisitActionKind,
    VisitOutcome,
    VisitStatus,
    WorkOrderStatus,
)
from workorders.errors import NotReady
from workorders.events import VISIT_CHECKED_IN, VISIT_CHECKED_OUT, VISIT_CONFIRMED, VISIT_ON_THE_WAY
from workorders.models import TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff, WorkOrder
from workorders.packets.errors import PacketNotCurrent
from workorders.packets.services import packet_acknowledge
from workorders.services import work_order_transition
from workorders.visits import selectors
from workorders.visits.errors import (
    AlreadyCheckedIn,
    ClientActionIdReused,
    EvidenceMissing,
    NoPacket,
    NotAFieldActor,
    OutsideGeofence,
    VisitCheckedOut,
    VisitNotActive,
    VisitNotCheckable,
    VisitNotCheckedIn,
    WorkOrderNotDispatched,
)
from workorders.visits.photos import ProcessedImage, photo_process, signature_process
from workorders.visits.services._common import MAX_TEXT, _emit, _lock_visit

S = WorkOrderStatus
V = VisitStatus
K = VisitActionKind
# Roles that perform field actions: the visit's technician, or a system (integrator) driving a visit for them.
FIELD_ROLES = frozenset({Role.TECHNICIAN, Role.INTEGRATOR})
MAX_PHOTOS_PER_TASK = 30
MAX_SERIAL_LENGTH = 100


@dataclass(frozen=True)
class ActionOutcome:
    """What a field action did: the visit, its VisitAction record, and whether this call was a resend."""

    visit: Visit
    action: VisitAction
    replayed: bool


def _field_visit(organization, actor: Access, visit_id: int) -> Visit:
    if not isinstance(actor, Access) or actor.role not in FIELD_ROLES:
        raise NotAFieldActor()
    return _lock_visit(organization, visit_id, access=actor)


def _previous(visit: Visit, kind: str, client_action_id: str) -> VisitAction | None:
    """The action already recorded under this id (the visit row is locked, so the answer cannot change)."""
    client_action_id = (client_action_id or "").strip()
    if not client_action_id:
        raise ApplicationError("Send the action's client_action_id.", field="client_action_id", code="required")
    action = (
        VisitAction.objects.for_organization(visit.organization_id)
        .filter(visit=visit, client_action_id=client_action_id)
        .first()
    )
    if action is not None and action.kind != kind:
        used_for = VisitActionKind(action.kind).label.lower()
        raise ClientActionIdReused(
            f"The client_action_id {client_action_id} was already used for a {used_for} action on this visit; "
            "generate a new one for each action."
        )
    return action


def _record(
    visit: Visit, kind: str, client_action_id: str, device_time, actor: Access, payload: dict, result: dict
) -> ActionOutcome:
    action = VisitAction.objects.create(
        organization_id=visit.organization_id,
        visit=visit,
        client_action_id=client_action_id.strip(),
        kind=kind,
        device_time=device_time,
        payload=payload,
        result=result,
        actor_label=actor_label(actor)[:200],
        user=actor_user(actor),
    )
    return ActionOutcome(visit=visit, action=action, replayed=False)


def _replayed(visit: Visit, action: VisitAction) -> ActionOutcome:
    return ActionOutcome(visit=visit, action=action, replayed=True)


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def _refuse_closed(visit: Visit) -> None:
    if visit.status in (V.CANCELLED, V.NO_SHOW):
        raise VisitNotActive(
            f"This visit is {V(visit.status).label.lower()}"
            + (f" ({visit.cancel_reason})" if visit.cancel_reason else "")
            + ": ask your coordinator."
        )


def _require_checked_in(visit: Visit) -> None:
    _refuse_closed(visit)
    if visit.status == V.CHECKED_OUT:
        raise VisitCheckedOut()
    if visit.status != V.CHECKED_IN:
        raise VisitNotCheckedIn()


def _audit_action(organization, actor, visit: Visit, verb: str, before: dict | None, after: dict) -> None:
    audit_record(organization=organization, actor=actor, verb=verb, target=visit, before=before, after=after)


@transaction.atomic
def visit_confirm(
    *, organization: Organization, actor: Access, visit_id: int, client_action_id: str, device_time: datetime | None
) -> ActionOutcome:
    """The technician confirms they will come. Once per client action id; confirming a visit that is already
    confirmed (or further along) changes nothing."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CONFIRM, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    before = {"status": visit.status}
    if visit.status == V.SCHEDULED:
        visit.to_confirmed()
        _touch(visit, "status", "confirmed_at")
        _audit_action(organization, actor, visit, "visit.confirmed", before, {"status": visit.status})
        _emit(organization, actor, visit, VISIT_CONFIRMED)
    return _record(visit, K.CONFIRM, client_action_id, device_time, actor, {}, {"status": visit.status})


@transaction.atomic
def visit_on_my_way(
    *, organization: Organization, actor: Access, visit_id: int, client_action_id: str, device_time: datetime | None
) -> ActionOutcome:
    """The technician is on their way. Once per client action id; a no-op once they are on site."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.ON_MY_WAY, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    before = {"status": visit.status}
    if visit.status in (V.SCHEDULED, V.CONFIRMED):
        visit.to_on_the_way()
        _touch(visit, "status", "on_the_way_at")
        _audit_action(organization, actor, visit, "visit.on_the_way", before, {"status": visit.status})
        _emit(organization, actor, visit, VISIT_ON_THE_WAY)
    return _record(visit, K.ON_MY_WAY, client_action_id, device_time, actor, {}, {"status": visit.status})


@transaction.atomic
def visit_acknowledge_packet(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    packet_version: int,
) -> ActionOutcome:
    """The technician confirms they read the packet version the phone shows (`packet_version`), before the visit
    works from it: the work order's acknowledgement gate, recorded once per client action id in the visit's
    action log. A version that is no longer the one the visit works from is refused (`packet_not_current`)."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.ACKNOWLEDGE_PACKET, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    packet = selectors.visit_effective_packet(visit)
    if packet is None:
        raise NoPacket("This visit has no packet yet: ask your coordinator.")
    if packet.version != packet_version:
        raise PacketNotCurrent(
            f"Packet v{packet_version} is not the version of this visit: v{packet.version} is. Reload the visit "
            f"and read v{packet.version}."
        )
    packet_acknowledge(organization=organization, actor=actor, packet_id=packet.pk)
    _touch(visit)
    return _record(
        visit,
        K.ACKNOWLEDGE_PACKET,
        client_action_id,
        device_time,
        actor,
        {"packet_version": packet_version},
        {"packet": packet.pk, "acknowledged": True},
    )


def _start_work(organization, actor: Access, work_order: WorkOrder) -> None:
    """Move the work order to in progress: dispatched → in progress; a scheduled one is dispatched first when
    every readiness gate is green (the same check as the Dispatch button)."""
    status = work_order.status  # read with the visit; the work-order service checks it again under its own lock
    if status == S.IN_PROGRESS:
        return
    if status == S.SCHEDULED:
        try:
            work_order_transition(
                organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.DISPATCHED
            )
        except NotReady as exc:
            raise WorkOrderNotDispatched(
                f"Work order {work_order.number} is not dispatched yet, so the visit cannot start. {exc.message} "
                "Call your coordinator."
            ) from exc
        status = S.DISPATCHED
    if status != S.DISPATCHED:
        raise VisitNotCheckable(
            f"Work order {work_order.number} is {S(status).label.lower()}: this visit cannot start. Call your "
            "coordinator."
        )
    work_order_transition(organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.IN_PROGRESS)


def _coordinate(value, name: str) -> Decimal:
    number = coordinate_number(value)
    if number is None:
        raise ApplicationError(f"Give the {name} in decimal degrees.", field=name, code="invalid")
    if not coordinate_in_range(number, name):
        low, high = COORDINATE_RANGES[name]
        raise ApplicationError(f"The {name} must be between {low} and {high}.", field=name, code="invalid")
    return coordinate_round(number)


@transaction.atomic
def visit_check_in(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    location_status: str,
    latitude=None,
    longitude=None,
    accuracy_m: float | None = None,
) -> ActionOutcome:
    """The technician arrives: server time, device time and the phone's position (with its accuracy) are kept.

    The distance from the site is measured; beyond the program's geofence radius the check-in is flagged, or
    refused (`outside_geofence`) when the program enforces the geofence — unless the position's own accuracy
    could put the phone inside the radius. A denied or unavailable location is recorded as such, and is not a
    reason to refuse. The visit starts working from the work order's current packet version, and the work order
    moves to in progress. Once per client action id; a second check-in with a new id is `already_checked_in`.
    """
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CHECK_IN, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    if visit.status == V.CHECKED_IN:
        raise AlreadyCheckedIn(
            f"This visit was already checked in at {timezone.localtime(visit.checked_in_at):%H:%M} (server time); "
            "the first check-in stands."
        )
    if visit.status == V.CHECKED_OUT:
        raise VisitCheckedOut()
    if visit.status not in BEFORE_ARRIVAL:
        raise VisitNotCheckable(f"This visit is {V(visit.status).label.lower()}: it cannot be checked in.")
    if location_status not in LocationStatus.values:
        raise ApplicationError(
            "location_status must be ok, denied or unavailable.", field="location_status", code="invalid_choice"
        )
    work_order, program, site = visit.work_order, visit.work_order.program, visit.work_order.site
    lat = lng = None
    distance = None
    flagged = False
    if location_status == LocationStatus.OK:
        if latitude is None or longitude is None:
            raise ApplicationError(
                "Send latitude and longitude with location_status ok.", field="latitude", code="required"
            )
        lat, lng = _coordinate(latitude, "latitude"), _coordinate(longitude, "longitude")
        if accuracy_m is not None and accuracy_m < 0:
            raise ApplicationError("accuracy_m cannot be negative.", field="accuracy_m", code="invalid")
        if site.latitude is not None and site.longitude is not None:
            distance = round(haversine_km(site.latitude, site.longitude, lat, lng) * 1000)
            flagged = distance > program.geofence_radius_m
            if flagged and program.geofence_enforced and distance - (accuracy_m or 0) > program.geofence_radius_m:
                raise OutsideGeofence(
                    f"You are {distance:,} m from {site.code} (accuracy ±{round(accuracy_m or 0):,} m); check-in is "
                    f"allowed within {program.geofence_radius_m:,} m of the site. Move closer and try again, or call "
                    "your coordinator."
                )
    else:
        accuracy_m = None
    packet = selectors.packet_for_visit(organization=organization, work_order_id=work_order.pk)
    if packet is None:
        raise NoPacket(f"Work order {work_order.number} has no packet yet, so there is no checklist to work from.")
    _start_work(organization, actor, work_order)
    before = {"status": visit.status}
    visit.to_checked_in()
    visit.check_in_device_time = device_time
    visit.check_in_latitude, visit.check_in_longitude, visit.check_in_accuracy_m = lat, lng, accuracy_m
    visit.location_status = location_status
    visit.check_in_distance_m, visit.check_in_flagged = distance, flagged
    visit.packet = packet
    _touch(
        visit,
        "status",
        "checked_in_at",
        "check_in_device_time",
        "check_in_latitude",
        "check_in_longitude",
        "check_in_accuracy_m",
        "location_status",
        "check_in_distance_m",
        "check_in_flagged",
        "packet",
    )
    after = {
        "status": visit.status,
        "location_status": location_status,
        "distance_m": distance,
        "flagged": flagged,
        "packet_version": packet.version,
        "device_time": _when(device_time),
    }
    if warning := selectors.check_in_warning(visit):
        after["warning"] = warning  # early: allowed, said to the technician, kept on the audit trail
    _audit_action(organization, actor, visit, "visit.checked_in", before, after)
    extra = {"distance_m": distance, "flagged": flagged, "packet_version": packet.version}
    _emit(organization, actor, visit, VISIT_CHECKED_IN, **extra)
    payload = {
        "location_status": location_status,
        "latitude": str(lat) if lat is not None else None,
        "longitude": str(lng) if lng is not None else None,
        "accuracy_m": accuracy_m,
    }
    return _record(visit, K.CHECK_IN, client_action_id, device_time, actor, payload, after)


def _task(visit: Visit, task_key: str) -> selectors.VisitTask:
    task = next((task for task in selectors.packet_tasks(visit.packet) if task.key == task_key), None)
    if task is None:
        raise ApplicationError(
            f"The packet (v{visit.packet.version if visit.packet else '?'}) has no task “{task_key}”.",
            field="task_key",
            code="unknown_task",
        )
    return task


def _serial_matches(pattern: str, serial: str) -> bool:
    try:
        return re.fullmatch(pattern, serial) is not None
    except re.error:
        return True  # a broken pattern in the SOW is not the technician's fault


def _serial_duplicate(organization, visit: Visit, serial: str) -> bool:
    """Whether the serial was recorded on another work order of the same program (the same device recorded again
    on a follow-up visit of the same work order is expected, not a duplicate)."""
    return (
        TaskResult.objects.for_organization(organization)
        .filter(serial=serial, visit__work_order__program_id=visit.work_order.program_id)
        .exclude(visit__work_order_id=visit.work_order_id)
        .exists()
    )


@transaction.atomic
def visit_task_result(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    task_key: str,
    status: str,
    reason: str = "",
    serial: str = "",
    measurement: Decimal | None = None,
    note: str = "",
) -> ActionOutcome:
    """Record one task's outcome on a checked-in visit, checked against the packet's task: a reason when not
    done; for a done task, the serial number in the task's format (`serial_format`) and the measurement in its
    range (`measurement_out_of_range`). A serial already recorded on another work order of the program is kept
    and flagged (`serial_duplicate`). A later result for the same task replaces the earlier one."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.TASK_RESULT, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    task = _task(visit, task_key)
    if status not in TaskResultStatus.values:
        raise ApplicationError(
            "status must be done, not_done or not_applicable.", field="status", code="invalid_choice"
        )
    reason, serial, note = (reason or "").strip(), (serial or "").strip(), (note or "").strip()
    if status == TaskResultStatus.NOT_DONE and not reason:
        raise ApplicationError("Say why the task was not done.", field="reason", code="reason_required")
    if len(serial) > MAX_SERIAL_LENGTH:
        raise ApplicationError(
            f"A serial number has at most {MAX_SERIAL_LENGTH} characters.", field="serial", code="serial_format"
        )
    if serial and task.serial_pattern and not _serial_matches(task.serial_pattern, serial):
        raise ApplicationError(
            f"“{serial}” does not look like a serial number for this task"
            + (f" (expected like {example})." if (example := serial_example(task.serial_pattern)) else "."),
            field="serial",
            code="serial_format",
        )
    if measurement is not None:
        unit = f" {task.measurement_unit}" if task.measurement_unit else ""
        low, high = task.measurement_min, task.measurement_max
        if (low is not None and measurement < low) or (high is not None and measurement > high):
            bounds = f"{low if low is not None else '…'}–{high if high is not None else '…'}{unit}"
            raise ApplicationError(
                f"{measurement}{unit} is outside the expected range ({bounds}). Measure again, or mark the task not "
                "done with a reason.",
                field="measurement",
                code="measurement_out_of_range",
            )
    duplicate = bool(serial) and _serial_duplicate(organization, visit, serial)
    values = {
        "status": status,
        "reason": reason[:MAX_TEXT],
        "serial": serial,
        "serial_duplicate": duplicate,
        "measurement": measurement,
        "note": note[:MAX_TEXT],
        "device_time": device_time,
        "received_at": timezone.now(),
    }
    result, created = TaskResult.objects.update_or_create(
        organization_id=visit.organization_id, visit=visit, task_key=task.key, defaults=values
    )
    after = {
        "task_key": task.key,
        "status": status,
        "serial": serial,
        "serial_duplicate": duplicate,
        "measurement": str(measurement) if measurement is not None else None,
        "replaced": not created,
    }
    _audit_action(organization, actor, visit, "visit.task_result_recorded", None, after)
    payload = {**after, "reason": values["reason"], "note": values["note"]}
    payload.pop("replaced")
    return _record(
        visit, K.TASK_RESULT, client_action_id, device_time, actor, payload, {"task_result_id": result.pk, **after}
    )


def visit_photo_add(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    task_key: str,
    data: bytes,
    filename: str = "",
) -> ActionOutcome:
    """Add a photo to one task of a checked-in visit: validated and re-encoded (workorders.visits.photos; a bad
    file is `invalid_photo` and nothing is written), stored privately with its thumbnail; EXIF time and position
    kept as data. The same bytes for the same task are stored once.

    The image is processed before the transaction starts, so the visit row is locked only while recording (a
    12 MP re-encode takes a while); everything recorded happens in one transaction, once per client action id.
    """
    if not isinstance(actor, Access) or actor.role not in FIELD_ROLES:
        raise NotAFieldActor()
    # Identical bytes are recognised by their hash before anything is decoded: a resent or retried photo (a
    # replayed action, or the same file for the same task) costs no image work.
    sha256 = hashlib.sha256(data).hexdigest()
    scoped = {"organization_id": organization_id_of(organization), "visit_id": visit_id}
    already = (
        VisitAction.objects.visible_to(actor).filter(**scoped, client_action_id=client_action_id).exists()
        or VisitPhoto.objects.visible_to(actor).filter(**scoped, task_key=task_key, sha256=sha256).exists()
    )
    processed = None if already else photo_process(data)
    return _photo_record(
        sha256=sha256,
        organization=organization,
        actor=actor,
        visit_id=visit_id,
        client_action_id=client_action_id,
        device_time=device_time,
        task_key=task_key,
        processed=processed,
        data=data,
        filename=filename,
    )


@transaction.atomic
def _photo_record(
    *, organization, actor: Access, visit_id, client_action_id, device_time, task_key, processed, data, filename, sha256
) -> ActionOutcome:
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.PHOTO, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    task = _task(visit, task_key)
    photos = VisitPhoto.objects.for_organization(organization).filter(visit=visit, task_key=task.key)
    photo = photos.filter(sha256=sha256).first()
    duplicate = photo is not None
    if photo is None:
        if processed is None:  # the same bytes were there at the check and gone at the lock: process them now
            processed = photo_process(data)
        if photos.count() >= MAX_PHOTOS_PER_TASK:
            raise ApplicationError(
                f"Task {task.number} already has {MAX_PHOTOS_PER_TASK} photos; that is the limit.",
                field="file",
                code="too_many_photos",
            )
        photo = _store_photo(visit, task.key, processed, device_time, actor, filename)
    after = {
        "task_key": task.key,
        "photo_id": photo.pk,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "exif_taken_at": _when(photo.exif_taken_at),
        "duplicate": duplicate,
    }
    if not duplicate:
        _audit_action(organization, actor, visit, "visit.photo_added", None, after)
    payload = {"task_key": task.key, "filename": (filename or "")[:200], "bytes": len(data), "sha256": sha256}
    return _record(visit, K.PHOTO, client_action_id, device_time, actor, payload, after)


def _store_photo(visit: Visit, task_key: str, processed: ProcessedImage, device_time, actor, filename) -> VisitPhoto:
    photo = VisitPhoto(
        organization_id=visit.organization_id,
        visit=visit,
        task_key=task_key,
        content_type=processed.content_type,
        original_format=processed.original_format,
        original_name=(filename or "")[:200],
        size=len(processed.content),
        width=processed.width,
        height=processed.height,
        sha256=processed.sha256,
        exif_taken_at=processed.taken_at,
        exif_latitude=processed.latitude,
        exif_longitude=processed.longitude,
        device_time=device_time,
        uploaded_by_label=actor_label(actor)[:200],
    )
    photo.file.save("photo.jpg", ContentFile(processed.content), save=False)
    photo.thumbnail.save("thumbnail.jpg", ContentFile(processed.thumbnail), save=False)
    photo.save()
    return photo


@transaction.atomic
def visit_sign_off(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    name: str,
    signature: str,
) -> ActionOutcome:
    """The site contact signs a checked-in visit: their name and drawn signature (a PNG data URL, validated
    like a photo). Refused on a checked-out visit (`visit_checked_out`); signing again replaces the sign-off."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.SIGN_OFF, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    name = (name or "").strip()
    if not name:
        raise ApplicationError("Write the name of the person signing.", field="name", code="required")
    processed = signature_process(signature)
    sign_off = VisitSignOff.objects.for_organization(organization).filter(visit=visit).first()
    replaced = sign_off is not None
    if sign_off is None:
        sign_off = VisitSignOff(organization_id=visit.organization_id, visit=visit)
    sign_off.name = name[:150]
    sign_off.size, sign_off.width, sign_off.height = len(processed.content), processed.width, processed.height
    sign_off.sha256 = processed.sha256
    sign_off.signed_at = timezone.now()
    sign_off.device_time = device_time
    sign_off.signature.save("signature.png", ContentFile(processed.content), save=False)
    sign_off.save()
    after = {"name": sign_off.name, "signed_at": _when(sign_off.signed_at), "replaced": replaced}
    _audit_action(organization, actor, visit, "visit.signed_off", None, after)
    payload = {"name": sign_off.name, "bytes": len(processed.content), "sha256": processed.sha256}
    return _record(visit, K.SIGN_OFF, client_action_id, device_time, actor, payload, after)


@transaction.atomic
def visit_check_out(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    outcome: str,
    incomplete_reason: str = "",
    note: str = "",
) -> ActionOutcome:
    """The technician leaves. Complete: every task needs its result and evidence (else `evidence_missing`, with
    the list), and the work order moves to submitted. Incomplete: a reason from the fixed list is required, and
    the work order goes back to a schedulable state (in progress → submitted → rework) so that a follow-up visit
    can be booked. Once per client action id; a second check-out with a new id is `visit_checked_out`."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CHECK_OUT, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    note = (note or "").strip()[:MAX_TEXT]
    if outcome not in VisitOutcome.values:
        raise ApplicationError("outcome must be complete or incomplete.", field="outcome", code="invalid_choice")
    if outcome == VisitOutcome.INCOMPLETE:
        if not incomplete_reason:
            raise ApplicationError(
                "Say why the visit is incomplete.", field="incomplete_reason", code="reason_required"
            )
        if incomplete_reason not in IncompleteReason.values:
            raise ApplicationError(
                f"“{incomplete_reason}” is not one of the reasons: {', '.join(IncompleteReason.values)}.",
                field="incomplete_reason",
                code="invalid_choice",
            )
    else:
        incomplete_reason = ""
        missing = selectors.visit_missing_evidence(visit)
        if missing:
            raise EvidenceMissing(missing)
    before = {"status": visit.status}
    visit.to_checked_out()
    visit.check_out_device_time = device_time
    visit.outcome, visit.incomplete_reason, visit.check_out_note = outcome, incomplete_reason, note
    _touch(visit, "status", "checked_out_at", "check_out_device_time", "outcome", "incomplete_reason", "check_out_note")
    after = {
        "status": visit.status,
        "outcome": outcome,
        "incomplete_reason": incomplete_reason,
        "device_time": _when(device_time),
    }
    _audit_action(organization, actor, visit, "visit.checked_out", before, after)
    _emit(organization, actor, visit, VISIT_CHECKED_OUT, outcome=outcome, incomplete_reason=incomplete_reason)
    _finish_work(organization, actor, visit, outcome, incomplete_reason, note)
    payload = {"outcome": outcome, "incomplete_reason": incomplete_reason, "note": note}
    return _record(visit, K.CHECK_OUT, client_action_id, device_time, actor, payload, after)


def _finish_work(organization, actor, visit: Visit, outcome: str, incomplete_reason: str, note: str) -> None:
    """Complete: in progress → submitted. Incomplete: in progress → rework (a follow-up visit is booked from
    there), with the visit's reason. A work order no longer in progress is left alone."""
    work_order = visit.work_order
    if work_order.status != S.IN_PROGRESS:  # read with the visit; the work-order service checks it again
        return
    if outcome != VisitOutcome.INCOMPLETE:
        work_order_transition(
            organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.SUBMITTED
        )
        return
    reason = f"Visit {visit.sequence} ended incomplete: {IncompleteReason(incomplete_reason).label}"
    work_order_transition(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        to_status=S.REWORK,
        reason=f"{reason}. {note}".strip() if note else f"{reason}.",
    )
