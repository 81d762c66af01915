"""Errors of the escalations app, each with a stable `code`."""

from rollout.errors import ApplicationError, Conflict


class PolicyInvalid(ApplicationError):
    code = "sla_policy_invalid"
    status_code = 400


class NegativeThreshold(PolicyInvalid):
    code = "negative_threshold"
    default_message = "Thresholds and lead times must be zero or more."


class LadderEmpty(PolicyInvalid):
    code = "ladder_empty"
    default_message = "A ladder needs at least one level."


class LadderUnknownRole(PolicyInvalid):
    code = "ladder_unknown_role"
    default_message = "A ladder level must be coordinator, pm, client or admin."


class LadderLoops(PolicyInvalid):
    code = "ladder_loops"
    default_message = "A ladder climbs: no level may repeat or come back to a lower one."


class LadderBadDelay(PolicyInvalid):
    code = "ladder_bad_delay"
    default_message = "Each level after the first waits between 1 minute and 30 days; the first waits 0."


class ClientLevelNotVisible(PolicyInvalid):
    code = "client_level_not_visible"
    default_message = "A ladder that reaches client contacts needs the rule to be client-visible."


class EscalationResolved(Conflict):
    code = "escalation_resolved"
    default_message = "This escalation is already resolved."


class EscalationNotRaised(Conflict):
    code = "escalation_not_raised"
    default_message = "An at-risk warning is not an escalation yet: nothing to acknowledge."


class SnoozeInvalid(ApplicationError):
    code = "snooze_invalid"
    default_message = "Snooze until a time in the next 30 days, with a reason."


class AssigneeInvalid(ApplicationError):
    code = "assignee_invalid"
    default_message = "Assign to an active coordinator, PM or admin of this organization."


class ResolutionNoteRequired(ApplicationError):
    code = "resolution_note_required"
    default_message = "Say how it was resolved."
