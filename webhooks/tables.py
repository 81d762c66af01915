"""Tables of the webhook pages (django-tables2): endpoints and the delivery log."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import django_tables2 as tables
from django.utils.html import format_html

from rollout.tables import WIDE_ONLY, OrgTable, status_badge
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint

DELIVERY_TONES = {
    DeliveryStatus.PENDING: ("off", "hourglass-split"),
    DeliveryStatus.FAILED: ("warn", "arrow-repeat"),
    DeliveryStatus.SUCCEEDED: ("ok", "check-circle"),
    DeliveryStatus.DEAD: ("danger", "x-octagon"),
}


def org_time(value, organization, empty: str = "—"):
    """A moment in the organization's zone, to the second, with the zone's abbreviation."""
    if value is None:
        return format_html('<span class="text-body-tertiary">{}</span>', empty)
    local = value.astimezone(ZoneInfo(organization.timezone))
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), local.strftime("%b %-d, %H:%M:%S %Z"))


def delivery_status(delivery: WebhookDelivery):
    tone, icon = DELIVERY_TONES[delivery.status]
    return status_badge(delivery.get_status_display(), tone, icon)


def endpoint_status(endpoint: WebhookEndpoint):
    if endpoint.is_active:
        return status_badge("Active", "ok", "broadcast")
    return status_badge("Disabled", "off", "slash-circle")


class WebhookEndpointTable(OrgTable):
    items_label = "endpoints"
    url = tables.Column(verbose_name="URL", order_by=("url",))
    events = tables.Column(verbose_name="Events", accessor="event_types", orderable=False, attrs=WIDE_ONLY)
    status = tables.Column(verbose_name="Status", accessor="is_active", order_by=("-is_active", "url"))
    deliveries = tables.Column(verbose_name="Deliveries", accessor="deliveries_total", attrs=WIDE_ONLY)
    failing = tables.Column(verbose_name="Failing", accessor="deliveries_failing", attrs=WIDE_ONLY)
    last_success = tables.Column(verbose_name="Last success", accessor="last_success_at", attrs=WIDE_ONLY)

    class Meta(OrgTable.Meta):
        pass

    def render_url(self, record):
        link = format_html(
            '<a class="fw-medium text-break" href="{}">{}</a>',
            self.org_url("webhooks:webhook-endpoint-detail", pk=record.pk),
            record.url,
        )
        if record.description:
            return format_html('{}<div class="small text-body-secondary">{}</div>', link, record.description)
        return link

    def render_events(self, record):
        if not record.event_types:
            return "All event types"
        return format_html('<span title="{}">{} types</span>', ", ".join(record.event_types), len(record.event_types))

    def render_status(self, record):
        return endpoint_status(record)

    def render_last_success(self, record):
        return org_time(record.last_success_at, self.organization, "never")


class WebhookDeliveryTable(OrgTable):
    items_label = "deliveries"
    created_at = tables.Column(verbose_name="Event at", order_by=("created_at", "id"))
    event_type = tables.Column(verbose_name="Event", order_by=("event_type", "id"))
    status = tables.Column(verbose_name="Status", order_by=("status", "id"))
    attempts = tables.Column(verbose_name="Attempts")
    last_status_code = tables.Column(verbose_name="Response", orderable=False)
    last_latency_ms = tables.Column(verbose_name="Latency", attrs=WIDE_ONLY)
    last_response_excerpt = tables.Column(verbose_name="Response excerpt", orderable=False, attrs=WIDE_ONLY)
    next_attempt_at = tables.Column(verbose_name="Next attempt", attrs=WIDE_ONLY)

    class Meta(OrgTable.Meta):
        pass

    def render_created_at(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            self.org_url("webhooks:webhook-delivery-detail", pk=record.pk),
            org_time(record.created_at, self.organization),
        )

    def render_event_type(self, record):
        return format_html(
            '<code>{}</code><div class="small text-body-secondary">{}</div>', record.event_type, record.event.uid
        )

    def render_status(self, record):
        return delivery_status(record)

    def render_last_status_code(self, record):
        if record.last_status_code:
            return str(record.last_status_code)
        return format_html('<span class="small text-body-secondary">{}</span>', record.last_error or "—")

    def render_last_latency_ms(self, value):
        return f"{value} ms"

    def render_last_response_excerpt(self, value):
        short = value[:80] + ("…" if len(value) > 80 else "")
        return format_html('<span class="small font-monospace text-break">{}</span>', short)

    def render_next_attempt_at(self, record):
        return org_time(record.next_attempt_at, self.organization)
