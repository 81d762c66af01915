"""Tables of the quality pages (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from rollout.tables import WIDE_ONLY, OrgTable, action_link, status_badge, when


def age_text(submitted_at) -> str:
    if submitted_at is None:
        return "—"
    hours = (timezone.now() - submitted_at).total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.1f} d"


class ReviewQueueTable(OrgTable):
    items_label = "work orders"
    number = tables.Column(verbose_name="Work order", order_by=("number",))
    program = tables.Column(verbose_name="Program", accessor="program__code", orderable=False)
    site = tables.Column(verbose_name="Site", accessor="site__code", orderable=False)
    region = tables.Column(verbose_name="Region", accessor="site__state", orderable=False, attrs=WIDE_ONLY)
    technician = tables.Column(verbose_name="Technician", accessor="technician__full_name", orderable=False)
    vendor = tables.Column(verbose_name="Vendor", accessor="technician__vendor__name", orderable=False, attrs=WIDE_ONLY)
    submitted_at = tables.Column(verbose_name="Waiting", order_by=("submitted_at",))
    review = tables.Column(verbose_name="", empty_values=(), orderable=False)

    class Meta(OrgTable.Meta):
        pass

    def render_number(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>', self.org_url("quality:review", pk=record.pk), record.number
        )

    def render_site(self, record):
        return format_html("{} <span class='text-body-secondary small'>{}</span>", record.site.code, record.site.name)

    def render_submitted_at(self, record):
        waiting = format_html('<span title="{}">{}</span>', record.submitted_at, age_text(record.submitted_at))
        # The latest sampling draw (prefetched by the queue): work not drawn is accepted by the policy unless reviewed.
        draws = sorted(record.sampling_draws.all(), key=lambda draw: draw.round)
        if draws and not draws[-1].review_required and draws[-1].auto_accept_at:
            return format_html(
                '{}<span class="d-block small text-body-secondary" title="{}">not sampled · policy accepts {}</span>',
                waiting,
                draws[-1].reason,
                when(draws[-1].auto_accept_at),
            )
        return waiting

    def render_review(self, record):
        return action_link(self.org_url("quality:review", pk=record.pk), "Review", "clipboard-check", "primary")


BY = '{}<span class="d-block small text-body-secondary">by {}</span>'


class DefectCodeTable(OrgTable):
    items_label = "defect codes"
    code = tables.Column(verbose_name="Code")
    title = tables.Column(verbose_name="Title", attrs={"td": {"class": "cell-wrap"}})
    default_severity = tables.Column(verbose_name="Default severity", order_by=("default_severity", "code"))
    defects = tables.Column(verbose_name="Defects", accessor="defect_count", order_by=("-defect_count", "code"))
    active = tables.Column(verbose_name="Status", order_by=("-active", "code"))
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta(OrgTable.Meta):
        empty_text = "No defect codes match these filters."

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("actions")

    def render_code(self, value):
        return format_html("<code>{}</code>", value)

    def render_title(self, record):
        description = (
            format_html('<div class="small text-body-secondary">{}</div>', record.description)
            if record.description
            else ""
        )
        return format_html('<span class="fw-medium">{}</span>{}', record.title, description)

    def render_default_severity(self, record):
        tone, icon = {"minor": ("off", "dash-circle"), "critical": ("warn", "exclamation-octagon")}.get(
            record.default_severity, ("warn", "exclamation-diamond")
        )
        return status_badge(record.get_default_severity_display(), tone, icon)

    def render_active(self, value):
        return status_badge("Active", "ok", "check2-circle") if value else status_badge("Retired", "off", "archive")

    def render_actions(self, record):
        return action_link(
            self.org_url("quality:defect-code-edit", pk=record.pk), "Edit", "pencil", sr_suffix=record.code
        )


class DrftExclusionTable(OrgTable):
    items_label = "exclusions"
    work_order = tables.Column(verbose_name="Work order", accessor="work_order__number")
    program = tables.Column(verbose_name="Program", accessor="work_order__program__code", orderable=False)
    site = tables.Column(verbose_name="Site", accessor="work_order__site__code", orderable=False)
    cause = tables.Column(verbose_name="Cause")
    reason = tables.Column(verbose_name="Reason", orderable=False, attrs={"td": {"class": "cell-wrap"}})
    created_at = tables.Column(verbose_name="Classified")
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta(OrgTable.Meta):
        empty_text = "No exclusions match these filters."

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("actions")

    def render_work_order(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>',
            self.org_url("workorders:work-order-detail", pk=record.work_order_id),
            record.work_order.number,
        )

    def render_site(self, record):
        return format_html(
            "{} <span class='text-body-secondary small'>{}</span>",
            record.work_order.site.code,
            record.work_order.site.name,
        )

    def render_cause(self, record):
        return status_badge(record.get_cause_display(), "warn", "slash-circle")

    def render_created_at(self, record):
        by = record.created_by_label.split("@")[0] if record.created_by_label else "—"
        return format_html(
            '{}<span class="d-block small text-body-secondary">by {}</span>', when(record.created_at), by
        )

    def render_actions(self, record):
        return action_link(
            self.org_url("quality:exclusion-delete", pk=record.pk), "Count again", "arrow-counterclockwise", "danger"
        )


class WarrantyReportTable(OrgTable):
    items_label = "warranty reports"
    work_order = tables.Column(verbose_name="Work order", accessor="work_order__number")
    program = tables.Column(verbose_name="Program", accessor="work_order__program__code", orderable=False)
    site = tables.Column(verbose_name="Site", accessor="work_order__site__code", orderable=False)
    description = tables.Column(verbose_name="Problem", orderable=False, attrs={"td": {"class": "cell-wrap"}})
    window_ends_at = tables.Column(verbose_name="Warranty window ends", attrs=WIDE_ONLY)
    created_at = tables.Column(verbose_name="Reported")

    class Meta(OrgTable.Meta):
        empty_text = "No warranty reports match these filters."

    def render_work_order(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>',
            self.org_url("workorders:work-order-detail", pk=record.work_order_id),
            record.work_order.number,
        )

    def render_site(self, record):
        return format_html(
            "{} <span class='text-body-secondary small'>{}</span>",
            record.work_order.site.code,
            record.work_order.site.name,
        )

    def render_window_ends_at(self, value):
        return when(value)

    def render_created_at(self, record):
        by = record.reported_by_label.split("@")[0] if record.reported_by_label else "—"
        return format_html(
            '{}<span class="d-block small text-body-secondary">by {}</span>', when(record.created_at), by
        )
