"""Writes of site variations: location-specific deviations from the SOW for one enrolled site, captured
with a reason, then approved or rejected by a PM (or admin). Only approved ones shape the site's packet.

Rules: the site must be enrolled in the program; a skip or change names a task of the program's latest
SOW version (a draft included: the plan being written), and an added task may be placed after one; an
added task reuses the SOW task rules (title, evidence and its parameters, minutes) and gets a key no SOW
task or other variation of the site uses; one skip-or-change per task and site at a time. Only pending
variations can change or be deleted; approval and rejection are planners' alone (checked here too,
whatever route calls), audited, and approval checks the rules again against the SOW of the day.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from programs.choices import (
    ALL_VARIATION_FIELDS,
    VARIATION_FIELDS,
    EvidenceKind,
    VariationKind,
    VariationStatus,
)
from programs.errors import NotAllowed, VariationDecided
from programs.models import Enrollment, Program, SiteVariation, Sow, SowTask
from programs.services import _check_open, _lock_program
from programs.sows import KEY_PATTERN, _clean_material, _clean_task, _unique_key
from rollout.audit import audit_created, audit_deleted, audit_record, audited_save
from rollout.choices import PLANNER_ROLES
from rollout.errors import ApplicationError, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user

TASK_KINDS = (VariationKind.SKIP_TASK, VariationKind.MODIFY_TASK)
LIVE = (VariationStatus.PENDING, VariationStatus.APPROVED)
TEXT_FIELDS = frozenset(
    {
        "task_key",
        "after_task_key",
        "title",
        "instructions",
        "required_skill",
        "evidence_kind",
        "serial_pattern",
        "measurement_unit",
        "part_number",
        "description",
        "unit",
        "note",
    }
)
AUDIT_FIELDS = ["kind", "site", "reason", *ALL_VARIATION_FIELDS]


def _empty(name: str):
    return "" if name in TEXT_FIELDS else None


def _latest_task_keys(organization, program: Program) -> list[str] | None:
    """Keys of the tasks of the program's latest SOW version, in order; None when it has no SOW yet."""
    sow = Sow.objects.for_organization(organization).filter(program=program).order_by("-version").first()
    if sow is None:
        return None
    tasks = SowTask.objects.for_organization(organization).filter(sow=sow).order_by("position", "id")
    return list(tasks.values_list("key", flat=True))


def _check_enrolled(organization, program: Program, site_id: int) -> None:
    enrolled = Enrollment.objects.for_organization(organization).filter(program=program, site_id=site_id).exists()
    if not enrolled:
        raise ApplicationError(
            f"The site is not enrolled in program {program.code}; enroll it first.", field="site", code="not_enrolled"
        )


def _check_task_key(key: str, task_keys: list[str] | None, *, field: str) -> None:
    if task_keys is None:
        raise ApplicationError("This program has no SOW yet; write one first.", field=field, code="no_sow")
    if key not in task_keys:
        raise ApplicationError(
            f"The latest SOW has no task with key “{key}”.",
            field=field,
            code="unknown_task",
        )


def _live_siblings(organization, program: Program, site_id: int, exclude_pk: int | None):
    return (
        SiteVariation.objects.for_organization(organization)
        .filter(program=program, site_id=site_id, status__in=LIVE)
        .exclude(pk=exclude_pk)
    )


