from django.conf import settings
from django.db import models
from django.utils import timezone

from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class ApiTokenQuerySet(TenantQuerySet):
    def visible_to(self, access):
        """Admins see the organization's tokens; a technician only their own personal tokens."""
        if access.role == Role.TECHNICIAN:
            return self.for_organization(access.organization).filter(user=access.user)
        return super().visible_to(access)

    def usable(self):
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(TenantModel):
    """A credential for a system — or, with `user`, a technician's personal token for an app, acting as them —
    bound to one organization and one role, shown once, stored hashed."""

    name = models.CharField(max_length=120)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.INTEGRATOR)
    client = models.ForeignKey("rollout.Client", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="A personal token acts as this member (technicians' app tokens); empty for a system's token.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
