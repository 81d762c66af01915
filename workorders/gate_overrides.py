"""Writes of readiness-gate overrides: a PM or an admin lets a red gate pass with a written reason, or withdraws
that override (workorders.readiness judges the gates and shows the overrides on the checklist).

Each is one transaction that locks the work order row (refused as stale with `expected_version` when it changed),
records an audit event and bumps the work order's version."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from rollout.audit import audit_record
from rollout.choices import PLANNER_ROLES
from rollout.errors import ApplicationError, Conflict, InvalidTransition
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user
from workorders._common import _label, _lock_work_order, _touch
from workorders.choices import Gate, WorkOrderStatus
from workorders.errors import OverrideNotAllowed, ReasonRequired
from workorders.models import WorkOrder
from workorders.readiness import work_order_readiness

S = WorkOrderStatus
# Gates matter only before dispatch.
OVERRIDABLE = frozenset({S.DRAFT, S.READY, S.SCHEDULED, S.REWORK})


def _check_planner(actor) -> None:
    if isinstance(actor, Access) and actor.role not in PLANNER_ROLES:
        raise OverrideNotAllowed()


@transaction.atomic
def work_order_gate_override(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    gate: str,
    reason: str,
    expected_version: int | None = None,
) -> WorkOrder:
    """Let a red readiness gate pass, with a written reason (PMs and admins only; audited; shown on the
    checklist). One gate per call; a gate that is already green needs no override and is refused."""
    _check_planner(actor)
    if gate not in Gate.values:
        raise ApplicationError(f"“{gate}” is not a readiness gate.", field="gate", code="invalid_choice")
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise ReasonRequired("Write why this gate may be passed (at least a few words).", field="reason")
    work_order = _lock_work_order(organization, work_order_id, expected_version=expected_version)
    if work_order.status not in OVERRIDABLE:
        raise InvalidTransition(
            f"Work order {work_order.number} is {_label(work_order.status)}; gates matter only before dispatch.",
            code="not_overridable",
        )
    result = work_order_readiness(organization=organization, work_order=work_order).get(gate)
    if result is not None and result.passed:
        raise Conflict(f"The gate “{Gate(gate).label}” is already green; no override needed.", code="gate_green")
    before = dict(work_order.gate_overrides or {})
    user = actor_user(actor)
    work_order.gate_overrides = {
        **before,
        gate: {
            "reason": reason,
            "by_label": actor_label(actor)[:200],
            "by_user_id": user.pk if user else None,
            "at": timezone.now().isoformat(),
            "failing_reason": result.reason if result else "",
        },
    }
    _touch(work_order, "gate_overrides")
    audit_record(
        organization=organization,
        actor=actor,
        verb="work_order.gate_overridden",
        target=work_order,
        before={"gate": gate, "override": before.get(gate)},
        after={"gate": gate, "failing_reason": result.reason if result else ""},
        reason=reason,
    )
    return work_order


@transaction.atomic
def work_order_gate_override_revoke(
    *, organization: Organization, actor: Access | User | None, work_order_id: int, gate: str
) -> WorkOrder:
    """Withdraw an override: the gate is judged on its own again (PMs and admins only; audited)."""
    _check_planner(actor)
    work_order = _lock_work_order(organization, work_order_id)
    overrides = dict(work_order.gate_overrides or {})
    if gate not in overrides:
        raise ApplicationError("That gate has no override.", field="gate", code="no_override")
    removed = overrides.pop(gate)
    work_order.gate_overrides = overrides
    _touch(work_order, "gate_overrides")
    audit_record(
        organization=organization,
        actor=actor,
        verb="work_order.gate_override_revoked",
        target=work_order,
        before={"gate": gate, "override": removed},
        after={"gate": gate, "override": None},
    )
    return work_order
