"""Who a ladder level goes to: the organization's coordinators, the program's PM (or every PM when it has none),
the organization's admins, or the client contacts (client-role members) of the program's client."""

from __future__ import annotations

from collections import defaultdict

from escalations.choices import LadderRole
from rollout.choices import Role
from rollout.models import Membership


class People:
    """The active members a ladder can reach, read in one query."""

    def __init__(self, organization):
        self.by_role: dict[str, list[int]] = defaultdict(list)
        self.clients: dict[int, list[int]] = defaultdict(list)
        rows = (
            Membership.objects.for_organization(organization)
            .filter(is_active=True, role__in=[Role.COORDINATOR, Role.PM, Role.ADMIN, Role.CLIENT])
            .values_list("user_id", "role", "client_id")
        )
        for user_id, role, client_id in rows:
            if role == Role.CLIENT:
                self.clients[client_id].append(user_id)
            else:
                self.by_role[role].append(user_id)

    def of_level(self, role: str, *, client_id: int | None, pm_id: int | None, assignee_id: int | None = None):
        if role == LadderRole.COORDINATOR:
            people = list(self.by_role[Role.COORDINATOR])
        elif role == LadderRole.PM:
            people = [pm_id] if pm_id else list(self.by_role[Role.PM])
        elif role == LadderRole.ADMIN:
            people = list(self.by_role[Role.ADMIN])
        else:
            people = list(self.clients.get(client_id, []))
        if assignee_id:
            people.append(assignee_id)
        return sorted(set(people))
