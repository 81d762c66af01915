"""Role homes: what `/o/<org>/` shows each role, contributed by the apps built on the core.

The core renders the home (RoleHomeView) but never names an app above it: each app registers what it adds from its
`AppConfig.ready()` — the programs app the program counts of the staff and client homes, the field app
(workorders.field) the technician's Today list and its template. A role nobody contributes to gets the core's
page alone (its members, clients and activity for staff, the portal frame for clients).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rollout.tenancy import Access

HomeContext = Callable[[Access], dict]


@dataclass(frozen=True)
class HomeContribution:
    roles: frozenset
    context: HomeContext | None = None
    template: str | None = None
    offline: bool = False  # the phone may keep the page (rollout.views.home.mark_offline)


_contributions: dict[str, HomeContribution] = {}


def home_register(
    *, key: str, roles: Iterable, context: HomeContext | None = None, template: str | None = None, offline: bool = False
) -> None:
    """Add to the home of `roles`; `key` names the contribution: registering it again replaces it."""
    _contributions[key] = HomeContribution(roles=frozenset(roles), context=context, template=template, offline=offline)


def home_contributions(role) -> list[HomeContribution]:
    return [contribution for contribution in _contributions.values() if role in contribution.roles]


def home_template(role) -> str | None:
    """The template an app contributes for the role's home (the last registered wins), or None for the core's."""
    templates = [c.template for c in home_contributions(role) if c.template]
    return templates[-1] if templates else None


def home_is_offline(role) -> bool:
    return any(contribution.offline for contribution in home_contributions(role))


def home_context(access: Access) -> dict:
    """What the apps add to the role's home, in registration order (INSTALLED_APPS order)."""
    context: dict = {}
    for contribution in home_contributions(access.role):
        if contribution.context is not None:
            context.update(contribution.context(access))
    return context


# --- The profile page's links to what apps offer a member (a technician's calendar feed) -------------------------


@dataclass(frozen=True)
class ProfileLink:
    roles: frozenset
    label: str
    description: str
    icon: str
    url_name: str  # a page under /o/<org>/ (kwarg org)


_profile_links: dict[str, ProfileLink] = {}


def profile_link_register(*, key: str, roles: Iterable, label: str, description: str, icon: str, url_name: str) -> None:
    """Offer a page on the profile of `roles` (registering `key` again replaces it)."""
    _profile_links[key] = ProfileLink(frozenset(roles), label, description, icon, url_name)


def profile_links(role) -> list[ProfileLink]:
    return [link for link in _profile_links.values() if role in link.roles]
