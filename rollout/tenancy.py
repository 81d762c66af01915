"""Tenant scoping in one place.

Every tenant-owned model derives from `TenantModel`, whose manager returns a `TenantQuerySet`.
Reads go through `for_organization(org)` and then `visible_to(access)`; the scoped base classes
for views and viewsets (rollout.views.base, rollout.api.base) apply both, so a concrete view
cannot forget. There is deliberately no thread-local "current organization".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models

from rollout.choices import FULL_READ_ROLES, Role

if TYPE_CHECKING:
    from rollout.models import ApiToken, Membership, Organization, User


@dataclass(frozen=True)
class Access:
    """Who is acting, for which organization, with which role: resolved once per request."""

    organization: Organization
    role: Role
    user: User | None = None
    membership: Membership | None = None
    token: ApiToken | None = None
    client_id: int | None = None

    @property
    def principal(self) -> str:
        """A stable identifier of the caller, for idempotency keys and throttling."""
        return f"token:{self.token.pk}" if self.token else f"user:{self.user.pk}"

    @property
    def actor_label(self) -> str:
        if self.token:
            owner = f"{self.user.email} via " if self.user else ""
            return f"{owner}API token {self.token.name}"
        return self.user.email if self.user else "system"

    def has_role(self, roles) -> bool:
        return self.role in roles


# Who acted: services take `actor` as an Access (a request), a User (a task, a test) or None (the system).


def actor_user(actor: Access | User | None) -> User | None:
    """The user behind the actor (None for the system, or for a token that belongs to nobody)."""
    return actor.user if isinstance(actor, Access) else actor


def actor_label(actor: Access | User | None) -> str:
    """How records name the actor (`…_by_label`, the audit log): e-mail, "… via API token …" or "system"."""
    if isinstance(actor, Access):
        return actor.actor_label
    return actor.email if actor else "system"


def organization_id_of(organization) -> int:
    """Accept an Organization or its id, so tasks (which receive ids) and views share one method."""
    return organization if isinstance(organization, int) else organization.pk


class TenantQuerySet(models.QuerySet):
    """QuerySet of tenant-owned rows. Models override `visible_to` to open rows to clients/technicians."""

    def for_organization(self, organization) -> TenantQuerySet:
        return self.filter(organization_id=organization_id_of(organization))

    def for_outer_organization(self, outer: str = "organization_id") -> TenantQuerySet:
        """Rows of the outer query's organization, for a subquery correlated to already-scoped rows
        (Subquery/Exists): the tenant filter is the outer row's own organization."""
        return self.filter(organization_id=models.OuterRef(outer))

    def visible_to(self, access: Access) -> TenantQuerySet:
        """Rows of the access's organization that its role may read. Closed by default."""
        scoped = self.for_organization(access.organization)
        if access.role in FULL_READ_ROLES:
            return scoped
        return scoped.none()


class TenantModel(models.Model):
    """Abstract base of every tenant-owned model: carries `organization`, read through TenantQuerySet."""

    organization = models.ForeignKey("rollout.Organization", on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
