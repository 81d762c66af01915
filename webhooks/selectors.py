"""Reads of the webhooks app: endpoints with their delivery figures, a delivery log, a delivery with its attempts.
Every selector scopes by the caller's access (admins and integrators only)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, access) -> QuerySet[WebhookEndpoint]:
    """The organization's endpoints with their delivery counts (one query)."""
    return WebhookEndpoint.objects.visible_to(access).annotate(
        deliveries_total=Count("deliveries"),
        deliveries_failing=Count(
            "deliveries", filter=Q(deliveries__status__in=[DeliveryStatus.FAILED, DeliveryStatus.DEAD])
        ),
    )


def webhook_delivery_list(*, access, endpoint_id: int | None = None) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first, with what a row shows (endpoint URL, event uid) in the same query."""
    deliveries = WebhookDelivery.objects.visible_to(access).select_related("endpoint", "event")
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint_id=endpoint_id)
    return deliveries.order_by("-created_at", "-id")


def webhook_attempt_list(*, access, delivery_id: int) -> QuerySet[WebhookAttempt]:
    return WebhookAttempt.objects.visible_to(access).filter(delivery_id=delivery_id).order_by("number", "id")
