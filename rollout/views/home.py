"""Where people land: `/` picks the organization, `/o/<org>/` is the role's home (apps add to it through
rollout.homes); plus the audit log."""

from __future__ import annotations

import csv
from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from rollout.audit_display import audit_changes, audit_kind, audit_line, audit_phrase
from rollout.choices import ALL_ROLES, STAFF_ROLES, Role
from rollout.filtersets import AuditEventFilterSet
from rollout.homes import home_context, home_is_offline, home_template
from rollout.models import ApiToken, AuditEvent, Client, Invitation, Membership
from rollout.selectors import memberships_for_user
from rollout.tables import AuditEventTable, OrgTableView
from rollout.views.base import OrgTemplateView

AUDIT_READERS = frozenset({Role.ADMIN, Role.PM})


def home_redirect(request):
    """Anonymous → sign in; one organization → its home; several → a picker; none → an explanation."""
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    memberships = list(memberships_for_user(request.user))
    if len(memberships) == 1:
        return redirect("core:org-home", org=memberships[0].organization.slug)
    template = "home/picker.html" if memberships else "home/no_organization.html"
    return render(request, template, {"memberships": memberships})


def org_now(organization) -> datetime:
    """Now, on the organization's wall clock (greetings and "today" are local to it)."""
    return timezone.now().astimezone(ZoneInfo(organization.timezone))


def greeting(now: datetime) -> str:
    return "Good morning" if now.hour < 12 else "Good afternoon" if now.hour < 18 else "Good evening"


# The technician's own pages (Today, Upcoming, their visit pages) carry this header: the field app's service
# worker (templates/field/sw.js) keeps only those for use without signal, never another page of the organization.
OFFLINE_HEADER = "X-Tutti-Offline"


def mark_offline(response):
    """Let the field app's service worker keep this page (a technician's own) on the phone."""
    response[OFFLINE_HEADER] = "keep"
    return response


class RoleHomeView(OrgTemplateView):
    """The home of each role: a dashboard for staff, the portal for clients; the apps add to it (rollout.homes),
    e.g. the technician's Today from workorders.field."""

    roles = {"read": ALL_ROLES}

    def get_template_names(self):
        contributed = home_template(self.access.role)
        if contributed:
            return [contributed]
        return ["home/client.html"] if self.access.role == Role.CLIENT else ["home/staff.html"]

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        return mark_offline(response) if home_is_offline(self.access.role) else response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        access, organization = self.access, self.access.organization
        now = org_now(organization)
        context.update(greeting=greeting(now), today=now)
        if access.role == Role.CLIENT:
            context["client"] = Client.objects.visible_to(access).first()
        elif access.role in STAFF_ROLES:
            context.update(self.staff_overview())
        context.update(home_context(access))  # what the apps built on the core add (rollout.homes)
        return context

    def staff_overview(self) -> dict:
        """Counts for the dashboard cards, and the latest activity for those who may read the audit log."""
        access = self.access
        overview = {
            "member_count": Membership.objects.visible_to(access).active().count(),
            "client_count": Client.objects.visible_to(access).count(),
        }
        if access.role == Role.ADMIN:
            overview["pending_invitation_count"] = Invitation.objects.visible_to(access).pending().count()
            overview["token_count"] = ApiToken.objects.visible_to(access).usable().count()
        if access.role in AUDIT_READERS:
            events = AuditEvent.objects.visible_to(access).select_related("actor_user").order_by("-created_at", "-id")
            slug = access.organization.slug
            overview["recent_events"] = [{"event": e, "line": audit_line(e, slug)} for e in events[:6]]
        return overview


class AuditLogView(OrgTableView):
    """The organization's audit trail, newest first, filtered with the API's FilterSet (by actor, action, object
    kind and time), each event as a sentence; `?format=csv` exports what the filters select."""

    template_name = "audit/list.html"
    queryset = AuditEvent.objects.select_related("actor_user").order_by("-created_at", "-id")
    filterset_class = AuditEventFilterSet
    table_class = AuditEventTable
    roles = {"read": AUDIT_READERS, "write": frozenset()}
    export_limit = 50_000

    def prepare_filter_form(self, form):
        known = AuditEvent.objects.visible_to(self.access).order_by()
        verbs = known.values_list("verb", flat=True).distinct().order_by("verb")[:300]
        kinds = known.values_list("target_type", flat=True).distinct().order_by("target_type")[:100]
        actors = (
            Membership.objects.visible_to(self.access).select_related("user").order_by("user__full_name", "user__email")
        )
        choose(form, "actor", "Who", [(m.user_id, m.user.display_name) for m in actors], "Anyone")
        choose(
            form,
            "verb",
            "Action",
            sorted(((v, audit_phrase(v).capitalize()) for v in verbs), key=lambda c: c[1]),
            "Any action",
        )
        choose(
            form,
            "target_type",
            "Object",
            sorted(((k, audit_kind(k).capitalize()) for k in kinds), key=lambda c: c[1]),
            "Any object",
        )
        for name, label in (("since", "From"), ("until", "Before")):
            form.fields[name].label = label
            form.fields[name].widget = forms.DateTimeInput(attrs={"type": "datetime-local"})

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv":
            return self.export_csv()
        return super().get(request, *args, **kwargs)

    def export_csv(self) -> HttpResponse:
        slug = self.access.organization.slug
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{slug}-audit-log.csv"'
        writer = csv.writer(response)
        writer.writerow(["when", "actor", "action", "object", "object id", "what", "changes", "reason"])
        for event in self.get_queryset()[: self.export_limit]:
            line = audit_line(event, slug)
            changes = "; ".join(
                f"{name}: {before} → {after}" if had else f"{name}: {after}"
                for name, before, after, had in audit_changes(event)
            )
            writer.writerow(
                [
                    timezone.localtime(event.created_at).isoformat(timespec="seconds"),
                    line.actor,
                    event.verb,
                    event.target_type,
                    event.target_id,
                    f"{line.actor} {line.phrase} {line.label}",
                    changes,
                    event.reason,
                ]
            )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query["format"] = "csv"
        context["export_csv_url"] = f"{self.request.path}?{query.urlencode()}"
        return context


def choose(form, name: str, label: str, choices, empty: str) -> None:
    """Show a free-text filter of the API as a choice of the values that exist."""
    form.fields[name].label = label
    form.fields[name].widget = forms.Select(choices=[("", empty), *choices])
