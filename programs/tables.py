"""Tables of the programs pages (django-tables2), on the UI shell's OrgTable."""

import django_tables2 as tables
from django.utils.html import format_html

from programs.models import Program
from programs.templatetags.programs_tags import status_badge
from rollout.tables import OrgTable


class ProgramTable(OrgTable):
    code = tables.Column(verbose_name="Code")
    name = tables.Column(verbose_name="Program")
    client = tables.Column(verbose_name="Client", accessor="client__name")
    status = tables.Column(verbose_name="Status")
    start_date = tables.DateColumn(verbose_name="Starts", format="M j, Y")
    end_date = tables.DateColumn(verbose_name="Ends", format="M j, Y")
    responsible_pm = tables.Column(
        verbose_name="Responsible PM", accessor="responsible_pm__email", default="—", orderable=False
    )
    waves = tables.Column(verbose_name="Waves", accessor="wave_count", orderable=False)
    sow = tables.Column(verbose_name="SOW", accessor="approved_sow_version", empty_values=(), orderable=False)

    class Meta(OrgTable.Meta):
        model = Program
        fields = ()
        sequence = ("code", "name", "client", "status", "start_date", "end_date", "responsible_pm", "waves", "sow")
        empty_text = "No programs match these filters."

    items_label = "programs"

    def render_code(self, record):
        return format_html(
            '<a class="fw-medium" href="{}"><code>{}</code></a>',
            self.org_url("program-detail", pk=record.pk),
            record.code,
        )

    def render_name(self, record):
        return format_html(
            '<a class="link-body-emphasis" href="{}">{}</a>', self.org_url("program-detail", pk=record.pk), record.name
        )

    def render_status(self, record):
        return status_badge(record.status, record.get_status_display())

    def render_responsible_pm(self, record):
        return record.responsible_pm.display_name if record.responsible_pm else "—"

    def render_sow(self, record):
        approved, latest = record.approved_sow_version, record.latest_sow_version
        if latest is None:
            return format_html('<span class="text-body-tertiary">{}</span>', "None yet")
        parts = [format_html("v{} approved", approved)] if approved else []
        if latest != approved:
            parts.append(format_html('<span class="text-body-secondary">v{} draft</span>', latest))
        return format_html(" · ".join(["{}"] * len(parts)), *parts)
