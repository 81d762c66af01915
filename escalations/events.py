"""The event types the escalations app emits (rollout.events): the inbox and webhooks pick them up.

Payloads carry ids and the few fields a receiver needs; `recipients` are the people of the escalation's level
(and its assignee)."""

from __future__ import annotations

from django.urls import reverse

from rollout.choices import Role
from rollout.events import EventType, event_type_register

EXAMPLE = {
    "organization": "acme-rollouts",
    "escalation_id": 412,
    "rule": "no_check_in",
    "rule_title": "No check-in by window start + grace",
    "level": 2,
    "level_role": "pm",
    "state": "open",
    "subject_type": "visit",
    "subject_id": 9031,
    "work_order_id": 5120,
    "work_order_number": "SCO-2026-000123",
    "visit_id": 9031,
    "program_id": 7,
    "breach_at": "2026-12-05T14:30:00Z",
    "client_visible": False,
}

AT_RISK = "escalation.at_risk"
RAISED = "escalation.raised"
ESCALATED = "escalation.escalated"
ACKNOWLEDGED = "escalation.acknowledged"
RESOLVED = "escalation.resolved"

# One sentence per type for the inbox and e-mails ("No check-in by window start + grace on SCO-2026-000123: level 2").
SENTENCES = {
    AT_RISK: "At risk: {rule_title} on {work_order_number}",
    RAISED: "{rule_title} on {work_order_number}: level {level}",
    ESCALATED: "{rule_title} on {work_order_number} escalated to level {level}",
    ACKNOWLEDGED: "{rule_title} on {work_order_number}: acknowledged",
    RESOLVED: "{rule_title} on {work_order_number}: resolved",
}


def _describe(name: str):
    return lambda data: SENTENCES[name].format(**data) + "."


def _link(event, role: str) -> str | None:
    """The escalation's page; technicians have none, client viewers only for what the policy shows them."""
    if role == Role.TECHNICIAN or (role == Role.CLIENT and not event.data.get("client_visible")):
        return None
    return reverse(
        "escalations:escalation-detail",
        kwargs={"org": event.data["organization"], "pk": event.data["escalation_id"]},
    )


for name, title, description, example in (
    (AT_RISK, "Escalation at risk", "An SLA rule will be breached soon (the at-risk warning).", {"state": "at_risk"}),
    (RAISED, "Escalation raised", "An SLA rule was breached: level 1 of its ladder is told.", {"level": 1}),
    (ESCALATED, "Escalation escalated", "Nobody acknowledged in time: the next level of the ladder is told.", {}),
    (
        ACKNOWLEDGED,
        "Escalation acknowledged",
        "Someone took the escalation on.",
        {"state": "acknowledged", "acknowledged_by": "coordinator@example.com"},
    ),
    (
        RESOLVED,
        "Escalation resolved",
        "Resolved by a person with a note, or by itself when its condition cleared (`auto_resolved`).",
        {"state": "resolved", "auto_resolved": True, "time_to_resolve_seconds": 754},
    ),
):
    event_type_register(
        EventType(
            name=name,
            title=title,
            subject="escalation",
            description=description,
            example={**EXAMPLE, **example},
            describe=_describe(name),
            link=_link,
        )
    )


def escalation_payload(escalation, organization_slug: str, **extra) -> dict:
    """The data of an escalation event (the row's work order must be loaded or its number given in `extra`)."""
    return {
        "organization": organization_slug,
        "escalation_id": escalation.pk,
        "rule": escalation.rule,
        "rule_title": escalation.get_rule_display(),
        "level": escalation.level,
        "level_role": escalation.level_role,
        "state": escalation.state,
        "subject_type": escalation.subject_type,
        "subject_id": escalation.subject_id,
        "work_order_id": escalation.work_order_id,
        "work_order_number": escalation.work_order.number,
        "visit_id": escalation.visit_id,
        "program_id": escalation.program_id,
        "breach_at": escalation.breach_at.isoformat().replace("+00:00", "Z"),
        "client_visible": escalation.client_visible,
        **extra,
    }
