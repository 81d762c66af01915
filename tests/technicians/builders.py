"""Builders of the technicians tests: service callers per role, and the fixed Wednesday the rules are read on."""

from datetime import date

from rollout.choices import Role
from rollout.tenancy import Access

# A Wednesday, far from any real "today", so that rules read the same whenever the tests run.
WEDNESDAY = date(2026, 3, 4)


def access_of(tenant, role: Role = Role.COORDINATOR) -> Access:
    """The Access a member of `tenant` with `role` gets, as the resolver builds it."""
    membership = tenant.members[role]
    return Access(
        organization=tenant.organization,
        role=role,
        user=membership.user,
        membership=membership,
        client_id=membership.client_id,
    )
