"""Tables of the browser UI (django-tables2) and `OrgTableView`, the scoped list page that renders one.

A list page = OrgListView (role check + `visible_to(access)` scoping) + the FilterSet the API uses
for the same list + a sortable, paginated table. Concrete pages declare model, roles, filterset,
table and template, nothing else.
"""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django_tables2.views import SingleTableMixin

from rollout.audit_display import audit_changes, audit_line
from rollout.forms import style_form
from rollout.models import ApiToken, AuditEvent, Membership
from rollout.views.base import OrgListView


def role_badge(value: str, label: str):
    return format_html('<span class="badge rounded-pill role-badge role-{}">{}</span>', value, label)


def status_badge(label: str, tone: str, icon: str):
    return format_html(
        '<span class="status status-{}"><i class="bi bi-{}" aria-hidden="true"></i> {}</span>', tone, icon, label
    )


# Columns that step aside on narrow screens (the phone-sized staff shell).
WIDE_ONLY = {"th": {"class": "d-none d-md-table-cell"}, "td": {"class": "d-none d-md-table-cell"}}


def when(value, empty: str = "—"):
    """A short date with the exact time in a tooltip (and for screen readers via <time>)."""
    if value is None:
        return format_html('<span class="text-body-tertiary">{}</span>', empty)
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%Y-%m-%d %H:%M %Z"),
        local.strftime("%b %-d, %Y"),
    )


def action_link(url: str, label: str, icon: str, tone: str = "secondary", sr_suffix: str = ""):
    return format_html(
        '<a class="btn btn-sm btn-outline-{} text-nowrap" href="{}"><i class="bi bi-{}" aria-hidden="true"></i> {}'
        '<span class="visually-hidden"> {}</span></a>',
        tone,
        url,
        icon,
        label,
        sr_suffix,
    )


class OrgTable(tables.Table):
    """Base table: our Bootstrap template, and the organization for building row links."""

    items_label = "results"  # what the pagination counts: "Showing 1–50 of 120 members"

    def __init__(self, *args, organization=None, can_write: bool = False, **kwargs):
        self.organization = organization
        self.can_write = can_write
        super().__init__(*args, **kwargs)

    class Meta:
        template_name = "components/table.html"
        attrs = {"class": "table table-hover align-middle mb-0"}

    def org_url(self, name: str, **kwargs) -> str:
        return reverse(name, kwargs={"org": self.organization.slug, **kwargs})


class OrgTableView(SingleTableMixin, OrgListView):
    """A scoped, filtered, sortable, paginated list page. Pagination is the table's (one count, one page)."""

    filterset_class = None
    paginate_by = None  # ListView must not paginate a second time
    table_pagination = {"per_page": 50}

    def get_queryset(self):
        queryset = super().get_queryset()
        self.filterset = None
        if self.filterset_class is None:
            return queryset
        self.filterset = self.filterset_class(self.request.GET or None, queryset=queryset, request=self.request)
        self.prepare_filter_form(self.filterset.form)
        valid = not self.filterset.is_bound or self.filterset.is_valid()
        style_form(self.filterset.form)
        return self.filterset.qs if valid else queryset.none()

    def prepare_filter_form(self, form) -> None:
        """Hook: labels, placeholders and "any" choices of the filter bar (the FilterSet stays the API's)."""

    def get_table_kwargs(self):
        return {"organization": self.access.organization, "can_write": self.can_write()}

    def filters_active(self) -> bool:
        if self.filterset is None:
            return False
        return any(self.request.GET.get(name) for name in self.filterset.form.fields)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = self.filterset
        context["filters_active"] = self.filters_active()
        return context


# --- Members --------------------------------------------------------------------------------------


class MembershipTable(OrgTable):
    name = tables.Column(verbose_name="Name", accessor="user__full_name", order_by=("user__full_name", "user__email"))
    email = tables.Column(verbose_name="E-mail", accessor="user__email", attrs=WIDE_ONLY)
    role = tables.Column(verbose_name="Role")
    client = tables.Column(verbose_name="Client", accessor="client__name", default="—", attrs=WIDE_ONLY)
    status = tables.Column(verbose_name="Status", accessor="is_active", order_by=("-is_active", "user__email"))
    joined = tables.Column(verbose_name="Joined", accessor="created_at", attrs=WIDE_ONLY)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta(OrgTable.Meta):
        model = Membership
        fields = ()
        sequence = ("name", "email", "role", "client", "status", "joined", "actions")
        empty_text = "No members match these filters."

    items_label = "members"

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("actions")

    def render_name(self, record):
        user = record.user
        initials = "".join(part[0] for part in (user.full_name or user.email).split()[:2]).upper()
        return format_html(
            '<span class="d-inline-flex align-items-center gap-2"><span class="avatar" aria-hidden="true">{}</span>'
            '<span><span class="d-block fw-medium">{}</span>'
            '<span class="d-block d-md-none small text-body-secondary">{}</span></span></span>',
            initials,
            user.display_name,
            user.email,
        )

    def render_email(self, value):
        return format_html(
            '<a class="link-body-emphasis link-underline-opacity-0 link-underline-opacity-75-hover"'
            ' href="mailto:{}">{}</a>',
            value,
            value,
        )

    def render_role(self, record):
        return role_badge(record.role, record.get_role_display())

    def render_status(self, value):
        return (
            status_badge("Active", "ok", "check-circle-fill")
            if value
            else status_badge("Deactivated", "off", "slash-circle")
        )

    def render_joined(self, value):
        return when(value)

    def render_actions(self, record):
        url = self.org_url("core:member-edit", pk=record.pk)
        return action_link(url, "Edit", "pencil", sr_suffix=record.user.email)


