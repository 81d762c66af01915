"""Writes of a program's SOW versions with their tasks and materials.

Each service is one transaction: it locks what it changes, checks the rules, writes, and records an
audit event; an id from another organization is a NotFound exactly like a missing one. An approved SOW is
immutable: every SOW, task and material service refuses with `sow_approved` (and the models refuse too).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from programs.choices import (
    ALL_EVIDENCE_PARAMETERS,
    EVIDENCE_PARAMETERS,
    MATERIAL_FIELDS,
    TASK_FIELDS,
    EvidenceKind,
    SowStatus,
)
from programs.conditions import validate_condition
from programs.errors import DraftExists, SowApproved
from programs.models import Sow, SowMaterial, SowTask
from programs.services import _check_open, _lock_program
from rollout.audit import audit_record, audit_snapshot
from rollout.errors import ApplicationError, Conflict, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user

KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")


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
        created_by=actor_user(actor),
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
    sow.approved_by = actor_user(actor)
    sow.approved_by_label = actor_label(actor)[:200]
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
        raise ApplicationError(
            "A key may hold letters, digits, hyphens and underscores only (at most 60).",
            field="key",
            code="invalid_key",
        )
    if key in existing:
        raise ApplicationError(f"This SOW already has a line with key “{key}”.", field="key", code="duplicate_key")


def _check_condition(values: dict) -> None:
    """Conditions are checked when a line is saved, never later: a ConditionError names the column."""
    if "condition" in values:
        values["condition"] = validate_condition(values["condition"])


def _clean_task(values: dict) -> dict:
    """Check a task's full set of values; clear evidence parameters that do not belong to its kind."""
    if not (values.get("title") or "").strip():
        raise ApplicationError("A task needs a title.", field="title", code="required")
    kind = values.get("evidence_kind") or EvidenceKind.NONE
    if kind not in EvidenceKind.values:
        raise ApplicationError(f"“{kind}” is not a kind of evidence.", field="evidence_kind", code="invalid_choice")
    for name in ALL_EVIDENCE_PARAMETERS:
        if name not in EVIDENCE_PARAMETERS[kind]:
            values[name] = "" if name in ("serial_pattern", "measurement_unit") else None
    if kind == EvidenceKind.PHOTO:
        count = values.get("photo_min_count")
        if count is None:
            values["photo_min_count"] = count = 1
        if count < 1:
            raise ApplicationError("Ask for at least one photo.", field="photo_min_count", code="invalid_count")
    if kind == EvidenceKind.SERIAL and values.get("serial_pattern"):
        try:
            re.compile(values["serial_pattern"])
        except re.error as exc:
            raise ApplicationError(
                f"The serial number format is not a valid regular expression: {exc.msg}"
                + (f" (at position {exc.pos + 1})." if exc.pos is not None else "."),
                field="serial_pattern",
                code="invalid_pattern",
            ) from exc
    if kind == EvidenceKind.MEASUREMENT:
        if not (values.get("measurement_unit") or "").strip():
            raise ApplicationError(
                "Give the measurement's unit (e.g. dBm, V, m).", field="measurement_unit", code="required"
            )
        low, high = (
            None if values.get(name) is None else Decimal(str(values[name])).quantize(Decimal("0.001"))
            for name in ("measurement_min", "measurement_max")
        )
        values["measurement_min"], values["measurement_max"] = low, high
        if low is not None and high is not None and low > high:
            raise ApplicationError(
                "The minimum must not be greater than the maximum.", field="measurement_max", code="invalid_range"
            )
    if values.get("estimated_minutes") is not None and values["estimated_minutes"] < 0:
        raise ApplicationError("Minutes cannot be negative.", field="estimated_minutes", code="invalid_minutes")
    _check_condition(values)
    return values


def _clean_material(values: dict) -> dict:
    if not (values.get("part_number") or "").strip():
        raise ApplicationError("A material needs a part number.", field="part_number", code="required")
    quantity = values.get("quantity")
    if quantity is None or Decimal(str(quantity)) <= 0:
        raise ApplicationError("The quantity must be greater than zero.", field="quantity", code="invalid_quantity")
    values["quantity"] = Decimal(str(quantity)).quantize(Decimal("0.01"))
    if not (values.get("unit") or "").strip():
        raise ApplicationError("Give the unit (e.g. ea, m, box).", field="unit", code="required")
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
        raise ApplicationError(
            f"This SOW already has a line with key “{key}”.", field="key", code="duplicate_key"
        ) from exc
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
        raise ApplicationError(
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
        raise ApplicationError(
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
