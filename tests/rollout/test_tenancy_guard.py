"""Walks every URL pattern and fails for any view over tenant data that bypasses the scoped base classes."""

import inspect

from django.urls import get_resolver

from rollout.api.base import OrgAPIMixin
from rollout.views.base import OrgPageMixin
from tests.rollout.routes import view_class, walk

# Views that are not about one organization's data, each with the reason.
NOT_TENANT_VIEWS = {
    "healthz": "platform health, no tenant data",
    "home": "redirects to the caller's own organizations",
    "login": "authentication",
    "logout": "authentication",
    "password_reset": "authentication",
    "password_reset_done": "authentication",
    "password_reset_confirm": "authentication",
    "password_reset_complete": "authentication",
    "invitation-accept": "resolves the organization from the invitation secret itself",
    "api-root": "the API's front door: links to the schema and docs",
    "api-schema": "the public OpenAPI document",
    "api-docs": "static API documentation",
    "api-redoc": "static API documentation",
    "field-service-worker": "the field app's service-worker code, public like the static files it imports",
    "feed-ics": "a technician's calendar feed: the token in the link names the feed, and every query is scoped to "
    "its organization and technician (tests/scheduling/test_calendar.py)",
}


def test_every_view_over_tenant_data_derives_from_the_scoped_base_classes():
    offenders = []
    for route, pattern in walk(get_resolver().url_patterns):
        cls = view_class(pattern.callback)
        if pattern.name in NOT_TENANT_VIEWS:
            continue
        if route.startswith("api/v1/"):
            ok = cls is not None and issubclass(cls, OrgAPIMixin)
        elif "<slug:org>" in route or "<org>" in route:
            ok = cls is not None and issubclass(cls, OrgPageMixin)
        else:
            ok = False  # a page outside /o/<org>/ that is not declared above
        if not ok:
            offenders.append(f"{route} ({pattern.name}): {cls or pattern.callback}")
    assert offenders == [], "Views that bypass tenant scoping:\n" + "\n".join(offenders)


def test_no_view_replaces_the_scoped_get_queryset():
    offenders = []
    for route, pattern in walk(get_resolver().url_patterns):
        cls = view_class(pattern.callback)
        if cls is None:
            continue
        for klass in cls.__mro__:
            if klass in (OrgAPIMixin, OrgPageMixin) or klass.__module__.startswith(("rest_framework", "django.")):
                continue
            method = klass.__dict__.get("get_queryset")
            if method is not None and "super().get_queryset()" not in inspect.getsource(method):
                offenders.append(f"{route}: {klass.__qualname__}.get_queryset")
    assert offenders == []
