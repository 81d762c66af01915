"""Tables of the technicians pages (django-tables2), on the UI shell's OrgTable."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from rollout.tables import WIDE_ONLY, OrgTable, action_link, status_badge
from technicians.choices import ExpiryState
from technicians.models import Skill, Technician, Vendor
from technicians.templatetags.technicians_tags import expiry_badge_html


def active_badge(active: bool, *, off_label: str = "Inactive"):
    if active:
        return status_badge("Active", "ok", "check-circle-fill")
    return status_badge(off_label, "off", "slash-circle")


class TechnicianTable(OrgTable):
    full_name = tables.Column(verbose_name="Technician", order_by=("full_name", "id"))
    vendor = tables.Column(verbose_name="Vendor", accessor="vendor__name", default="In-house", order_by="vendor__name")
    skills = tables.Column(
        verbose_name="Skills", empty_values=(), orderable=False, attrs={"td": {"class": "cell-wrap"}}
    )
    home_address = tables.Column(verbose_name="Home base", attrs=WIDE_ONLY)
    service_radius_km = tables.Column(verbose_name="Radius", attrs=WIDE_ONLY)
    certifications = tables.Column(verbose_name="Certifications", empty_values=(), orderable=False)
    active = tables.Column(verbose_name="Status", order_by=("-active", "full_name"))

    class Meta(OrgTable.Meta):
        model = Technician
        fields = ()
        sequence = (
            "full_name",
            "vendor",
            "skills",
            "home_address",
            "service_radius_km",
            "certifications",
            "active",
        )
        empty_text = "No technicians match these filters."

    items_label = "technicians"

    def render_full_name(self, record):
        joined = (
            ""
            if record.user_id
            else format_html(
                ' <span class="badge text-bg-light border fw-normal" title="{}">{}</span>',
                "No account linked yet: invite them from their profile.",
                "Not joined",
            )
        )
        return format_html(
            '<a class="fw-medium" href="{}">{}</a>{}<div class="small text-body-secondary">{}</div>',
            self.org_url("technicians:technician-detail", pk=record.pk),
            record.full_name,
            joined,
            record.email,
        )

    def render_vendor(self, record):
        if record.vendor is None:
            return format_html('<span class="text-body-secondary">{}</span>', "In-house")
        url = self.org_url("technicians:vendor-detail", pk=record.vendor_id)
        return format_html('<a href="{}">{}</a>', url, record.vendor.name)

    def render_skills(self, record):
        skills = list(record.skills.all())
        if not skills:
            return format_html('<span class="text-body-tertiary">{}</span>', "None yet")
        badge = '<span class="badge rounded-pill text-bg-light border" title="{}">{}</span>'
        return format_html_join(" ", badge, ((skill.slug, skill.name) for skill in skills))

    def render_home_address(self, record):
        return record.home_address or "—"

    def render_service_radius_km(self, value):
        return f"{value} km"

    def render_certifications(self, record):
        parts = []
        if record.expired_certification_count:
            parts.append(
                format_html(
                    '<span class="status text-danger fw-semibold"><i class="bi bi-x-octagon-fill" aria-hidden="true">'
                    "</i> {} expired</span>",
                    record.expired_certification_count,
                )
            )
        if record.expiring_certification_count:
            parts.append(
                format_html(
                    '<span class="status status-warn fw-semibold"><i class="bi bi-exclamation-triangle-fill" '
                    'aria-hidden="true"></i> {} expiring</span>',
                    record.expiring_certification_count,
                )
            )
        if not parts:
            return format_html('<span class="text-body-tertiary">{}</span>', "—")
        return format_html_join(" ", "{}", ((part,) for part in parts))

    def render_active(self, value):
        return active_badge(value)


class VendorTable(OrgTable):
    name = tables.Column(verbose_name="Vendor")
    contact_name = tables.Column(verbose_name="Contact", attrs=WIDE_ONLY)
    insurance_expires_on = tables.Column(verbose_name="Insurance", empty_values=())
    technicians = tables.Column(verbose_name="Technicians", accessor="active_technician_count", orderable=False)
    active = tables.Column(verbose_name="Status", order_by=("-active", "name"))

    class Meta(OrgTable.Meta):
        model = Vendor
        fields = ()
        sequence = ("name", "contact_name", "insurance_expires_on", "technicians", "active")
        empty_text = "No vendors match these filters."
        row_attrs = {"data-insurance": lambda record: record.insurance_state(timezone.localdate())}

    items_label = "vendors"

    def render_name(self, record):
        return format_html(
            '<a class="fw-medium" href="{}">{}</a><div class="small text-body-secondary"><code>{}</code></div>',
            self.org_url("technicians:vendor-detail", pk=record.pk),
            record.name,
            record.code,
        )

    def render_contact_name(self, record):
        if not (record.contact_name or record.contact_email):
            return "—"
        return format_html(
            '{}<div class="small text-body-secondary">{}</div>',
            record.contact_name or "—",
            record.contact_email or record.contact_phone,
        )

    def render_insurance_expires_on(self, record):
        return expiry_badge_html(record.insurance_expires_on, missing_means=ExpiryState.MISSING)

    def render_active(self, value):
        return active_badge(value)


class SkillTable(OrgTable):
    name = tables.Column(verbose_name="Skill")
    slug = tables.Column(verbose_name="Slug (used by SOW tasks)")
    requires_certification = tables.Column(verbose_name="Certification")
    technicians = tables.Column(verbose_name="Technicians", accessor="technician_count", orderable=False)
    active = tables.Column(verbose_name="Status", order_by=("-active", "name"))
    actions = tables.Column(verbose_name="", empty_values=(), orderable=False, attrs={"td": {"class": "text-end"}})

    class Meta(OrgTable.Meta):
        model = Skill
        fields = ()
        sequence = ("name", "slug", "requires_certification", "technicians", "active", "actions")
        empty_text = "No skills match these filters."

    items_label = "skills"

    def before_render(self, request):
        if not self.can_write:
            self.columns.hide("actions")

    def render_name(self, record):
        description = (
            format_html('<div class="small text-body-secondary">{}</div>', record.description)
            if record.description
            else ""
        )
        return format_html('<span class="fw-medium">{}</span>{}', record.name, description)

    def render_slug(self, value):
        return format_html("<code>{}</code>", value)

    def render_requires_certification(self, value):
        if value:
            return status_badge("Required", "warn", "patch-check")
        return format_html('<span class="text-body-tertiary">{}</span>', "Not required")

    def render_active(self, value):
        return active_badge(value, off_label="Retired")

    def render_actions(self, record):
        return action_link(
            self.org_url("technicians:skill-edit", pk=record.pk), "Edit", "pencil", sr_suffix=record.name
        )
