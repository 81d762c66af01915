"""How an audit event reads to people: a sentence ("Priya Patel approved SOW sco-2026 v2"), a link to its object,
and only the changes that really changed. The audit log and the home's activity feed show events this way.

Apps say where their objects' pages are from their `AppConfig.ready()`:
`audit_link_register("workorders.workorder", "workorders:work-order-detail")` (a URL name taking `org` and `pk`);
an object without a page of its own links to its parent's, named by a key of the event's data
(`audit_link_register("programs.sowtask", "programs:sow-detail", via="sow")`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import NoReverseMatch, reverse

# Nouns that do not read well from their code.
NOUNS = {
    "api_token": "API token",
    "qa_review": "the work of",
    "sow": "SOW",
    "sow_task": "SOW task",
    "sow_material": "SOW material",
    "drft": "DRFT",
    "packet_job": "packet generation",
}
# Verbs whose sentence is not "<verb> <noun>".
PHRASES = {
    "program.course_required": "required a course on program",
    "program.course_requirement_removed": "removed a course requirement from program",
    "work_order.gate_overridden": "overrode a readiness gate on work order",
    "work_order.gate_override_revoked": "revoked a gate override on work order",
    "work_order.site_contact_confirmed": "confirmed the site contact of work order",
    "work_order.bulk_created": "created work orders in bulk for",
    "sow.draft_created": "drafted a new version of SOW",
    "sow.tasks_reordered": "reordered the tasks of SOW",
    "site_import.commit_requested": "asked to commit site import",
    "site_import.uploaded": "uploaded site import",
    "site_import.committed": "committed site import",
    "packet.render_failed": "could not render packet",
    "packet_job.created": "started packet generation for",
    "packet_job.finished": "finished packet generation for",
    "drft.excluded": "excluded from DRFT",
    "drft.exclusion_cleared": "cleared the DRFT exclusion of",
    "visit.no_show": "recorded a no-show on visit",
    "warranty.reported": "reported a warranty return on",
}
ACTIONS = {"transitioned": "moved", "added": "added", "removed": "removed"}

_LINKS: dict[str, tuple[str, str | None]] = {}


def audit_link_register(target_type: str, url_name: str, *, via: str | None = None) -> None:
    """Link events about `target_type` (an app_label.model) to the page `url_name` (kwargs org, pk): the object's
    own, or with `via` its parent's, whose id the event's data holds under that key (no link when it does not)."""
    _LINKS[target_type] = (url_name, via)


def audit_phrase(verb: str) -> str:
    """What the actor did, as the words between the actor and the object: "approved SOW"."""
    if verb in PHRASES:
        return PHRASES[verb]
    noun_code, _, action = verb.partition(".")
    noun = NOUNS.get(noun_code, noun_code.replace("_", " "))
    action = ACTIONS.get(action, action.replace("_", " "))
    return f"{action} {noun}".strip()


def audit_kind(target_type: str) -> str:
    """The object's kind in words ("visit"), from its model."""
    try:
        return str(apps.get_model(target_type)._meta.verbose_name)
    except (LookupError, ValueError):
        return target_type.rpartition(".")[2]


def audit_link(event, organization_slug: str) -> str | None:
    if event.target_type not in _LINKS:
        return None
    url_name, via = _LINKS[event.target_type]
    pk = event.target_id if via is None else (event.after or {}).get(via, (event.before or {}).get(via))
    if pk is None or not str(pk).isdigit():
        return None
    try:
        return reverse(url_name, kwargs={"org": organization_slug, "pk": int(pk)})
    except NoReverseMatch:
        return None


def audit_changes(event) -> list[tuple[str, object, object, bool]]:
    """(field in words, before, after, has_before) for the fields that really changed."""
    before, after = event.before or {}, event.after or {}
    changes = []
    for key in dict.fromkeys([*before, *after]):
        if key in before and key in after and before[key] == after[key]:
            continue
        changes.append((key.replace("_", " "), before.get(key), after.get(key, before.get(key)), key in before))
    return changes


@dataclass(frozen=True)
class AuditLine:
    actor: str
    phrase: str
    label: str
    kind: str
    url: str | None


def audit_line(event, organization_slug: str) -> AuditLine:
    actor = event.actor_label if event.actor_label and event.actor_label != "system" else "Tutti"
    if event.actor_user_id and not event.actor_token_id and event.actor_user is not None:
        actor = event.actor_user.display_name or actor
    return AuditLine(
        actor=actor,
        phrase=audit_phrase(event.verb),
        label=event.target_label or f"#{event.target_id}",
        kind=audit_kind(event.target_type),
        url=audit_link(event, organization_slug),
    )
