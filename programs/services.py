"""Writes of the programs app: programs and their waves (the SOW versions, tasks and materials are
programs.sows; enrollments, attributes, variations and training have their own modules).

Each service is one transaction: it locks what it changes, checks the rules, writes, and records an
audit event. Services take the organization explicitly and look every object up inside it, so an id
from another organization is a NotFound exactly like a missing one. `_lock_program` and `_check_open`
are shared with the other programs write modules.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, ProtectedError

from programs.choices import (
    PROGRAM_TRANSITIONS,
    ProgramStatus,
    SowStatus,
)
from programs.errors import InUse, ProgramClosed
from programs.models import Program, Wave
from rollout.audit import audit_created, audit_deleted, audit_record, audit_snapshot
from rollout.choices import PLANNER_ROLES
from rollout.errors import ApplicationError, Conflict, InvalidTransition, NotFound
from rollout.models import Client, Membership, Organization, User
from rollout.tenancy import Access

PROGRAM_FIELDS = [
    "client",
    "code",
    "name",
    "description",
    "start_date",
    "end_date",
    "target_drft_percent",
    "responsible_pm",
    "checkin_grace_minutes",
    "warranty_window_days",
    "geofence_radius_m",
    "geofence_enforced",
]
PROGRAM_UPDATABLE = frozenset(PROGRAM_FIELDS) - {"client"}
WAVE_FIELDS = ["name", "order", "start_date", "end_date"]


# --- Programs ---------------------------------------------------------------------------------------


def _lock_program(organization, program_id: int) -> Program:
    program = Program.objects.for_organization(organization).select_for_update().filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    return program


def _check_open(program: Program) -> None:
    if program.status == ProgramStatus.CLOSED:
        raise ProgramClosed(f"Program {program.code} is closed; its plan can no longer be changed.")


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ApplicationError(
            "The end date must be on or after the start date.", field="end_date", code="invalid_dates"
        )


def _check_responsible_pm(organization, user: User | None) -> None:
    if user is None:
        return
    is_planner = (
        Membership.objects.for_organization(organization)
        .active()
        .filter(user_id=user.pk, role__in=PLANNER_ROLES)
        .exists()
    )
    if not is_planner:
        raise ApplicationError(
            "The responsible PM must be an active PM or admin of this organization.",
            field="responsible_pm",
            code="not_a_planner",
        )


def _check_code_free(organization, code: str, *, exclude_pk: int | None = None) -> None:
    clash = Program.objects.for_organization(organization).filter(code=code).exclude(pk=exclude_pk).exists()
    if clash:
        raise ApplicationError(f"A program with code “{code}” already exists.", field="code", code="duplicate_code")


def _check_percent(value) -> None:
    if value is not None and not (Decimal("0") <= Decimal(value) <= Decimal("100")):
        raise ApplicationError(
            "The target DRFT % must be between 0 and 100.", field="target_drft_percent", code="invalid_percent"
        )


@transaction.atomic
def program_create(
    *,
    organization: Organization,
    actor: Access | User | None,
    client: Client,
    code: str,
    name: str,
    start_date: date,
    end_date: date,
    **fields: Any,
) -> Program:
    """Create a program (status planning) for one of the organization's clients."""
    if client.organization_id != organization.pk:
        raise NotFound()
    unknown = set(fields) - set(PROGRAM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown program fields: {sorted(unknown)}")
    _check_code_free(organization, code)
    _check_dates(start_date, end_date)
    _check_responsible_pm(organization, fields.get("responsible_pm"))
    _check_percent(fields.get("target_drft_percent"))
    program = Program.objects.create(
        organization=organization,
        client=client,
        code=code,
        name=name,
        start_date=start_date,
        end_date=end_date,
        **fields,
    )
    audit_created(organization, actor, program, [*PROGRAM_FIELDS, "status"], verb="program.created")
    return program


@transaction.atomic
def program_update(
    *, organization: Organization, actor: Access | User | None, program_id: int, **changes: Any
) -> Program:
    """Change a program's details (not its client, and not its status: see program_transition)."""
    program = _lock_program(organization, program_id)
    if "client" in changes and changes["client"] != program.client:
        raise ApplicationError(
            "A program's client cannot change; create a new program instead.", field="client", code="client_immutable"
        )
    changes.pop("client", None)
    unknown = set(changes) - PROGRAM_UPDATABLE
    if unknown:
        raise TypeError(f"Unknown or read-only program fields: {sorted(unknown)}")
    if not changes:
        return program
    if "code" in changes:
        _check_code_free(organization, changes["code"], exclude_pk=program.pk)
    start, end = changes.get("start_date", program.start_date), changes.get("end_date", program.end_date)
    _check_dates(start, end)
    if "responsible_pm" in changes:
        _check_responsible_pm(organization, changes["responsible_pm"])
    _check_percent(changes.get("target_drft_percent"))
    outside = program.waves.filter(start_date__lt=start) | program.waves.filter(end_date__gt=end)
    first_outside = outside.order_by("order").first()
    if first_outside is not None:
        field = "start_date" if first_outside.start_date < start else "end_date"
        raise ApplicationError(
            f"Wave “{first_outside.name}” ({first_outside.start_date} – {first_outside.end_date}) would fall outside "
            "the program's dates; change the wave first.",
            field=field,
            code="waves_outside_dates",
        )
    fields = sorted(changes)
    before = audit_snapshot(program, fields)
    for name, value in changes.items():
        setattr(program, name, value)
    program.save()
    after = audit_snapshot(program, fields)
    if before != after:
        audit_record(
            organization=organization, actor=actor, verb="program.updated", target=program, before=before, after=after
        )
    return program


def program_allowed_moves(program: Program) -> list[str]:
    """The statuses this program may move to now, in the lifecycle's order."""
    allowed = PROGRAM_TRANSITIONS[program.status]
    return [status for status in ProgramStatus.values if status in allowed]


@transaction.atomic
def program_transition(
    *, organization: Organization, actor: Access | User | None, program_id: int, to_status: str, reason: str = ""
) -> Program:
    """Move a program along its lifecycle (planning → pilot → active → closing → closed), by the table only."""
    program = _lock_program(organization, program_id)
    if to_status not in ProgramStatus.values:
        raise ApplicationError(f"“{to_status}” is not a program status.", field="to_status", code="invalid_choice")
    from_status = program.status
    if to_status not in PROGRAM_TRANSITIONS[from_status]:
        allowed = ", ".join(ProgramStatus(s).label for s in program_allowed_moves(program)) or "none (it is final)"
        raise InvalidTransition(
            f"A program cannot move from {ProgramStatus(from_status).label} to {ProgramStatus(to_status).label}. "
            f"Allowed from {ProgramStatus(from_status).label}: {allowed}."
        )
    program.status = to_status
    program.save(update_fields=["status", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="program.transitioned",
        target=program,
        before={"status": from_status},
        after={"status": to_status},
        reason=reason,
    )
    return program


@transaction.atomic
def program_delete(*, organization: Organization, actor: Access | User | None, program_id: int) -> None:
    """Delete a program still in planning that has no approved SOW (its waves and draft go with it)."""
    program = _lock_program(organization, program_id)
    if program.status != ProgramStatus.PLANNING:
        raise Conflict("Only a program in planning can be deleted; close it instead.", code="program_not_planning")
    if program.sows.filter(status=SowStatus.APPROVED).exists():
        raise InUse("This program has an approved SOW; it can be closed, not deleted.", code="program_in_use")
    audit_deleted(organization, actor, program, ["client", "code", "name"], verb="program.deleted")
    try:
        with transaction.atomic():
            for sow in program.sows.all():
                sow.delete()
            program.delete()
    except ProtectedError as exc:
        raise InUse("Other records (sites, work orders) still refer to this program.", code="program_in_use") from exc


# --- Waves ------------------------------------------------------------------------------------------


def _check_wave(organization, program: Program, *, name: str, start: date, end: date, exclude_pk=None) -> None:
    _check_dates(start, end)
    if start < program.start_date:
        raise ApplicationError(
            f"The wave cannot start before the program does ({program.start_date}).",
            field="start_date",
            code="outside_program_dates",
        )
    if end > program.end_date:
        raise ApplicationError(
            f"The wave cannot end after the program does ({program.end_date}).",
            field="end_date",
            code="outside_program_dates",
        )
    clash = Wave.objects.for_organization(organization).filter(program=program, name__iexact=name)
    if clash.exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"This program already has a wave named “{name}”.", field="name", code="duplicate_name")


@transaction.atomic
def wave_create(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    name: str,
    start_date: date,
    end_date: date,
    order: int | None = None,
) -> Wave:
    """Add a wave to a program; its dates must lie within the program's. Without an order it goes last."""
    program = _lock_program(organization, program_id)
    _check_open(program)
    _check_wave(organization, program, name=name, start=start_date, end=end_date)
    if order is None:
        order = (program.waves.aggregate(top=Max("order"))["top"] or 0) + 1
    wave = Wave.objects.create(
        organization=organization, program=program, name=name, order=order, start_date=start_date, end_date=end_date
    )
    audit_created(organization, actor, wave, WAVE_FIELDS, verb="wave.created")
    return wave


def _lock_wave(organization, wave_id: int) -> Wave:
    wave = (
        Wave.objects.for_organization(organization)
        .select_for_update()
        .select_related("program")
        .filter(pk=wave_id)
        .first()
    )
    if wave is None:
        raise NotFound()
    return wave


@transaction.atomic
def wave_update(*, organization: Organization, actor: Access | User | None, wave_id: int, **changes: Any) -> Wave:
    """Rename, reorder or re-date a wave (still within its program's dates)."""
    wave = _lock_wave(organization, wave_id)
    _check_open(wave.program)
    unknown = set(changes) - set(WAVE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown wave fields: {sorted(unknown)}")
    _check_wave(
        organization,
        wave.program,
        name=changes.get("name", wave.name),
        start=changes.get("start_date", wave.start_date),
        end=changes.get("end_date", wave.end_date),
        exclude_pk=wave.pk,
    )
    fields = sorted(changes)
    before = audit_snapshot(wave, fields)
    for name, value in changes.items():
        setattr(wave, name, value)
    wave.save()
    audit_record(
        organization=organization,
        actor=actor,
        verb="wave.updated",
        target=wave,
        before=before,
        after=audit_snapshot(wave, fields),
    )
    return wave


@transaction.atomic
def wave_delete(*, organization: Organization, actor: Access | User | None, wave_id: int) -> None:
    """Delete a wave that no site enrollment refers to."""
    wave = _lock_wave(organization, wave_id)
    _check_open(wave.program)
    audit_deleted(organization, actor, wave, WAVE_FIELDS, verb="wave.deleted")
    try:
        with transaction.atomic():
            wave.delete()
    except ProtectedError as exc:
        raise InUse("Sites are still enrolled in this wave; move them first.", code="wave_in_use") from exc
