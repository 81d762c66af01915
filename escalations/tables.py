"""The escalation list's table (django-tables2). Times are shown in the site's time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from escalations.choices import STATE_BADGES
from rollout.tables import OrgTable, status_badge


def age_text(since) -> str:
    if since is None:
        return "—"
    minutes = max(0, (timezone.now() - since).total_seconds() / 60)
    if minutes < 90:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.0f} h" if minutes < 48 * 60 else f"{minutes / 1440:.1f} d"


def site_time(value, site):
    if value is None:
        return "—"
    local = timezone.localtime(value, ZoneInfo(site.timezone))
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        local.strftime("%Y-%m-%d %H:%M %Z"),
        local.strftime("%b %-d %H:%M"),
    )


XL_ONLY = {"th": {"class": "d-none d-xxl-table-cell"}, "td": {"class": "d-none d-xxl-table-cell"}}


class EscalationTable(OrgTable):
    items_label = "escalations"
    state = tables.Column(verbose_name="State", order_by=("state",))
    rule = tables.Column(verbose_name="Rule", order_by=("rule",))
    work_order = tables.Column(
        verbose_name="Work order", accessor="work_order__number", order_by=("work_order__number",)
    )
    program = tables.Column(verbose_name="Program", accessor="program__code", orderable=False, attrs=XL_ONLY)
    level = tables.Column(verbose_name="Level", order_by=("level",))
    # Secondary columns give way on narrower desktops (the sidebar takes its share).

    breach_at = tables.Column(verbose_name="Breach", order_by=("breach_at",))
    age = tables.Column(verbose_name="Age", empty_values=(), order_by=("breach_at",))
    assignee = tables.Column(verbose_name="Assignee", accessor="assignee__email", orderable=False, attrs=XL_ONLY)

    class Meta(OrgTable.Meta):
        pass

    def render_state(self, record):
        tone, icon = STATE_BADGES[record.state]
        badge = status_badge(record.get_state_display(), tone, icon)
        if record.snoozed_until and record.snoozed_until > timezone.now() and record.state != "resolved":
            badge = format_html('{} <span class="badge text-bg-light" title="Snoozed">💤</span>', badge)
        return badge

    def render_rule(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>',
            self.org_url("escalations:escalation-detail", pk=record.pk),
            record.get_rule_display(),
        )

    def render_work_order(self, record):
        return format_html(
            '<a href="{}" title="Site {}">{}</a>',
            self.org_url("workorders:work-order-detail", pk=record.work_order_id),
            record.work_order.site.code,
            record.work_order.number,
        )

    def render_level(self, record):
        return format_html('<span class="text-nowrap">{} · {}</span>', record.level, record.get_level_role_display())

    def render_breach_at(self, record):
        return site_time(record.breach_at, record.work_order.site)

    def render_age(self, record):
        return age_text(record.breach_at if record.breach_at <= timezone.now() else None)
