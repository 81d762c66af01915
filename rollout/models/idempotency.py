from django.db import models

from rollout.tenancy import TenantModel


class IdempotencyRecord(TenantModel):
    """The first response to a POST carrying an Idempotency-Key, kept so a retry replays it."""

    principal = models.CharField(max_length=64)
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "principal", "key"], name="idempotency_key_unique"),
        ]
