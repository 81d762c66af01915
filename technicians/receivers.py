"""Reactions to the core's signals (connected in TechniciansConfig.ready)."""

from __future__ import annotations

from rollout.models import Membership
from technicians.services import technician_link_user


def link_technician_on_join(sender, membership: Membership, **kwargs) -> None:
    """A member just joined: link the technician profile with their e-mail in that organization, if any."""
    technician_link_user(organization=membership.organization, user=membership.user)
