"""The SLA policy as the sweep and the pages read it: for each rule, the organization's settings (or the rule's
defaults) and each program's override, validated the same way whoever writes them (page, API, demo)."""

from __future__ import annotations

from dataclasses import dataclass, field

from escalations import errors
from escalations.choices import LADDER_RANK, LadderRole
from escalations.models import SlaRule
from escalations.rules import RULES, Rule

MAX_DELAY_MINUTES = 30 * 24 * 60
MAX_THRESHOLD_MINUTES = 365 * 24 * 60


@dataclass(frozen=True)
class RuleSettings:
    """One rule's effective settings for the organization or one program."""

    rule: str
    enabled: bool
    threshold: int
    at_risk_minutes: int
    ladder: tuple  # of {"role", "delay_minutes"}
    client_visible: bool
    program_id: int | None = None
    stored: bool = False  # a row exists (otherwise the rule's defaults)

    @property
    def spec(self) -> Rule:
        return RULES[self.rule]

    def key(self) -> tuple:
        """What decides the sweep's cut-offs: programs sharing it share one condition."""
        return (self.enabled, self.threshold, self.at_risk_minutes)

    def level_role(self, level: int) -> str:
        return self.ladder[level - 1]["role"]

    def delay_to(self, level: int) -> int | None:
        """Minutes after level−1 was raised before `level` is raised; None past the top of the ladder."""
        return self.ladder[level - 1]["delay_minutes"] if level <= len(self.ladder) else None


def rule_defaults(rule: Rule) -> RuleSettings:
    return RuleSettings(
        rule=rule.key,
        enabled=True,
        threshold=rule.threshold,
        at_risk_minutes=rule.at_risk_minutes,
        ladder=tuple(dict(step) for step in rule.ladder),
        client_visible=False,
    )


def _settings(row: SlaRule) -> RuleSettings:
    return RuleSettings(
        rule=row.rule,
        enabled=row.enabled,
        threshold=row.threshold,
        at_risk_minutes=row.at_risk_minutes,
        ladder=tuple(row.ladder),
        client_visible=row.client_visible,
        program_id=row.program_id,
        stored=True,
    )


@dataclass
class Policy:
    """The organization's rules and the programs' overrides, read in one query."""

    organization: dict[str, RuleSettings]
    programs: dict[int, dict[str, RuleSettings]] = field(default_factory=dict)

    def for_program(self, rule: str, program_id: int | None) -> RuleSettings:
        return self.programs.get(program_id, {}).get(rule) or self.organization[rule]

    def overrides(self, rule: str) -> dict[int, RuleSettings]:
        return {pid: rules[rule] for pid, rules in self.programs.items() if rule in rules}


def policy_get(*, organization) -> Policy:
    """The effective policy of an organization (one query)."""
    org_rules = {key: rule_defaults(rule) for key, rule in RULES.items()}
    programs: dict[int, dict[str, RuleSettings]] = {}
    for row in SlaRule.objects.for_organization(organization).filter(rule__in=list(RULES)):
        if row.program_id is None:
            org_rules[row.rule] = _settings(row)
        else:
            programs.setdefault(row.program_id, {})[row.rule] = _settings(row)
    return Policy(organization=org_rules, programs=programs)


def ladder_validate(ladder, *, client_visible: bool) -> list[dict]:
    """A clean ladder, or a PolicyInvalid with a stable code: not empty, known roles, climbing only (no repeat,
    no way back down), the first delay 0 and each next one between 1 minute and 30 days."""
    if not isinstance(ladder, (list, tuple)) or not ladder:
        raise errors.LadderEmpty(field="ladder")
    clean, last_rank, seen = [], 0, set()
    for index, step in enumerate(ladder):
        role = step.get("role") if isinstance(step, dict) else None
        if role not in LadderRole.values:
            raise errors.LadderUnknownRole(f"Level {index + 1}: “{role}” is not a ladder role.", field="ladder")
        if role in seen or LADDER_RANK[role] <= last_rank:
            raise errors.LadderLoops(
                f"Level {index + 1} ({role}) repeats or goes back down the ladder.", field="ladder"
            )
        seen.add(role)
        last_rank = LADDER_RANK[role]
        delay = step.get("delay_minutes", 0 if index == 0 else None)
        if isinstance(delay, bool) or not isinstance(delay, int):
            raise errors.LadderBadDelay(
                f"Level {index + 1}: the delay must be a whole number of minutes.", field="ladder"
            )
        if (index == 0 and delay != 0) or (index > 0 and not 1 <= delay <= MAX_DELAY_MINUTES):
            raise errors.LadderBadDelay(field="ladder")
        if role == LadderRole.CLIENT and not client_visible:
            raise errors.ClientLevelNotVisible(field="ladder")
        clean.append({"role": role, "delay_minutes": delay})
    return clean


def threshold_validate(rule: Rule, threshold, at_risk_minutes) -> tuple[int, int]:
    for name, value in (("threshold", threshold), ("at_risk_minutes", at_risk_minutes)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise errors.NegativeThreshold(f"{name} must be a whole number.", field=name)
        if value < 0:
            raise errors.NegativeThreshold(f"{name} must be zero or more (got {value}).", field=name)
    if threshold * max(rule.unit_minutes, 1) > MAX_THRESHOLD_MINUTES or at_risk_minutes > MAX_THRESHOLD_MINUTES:
        raise errors.PolicyInvalid("Thresholds are at most a year.", field="threshold", code="threshold_too_large")
    return threshold, at_risk_minutes
