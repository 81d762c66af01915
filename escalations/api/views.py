"""API views of the escalations app: escalations (list with filters, detail with the timeline, acknowledge, assign,
snooze, resolve) and the SLA policy (the organization's rules, each program's overrides).

Roles: escalations are read by staff and integrators, and by client viewers for the client-visible ones of their own
programs; coordinators, PMs and admins act on them. The policy is read by staff and integrators and written by
admins and PMs. Another organization's escalation or program is a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from escalations import services
from escalations.api import serializers as s
from escalations.filtersets import EscalationFilterSet
from escalations.models import Escalation
from programs.models import Program
from rollout.api.base import OrgAPIView, OrgGenericViewSet
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_ROLES, Role

ACTION_ROLES = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": STAFF_ROLES}


@extend_schema(tags=["escalations"])
class EscalationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """SLA escalations: the current level of each breach (filters: state, program, rule, level, assignee, age), one
    escalation with its timeline, and the actions on it."""

    queryset = Escalation.objects.current().with_summary()
    serializer_class = s.EscalationSerializer
    filterset_class = EscalationFilterSet
    search_fields = ["work_order__number", "work_order__site__code"]
    ordering_fields = ["breach_at", "raised_at", "level", "state"]
    ordering = ["-breach_at", "-id"]
    roles = ACTION_ROLES

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action != "list":  # a climbed (lower) level is still readable and answerable by its id
            queryset = Escalation.objects.with_summary().visible_to(self.access) if self.access else queryset
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("timeline")
        return queryset

    def get_serializer_class(self):
        return s.EscalationDetailSerializer if self.action == "retrieve" else s.EscalationSerializer

    def _answer(self, escalation) -> Response:
        fresh = self.get_queryset().prefetch_related("timeline").get(pk=escalation.pk)
        return Response(s.EscalationDetailSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(
        request=s.EmptyInputSerializer,
        responses=s.EscalationDetailSerializer,
        description=(
            "Take the escalation on (who and when are recorded): its ladder stops climbing. Acknowledging twice "
            "changes nothing. 409 `escalation_not_raised` for an at-risk warning, `escalation_resolved` when resolved."
        ),
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        escalation = self.get_object()
        return self._answer(services.escalation_acknowledge(**self.service_kwargs(), escalation_id=escalation.pk))

    @extend_schema(
        request=s.EscalationAssignInputSerializer,
        responses=s.EscalationDetailSerializer,
        description="Assign to a coordinator, PM or admin (null unassigns). 400 `assignee_invalid`.",
    )
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        escalation = self.get_object()
        values = self.input(s.EscalationAssignInputSerializer)
        result = services.escalation_assign(
            **self.service_kwargs(), escalation_id=escalation.pk, assignee_id=values["assignee"]
        )
        return self._answer(result)

    @extend_schema(
        request=s.EscalationSnoozeInputSerializer,
        responses=s.EscalationDetailSerializer,
        description="Hold the ladder until `until` (within 30 days) with a `reason`. 400 `snooze_invalid`.",
    )
    @action(detail=True, methods=["post"])
    def snooze(self, request, pk=None):
        escalation = self.get_object()
        values = self.input(s.EscalationSnoozeInputSerializer)
        result = services.escalation_snooze(
            **self.service_kwargs(), escalation_id=escalation.pk, until=values["until"], reason=values["reason"]
        )
        return self._answer(result)

    @extend_schema(
        request=s.EscalationResolveInputSerializer,
        responses=s.EscalationDetailSerializer,
        description=(
            "Resolve every level of the breach with a `note` (400 `resolution_note_required` without); that "
            "episode (`occurrence`) never escalates again. 409 `escalation_resolved` when already resolved."
        ),
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        escalation = self.get_object()
        values = self.input(s.EscalationResolveInputSerializer)
        result = services.escalation_resolve(**self.service_kwargs(), escalation_id=escalation.pk, note=values["note"])
        return self._answer(result)


POLICY_ROLES = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}


def _rule_input(request) -> dict:
    data = s.SlaRuleInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _rule_or_404(rule: str) -> str:
    from escalations.rules import RULES

    if rule not in RULES:
        raise NotFound("No such rule.")
    return rule


@extend_schema(tags=["escalations"])
class SlaPolicyView(OrgAPIView):
    """The organization's SLA policy: every rule's settings (the defaults where none was saved)."""

    roles = POLICY_ROLES

    @extend_schema(responses=s.SlaRuleSerializer(many=True))
    def get(self, request):
        rules = services.policy_rules(organization=self.access.organization)
        return Response(s.SlaRuleSerializer(rules, many=True).data)


@extend_schema(tags=["escalations"])
class SlaRuleView(OrgAPIView):
    """One rule of the organization's SLA policy."""

    roles = POLICY_ROLES

    @extend_schema(responses=s.SlaRuleSerializer)
    def get(self, request, rule: str):
        rule = _rule_or_404(rule)
        rules = {r.rule: r for r in services.policy_rules(organization=self.access.organization)}
        return Response(s.SlaRuleSerializer(rules[rule]).data)

    @extend_schema(
        request=s.SlaRuleInputSerializer,
        responses=s.SlaRuleSerializer,
        description=(
            "Set the rule for the whole organization: on/off, threshold (in the rule's unit), at-risk lead (minutes), "
            "ladder (levels coordinator → pm → client or admin, each with its delay in minutes after the previous "
            "one) and client visibility. 400 `negative_threshold`, `ladder_empty`, `ladder_unknown_role`, "
            "`ladder_loops` (a level repeats or goes back down), `ladder_bad_delay`, `client_level_not_visible`."
        ),
    )
    def put(self, request, rule: str):
        rule = _rule_or_404(rule)
        values = _rule_input(request)
        services.sla_rule_update(**self.service_kwargs(), rule=rule, program_id=None, **values)
        return self.get(request, rule)