# --- API tokens -----------------------------------------------------------------------------------


class ApiTokenTable(OrgTable):
    name = tables.Column(verbose_name="Name")
    role = tables.Column(verbose_name="Role")
    prefix = tables.Column(verbose_name="Key", orderable=False)
    created_at = tables.Column(verbose_name="Created", attrs=WIDE_ONLY)
    expires_at = tables.Column(verbose_name="Expires", empty_values=(), attrs=WIDE_ONLY)
    last_used_at = tables.Column(verbose_name="Last used", empty_values=())
    status = tables.Column(verbose_name="Status", empty_values=(), orderable=False)
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta(OrgTable.Meta):
        model = ApiToken
        fields = ()
        sequence = (
            "name",
            "role",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "status",
            "actions",
        )
        empty_text = "No tokens match these filters."

    items_label = "tokens"

    def render_name(self, record):
        # A client token names its client; a technician's personal token, whom it acts as.
        owner = record.client.name if record.client else (f"Acts as {record.user.email}" if record.user else "")
        detail = format_html('<div class="small text-body-secondary">{}</div>', owner) if owner else ""
        return format_html('<span class="fw-medium">{}</span>{}', record.name, detail)

    def render_role(self, record):
        return role_badge(record.role, record.get_role_display())

    def render_prefix(self, value):
        return format_html('<code class="token-prefix">tutti_{}_…</code>', value)

    def render_created_at(self, record):
        author = record.created_by.display_name if record.created_by else "a script"
        return format_html('{}<div class="small text-body-secondary">by {}</div>', when(record.created_at), author)

    def render_expires_at(self, value):
        return when(value, empty="Never")

    def render_last_used_at(self, value):
        return when(value, empty="Never used")

    def render_status(self, record):
        if record.revoked_at:
            return status_badge("Revoked", "off", "x-circle")
        if not record.is_usable:
            return status_badge("Expired", "warn", "hourglass-bottom")
        return status_badge("Active", "ok", "check-circle-fill")

    def render_actions(self, record):
        if record.revoked_at:
            return ""
        url = self.org_url("core:api-token-revoke", pk=record.pk)
        return action_link(url, "Revoke", "x-lg", tone="danger", sr_suffix=record.name)


# --- Audit log ------------------------------------------------------------------------------------


def _short(value) -> str:
    text = "—" if value in (None, "") else str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class AuditEventTable(OrgTable):
    """Each event as a sentence ("Priya Patel approved SOW sco-2026 v2", linked to its page), on the viewer's
    organization clock, with only the fields that really changed."""

    created_at = tables.Column(verbose_name="When")
    what = tables.Column(
        verbose_name="What happened", empty_values=(), orderable=False, attrs={"td": {"class": "cell-wrap"}}
    )
    changes = tables.Column(
        verbose_name="Changes", empty_values=(), orderable=False, attrs={"td": {"class": "cell-wrap"}}
    )

    class Meta(OrgTable.Meta):
        model = AuditEvent
        fields = ()
        sequence = ("created_at", "what", "changes")
        empty_text = "No events match these filters."

    items_label = "events"

    def render_created_at(self, value):
        local = timezone.localtime(value)
        return format_html(
            '<time class="text-nowrap" datetime="{}">{}</time>',
            value.isoformat(),
            local.strftime("%b %-d, %Y %H:%M %Z"),
        )

    def render_what(self, record):
        line = audit_line(record, self.organization.slug)
        target = format_html('<a href="{}">{}</a>', line.url, line.label) if line.url else line.label
        reason = format_html('<div class="small text-body-secondary">{}</div>', record.reason) if record.reason else ""
        return format_html('<span class="fw-medium">{}</span> {} {}{}', line.actor, line.phrase, target, reason)

    def render_changes(self, record):
        changes = audit_changes(record)
        if not changes:
            return format_html('<span class="text-body-tertiary">{}</span>', "—")
        rows = format_html_join(
            "",
            '<li><span class="text-body-secondary">{}:</span> {}</li>',
            (
                (name, format_html("<del>{}</del> → {}", _short(before), _short(after)) if had else _short(after))
                for name, before, after, had in changes
            ),
        )
        return format_html('<ul class="list-unstyled small mb-0 changes">{}</ul>', rows)
