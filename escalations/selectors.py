"""Reads of the escalations app: lists, the badge count, one escalation with its timeline, and the timelines of a
work order or a visit — always through `visible_to(access)` (client viewers: client-visible rows of their own
programs)."""

from __future__ import annotations

from django.db.models import Prefetch

from escalations.models import Escalation, EscalationEvent
from rollout.tenancy import Access


def escalation_list(*, access: Access):
    """The current level of every breach the caller may see (lower, climbed levels are on the detail page)."""
    return Escalation.objects.visible_to(access).current().with_summary()


def escalation_open_count(*, access: Access) -> int:
    """The navigation badge: raised, not yet acknowledged or resolved (one COUNT query)."""
    return Escalation.objects.visible_to(access).open().count()


def escalation_get(*, access: Access, pk) -> Escalation | None:
    if not str(pk).isdigit():
        return None
    return escalation_list(access=access).filter(pk=pk).first() or (
        Escalation.objects.visible_to(access).with_summary().filter(pk=pk).first()
    )


def escalation_levels(*, access: Access, escalation: Escalation) -> list[Escalation]:
    """Every level of one breach episode (rule, object, occurrence), lowest first, each with its timeline."""
    return list(
        Escalation.objects.visible_to(access)
        .filter(rule=escalation.rule, subject_type=escalation.subject_type, subject_id=escalation.subject_id)
        .filter(occurrence=escalation.occurrence)
        .prefetch_related(Prefetch("timeline", queryset=EscalationEvent.objects.order_by("at", "id")))
        .select_related("acknowledged_by", "resolved_by", "assignee")
        .order_by("level")
    )


def escalation_timeline_for(*, access: Access, work_order_id: int, visit_id: int | None = None) -> list[dict]:
    """The escalation timeline of a work order (and its visits) or of one visit: each breach's current level with
    its timeline lines, newest breach first (two queries)."""
    rows = Escalation.objects.visible_to(access).current()
    rows = rows.filter(visit_id=visit_id) if visit_id is not None else rows.filter(work_order_id=work_order_id)
    rows = list(rows.order_by("-breach_at", "-id"))
    lines = (
        EscalationEvent.objects.visible_to(access)
        .filter(escalation__rule__in={r.rule for r in rows}, escalation__subject_id__in={r.subject_id for r in rows})
        .select_related("escalation")
        .order_by("at", "id")
    )
    by_breach: dict[tuple, list] = {}
    seen = set()
    for line in lines:
        key = _breach(line.escalation)
        if line.kind in ("resolved", "auto_resolved"):  # every level resolves at once: one line says it
            if (key, line.kind, line.at) in seen:
                continue
            seen.add((key, line.kind, line.at))
        by_breach.setdefault(key, []).append(line)
    return [{"escalation": r, "lines": by_breach.get(_breach(r), [])} for r in rows]


def _breach(escalation: Escalation) -> tuple:
    return (escalation.rule, escalation.subject_type, escalation.subject_id, escalation.occurrence)
