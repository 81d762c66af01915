"""Shared fixtures: two organizations (so isolation is always tested) and a member per role in each."""

from dataclasses import dataclass, field

import pytest
from rest_framework.test import APIClient

from rollout.choices import Role
from rollout.models import Membership, Organization
from tests.factories import ClientFactory, MembershipFactory, OrganizationFactory, issue_token


@dataclass
class Tenant:
    """One organization with a client and one member per role; `api(role)` gives a signed-in API client."""

    organization: Organization
    client: object
    members: dict[Role, Membership] = field(default_factory=dict)

    def api(self, role: Role | str | None) -> APIClient:
        api = APIClient()
        if role is None:
            return api
        if role == "token":
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(self.organization)}")
            return api
        api.force_login(self.members[Role(role)].user)
        api.defaults["HTTP_X_ORGANIZATION"] = self.organization.slug
        return api


def build_tenant(slug: str) -> Tenant:
    organization = OrganizationFactory(slug=slug, name=slug.replace("-", " ").title())
    client = ClientFactory(organization=organization, code=f"{slug}-client", name=f"{slug} client")
    tenant = Tenant(organization=organization, client=client)
    for role in Role:
        tenant.members[role] = MembershipFactory(
            organization=organization,
            role=role,
            client=client if role == Role.CLIENT else None,
            user__email=f"{role}@{slug}.example.com",
        )
    return tenant


@pytest.fixture
def tenant(db) -> Tenant:
    return build_tenant("acme-rollouts")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return build_tenant("globex-field")


def pytest_configure(config):
    from django.conf import settings

    # WhiteNoise expects STATIC_ROOT to exist even when it serves from the finders.
    settings.STATIC_ROOT.mkdir(parents=True, exist_ok=True)
