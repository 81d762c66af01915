"""Writes of the escalations app: the SLA policy (organization rules and program overrides) and the people's
actions on an escalation (acknowledge, assign, snooze, resolve). Each locks its row, checks, writes a timeline
line and emits its event in the same transaction. The sweep's own writes are in escalations.sweep."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from escalations import errors
from escalations import events as types
from escalations.choices import UNRESOLVED_STATES, EscalationState, TimelineKind
from escalations.models import Escalation, EscalationEvent, SlaRule
from escalations.policy import ladder_validate, policy_get, threshold_validate
from escalations.recipients import People
from escalations.rules import RULES
from programs.models import Program
from rollout.audit import audit_record
from rollout.choices import STAFF_ROLES
from rollout.errors import NotFound
from rollout.events import event_emit
from rollout.models import Membership, Organization
from rollout.tenancy import Access, organization_id_of

S = EscalationState
MAX_SNOOZE = timedelta(days=30)


def _label(actor) -> str:
    return actor.actor_label if isinstance(actor, Access) else getattr(actor, "email", "system")


def _user(actor):
    return actor.user if isinstance(actor, Access) else actor


def _program(organization, program_id):
    if program_id is None:
        return None
    program = Program.objects.for_organization(organization).filter(pk=program_id).first()
    if program is None:
        raise NotFound("No such program.", field="program")
    return program


@transaction.atomic
def sla_rule_update(
    *,
    organization,
    actor,
    rule: str,
    program_id: int | None = None,
    enabled: bool,
    threshold: int,
    at_risk_minutes: int,
    ladder: list,
    client_visible: bool,
) -> SlaRule:
    """Set one rule of the organization's policy (program empty) or one program's override, validated (400 with a
    stable code: `negative_threshold`, `ladder_loops`, `ladder_bad_delay`, …). Audited."""
    if rule not in RULES:
        raise errors.PolicyInvalid(f"Unknown rule “{rule}”.", field="rule", code="unknown_rule")
    spec = RULES[rule]
    program = _program(organization, program_id)
    threshold, at_risk_minutes = threshold_validate(spec, threshold, at_risk_minutes)
    clean_ladder = ladder_validate(ladder, client_visible=client_visible)
    values = {
        "enabled": bool(enabled),
        "threshold": threshold,
        "at_risk_minutes": at_risk_minutes,
        "ladder": clean_ladder,
        "client_visible": bool(client_visible),
        "updated_by_label": _label(actor),
    }
    row = SlaRule.objects.for_organization(organization).select_for_update().filter(rule=rule, program=program).first()
    if row is None:
        row = SlaRule(organization_id=organization_id_of(organization), rule=rule, program=program, **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    row.save()
    audit_record(
        organization=organization,
        actor=actor,
        verb="sla_rule.updated",
        target=row,
        after={k: v for k, v in values.items() if k != "updated_by_label"},
    )
    return row


@transaction.atomic
def sla_override_delete(*, organization, actor, rule: str, program_id: int) -> None:
    """Drop a program's override of a rule: the program follows the organization's rule again."""
    program = _program(organization, program_id)
    deleted, _ = SlaRule.objects.for_organization(organization).filter(rule=rule, program=program).delete()
    if deleted:
        audit_record(organization=organization, actor=actor, verb="sla_rule.override_removed", target=program)


def _locked(organization, escalation_id: int) -> Escalation:
    row = (
        Escalation.objects.for_organization(organization)
        .select_related("work_order", "program")
        .select_for_update(of=("self",))
        .filter(pk=escalation_id)
        .first()
    )
    if row is None:
        raise NotFound("No such escalation.")
    return row


def _tell(organization, escalation: Escalation, type_name: str, actor, **extra) -> None:
    slug = (
        organization.slug
        if isinstance(organization, Organization)
        else (Organization.objects.values_list("slug", flat=True).get(pk=organization))
    )
    people = People(organization).of_level(
        escalation.level_role,
        client_id=escalation.program.client_id,
        pm_id=escalation.program.responsible_pm_id,
        assignee_id=escalation.assignee_id,
    )
    event_emit(
        organization=organization,
        type=type_name,
        subject=escalation,
        data=types.escalation_payload(escalation, slug, **extra),
        actor=actor,
        recipients=people,
    )


def _line(escalation: Escalation, kind: str, actor, note: str = "", at: datetime | None = None) -> None:
    EscalationEvent.objects.create(
        organization_id=escalation.organization_id,
        escalation=escalation,
        kind=kind,
        at=at or timezone.now(),
        actor=_user(actor),
        actor_label=_label(actor),
        note=note,
    )


@transaction.atomic
def escalation_acknowledge(*, organization, actor, escalation_id: int) -> Escalation:
    """Take an open escalation on (who, when): the ladder stops climbing. Acknowledging twice changes nothing."""
    escalation = _locked(organization, escalation_id)
    if escalation.state == S.ACKNOWLEDGED:
        return escalation
    if escalation.state == S.RESOLVED:
        raise errors.EscalationResolved()
    if escalation.state == S.AT_RISK:
        raise errors.EscalationNotRaised()
    now = timezone.now()
    escalation.state = S.ACKNOWLEDGED
    escalation.acknowledged_at = now
    escalation.acknowledged_by = _user(actor)
    escalation.acknowledged_by_label = _label(actor)
    escalation.save(
        update_fields=["state", "acknowledged_at", "acknowledged_by", "acknowledged_by_label", "updated_at"]
    )
    _line(escalation, TimelineKind.ACKNOWLEDGED, actor, at=now)
    _tell(organization, escalation, types.ACKNOWLEDGED, actor, acknowledged_by=escalation.acknowledged_by_label)
    return escalation


@transaction.atomic
def escalation_assign(*, organization, actor, escalation_id: int, assignee_id: int | None) -> Escalation:
    """Give the escalation to a coordinator, PM or admin of the organization (None: unassign)."""
    escalation = _locked(organization, escalation_id)
    if escalation.state == S.RESOLVED:
        raise errors.EscalationResolved()
    member = None
    if assignee_id is not None:
        member = (
            Membership.objects.for_organization(organization)
            .filter(user_id=assignee_id, is_active=True, role__in=STAFF_ROLES)
            .select_related("user")
            .first()
        )
        if member is None:
            raise errors.AssigneeInvalid(field="assignee")
    escalation.assignee = member.user if member else None
    escalation.save(update_fields=["assignee", "updated_at"])
    _line(escalation, TimelineKind.ASSIGNED, actor, note=f"to {member.user.email}" if member else "unassigned")
    return escalation


@transaction.atomic
def escalation_snooze(*, organization, actor, escalation_id: int, until: datetime, reason: str) -> Escalation:
    """Hold the ladder until `until` (at most 30 days ahead) with a reason; the escalation stays open."""
    escalation = _locked(organization, escalation_id)
    if escalation.state == S.RESOLVED:
        raise errors.EscalationResolved()
    now = timezone.now()
    reason = (reason or "").strip()
    if until is None or until <= now or until > now + MAX_SNOOZE:
        raise errors.SnoozeInvalid("Snooze until a time in the next 30 days.", field="until")
    if not reason:
        raise errors.SnoozeInvalid("Say why it can wait.", field="reason")
    escalation.snoozed_until = until
    escalation.snooze_reason = reason[:500]
    escalation.save(update_fields=["snoozed_until", "snooze_reason", "updated_at"])
    _line(escalation, TimelineKind.SNOOZED, actor, note=f"until {until.isoformat()}: {reason}", at=now)
    return escalation


@transaction.atomic
def escalation_resolve(*, organization, actor, escalation_id: int, note: str) -> Escalation:
    """Close the breach with a note: every level of it (rule, object, occurrence) is resolved; that episode never
    escalates again (a new one — the visit rescheduled and missed again — does)."""
    escalation = _locked(organization, escalation_id)
    if escalation.state == S.RESOLVED:
        raise errors.EscalationResolved()
    note = (note or "").strip()
    if not note:
        raise errors.ResolutionNoteRequired(field="note")
    now = timezone.now()
    rows = list(
        Escalation.objects.for_organization(organization)
        .select_for_update()
        .filter(rule=escalation.rule, subject_type=escalation.subject_type, subject_id=escalation.subject_id)
        .filter(occurrence=escalation.occurrence, state__in=UNRESOLVED_STATES)
    )
    for row in rows:
        row.state = S.RESOLVED
        row.resolved_at = now
        row.resolved_by = _user(actor)
        row.resolved_by_label = _label(actor)
        row.resolution_note = note
        row.time_to_resolve = now - row.started_at
        row.save(
            update_fields=[
                "state",
                "resolved_at",
                "resolved_by",
                "resolved_by_label",
                "resolution_note",
                "time_to_resolve",
                "updated_at",
            ]
        )
        _line(row, TimelineKind.RESOLVED, actor, note=note, at=now)
    escalation = Escalation.objects.select_related("work_order", "program").get(pk=escalation.pk)
    _tell(
        organization,
        escalation,
        types.RESOLVED,
        actor,
        auto_resolved=False,
        time_to_resolve_seconds=int(escalation.time_to_resolve.total_seconds()) if escalation.time_to_resolve else None,
    )
    return escalation


def policy_rules(*, organization, program_id: int | None = None) -> list:
    """The effective settings of every rule for the organization, or for one program (its overrides marked)."""
    policy = policy_get(organization=organization)
    if program_id is None:
        return [policy.organization[key] for key in RULES]
    return [policy.for_program(key, program_id) for key in RULES]