def _clean_variation(
    organization, program: Program, site_id: int, kind: str, values: dict, *, exclude_pk: int | None = None
) -> dict:
    """Check a variation's full set of values for its kind; the fields of other kinds are cleared."""
    if kind not in VariationKind.values:
        raise ApplicationError(f"“{kind}” is not a kind of variation.", field="kind", code="invalid_choice")
    values["reason"] = (values.get("reason") or "").strip()
    if not values["reason"]:
        raise ApplicationError("Say why this site differs.", field="reason", code="required")
    own = VARIATION_FIELDS[kind]
    for name in ALL_VARIATION_FIELDS:
        if name not in own or values.get(name) is None:
            values[name] = _empty(name)
    if kind == VariationKind.ADD_TASK:
        _clean_added_task(organization, program, site_id, values, exclude_pk)
    elif kind in TASK_KINDS:
        values["task_key"] = values["task_key"].strip()
        if not values["task_key"]:
            raise ApplicationError("Name the SOW task (its key).", field="task_key", code="required")
        _check_task_key(values["task_key"], _latest_task_keys(organization, program), field="task_key")
        clash = _live_siblings(organization, program, site_id, exclude_pk).filter(
            kind__in=TASK_KINDS, task_key=values["task_key"]
        )
        if clash.exists():
            raise ApplicationError(
                f"This site already has a pending or approved variation of task “{values['task_key']}”.",
                field="task_key",
                code="duplicate_variation",
            )
        if kind == VariationKind.MODIFY_TASK:
            if not values["instructions"].strip():
                raise ApplicationError("Give the changed instructions.", field="instructions", code="required")
            if values["estimated_minutes"] is not None and values["estimated_minutes"] < 0:
                raise ApplicationError("Minutes cannot be negative.", field="estimated_minutes", code="invalid_minutes")
    elif kind == VariationKind.EXTRA_MATERIAL:
        if values["quantity"] is None:
            values["quantity"] = Decimal("1")
        values["unit"] = values["unit"] or "ea"
        _clean_material(values)
    elif not values["note"].strip():
        raise ApplicationError("Write the access note.", field="note", code="required")
    return values


def _clean_added_task(organization, program: Program, site_id: int, values: dict, exclude_pk: int | None) -> None:
    task_keys = _latest_task_keys(organization, program)
    values["evidence_kind"] = values["evidence_kind"] or EvidenceKind.NONE
    if values["estimated_minutes"] is None:
        values["estimated_minutes"] = 0
    _clean_task(values)
    taken = set(task_keys or ())
    taken.update(
        _live_siblings(organization, program, site_id, exclude_pk)
        .filter(kind=VariationKind.ADD_TASK)
        .values_list("task_key", flat=True)
    )
    key = values["task_key"].strip()
    if not key:
        values["task_key"] = _unique_key(taken, values["title"], fallback="site-task")
    elif not KEY_PATTERN.match(key):
        raise ApplicationError(
            "A key may hold letters, digits, hyphens and underscores only.", field="task_key", code="invalid_key"
        )
    elif key in taken:
        raise ApplicationError(
            f"The SOW or another variation of this site already uses the key “{key}”.",
            field="task_key",
            code="duplicate_key",
        )
    if values["after_task_key"]:
        _check_task_key(values["after_task_key"], task_keys, field="after_task_key")


def _lock_variation(organization, variation_id: int) -> SiteVariation:
    variation = SiteVariation.objects.for_organization(organization).filter(pk=variation_id).first()
    if variation is None:
        raise NotFound()
    program = _lock_program(organization, variation.program_id)
    variation = SiteVariation.objects.select_for_update().select_related("site").get(pk=variation.pk)
    variation.program = program
    return variation


def _check_pending(variation: SiteVariation) -> None:
    if not variation.is_pending:
        raise VariationDecided(
            f"This variation was already {variation.get_status_display().lower()}; only pending variations can change."
        )


def _check_planner(actor: Access | User | None) -> None:
    if isinstance(actor, Access) and actor.role not in PLANNER_ROLES:
        raise NotAllowed("Only a PM or an admin can approve or reject site variations.")


