"""The one resolver that turns a request into its `Access` (organization + role + caller).

Browser pages name the organization in the URL (`/o/<slug>/…`). API tokens are bound to one
organization. Session callers of the API use the `X-Organization` header or the organization
last opened in the browser. Another organization, or one the caller is not a member of, resolves
to None, which the callers turn into a 404 (pages) or 403/404 (API).
"""

from __future__ import annotations

from django.http import Http404

from rollout.selectors import access_for_user
from rollout.tenancy import Access

SESSION_KEY = "active_organization_id"


def access_for_page(request, organization_slug: str) -> Access:
    """Access for a browser page under /o/<slug>/; a 404 when the user is not a member."""
    access = access_for_user(user=request.user, organization_slug=organization_slug)
    if access is None:
        raise Http404("No such organization.")
    if request.session.get(SESSION_KEY) != access.organization.pk:
        request.session[SESSION_KEY] = access.organization.pk
    return access


def access_for_api_request(request) -> Access | None:
    """Access for an API request, after DRF authentication; None if anonymous."""
    token_access = getattr(request, "token_access", None)
    if token_access is not None:
        return token_access
    user = request.user
    if not user or not user.is_authenticated:
        return None
    slug = request.headers.get("X-Organization", "").strip()
    if slug:
        access = access_for_user(user=user, organization_slug=slug)
        if access is None:
            raise Http404("No such organization.")
        return access
    organization_id = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    if organization_id:
        access = access_for_user(user=user, organization_id=organization_id)
        if access is not None:
            return access
    from rollout.selectors import memberships_for_user

    membership = memberships_for_user(user).first()
    if membership is None:
        return None
    return access_for_user(user=user, organization_id=membership.organization_id)
