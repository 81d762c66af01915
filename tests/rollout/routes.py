"""The API routes of the URL configuration, walked for the probes (cross-organization, list query budgets)."""

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