def _program_or_404(access, program_id) -> Program:
    program = Program.objects.visible_to(access).filter(pk=program_id).first()
    if program is None:
        raise NotFound("No such program.")
    return program


@extend_schema(tags=["escalations"])
class ProgramSlaPolicyView(OrgAPIView):
    """A program's effective SLA rules: its overrides (`overridden`) and the organization's rules otherwise."""

    roles = POLICY_ROLES

    @extend_schema(responses=s.SlaRuleSerializer(many=True))
    def get(self, request, program_id: int):
        program = _program_or_404(self.access, program_id)
        rules = services.policy_rules(organization=self.access.organization, program_id=program.pk)
        return Response(s.SlaRuleSerializer(rules, many=True).data)


@extend_schema(tags=["escalations"])
class ProgramSlaRuleView(OrgAPIView):
    """A program's override of one rule."""

    roles = POLICY_ROLES

    @extend_schema(responses=s.SlaRuleSerializer)
    def get(self, request, program_id: int, rule: str):
        program = _program_or_404(self.access, program_id)
        rule = _rule_or_404(rule)
        rules = {r.rule: r for r in services.policy_rules(organization=self.access.organization, program_id=program.pk)}
        return Response(s.SlaRuleSerializer(rules[rule]).data)

    @extend_schema(
        request=s.SlaRuleInputSerializer,
        responses=s.SlaRuleSerializer,
        description="Override the rule for this program (validated as the organization's rule is).",
    )
    def put(self, request, program_id: int, rule: str):
        program = _program_or_404(self.access, program_id)
        rule = _rule_or_404(rule)
        values = _rule_input(request)
        services.sla_rule_update(**self.service_kwargs(), rule=rule, program_id=program.pk, **values)
        return self.get(request, program_id, rule)

    @extend_schema(responses={204: None}, description="Drop the override: the program follows the organization's rule.")
    def delete(self, request, program_id: int, rule: str):
        program = _program_or_404(self.access, program_id)
        rule = _rule_or_404(rule)
        services.sla_override_delete(**self.service_kwargs(), rule=rule, program_id=program.pk)
        return Response(status=204)
