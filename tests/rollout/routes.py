"""The URL configuration walked by the guards and probes (tenancy guard, declared writes, cross-organization probe,
list query budgets): every (route, pattern) but the admin's, the API routes with their viewsets, concrete paths."""

import re

from django.urls import URLPattern, URLResolver, get_resolver

from rollout.api.base import OrgAPIMixin


def api_routes():
    """(route, name, viewset class, http methods mapped to actions) for every /api/v1/ pattern."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                cls = getattr(pattern.callback, "cls", None)
                actions = getattr(pattern.callback, "actions", None) or {}
                if cls is not None and issubclass(cls, OrgAPIMixin) and "format" not in route:
                    yield route, pattern.name, cls, actions

    return [(route, name, cls, dict(actions)) for route, name, cls, actions in walk(get_resolver().url_patterns, "")]


def concrete(route: str, pk) -> str:
    path = re.sub(r"\^|\$", "", route)
    path = re.sub(r"\(\?P<pk>[^)]*\)|<(int:|str:)?pk>", str(pk), path)
    return "/" + path


def walk(patterns, prefix=""):
    """(route, pattern) for every URL pattern, the Django admin's aside."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if getattr(pattern, "app_name", None) == "admin" or route.startswith("admin/"):
                continue  # Django admin: staff-only, scoped by its own ModelAdmin classes
            yield from walk(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern


def view_class(callback):
    """The class-based view (or DRF view) behind a pattern's callback, or None for a function view."""
    return getattr(callback, "cls", None) or getattr(callback, "view_class", None)
