"""Choices of the webhooks app, shared by models, filters, forms and serializers."""

from django.db import models

from rollout.choices import Role

# Who manages webhook endpoints and reads their delivery log: the organization's admins and integrators.
WEBHOOK_ROLES = frozenset({Role.ADMIN, Role.INTEGRATOR})


class DeliveryStatus(models.TextChoices):
    """pending: waiting for its first attempt (or a manual redelivery); failed: the last attempt failed and a retry is
    scheduled; succeeded: a 2xx answer; dead: no attempt left (the retry schedule ran out, or the endpoint was
    disabled)."""

    PENDING = "pending", "Pending"
    FAILED = "failed", "Failed, retrying"
    SUCCEEDED = "succeeded", "Succeeded"
    DEAD = "dead", "Gave up"


# Statuses a worker may still send.
SENDABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
