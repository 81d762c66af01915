"""The transactional outbox: each event is written in the transaction of the change that causes it."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.tenancy import TenantModel


def event_uid() -> str:
    """A stable, unguessable id: the `webhook-id` a receiver deduplicates on, the same on every redelivery."""
    return f"evt_{secrets.token_hex(12)}"


class Event(TenantModel):
    """Something that happened in an organization, to be relayed (notifications, webhooks) after commit.

    `relayed_to` lists the consumers that have handled it (each in its own transaction, under this row's lock);
    `relayed_at` is set once every consumer has. A rolled-back change leaves no row, so nothing is sent."""

    uid = models.CharField(max_length=40, unique=True, default=event_uid, editable=False)
    type = models.CharField(max_length=80)
    version = models.PositiveSmallIntegerField(default=1)
    subject_type = models.CharField(max_length=40)
    subject_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    # Users the emitting service says must hear of it (notifications); webhooks go to every subscribed endpoint.
    recipients = models.JSONField(default=list, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now)
    relayed_to = models.JSONField(default=list, blank=True)
    relayed_at = models.DateTimeField(null=True, blank=True)
    relay_attempts = models.PositiveSmallIntegerField(default=0)
    relay_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "-occurred_at"]),
            models.Index(fields=["subject_type", "subject_id"]),
            models.Index(fields=["occurred_at"], condition=models.Q(relayed_at__isnull=True), name="event_unrelayed"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}#{self.subject_id}"
