from django.conf import settings
from django.db import models

from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class AuditEventQuerySet(TenantQuerySet):
    def visible_to(self, access):
        if access.role in (Role.ADMIN, Role.PM):
            return self.for_organization(access.organization)
        return self.none()


class AuditEvent(TenantModel):
    """One state change: who did what to which object, before and after, when, under which request."""

    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_token = models.ForeignKey(
        "rollout.ApiToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    verb = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "target_type", "target_id"]),
            models.Index(fields=["organization", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.verb} {self.target_type}#{self.target_id}"
