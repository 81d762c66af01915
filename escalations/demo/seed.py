"""Demo SLA policy and escalations for `seed_demo`, produced by the real sweep over the demo day.

Every demo organization gets a policy (the organization's rules, with confirmations due 24 hours before the window
and a warning 6 hours ahead, the morning before); Northwind's pilot program overrides the missed check-in rule to
reach Harbor Foods' contact 4 hours after the PM and be client-visible. Then the sweep runs over Northwind's demo
visits every quarter of an hour of the last seven hours, as beat would have (workorders.demo.day places the visits
for it, whatever the hour): the late visit's missed check-in is raised after its deadline and climbs to level 2
(the PM) 30 minutes later; a scheduled visit is at risk of going unconfirmed; the crew confirms another one
through the field service and the last sweep resolves its escalation by itself; the coordinator acknowledges the
no-show.

Idempotent: nothing happens once the organization has an escalation. Skips quietly without the visit demo."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta

from django.utils import timezone

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation, SlaRule
from escalations.services import escalation_acknowledge, sla_rule_update
from escalations.sweep import escalations_sweep
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.models import Membership
from rollout.tenancy import Access
from workorders.choices import VisitStatus
from workorders.demo.work_orders import demo_rollout
from workorders.models import Visit
from workorders.visits.services import field_actions

FAST = [{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 30}]
# The sweep is run every SWEEP_STEP over the last SWEEP_SPAN, oldest first, as the minute beat would have seen it.
SWEEP_STEP, SWEEP_SPAN = timedelta(minutes=15), timedelta(hours=7)


def _access(organization, role) -> Access | None:
    membership = (
        Membership.objects.for_organization(organization)
        .filter(role=role, is_active=True)
        .select_related("user")
        .first()
    )
    if membership is None:
        return None
    return Access(organization=organization, role=role, user=membership.user, membership=membership)


def _policy(organization, admin: Access) -> None:
    if SlaRule.objects.for_organization(organization).exists():
        return
    sla_rule_update(
        organization=organization,
        actor=admin,
        rule=RuleKey.NO_CONFIRMATION,
        enabled=True,
        threshold=24,
        at_risk_minutes=360,
        ladder=[*FAST, {"role": "admin", "delay_minutes": 120}],
        client_visible=False,
    )
    sla_rule_update(
        organization=organization,
        actor=admin,
        rule=RuleKey.REVIEW_OVERDUE,
        enabled=True,
        threshold=24,
        at_risk_minutes=240,
        ladder=[{"role": "coordinator", "delay_minutes": 0}, {"role": "pm", "delay_minutes": 240}],
        client_visible=False,
    )


def seed(demo: DemoContext) -> None:
    for organization in demo.organizations.values():
        admin = _access(organization, Role.ADMIN)
        if admin is not None:
            _policy(organization, admin)
    rollout = demo_rollout(demo)
    if rollout is None:
        return
    organization = rollout.organization
    if Escalation.objects.for_organization(organization).exists():
        return
    visits = Visit.objects.for_organization(organization).filter(work_order__program=rollout.program)
    if not visits.exists():
        return
    sla_rule_update(
        organization=organization,
        actor=rollout.actor,
        rule=RuleKey.NO_CHECK_IN,
        program_id=rollout.program.pk,
        enabled=True,
        threshold=0,
        at_risk_minutes=10,
        ladder=[*FAST, {"role": "client", "delay_minutes": 240}],
        client_visible=True,
    )
    now = timezone.now()
    for step in range(SWEEP_SPAN // SWEEP_STEP, 0, -1):
        escalations_sweep(organization=organization, now=now - step * SWEEP_STEP)
    # The technician confirms the soonest upcoming visit whose confirmation is overdue: the next sweep resolves it.
    overdue = (
        Escalation.objects.for_organization(organization)
        .filter(rule=RuleKey.NO_CONFIRMATION, state=EscalationState.OPEN, visit__status=VisitStatus.SCHEDULED)
        .filter(visit__window_start__gt=now)
        .select_related("visit__technician")
        .order_by("breach_at")
        .first()
    )
    if overdue is not None:
        technician = overdue.visit.technician
        actor = (
            Access(organization=organization, role=Role.TECHNICIAN, user=technician.user)
            if technician.user_id
            else Access(organization=organization, role=Role.INTEGRATOR)
        )
        with contextlib.suppress(ApplicationError):  # a refusal leaves the escalation open: still a demo
            field_actions.visit_confirm(
                organization=organization,
                actor=actor,
                visit_id=overdue.visit_id,
                client_action_id=f"demo-{uuid.uuid4()}",
                device_time=now,
            )
    escalations_sweep(organization=organization, now=now)
    coordinator = _access(organization, Role.COORDINATOR)
    no_show = (
        Escalation.objects.for_organization(organization)
        .current()
        .filter(rule=RuleKey.NO_SHOW, state=EscalationState.OPEN)
        .first()
    )
    if coordinator is not None and no_show is not None:
        escalation_acknowledge(organization=organization, actor=coordinator, escalation_id=no_show.pk)
