"""The SLA sweep of one organization: raise at-risk warnings and breaches, climb the ladders, resolve what
cleared — in a fixed number of queries whatever the number of rows (set-based reads, bulk writes).

Safe to run twice and side by side: every new row goes in with INSERT … ON CONFLICT DO NOTHING under the
(rule, object, occurrence, level) unique constraint, every state change is an UPDATE guarded by the state it
leaves, and each step marks the rows it wrote with its own `sweep_token`, so the sweep emits events (and timeline
lines) for its own writes only: two sweeps racing raise each level once and tell people once.

The queries, at most: organization, policy, unresolved escalations, one per enabled rule, the insert and its
read-back, the climb's update, the breach update and read-back, the resolve update and read-back, the members,
the timeline insert and the events insert.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import DateTimeField, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from escalations import events as types
from escalations.choices import UNRESOLVED_STATES, EscalationState, TimelineKind
from escalations.models import Escalation, EscalationEvent
from escalations.policy import Policy, RuleSettings, policy_get
from escalations.recipients import People
from escalations.rules import PATHS, RULES, Rule
from rollout.events import event_type_get, events_relay_on_commit
from rollout.models import Event, Organization
from rollout.tenancy import organization_id_of

S = EscalationState


@dataclass
class Live:
    """A subject that breaches (or is at risk) as of now."""

    rule: Rule
    subject_id: int
    occurrence: datetime  # the rule's anchor on the subject: the breach episode
    work_order_id: int
    visit_id: int | None
    program_id: int
    breach_at: datetime
    state: str
    settings: RuleSettings


@dataclass
class SweepResult:
    at_risk: int = 0
    raised: int = 0
    escalated: int = 0
    resolved: int = 0
    events: list[int] = field(default_factory=list)


def _candidates_q(rule: Rule, policy: Policy, now: datetime) -> Q | None:
    """The horizon condition of one rule: one cut-off per group of programs sharing the same settings."""
    program_path = PATHS[rule.subject]["program"]
    overrides = policy.overrides(rule.key)
    groups: dict[tuple, list[int]] = defaultdict(list)
    for program_id, settings in overrides.items():
        if settings.enabled:
            groups[(settings.threshold, settings.at_risk_minutes)].append(program_id)
    parts = [
        Q(**{f"{program_path}__in": sorted(ids)}) & rule.horizon_q(now=now, threshold=t, at_risk_minutes=lead)
        for (t, lead), ids in sorted(groups.items())
    ]
    default = policy.organization[rule.key]
    if default.enabled:
        others = rule.horizon_q(now=now, threshold=default.threshold, at_risk_minutes=default.at_risk_minutes)
        if overrides:
            others &= ~Q(**{f"{program_path}__in": sorted(overrides)})
        parts.append(others)
    return reduce(or_, parts) if parts else None


def _live(rule: Rule, policy: Policy, organization_id: int, now: datetime) -> list[Live]:
    """One query: the rule's subjects that breach or are at risk now (never those whose escalation of the same
    episode was resolved: each (rule, object, occurrence, level) escalates once; a new anchor is a new episode)."""
    horizon = _candidates_q(rule, policy, now)
    if horizon is None:
        return []
    paths = PATHS[rule.subject]
    escalations = Escalation.objects.for_outer_organization().filter(
        rule=rule.key, subject_type=rule.subject, subject_id=OuterRef("pk"), occurrence=OuterRef(rule.anchor), level=1
    )
    queryset = (
        rule.model.objects.for_organization(organization_id)
        .filter(rule.pending())
        .filter(horizon)
        .exclude(Exists(escalations.filter(state=S.RESOLVED)))
    )
    if rule.recent_days:
        since = now - timedelta(days=rule.recent_days)
        queryset = queryset.filter(
            Q(**{f"{rule.anchor}__gte": since}) | Exists(escalations.filter(state__in=UNRESOLVED_STATES))
        )
    fields = {"pk": "pk", "anchor": rule.anchor, "work_order": paths["work_order"], "program": paths["program"]}
    if rule.extra_minutes_path:
        fields["extra"] = rule.extra_minutes_path
    found = []
    for row in queryset.order_by().values(**{f"v_{k}": F(v) for k, v in fields.items()}):
        settings = policy.for_program(rule.key, row["v_program"])
        if not settings.enabled or row["v_anchor"] is None:
            continue
        extra = row.get("v_extra")
        breach_at = rule.breach_at(row["v_anchor"], settings.threshold, extra if isinstance(extra, int) else 0)
        if now >= breach_at:
            state = S.OPEN
        elif settings.at_risk_minutes and now >= breach_at - timedelta(minutes=settings.at_risk_minutes):
            state = S.AT_RISK
        else:
            continue
        found.append(
            Live(
                rule=rule,
                subject_id=row["v_pk"],
                occurrence=row["v_anchor"],
                work_order_id=row["v_work_order"],
                visit_id=row["v_pk"] if rule.subject == "visit" else None,
                program_id=row["v_program"],
                breach_at=breach_at,
                state=state,
                settings=settings,
            )
        )
    return found


def escalations_sweep(*, organization, now: datetime | None = None) -> SweepResult:
    """Evaluate every enabled rule of one organization as of `now` and write what changed, in one transaction.
    Idempotent: a second run at the same `now` writes nothing."""
    now = now or timezone.now()
    organization_id = organization_id_of(organization)
    result = SweepResult()
    with transaction.atomic():
        slug = Organization.objects.filter(pk=organization_id).values_list("slug", flat=True).first()
        if slug is None:
            return result
        policy = policy_get(organization=organization_id)
        existing: dict[tuple, list[Escalation]] = defaultdict(list)
        unresolved = (
            Escalation.objects.for_organization(organization_id)
            .filter(state__in=UNRESOLVED_STATES)
            .only(
                "pk",
                "rule",
                "subject_id",
                "occurrence",
                "program_id",
                "level",
                "state",
                "snoozed_until",
                "raised_at",
                "assignee_id",
            )
        )
        for row in unresolved:
            existing[(row.rule, row.subject_id, row.occurrence)].append(row)
        live: dict[tuple, Live] = {}
        for rule in RULES.values():
            for item in _live(rule, policy, organization_id, now):
                live[(rule.key, item.subject_id, item.occurrence)] = item

        token = uuid.uuid4().hex
        new_rows: list[Escalation] = []
        climbing: dict[tuple, Escalation] = {}  # (rule, subject, occurrence, new level) → the row it climbs from
        to_breach: list[int] = []
        to_resolve: list[int] = []
        for key, item in live.items():
            rows = existing.get(key)
            settings = item.settings
            if not rows:
                recent = item.rule.recent_days
                if recent and item.breach_at < now - timedelta(days=recent):
                    continue
                new_rows.append(_row(item, organization_id, level=1, state=item.state, now=now, token=token))
                continue
            current = max(rows, key=lambda r: r.level)
            if current.state == S.AT_RISK and item.state == S.OPEN:
                to_breach.append(current.pk)
            elif (
                current.state == S.OPEN
                and item.state == S.OPEN
                and (current.snoozed_until is None or current.snoozed_until <= now)
                and current.raised_at is not None
            ):
                delay = settings.delay_to(current.level + 1)
                if delay is not None and current.raised_at + timedelta(minutes=delay) <= now:
                    row = _row(item, organization_id, level=current.level + 1, state=S.OPEN, now=now, token=token)
                    row.assignee_id = current.assignee_id
                    new_rows.append(row)
                    climbing[(*key, current.level + 1)] = current
        for key, rows in existing.items():
            # Cleared: no longer pending, or out of reach (a new anchor ends the episode; the new one is live on its
            # own). A rule switched off stops raising; what it raised stays for people to close.
            if key not in live and policy.for_program(key[0], rows[0].program_id).enabled:
                to_resolve.extend(row.pk for row in rows)

        inserted: list[Escalation] = []
        if new_rows:
            Escalation.objects.bulk_create(new_rows, ignore_conflicts=True)
            inserted = list(_written(organization_id, token))
            keys = [(row.rule, row.subject_id, row.occurrence, row.level) for row in inserted]
            climbed_from = [climbing[key].pk for key in keys if key in climbing]
            if climbed_from:
                Escalation.objects.for_organization(organization_id).filter(pk__in=climbed_from).update(current=False)
        breached: list[Escalation] = []
        if to_breach:
            breach_token = uuid.uuid4().hex
            Escalation.objects.for_organization(organization_id).filter(pk__in=to_breach, state=S.AT_RISK).update(
                state=S.OPEN, raised_at=now, sweep_token=breach_token, updated_at=now
            )
            breached = list(_written(organization_id, breach_token))
        resolved: list[Escalation] = []
        if to_resolve:
            resolve_token = uuid.uuid4().hex
            started = Coalesce(F("raised_at"), F("warned_at"), F("created_at"))
            Escalation.objects.for_organization(organization_id).filter(
                pk__in=to_resolve, state__in=UNRESOLVED_STATES
            ).update(
                state=S.RESOLVED,
                resolved_at=now,
                auto_resolved=True,
                resolved_by_label="system: the condition cleared",
                time_to_resolve=ExpressionWrapper(
                    Value(now, output_field=DateTimeField()) - started, output_field=DurationField()
                ),
                sweep_token=resolve_token,
                updated_at=now,
            )
            resolved = list(_written(organization_id, resolve_token))

        timeline, notices = [], []
        for row in inserted:
            if row.level > 1:
                kind, event = TimelineKind.ESCALATED, types.ESCALATED
                result.escalated += 1
            elif row.state == S.AT_RISK:
                kind, event = TimelineKind.AT_RISK, types.AT_RISK
                result.at_risk += 1
            else:
                kind, event = TimelineKind.RAISED, types.RAISED
                result.raised += 1
            timeline.append(_line(row, kind, now))
            notices.append((row, event, {}))
        for row in breached:
            result.raised += 1
            timeline.append(_line(row, TimelineKind.RAISED, now))
            notices.append((row, types.RAISED, {}))
        for row in resolved:
            result.resolved += 1
            timeline.append(_line(row, TimelineKind.AUTO_RESOLVED, now, note="The condition cleared."))
            if row.current:
                seconds = int(row.time_to_resolve.total_seconds()) if row.time_to_resolve else None
                notices.append((row, types.RESOLVED, {"auto_resolved": True, "time_to_resolve_seconds": seconds}))
        if timeline:
            EscalationEvent.objects.bulk_create(timeline)
        if notices:
            result.events = _emit(organization_id, slug, notices, now)
    return result


def _row(item: Live, organization_id: int, *, level: int, state: str, now: datetime, token: str) -> Escalation:
    settings = item.settings
    return Escalation(
        organization_id=organization_id,
        rule=item.rule.key,
        subject_type=item.rule.subject,
        subject_id=item.subject_id,
        occurrence=item.occurrence,
        work_order_id=item.work_order_id,
        visit_id=item.visit_id,
        program_id=item.program_id,
        level=level,
        level_role=settings.level_role(level),
        current=True,
        state=state,
        client_visible=settings.client_visible,
        breach_at=item.breach_at,
        warned_at=now if state == S.AT_RISK else None,
        raised_at=now if state == S.OPEN else None,
        sweep_token=token,
        created_at=now,
        updated_at=now,
    )


def _written(organization_id: int, token: str):
    return (
        Escalation.objects.for_organization(organization_id)
        .filter(sweep_token=token)
        .select_related("work_order", "program")
        .order_by("id")
    )


def _line(row: Escalation, kind: str, now: datetime, note: str = "") -> EscalationEvent:
    return EscalationEvent(
        organization_id=row.organization_id,
        escalation_id=row.pk,
        kind=kind,
        at=now,
        actor_label="system",
        note=note or f"Level {row.level}: {row.get_level_role_display()}",
    )


def _emit(organization_id: int, slug: str, notices: list, now: datetime) -> list[int]:
    """The sweep's events in one insert (rollout.events.event_emit writes one row per call), relayed after commit in
    batches like event_emit's; the minute events sweep relays what the broker never got."""
    people = People(organization_id)
    rows = []
    for escalation, type_name, extra in notices:
        spec = event_type_get(type_name)
        rows.append(
            Event(
                organization_id=organization_id,
                type=spec.name,
                version=spec.version,
                subject_type=spec.subject,
                subject_id=escalation.pk,
                data=types.escalation_payload(escalation, slug, **extra),
                actor_label="system",
                recipients=people.of_level(
                    escalation.level_role,
                    client_id=escalation.program.client_id,
                    pm_id=escalation.program.responsible_pm_id,
                    assignee_id=escalation.assignee_id,
                ),
                occurred_at=now,
            )
        )
    created = Event.objects.bulk_create(rows)
    ids = [event.pk for event in created if event.pk is not None]
    events_relay_on_commit(ids)
    return ids
