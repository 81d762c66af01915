"""Tables of the work order pages (django-tables2), on the UI shell's OrgTable."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from rollout.tables import WIDE_ONLY, OrgTable, status_badge
from workorders.choices import STATUS_BADGES
from workorders.models import WorkOrder
from workorders.readiness import local_window, work_orders_readiness

SELECT_HEADER = mark_safe(
    '<input class="form-check-input" type="checkbox" data-select-all aria-label="Select every work order on this page">'
)
SELECT_ATTRS = {"th": {"class": "select-col"}, "td": {"class": "select-col"}}


def work_order_status_badge(status: str, label: str):
    tone, icon = STATUS_BADGES.get(status, ("off", "circle"))
    return status_badge(label, tone, icon)


def readiness_badge(readiness):
    """“Ready” when every gate is green, else how many of the gates are green (the red ones in the tooltip)."""
    if readiness is None:
        return ""
    if readiness.ready:
        return status_badge("Ready", "ok", "shield-check")
    red = ", ".join(gate.label for gate in readiness.red)
    return format_html(
        '<span class="status status-warn" title="Red: {}"><i class="bi bi-shield-exclamation" aria-hidden="true"></i> '
        '{}/{} gates<span class="visually-hidden"> green; red: {}</span></span>',
        red,
        readiness.green_count,
        len(readiness.gates),
        red,
    )


class WorkOrderTable(OrgTable):
    select = tables.Column(verbose_name=SELECT_HEADER, empty_values=(), orderable=False, attrs=SELECT_ATTRS)
    number = tables.Column(verbose_name="Number", order_by=("program__code", "sequence"))
    site = tables.Column(verbose_name="Site", accessor="site__code", order_by=("site__code",))
    program = tables.Column(
        verbose_name="Program · wave", accessor="program__code", order_by=("program__code",), attrs=WIDE_ONLY
    )
    status = tables.Column(verbose_name="Status")
    technician = tables.Column(verbose_name="Technician", accessor="technician__full_name", default="—")
    planned_start = tables.Column(verbose_name="Visit (site time)", empty_values=())
    readiness = tables.Column(verbose_name="Readiness", empty_values=(), orderable=False)

    class Meta(OrgTable.Meta):
        model = WorkOrder
        fields = ()
        sequence = (
            "select",
            "number",
            "site",
            "program",
            "status",
            "technician",
            "planned_start",
            "readiness",
        )
        empty_text = "No work orders match these filters."

    items_label = "work orders"

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("select")

    @cached_property
    def page_readiness(self) -> dict:
        """The checklists of the rows on this page, evaluated together (a fixed number of queries)."""
        records = [row.record for row in self.paginated_rows]
        return work_orders_readiness(organization=self.organization, work_orders=records)

    def render_select(self, record):
        return format_html(
            '<input class="form-check-input" type="checkbox" name="work_order" value="{}" form="bulk-form" '
            'aria-label="Select {}" data-select-row>',
            record.pk,
            record.number,
        )

    def render_number(self, record):
        return format_html(
            '<a class="fw-medium text-nowrap" href="{}">{}</a>',
            self.org_url("workorders:work-order-detail", pk=record.pk),
            record.number,
        )

    def render_site(self, record):
        site = record.site
        place = ", ".join(part for part in (site.city, site.state) if part)
        return format_html(
            '<span class="fw-medium">{}</span><div class="small text-body-secondary">{}</div>',
            site.code,
            place or site.name,
        )

    def render_program(self, record):
        wave = record.enrollment.wave if record.enrollment_id and record.enrollment else None
        return format_html(
            '{}<div class="small text-body-secondary">{}</div>', record.program.code, wave.name if wave else "No wave"
        )

    def render_status(self, record):
        return work_order_status_badge(record.status, record.get_status_display())

    def render_planned_start(self, record):
        window = local_window(record)
        if window is None:
            return format_html('<span class="text-body-tertiary">{}</span>', "Not planned")
        start, end = window
        return format_html(
            '<time class="text-nowrap" datetime="{}">{}</time><div class="small text-body-secondary">{}–{} {}</div>',
            record.planned_start.isoformat(),
            f"{start:%a %b %-d}",
            f"{start:%H:%M}",
            f"{end:%H:%M}",
            start.tzname(),
        )

    def render_readiness(self, record):
        return readiness_badge(self.page_readiness.get(record.pk))
