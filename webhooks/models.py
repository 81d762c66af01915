"""Webhooks: the organization's endpoints (a URL, the event types it subscribes to, a signing secret), one delivery
per (endpoint, event), and one attempt row per HTTP request made for a delivery.

Visibility: only admins and integrators read these rows (the queryset closes them to every other role). Deliveries
and attempts are written by webhooks.services only; a delivery is claimed by a worker with a lease
(`claimed_until`), so a worker that dies mid-send leaves a row the sweep picks up again once the lease expires.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.tenancy import TenantModel, TenantQuerySet
from webhooks.choices import SENDABLE, WEBHOOK_ROLES, DeliveryStatus


class WebhookQuerySet(TenantQuerySet):
    def visible_to(self, access):
        if access.role in WEBHOOK_ROLES:
            return self.for_organization(access.organization)
        return self.none()


class WebhookEndpoint(TenantModel):
    """A receiver of the organization's events: `event_types` are catalogue names (empty: every type, including
    types added later). `secret` is the Standard Webhooks signing key (`whsec_…`); the API shows it only when it is
    created or rotated. Failure counters decide automatic disabling (webhooks.services)."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list, blank=True)
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too (a second signature) until this time, so receivers can switch over.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries that gave up in a row (reset by a success), and when the current run of failures began.
    consecutive_dead = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["url", "id"]
        indexes = [models.Index(fields=["organization", "is_active"])]

    def __str__(self) -> str:
        return self.url

    def subscribes_to(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types

    def signing_secrets(self, now) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one during its overlap."""
        if self.previous_secret and self.previous_secret_until and now < self.previous_secret_until:
            return [self.secret, self.previous_secret]
        return [self.secret]


class WebhookDeliveryQuerySet(WebhookQuerySet):
    def due(self, now=None) -> WebhookDeliveryQuerySet:
        """Deliveries a worker should send now: still sendable, their next attempt due, nobody holding them."""
        now = now or timezone.now()
        return self.filter(status__in=SENDABLE, next_attempt_at__lte=now).filter(
            models.Q(claimed_until__isnull=True) | models.Q(claimed_until__lt=now)
        )


class WebhookDelivery(TenantModel):
    """One event to one endpoint: at most one row per (endpoint, event), a database constraint. Every attempt keeps
    the event's `uid` as its `webhook-id`, so a receiver deduplicates redeliveries.

    `auto_retry`: whether a failed attempt schedules the next one (the retry schedule); a manual redelivery is one
    attempt. `claim_token`/`claimed_until`: the lease of the worker sending it."""

    Status = DeliveryStatus

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey("rollout.Event", on_delete=models.CASCADE, related_name="+")
    # Copied from the event, for the delivery log's filter without a join.
    event_type = models.CharField(max_length=80)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    auto_retry = models.BooleanField(default=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    claim_token = models.CharField(max_length=64, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_response_excerpt = models.TextField(blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once_per_endpoint_event"),
        ]
        indexes = [
            models.Index(fields=["organization", "endpoint", "-created_at"]),
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status__in=["pending", "failed"]),
                name="webhook_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → endpoint {self.endpoint_id}: {self.status}"


class WebhookAttempt(TenantModel):
    """One HTTP request made for a delivery: what was sent (headers, a body excerpt), what came back (status, a
    bounded excerpt), how long it took, or the error that stopped it (refused address, timeout, TLS, …)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_rows")
    number = models.PositiveSmallIntegerField()
    manual = models.BooleanField(default=False)
    started_at = models.DateTimeField()
    url = models.URLField(max_length=500)
    address = models.CharField(max_length=64, blank=True, help_text="The checked address the request went to.")
    request_headers = models.JSONField(default=dict)
    request_body_excerpt = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    succeeded = models.BooleanField(default=False)

    objects = WebhookQuerySet.as_manager()

    class Meta:
        ordering = ["delivery_id", "number", "id"]
        indexes = [models.Index(fields=["organization", "delivery"])]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
