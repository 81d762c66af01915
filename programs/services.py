"""Writes of the programs app: programs, waves, SOW versions with their tasks and materials.

Each service is one transaction: it locks what it changes, checks the rules, writes, and records an
audit event. Services take the organization explicitly and look every object up inside it, so an id
from another organization is a NotFound exactly like a missing one. An approved SOW is immutable:
every SOW, task and material service refuses with `sow_approved` (and the models refuse too).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone
from django.utils.text import slugify

from programs.choices import (
    ALL_EVIDENCE_PARAMETERS,
    EVIDENCE_PARAMETERS,
    PROGRAM_TRANSITIONS,
    EvidenceKind,
    ProgramStatus,
    SowStatus,
)
from programs.conditions import validate_condition
from programs.errors import DraftExists, InUse, ProgramClosed, SowApproved
from programs.models import Program, Sow, SowMaterial, SowTask, Wave
from rollout.audit import audit_record, audit_snapshot
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
TASK_FIELDS = [
    "key",
    "position",
    "title",
    "instructions",
    "required_skill",
    "estimated_minutes",
    "evidence_kind",
    "photo_min_count",
    "serial_pattern",
    "measurement_unit",
    "measurement_min",
    "measurement_max",
    "condition",
]
MATERIAL_FIELDS = ["key", "position", "part_number", "description", "quantity", "unit", "condition"]
KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")


def _field_error(message: str, *, field: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


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
        raise _field_error("The end date must be on or after the start date.", field="end_date", code="invalid_dates")


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
        raise _field_error(
            "The responsible PM must be an active PM or admin of this organization.",
            field="responsible_pm",
            code="not_a_planner",
        )


def _check_code_free(organization, code: str, *, exclude_pk: int | None = None) -> None:
    clash = Program.objects.for_organization(organization).filter(code=code).exclude(pk=exclude_pk).exists()
    if clash:
        raise _field_error(f"A program with code “{code}” already exists.", field="code", code="duplicate_code")


def _check_percent(value) -> None:
    if value is not None and not (Decimal("0") <= Decimal(value) <= Decimal("100")):
        raise _field_error(
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
    audit_record(
        organization=organization,
        actor=actor,
        verb="program.created",
        target=program,
        after=audit_snapshot(program, [*PROGRAM_FIELDS, "status"]),
    )
    return program


@transaction.atomic
def program_update(
    *, organization: Organization, actor: Access | User | None, program_id: int, **changes: Any
) -> Program:
    """Change a program's details (not its client, and not its status: see program_transition)."""
    program = _lock_program(organization, program_id)
    if "client" in changes and changes["client"] != program.client:
        raise _field_error(
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
        raise _field_error(
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
        raise _field_error(f"“{to_status}” is not a program status.", field="to_status", code="invalid_choice")
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
    audit_record(
        organization=organization,
        actor=actor,
        verb="program.deleted",
        target=program,
        before=audit_snapshot(program, ["client", "code", "name"]),
    )
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
        raise _field_error(
            f"The wave cannot start before the program does ({program.start_date}).",
            field="start_date",
            code="outside_program_dates",
        )
    if end > program.end_date:
        raise _field_error(
            f"The wave cannot end after the program does ({program.end_date}).",
            field="end_date",
            code="outside_program_dates",
        )
    clash = Wave.objects.for_organization(organization).filter(program=program, name__iexact=name)
    if clash.exclude(pk=exclude_pk).exists():
        raise _field_error(f"This program already has a wave named “{name}”.", field="name", code="duplicate_name")


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
    audit_record(
        organization=organization,
        actor=actor,
        verb="wave.created",
        target=wave,
        after=audit_snapshot(wave, WAVE_FIELDS),
    )
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
    audit_record(
        organization=organization,
        actor=actor,
        verb="wave.deleted",
        target=wave,
        before=audit_snapshot(wave, WAVE_FIELDS),
    )
    try:
        with transaction.atomic():
            wave.delete()
    except ProtectedError as exc:
        raise InUse("Sites are still enrolled in this wave; move them first.", code="wave_in_use") from exc


# --- SOW versions -----------------------------------------------------------------------------------


def _lock_sow(organization, sow_id: int, *, draft_only: bool = True) -> Sow:
    sow = (
        Sow.objects.for_organization(organization)
        .select_for_update()
        .select_related("program")
        .filter(pk=sow_id)
        .first()
    )
    if sow is None:
        raise NotFound()
    if draft_only and sow.status != SowStatus.DRAFT:
        raise SowApproved(f"SOW v{sow.version} is approved and can no longer be changed; start a new version instead.")
    if draft_only:
        _check_open(sow.program)
    return sow


def _user_of(actor: Access | User | None) -> User | None:
    if isinstance(actor, Access):
        return actor.user
    return actor


def _label_of(actor: Access | User | None) -> str:
    if isinstance(actor, Access):
        return actor.actor_label
    return actor.email if actor else "system"


@transaction.atomic
def sow_create_draft(
    *, organization: Organization, actor: Access | User | None, program_id: int, notes: str = ""
) -> Sow:
    """Start the program's next SOW version as a draft: empty for v1, else a copy of the latest version.

    One draft at a time per program (the program row is locked, and a partial unique index backs it).
    """
    program = _lock_program(organization, program_id)
    _check_open(program)
    sows = Sow.objects.for_organization(organization).filter(program=program)
    draft = sows.filter(status=SowStatus.DRAFT).first()
    if draft is not None:
        raise DraftExists(
            f"Program {program.code} already has a draft SOW (v{draft.version}); edit or approve it first."
        )
    latest = sows.order_by("-version").first()
    sow = Sow.objects.create(
        organization=organization,
        program=program,
        version=(latest.version + 1) if latest else 1,
        based_on=latest,
        notes=notes,
        created_by=_user_of(actor),
    )
    if latest is not None:
        SowTask.objects.bulk_create(
            [
                SowTask(**{name: getattr(task, name) for name in TASK_FIELDS}, organization=organization, sow=sow)
                for task in latest.tasks.all()
            ]
        )
        SowMaterial.objects.bulk_create(
            [
                SowMaterial(**{name: getattr(m, name) for name in MATERIAL_FIELDS}, organization=organization, sow=sow)
                for m in latest.materials.all()
            ]
        )
    audit_record(
        organization=organization,
        actor=actor,
        verb="sow.draft_created",
        target=sow,
        after={"program": program.pk, "version": sow.version, "based_on": latest.pk if latest else None},
    )
    return sow


@transaction.atomic
def sow_update(*, organization: Organization, actor: Access | User | None, sow_id: int, notes: str) -> Sow:
    """Change a draft's notes."""
    sow = _lock_sow(organization, sow_id)
    before = audit_snapshot(sow, ["notes"])
    sow.notes = notes
    sow.save(update_fields=["notes", "updated_at"])
    audit_record(
        organization=organization, actor=actor, verb="sow.updated", target=sow, before=before, after={"notes": notes}
    )
    return sow


@transaction.atomic
def sow_delete(*, organization: Organization, actor: Access | User | None, sow_id: int) -> None:
    """Discard a draft (with its tasks and materials). Approved versions cannot be deleted."""
    sow = _lock_sow(organization, sow_id)
    audit_record(
        organization=organization,
        actor=actor,
        verb="sow.deleted",
        target=sow,
        before={"program": sow.program_id, "version": sow.version},
    )
    sow.delete()


@transaction.atomic
def sow_approve(*, organization: Organization, actor: Access | User | None, sow_id: int) -> Sow:
    """Approve a draft: record who and when, and freeze it for good. An empty SOW cannot be approved."""
    sow = _lock_sow(organization, sow_id)
    if not sow.tasks.exists():
        raise Conflict("Add at least one task before approving this SOW.", code="sow_empty")
    sow.status = SowStatus.APPROVED
    sow.approved_at = timezone.now()
    sow.approved_by = _user_of(actor)
    sow.approved_by_label = _label_of(actor)[:200]
    sow.save(update_fields=["status", "approved_at", "approved_by", "approved_by_label", "updated_at"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="sow.approved",
        target=sow,
        before={"status": SowStatus.DRAFT},
        after={
            "status": SowStatus.APPROVED,
            "version": sow.version,
            "tasks": sow.tasks.count(),
            "materials": sow.materials.count(),
        },
    )
    return sow


# --- SOW tasks and materials -------------------------------------------------------------------------


def _unique_key(existing: set[str], base: str, fallback: str) -> str:
    key = (slugify(base) or fallback)[:50]
    candidate, n = key, 2
    while candidate in existing:
        candidate = f"{key}-{n}"
        n += 1
    return candidate


def _check_key(key: str, existing: set[str]) -> None:
    if not KEY_PATTERN.match(key) or len(key) > 60:
        raise _field_error(
            "A key may hold letters, digits, hyphens and underscores only (at most 60).",
            field="key",
            code="invalid_key",
        )
    if key in existing:
        raise _field_error(f"This SOW already has a line with key “{key}”.", field="key", code="duplicate_key")


def _check_condition(values: dict) -> None:
    """Conditions are checked when a line is saved, never later: a ConditionError names the column."""
    if "condition" in values:
        values["condition"] = validate_condition(values["condition"])


def _clean_task(values: dict) -> dict:
    """Check a task's full set of values; clear evidence parameters that do not belong to its kind."""
    if not (values.get("title") or "").strip():
        raise _field_error("A task needs a title.", field="title", code="required")
    kind = values.get("evidence_kind") or EvidenceKind.NONE
    if kind not in EvidenceKind.values:
        raise _field_error(f"“{kind}” is not a kind of evidence.", field="evidence_kind", code="invalid_choice")
    for name in ALL_EVIDENCE_PARAMETERS:
        if name not in EVIDENCE_PARAMETERS[kind]:
            values[name] = "" if name in ("serial_pattern", "measurement_unit") else None
    if kind == EvidenceKind.PHOTO:
        count = values.get("photo_min_count")
        if count is None:
            values["photo_min_count"] = count = 1
        if count < 1:
            raise _field_error("Ask for at least one photo.", field="photo_min_count", code="invalid_count")
    if kind == EvidenceKind.SERIAL and values.get("serial_pattern"):
        try:
            re.compile(values["serial_pattern"])
        except re.error as exc:
            raise _field_error(
                f"The serial number format is not a valid regular expression: {exc.msg}"
                + (f" (at position {exc.pos + 1})." if exc.pos is not None else "."),
                field="serial_pattern",
                code="invalid_pattern",
            ) from exc
    if kind == EvidenceKind.MEASUREMENT:
        if not (values.get("measurement_unit") or "").strip():
            raise _field_error(
                "Give the measurement's unit (e.g. dBm, V, m).", field="measurement_unit", code="required"
            )
        low, high = (
            None if values.get(name) is None else Decimal(str(values[name])).quantize(Decimal("0.001"))
            for name in ("measurement_min", "measurement_max")
        )
        values["measurement_min"], values["measurement_max"] = low, high
        if low is not None and high is not None and low > high:
            raise _field_error(
                "The minimum must not be greater than the maximum.", field="measurement_max", code="invalid_range"
            )
    if values.get("estimated_minutes") is not None and values["estimated_minutes"] < 0:
        raise _field_error("Minutes cannot be negative.", field="estimated_minutes", code="invalid_minutes")
    _check_condition(values)
    return values


def _clean_material(values: dict) -> dict:
    if not (values.get("part_number") or "").strip():
        raise _field_error("A material needs a part number.", field="part_number", code="required")
    quantity = values.get("quantity")
    if quantity is None or Decimal(str(quantity)) <= 0:
        raise _field_error("The quantity must be greater than zero.", field="quantity", code="invalid_quantity")
    values["quantity"] = Decimal(str(quantity)).quantize(Decimal("0.01"))
    if not (values.get("unit") or "").strip():
        raise _field_error("Give the unit (e.g. ea, m, box).", field="unit", code="required")
    _check_condition(values)
    return values


def _insert_at(model, sow: Sow, position: int | None) -> int:
    """Make room at `position` (1-based; None or past the end: last) and return the position to use."""
    lines = list(model.objects.filter(sow=sow).order_by("position", "id"))
    if position is None or position > len(lines):
        return len(lines) + 1
    position = max(position, 1)
    moved = []
    for index, line in enumerate(lines, start=1):
        wanted = index + 1 if index >= position else index
        if line.position != wanted:
            line.position = wanted
            moved.append(line)
    model.objects.bulk_update(moved, ["position"])
    return position


def _renumber(model, sow: Sow, ordered=None) -> None:
    lines = ordered if ordered is not None else list(model.objects.filter(sow=sow).order_by("position", "id"))
    moved = []
    for index, line in enumerate(lines, start=1):
        if line.position != index:
            line.position = index
            moved.append(line)
    model.objects.bulk_update(moved, ["position"])


def _add_line(model, *, organization, actor, sow_id: int, values: dict, clean, verb: str, fields: list[str], label):
    sow = _lock_sow(organization, sow_id)
    keys = set(model.objects.filter(sow=sow).values_list("key", flat=True))
    key = (values.pop("key", None) or "").strip()
    if key:
        _check_key(key, keys)
    else:
        key = _unique_key(keys, label(values), fallback=model._meta.model_name)
    values = clean(values)
    position = _insert_at(model, sow, values.pop("position", None))
    try:
        with transaction.atomic():
            line = model.objects.create(organization=organization, sow=sow, key=key, position=position, **values)
    except IntegrityError as exc:  # a concurrent add took the key first
        raise _field_error(f"This SOW already has a line with key “{key}”.", field="key", code="duplicate_key") from exc
    audit_record(
        organization=organization, actor=actor, verb=verb, target=line, after=audit_snapshot(line, ["sow", *fields])
    )
    return line


def _lock_line(model, organization, line_id: int):
    line = model.objects.for_organization(organization).select_related("sow").filter(pk=line_id).first()
    if line is None:
        raise NotFound()
    _lock_sow(organization, line.sow_id)
    return model.objects.select_for_update().get(pk=line.pk)


def _update_line(model, *, organization, actor, line_id: int, changes: dict, clean, verb: str, fields: list[str]):
    line = _lock_line(model, organization, line_id)
    old_position = line.position
    if "key" in changes and changes["key"] != line.key:
        raise _field_error(
            "A line's key is stable across versions and cannot change; delete the line and add a new one.",
            field="key",
            code="key_immutable",
        )
    changes.pop("key", None)
    position = changes.pop("position", None)
    unknown = set(changes) - set(fields)
    if unknown:
        raise TypeError(f"Unknown fields: {sorted(unknown)}")
    editable = [name for name in fields if name not in ("key", "position")]
    values = clean({**{name: getattr(line, name) for name in editable}, **changes})
    before = audit_snapshot(line, editable)
    for name in editable:
        setattr(line, name, values[name])
    line.save()
    if position is not None and position != line.position:
        lines = [o for o in model.objects.filter(sow_id=line.sow_id).order_by("position", "id") if o.pk != line.pk]
        lines.insert(max(position, 1) - 1, line)
        _renumber(model, line.sow, lines)
        line.refresh_from_db()
    after = audit_snapshot(line, editable)
    if line.position != old_position:
        before["position"], after["position"] = old_position, line.position
    changed = {name for name in after if before.get(name) != after[name]}
    if changed:
        audit_record(
            organization=organization,
            actor=actor,
            verb=verb,
            target=line,
            before={name: before.get(name) for name in sorted(changed)},
            after={name: after[name] for name in sorted(changed)},
        )
    return line


def _delete_line(model, *, organization, actor, line_id: int, verb: str, fields: list[str]) -> None:
    line = _lock_line(model, organization, line_id)
    sow = line.sow
    audit_record(organization=organization, actor=actor, verb=verb, target=line, before=audit_snapshot(line, fields))
    line.delete()
    _renumber(model, sow)


def _task_label(values: dict) -> str:
    return values.get("title") or ""


def _material_label(values: dict) -> str:
    return values.get("part_number") or ""


@transaction.atomic
def sow_task_add(
    *, organization: Organization, actor: Access | User | None, sow_id: int, title: str, **fields: Any
) -> SowTask:
    """Add a task to a draft SOW, at `position` (1-based) or last; the key defaults to a slug of the title."""
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise TypeError(f"Unknown task fields: {sorted(unknown)}")
    return _add_line(
        SowTask,
        organization=organization,
        actor=actor,
        sow_id=sow_id,
        values={"title": title, **fields},
        clean=_clean_task,
        verb="sow_task.added",
        fields=TASK_FIELDS,
        label=_task_label,
    )


@transaction.atomic
def sow_task_update(
    *, organization: Organization, actor: Access | User | None, task_id: int, **changes: Any
) -> SowTask:
    """Change a draft's task (its key is stable and cannot change; `position` moves it)."""
    return _update_line(
        SowTask,
        organization=organization,
        actor=actor,
        line_id=task_id,
        changes=changes,
        clean=_clean_task,
        verb="sow_task.updated",
        fields=TASK_FIELDS,
    )


@transaction.atomic
def sow_task_delete(*, organization: Organization, actor: Access | User | None, task_id: int) -> None:
    """Remove a task from a draft; the others close ranks."""
    _delete_line(
        SowTask, organization=organization, actor=actor, line_id=task_id, verb="sow_task.deleted", fields=TASK_FIELDS
    )


@transaction.atomic
def sow_task_reorder(
    *, organization: Organization, actor: Access | User | None, sow_id: int, task_ids: list[int]
) -> list[SowTask]:
    """Put a draft's tasks in the given order; `task_ids` must name each of its tasks exactly once."""
    sow = _lock_sow(organization, sow_id)
    tasks = {task.pk: task for task in SowTask.objects.filter(sow=sow)}
    if len(task_ids) != len(set(task_ids)) or set(task_ids) != set(tasks):
        raise _field_error(
            "Give every task of this SOW exactly once, in the new order.", field="task_ids", code="invalid_order"
        )
    before = [task.pk for task in sorted(tasks.values(), key=lambda t: (t.position, t.pk))]
    ordered = [tasks[pk] for pk in task_ids]
    _renumber(SowTask, sow, ordered)
    if before != list(task_ids):
        audit_record(
            organization=organization,
            actor=actor,
            verb="sow.tasks_reordered",
            target=sow,
            before={"order": before},
            after={"order": list(task_ids)},
        )
    return ordered


@transaction.atomic
def sow_task_move(*, organization: Organization, actor: Access | User | None, task_id: int, offset: int) -> SowTask:
    """Move a draft's task up (offset < 0) or down (offset > 0) the list, for the editor's arrows."""
    task = _lock_line(SowTask, organization, task_id)
    return sow_task_update(
        organization=organization, actor=actor, task_id=task.pk, position=max(1, task.position + offset)
    )


@transaction.atomic
def sow_material_add(
    *, organization: Organization, actor: Access | User | None, sow_id: int, part_number: str, **fields: Any
) -> SowMaterial:
    """Add a material line to a draft SOW; the key defaults to a slug of the part number."""
    unknown = set(fields) - set(MATERIAL_FIELDS)
    if unknown:
        raise TypeError(f"Unknown material fields: {sorted(unknown)}")
    fields.setdefault("quantity", Decimal("1"))
    fields.setdefault("unit", "ea")
    return _add_line(
        SowMaterial,
        organization=organization,
        actor=actor,
        sow_id=sow_id,
        values={"part_number": part_number, **fields},
        clean=_clean_material,
        verb="sow_material.added",
        fields=MATERIAL_FIELDS,
        label=_material_label,
    )


@transaction.atomic
def sow_material_update(
    *, organization: Organization, actor: Access | User | None, material_id: int, **changes: Any
) -> SowMaterial:
    """Change a draft's material line (its key is stable and cannot change)."""
    return _update_line(
        SowMaterial,
        organization=organization,
        actor=actor,
        line_id=material_id,
        changes=changes,
        clean=_clean_material,
        verb="sow_material.updated",
        fields=MATERIAL_FIELDS,
    )


@transaction.atomic
def sow_material_delete(*, organization: Organization, actor: Access | User | None, material_id: int) -> None:
    """Remove a material line from a draft."""
    _delete_line(
        SowMaterial,
        organization=organization,
        actor=actor,
        line_id=material_id,
        verb="sow_material.deleted",
        fields=MATERIAL_FIELDS,
    )