@transaction.atomic
def site_variation_create(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    site_id: int,
    kind: str,
    reason: str,
    **fields: Any,
) -> SiteVariation:
    """Capture a variation for a site enrolled in the program; it starts pending."""
    unknown = set(fields) - set(ALL_VARIATION_FIELDS)
    if unknown:
        raise TypeError(f"Unknown variation fields: {sorted(unknown)}")
    program = _lock_program(organization, program_id)
    _check_open(program)
    _check_enrolled(organization, program, site_id)
    values = _clean_variation(organization, program, site_id, kind, {"reason": reason, **fields})
    variation = SiteVariation.objects.create(
        organization=organization,
        program=program,
        site_id=site_id,
        kind=kind,
        created_by=actor_user(actor),
        created_by_label=actor_label(actor)[:200],
        **values,
    )
    audit_created(organization, actor, variation, ["program", *AUDIT_FIELDS], verb="site_variation.created")
    return variation


@transaction.atomic
def site_variation_update(
    *, organization: Organization, actor: Access | User | None, variation_id: int, **changes: Any
) -> SiteVariation:
    """Change a pending variation (its program, site and kind stay: capture another one instead)."""
    unknown = set(changes) - {"reason", *ALL_VARIATION_FIELDS}
    if unknown:
        raise TypeError(f"Unknown or fixed variation fields: {sorted(unknown)}")
    variation = _lock_variation(organization, variation_id)
    _check_pending(variation)
    _check_open(variation.program)
    _check_enrolled(organization, variation.program, variation.site_id)
    names = ["reason", *ALL_VARIATION_FIELDS]
    values = _clean_variation(
        organization,
        variation.program,
        variation.site_id,
        variation.kind,
        {**{name: getattr(variation, name) for name in names}, **changes},
        exclude_pk=variation.pk,
    )
    return audited_save(
        organization, actor, variation, {name: values[name] for name in names}, verb="site_variation.updated"
    )


@transaction.atomic
def site_variation_delete(*, organization: Organization, actor: Access | User | None, variation_id: int) -> None:
    """Withdraw a pending variation; decided ones stay as the record of the decision."""
    variation = _lock_variation(organization, variation_id)
    _check_pending(variation)
    audit_deleted(organization, actor, variation, ["program", *AUDIT_FIELDS], verb="site_variation.deleted")
    variation.delete()


def _decide(organization, actor, variation_id: int, *, status: str, note: str, verb: str) -> SiteVariation:
    _check_planner(actor)
    variation = _lock_variation(organization, variation_id)
    _check_pending(variation)
    _check_open(variation.program)
    if status == VariationStatus.APPROVED:
        # The SOW may have moved on since the variation was captured: check it against today's.
        _check_enrolled(organization, variation.program, variation.site_id)
        names = ["reason", *ALL_VARIATION_FIELDS]
        _clean_variation(
            organization,
            variation.program,
            variation.site_id,
            variation.kind,
            {name: getattr(variation, name) for name in names},
            exclude_pk=variation.pk,
        )
    variation.status = status
    variation.decided_at = timezone.now()
    variation.decided_by = actor_user(actor)
    variation.decided_by_label = actor_label(actor)[:200]
    variation.decision_note = note
    variation.save(
        update_fields=["status", "decided_at", "decided_by", "decided_by_label", "decision_note", "updated_at"]
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb=verb,
        target=variation,
        before={"status": VariationStatus.PENDING},
        after={"status": status, "note": note},
    )
    return variation


@transaction.atomic
def site_variation_approve(
    *, organization: Organization, actor: Access | User | None, variation_id: int, note: str = ""
) -> SiteVariation:
    """Approve a pending variation (PMs and admins): from now on it shapes the site's packet."""
    return _decide(
        organization,
        actor,
        variation_id,
        status=VariationStatus.APPROVED,
        note=note.strip(),
        verb="site_variation.approved",
    )


@transaction.atomic
def site_variation_reject(
    *, organization: Organization, actor: Access | User | None, variation_id: int, note: str
) -> SiteVariation:
    """Reject a pending variation (PMs and admins), saying why."""
    note = (note or "").strip()
    if not note:
        raise ApplicationError("Say why the variation is rejected.", field="note", code="required")
    return _decide(
        organization, actor, variation_id, status=VariationStatus.REJECTED, note=note, verb="site_variation.rejected"
    )
