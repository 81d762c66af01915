from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class Organization(models.Model):
    """The tenant: a rollout company or an enterprise technology group. Every other row belongs to one."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York")
    warranty_window_days = models.PositiveSmallIntegerField(
        default=30, help_text="A return visit within this many days of closing means not done right first time."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ClientQuerySet(TenantQuerySet):
    def visible_to(self, access):
        scoped = self.for_organization(access.organization)
        if access.role == Role.CLIENT:
            return scoped.filter(pk=access.client_id)
        return super().visible_to(access)


class Client(TenantModel):
    """A customer of the organization whose sites receive rollouts. Client-role members see only theirs."""

    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=160)
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="client_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(TenantQuerySet):
    def active(self):
        return self.filter(is_active=True)

    def visible_to(self, access):
        scoped = self.for_organization(access.organization)
        if access.role in (Role.ADMIN, Role.PM, Role.COORDINATOR):
            return scoped
        # Everyone else sees only their own membership.
        if access.membership is None:
            return scoped.none()
        return scoped.filter(pk=access.membership.pk)


class Membership(TenantModel):
    """A user's role in one organization; a client-role membership is tied to exactly one client."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.PROTECT, related_name="members")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__email"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_unique_per_org"),
            models.CheckConstraint(
                condition=(
                    models.Q(role=Role.CLIENT, client__isnull=False)
                    | (~models.Q(role=Role.CLIENT) & models.Q(client__isnull=True))
                ),
                name="membership_client_iff_client_role",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization_id}"

    def clean(self):
        if self.role == Role.CLIENT and not self.client_id:
            raise ValidationError({"client": "A client viewer must be tied to one client."})
        if self.role != Role.CLIENT and self.client_id:
            raise ValidationError({"client": "Only client viewers are tied to a client."})
