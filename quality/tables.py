"""Tables of the quality pages (django-tables2)."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html

from rollout.tables import WIDE_ONLY, OrgTable, action_link


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
        return format_html('<span title="{}">{}</span>', record.submitted_at, age_text(record.submitted_at))

    def render_review(self, record):
        return action_link(self.org_url("quality:review", pk=record.pk), "Review", "clipboard-check", "primary")
