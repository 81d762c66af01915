"""Tables of the programs pages (django-tables2), on the UI shell's OrgTable."""

import django_tables2 as tables
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from programs.models import Enrollment, Program, SiteVariation
from programs.templatetags.programs_tags import status_badge
from rollout.tables import WIDE_ONLY, OrgTable, when
from sites.models import Site


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
            self.org_url("programs:program-detail", pk=record.pk),
            record.code,
        )

    def render_name(self, record):
        return format_html(
            '<a class="link-body-emphasis" href="{}">{}</a>',
            self.org_url("programs:program-detail", pk=record.pk),
            record.name,
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


# --- Sites in programs ------------------------------------------------------------------------------


def select_box(site_id: int, code: str):
    return format_html(
        '<input class="form-check-input" type="checkbox" name="site" value="{}" form="bulk-form" '
        'aria-label="Select {}" data-select-row>',
        site_id,
        code,
    )


SELECT_HEADER = mark_safe(
    '<input class="form-check-input" type="checkbox" data-select-all aria-label="Select every site on this page">'
)
SELECT_ATTRS = {"th": {"class": "select-col"}, "td": {"class": "select-col"}}


class EnrollmentTable(OrgTable):
    select = tables.Column(verbose_name=SELECT_HEADER, empty_values=(), orderable=False, attrs=SELECT_ATTRS)
    code = tables.Column(verbose_name="Code", accessor="site__code")
    name = tables.Column(verbose_name="Site", accessor="site__name")
    city = tables.Column(verbose_name="City", accessor="site__city", attrs=WIDE_ONLY)
    state = tables.Column(verbose_name="State", accessor="site__state")
    wave = tables.Column(verbose_name="Wave", accessor="wave__name", order_by=("wave__order", "wave__name"))
    variations = tables.Column(verbose_name="Variations", accessor="variation_count")
    enrolled_at = tables.Column(verbose_name="Enrolled", attrs=WIDE_ONLY)

    class Meta(OrgTable.Meta):
        model = Enrollment
        fields = ()
        sequence = ("select", "code", "name", "city", "state", "wave", "variations", "enrolled_at")
        empty_text = "No enrolled sites match these filters."

    items_label = "sites"

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("select")

    def render_select(self, record):
        return select_box(record.site_id, record.site.code)

    def render_code(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>',
            self.org_url("sites:site-page", pk=record.site_id),
            record.site.code,
        )

    def render_wave(self, record):
        return record.wave.name if record.wave else format_html('<span class="text-body-tertiary">{}</span>', "None")

    def render_variations(self, record):
        if not record.variation_count:
            return format_html('<span class="text-body-tertiary">{}</span>', "0")
        url = self.org_url("programs:program-variations", pk=record.program_id) + f"?site={record.site_id}"
        return format_html('<a href="{}">{}</a>', url, record.variation_count)

    def render_enrolled_at(self, value):
        return when(value)


class EnrollCandidateTable(OrgTable):
    select = tables.Column(verbose_name=SELECT_HEADER, empty_values=(), orderable=False, attrs=SELECT_ATTRS)
    code = tables.Column(verbose_name="Code")
    name = tables.Column(verbose_name="Site")
    city = tables.Column(verbose_name="City", attrs=WIDE_ONLY)
    state = tables.Column(verbose_name="State")
    status = tables.Column(verbose_name="Status")
    enrolled = tables.Column(
        verbose_name="In this program", accessor="enrolled_wave_name", empty_values=(), order_by=("-is_enrolled",)
    )

    class Meta(OrgTable.Meta):
        model = Site
        fields = ()
        sequence = ("select", "code", "name", "city", "state", "status", "enrolled")
        empty_text = "No sites of this client match these filters."

    items_label = "sites"

    def render_select(self, record):
        return select_box(record.pk, record.code)

    def render_code(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>', self.org_url("sites:site-page", pk=record.pk), record.code
        )

    def render_status(self, record):
        if record.status == "active":
            return status_badge("active", "Active")
        return status_badge("inactive", "Inactive")

    def render_enrolled(self, record):
        if not record.is_enrolled:
            return format_html('<span class="text-body-tertiary">{}</span>', "Not enrolled")
        wave = record.enrolled_wave_name or "no wave"
        return format_html('<i class="bi bi-check2-circle text-success" aria-hidden="true"></i> Enrolled, {}', wave)


class SiteVariationTable(OrgTable):
    code = tables.Column(verbose_name="Site", accessor="site__code")
    kind = tables.Column(verbose_name="Variation")
    reason = tables.Column(verbose_name="Reason", orderable=False, attrs={"td": {"class": "cell-wrap"}})
    status = tables.Column(verbose_name="Status")
    created_at = tables.Column(verbose_name="Captured", attrs=WIDE_ONLY)
    actions = tables.Column(
        verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end text-nowrap"}}
    )

    class Meta(OrgTable.Meta):
        model = SiteVariation
        fields = ()
        sequence = ("code", "kind", "reason", "status", "created_at", "actions")
        empty_text = "No variations match these filters."

    items_label = "variations"

    def __init__(self, *args, can_decide: bool = False, **kwargs):
        self.can_decide = can_decide
        super().__init__(*args, **kwargs)

    def render_code(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a><div class="small text-body-secondary">{}</div>',
            self.org_url("sites:site-page", pk=record.site_id),
            record.site.code,
            record.site.name,
        )

    def render_kind(self, record):
        return format_html(
            '<div class="fw-medium">{}</div><div class="small text-body-secondary">{}</div>',
            record.get_kind_display(),
            record.summary,
        )

    def render_status(self, record):
        badge = status_badge(record.status, record.get_status_display())
        if record.decided_at is None:
            return badge
        note = format_html('<div class="small">“{}”</div>', record.decision_note) if record.decision_note else ""
        return format_html(
            '{}<div class="small text-body-secondary">{} {}</div>{}',
            badge,
            when(record.decided_at),
            f"by {record.decided_by_label}" if record.decided_by_label else "",
            note,
        )

    def render_created_at(self, record):
        if not record.created_by_label:
            return when(record.created_at)
        return format_html(
            '{}<div class="small text-body-secondary">by {}</div>', when(record.created_at), record.created_by_label
        )

    def render_actions(self, record):
        if not record.is_pending:
            return ""
        links = []
        if self.can_decide:
            links.append(("programs:variation-approve", "success", "check2", "Approve"))
            links.append(("programs:variation-reject", "danger", "x-lg", "Reject"))
        if self.can_write:
            links.append(("programs:variation-edit", "secondary", "pencil", "Edit"))
        return format_html_join(
            " ",
            '<a class="btn btn-sm btn-outline-{}" href="{}" title="{}"><i class="bi bi-{}" aria-hidden="true"></i>'
            '<span class="visually-hidden">{} the variation of {}</span></a>',
            (
                (tone, self.org_url(name, variation=record.pk), label, icon, label, record.site.code)
                for name, tone, icon, label in links
            ),
        )
