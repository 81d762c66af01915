"""Builders of the programs tests: service callers per role and page helpers (no tests, no fixtures here)."""

from django.test import Client as BrowserClient
from django.urls import reverse

from rollout.choices import Role
from rollout.tenancy import Access


def access_of(tenant, role: Role = Role.PM) -> Access:
    """The Access a member of `tenant` with `role` gets, as the resolver builds it."""
    membership = tenant.members[role]
    return Access(
        organization=tenant.organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})
