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
        count = len(record.event_types)
        label = record.event_types[0] if count == 1 else f"{count} types"
        return format_html('<span title="{}">{}</span>', ", ".join(record.event_types), label)

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
    last_status_code = tables.Column(verbose_name="Last response · latency", orderable=False)

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
        if record.status == DeliveryStatus.FAILED and record.next_attempt_at:
            return format_html(
                '{}<div class="small text-body-secondary">next {}</div>',
                delivery_status(record),
                org_time(record.next_attempt_at, self.organization),
            )
        return delivery_status(record)

    def render_last_status_code(self, record):
        excerpt = record.last_response_excerpt.strip()
        short = excerpt[:24] + ("…" if len(excerpt) > 24 else "")
        head = str(record.last_status_code) if record.last_status_code else (record.last_error or "—")
        if record.last_latency_ms is not None:
            head = f"{head} · {record.last_latency_ms} ms"
        if record.last_status_code and short:
            return format_html('{}<div class="small font-monospace text-body-secondary">{}</div>', head, short)
        return format_html('<span class="small text-wrap">{}</span>', head)
