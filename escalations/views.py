"""Escalation pages: the list (tabs by state, filters, sorting, pagination), one escalation with its levels and
timeline and the actions (acknowledge, assign, snooze, resolve — POST forms), and the SLA policy editor (rules
with toggles, thresholds and ladders; per-program overrides).

Reads: staff and integrators, and client viewers for the client-visible escalations of their own programs; actions:
coordinators, PMs and admins; the policy: admins and PMs edit it. Every lookup goes through `visible_to`, so another
organization's escalation is a 404."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import urlencode

from escalations import selectors, services
from escalations.choices import EscalationState, LadderRole
from escalations.filtersets import EscalationFilterSet
from escalations.models import Escalation
from escalations.rules import RULES
from escalations.tables import EscalationTable
from programs.models import Program
from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError
from rollout.models import Membership
from rollout.tables import OrgTableView
from rollout.views.base import OrgTemplateView

READ = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": STAFF_ROLES}
TABS = [
    ("open", "Open"),
    ("at_risk", "At risk"),
    ("acknowledged", "Acknowledged"),
    ("resolved", "Resolved"),
    ("", "All"),
]


class EscalationListView(OrgTableView):
    """The current level of each breach, by state tab, with filters (program, rule, level, age, assignee)."""

    model = Escalation
    template_name = "escalations/list.html"
    filterset_class = EscalationFilterSet
    table_class = EscalationTable
    roles = READ

    def get_queryset(self):
        return super().get_queryset().current().with_summary().order_by("-breach_at", "-id")

    def prepare_filter_form(self, form):
        form.fields["state"].widget = form.fields["state"].hidden_widget()

    def filters_active(self) -> bool:
        return any(self.request.GET.get(name) for name in self.filterset.form.fields if name != "state")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        current = self.request.GET.get("state", "")
        others = {k: v for k, v in self.request.GET.items() if k not in ("state", "page")}
        context.update(
            tabs=[
                {"key": key, "label": label, "active": key == current, "query": urlencode({**others, "state": key})}
                for key, label in TABS
            ],
            state=current,
        )
        return context


def _site_local(value, work_order) -> str:
    if value is None:
        return ""
    return timezone.localtime(value, ZoneInfo(work_order.site.timezone)).strftime("%Y-%m-%dT%H:%M")


class EscalationDetailView(OrgTemplateView):
    """One escalation: its breach, every level with its timeline, and the actions."""

    template_name = "escalations/detail.html"
    roles = READ

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        escalation = selectors.escalation_get(access=self.access, pk=self.kwargs["pk"])
        if escalation is None:
            raise Http404("No such escalation.")
        levels = selectors.escalation_levels(access=self.access, escalation=escalation)
        zone = ZoneInfo(escalation.work_order.site.timezone)
        staff = (
            Membership.objects.for_organization(self.access.organization)
            .filter(is_active=True, role__in=STAFF_ROLES)
            .select_related("user")
            .order_by("user__email")
        )
        context.update(
            escalation=escalation,
            levels=levels,
            rule=RULES[escalation.rule],
            zone=zone,
            zone_name=escalation.work_order.site.timezone,
            staff=staff,
            snooze_default=_site_local(timezone.now() + timezone.timedelta(hours=2), escalation.work_order),
            can_act=self.can_write() and escalation.state != EscalationState.RESOLVED,
            can_acknowledge=self.can_write() and escalation.state == EscalationState.OPEN,
        )
        return context


class EscalationActionView(OrgTemplateView):
    """POST one action on an escalation; errors come back as a message on the detail page."""

    roles = {"read": STAFF_ROLES, "write": STAFF_ROLES}
    VERBS = ("acknowledge", "assign", "snooze", "resolve")

    def get(self, request, *args, **kwargs):
        return HttpResponseRedirect(self.org_url("escalations:escalation-detail", pk=kwargs["pk"]))

    def post(self, request, *args, **kwargs):
        verb = kwargs["verb"]
        if verb not in self.VERBS:
            raise Http404("No such action.")
        escalation = self.visible_or_404(
            Escalation.objects.select_related("work_order__site"), kwargs["pk"], "escalation"
        )
        back = self.org_url("escalations:escalation-detail", pk=escalation.pk)
        data = request.POST
        try:
            if verb == "acknowledge":
                services.escalation_acknowledge(**self.service_kwargs(), escalation_id=escalation.pk)
                messages.success(request, "Acknowledged: the ladder stops here.")
            elif verb == "assign":
                raw = data.get("assignee", "")
                assignee = int(raw) if raw.isdigit() else None
                services.escalation_assign(**self.service_kwargs(), escalation_id=escalation.pk, assignee_id=assignee)
                messages.success(request, "Assigned." if assignee else "Unassigned.")
            elif verb == "snooze":
                until = _parse_local(data.get("until", ""), escalation.work_order.site.timezone)
                services.escalation_snooze(
                    **self.service_kwargs(), escalation_id=escalation.pk, until=until, reason=data.get("reason", "")
                )
                messages.success(request, "Snoozed.")
            else:
                services.escalation_resolve(
                    **self.service_kwargs(), escalation_id=escalation.pk, note=data.get("note", "")
                )
                messages.success(request, "Resolved.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(back)


def _parse_local(value: str, zone_name: str):
    try:
        naive = datetime.fromisoformat(value)
    except ValueError:
        return None
    return naive.replace(tzinfo=ZoneInfo(zone_name)) if naive.tzinfo is None else naive


LADDER_SLOTS = 3


class SlaPolicyView(OrgTemplateView):
    """The SLA policy: each rule on/off with its threshold, at-risk lead, ladder and client visibility, for the
    organization or (?program=) as one program's override."""

    template_name = "escalations/policy.html"
    roles = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}

    def program(self):
        raw = self.request.GET.get("program") or self.request.POST.get("program") or ""
        if not raw:
            return None
        return self.visible_or_404(Program.objects, raw, "program")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        program = self.program()
        rules = services.policy_rules(organization=self.access.organization, program_id=program.pk if program else None)
        rows = []
        for settings in rules:
            spec = RULES[settings.rule]
            ladder = list(settings.ladder) + [{"role": "", "delay_minutes": ""}] * (LADDER_SLOTS - len(settings.ladder))
            rows.append({"settings": settings, "spec": spec, "ladder": ladder[:LADDER_SLOTS]})
        context.update(
            program=program,
            rows=rows,
            programs=Program.objects.visible_to(self.access).order_by("code"),
            roles=LadderRole.choices,
        )
        return context

    def post(self, request, *args, **kwargs):
        program = self.program()
        data = request.POST
        rule = data.get("rule", "")
        back = request.path + (f"?program={program.pk}" if program else "")
        try:
            if data.get("reset") and program is not None:
                services.sla_override_delete(**self.service_kwargs(), rule=rule, program_id=program.pk)
                messages.success(request, "Override removed: the program follows the organization's rule.")
                return HttpResponseRedirect(back)
            ladder = []
            for slot in range(1, LADDER_SLOTS + 1):
                role = data.get(f"role_{slot}", "")
                if not role:
                    continue
                delay = data.get(f"delay_{slot}", "0" if slot == 1 else "")
                ladder.append({"role": role, "delay_minutes": _int(delay)})
            services.sla_rule_update(
                **self.service_kwargs(),
                rule=rule,
                program_id=program.pk if program else None,
                enabled=data.get("enabled") == "on",
                threshold=_int(data.get("threshold", "")),
                at_risk_minutes=_int(data.get("at_risk_minutes", "")),
                ladder=ladder,
                client_visible=data.get("client_visible") == "on",
            )
            title = RULES[rule].title if rule in RULES else rule
            messages.success(request, f"Saved “{title}”.")
        except ApplicationError as exc:
            messages.error(request, f"Not saved: {exc.message} ({exc.code})")
        return HttpResponseRedirect(back)


def _int(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return value if isinstance(value, int) else None
