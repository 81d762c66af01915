"""Audit trail: every service that changes state records who, what, before/after, when and why."""

from __future__ import annotations

from typing import Any

from django.db import models

from rollout.models import AuditEvent, User
from rollout.request_context import current_request_id
from rollout.tenancy import Access, actor_label, actor_user


def audit_snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """JSON-safe values of `fields`, for the before/after of an audit event."""
    snapshot = {}
    for name in fields:
        value = getattr(instance, name)
        if isinstance(value, models.Model):
            value = value.pk
        elif value is not None and not isinstance(value, (str, int, float, bool, list, dict)):
            value = str(value)
        snapshot[name] = value
    return snapshot


def audit_record(
    *,
    organization,
    actor: Access | User | None,
    verb: str,
    target: models.Model,
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEvent:
    """Write one audit event inside the caller's transaction (so it commits or rolls back with the change)."""
    user, token, label = actor_user(actor), (actor.token if isinstance(actor, Access) else None), actor_label(actor)
    return AuditEvent.objects.create(
        organization=organization,
        actor_user=user,
        actor_token=token,
        actor_label=label[:200],
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:200],
        before=before,
        after=after,
        reason=reason,
        request_id=current_request_id(),
    )


def audit_created(organization, actor: Access | User | None, row: models.Model, fields, *, verb: str) -> AuditEvent:
    """Record `verb` for a row just created, with the snapshot of its `fields` as what it is now."""
    return audit_record(
        organization=organization, actor=actor, verb=verb, target=row, after=audit_snapshot(row, fields)
    )


def audit_deleted(organization, actor: Access | User | None, row: models.Model, fields, *, verb: str) -> AuditEvent:
    """Record `verb` for a row about to be deleted (call it before the delete), with the snapshot of its `fields`."""
    return audit_record(
        organization=organization, actor=actor, verb=verb, target=row, before=audit_snapshot(row, fields)
    )


def audited_save(organization, actor: Access | User | None, row: models.Model, changes: dict[str, Any], *, verb: str):
    """Apply `changes` to a locked row, save it, and record `verb` with the before/after of the fields that really
    changed (nothing is recorded when none did)."""
    fields = sorted(changes)
    before = audit_snapshot(row, fields)
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()
    after = audit_snapshot(row, fields)
    changed = [name for name in fields if before[name] != after[name]]
    if changed:
        audit_record(
            organization=organization,
            actor=actor,
            verb=verb,
            target=row,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return row
