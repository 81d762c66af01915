"""A cross-organization probe over every API endpoint, on the full demo data.

As Bluebird's admin token: every list returns only Bluebird's rows, and every detail route and detail
action on a Northwind object answers 404 (or 403 where the role may not act at all) — never data.
New endpoints are covered automatically: the probe walks the URL patterns.
"""

import pytest
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from rollout.models import Organization
from tests.factories import issue_token
from tests.rollout.routes import api_routes, concrete

pytestmark = pytest.mark.django_db(transaction=True)

# Placeholder values for non-id path parameters.
PATH_DEFAULTS = {"format": "json"}


def model_of(cls):
    queryset = getattr(cls, "queryset", None)
    return queryset.model if queryset is not None else None


@pytest.fixture
def demo(transactional_db):
    call_command("seed_demo", verbosity=0)
    victim = Organization.objects.get(slug="northwind")
    prober = Organization.objects.get(slug="bluebird")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(prober, role='admin')}")
    return victim, prober, api


def test_no_endpoint_lists_or_reveals_another_organizations_rows(demo):
    victim, prober, api = demo
    leaks, probed_lists, probed_details = [], 0, 0
    for route, name, cls, actions in api_routes():
        model = model_of(cls)
        if "<pk>" not in route and "(?P<pk>" not in route:
            if "get" in actions and actions["get"] == "list":
                response = api.get(concrete(route, 0) + "?page_size=200")
                probed_lists += 1
                if response.status_code == 200 and model is not None and hasattr(model, "organization_id"):
                    rows = response.json().get("results", response.json())
                    ids = [row["id"] for row in rows if isinstance(row, dict) and "id" in row]
                    foreign = model.objects.filter(pk__in=ids).exclude(organization=prober)
                    if foreign.exists():
                        leaks.append(
                            f"LIST {route} returned foreign ids {list(foreign.values_list('pk', flat=True))[:5]}"
                        )
            continue
        if model is None or not hasattr(model, "organization_id"):
            continue
        victims = list(model.objects.filter(organization=victim).values_list("pk", flat=True)[:2])
        for pk in victims:
            path = concrete(route, pk)
            for method in actions:
                call = getattr(api, method)
                response = call(path, {}, format="json") if method in ("post", "put", "patch") else call(path)
                probed_details += 1
                if response.status_code not in (403, 404, 405):
                    leaks.append(f"{method.upper()} {path} ({name}) answered {response.status_code}")
    print(f"probed {probed_lists} lists and {probed_details} detail calls")
    assert probed_lists >= 10 and probed_details >= 10, (probed_lists, probed_details)
    assert leaks == [], "\n".join(leaks)


def page_routes():
    """(route, name, view class) for every page under /o/<org>/ that takes a pk."""
    from rollout.views.base import OrgPageMixin

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("o/<slug:org>/") and "<int:pk>" in route:
                cls = getattr(pattern.callback, "view_class", None)
                if cls is not None and issubclass(cls, OrgPageMixin):
                    yield route, pattern.name, cls

    return list(walk(get_resolver().url_patterns, ""))


def page_model(cls):
    if getattr(cls, "model", None) is not None:
        return cls.model
    queryset = getattr(cls, "queryset", None)
    return queryset.model if queryset is not None else None


def test_no_page_shows_another_organizations_object(demo, client):
    victim, prober, _api = demo
    from rollout.choices import Role
    from rollout.models import Membership

    client.force_login(Membership.objects.get(organization=prober, role=Role.ADMIN).user)
    leaks, probed = [], 0
    for route, name, cls in page_routes():
        model = page_model(cls)
        if model is None or not hasattr(model, "organization_id"):
            continue
        for pk in model.objects.filter(organization=victim).values_list("pk", flat=True)[:2]:
            path = "/" + route.replace("<slug:org>", prober.slug).replace("<int:pk>", str(pk))
            if "<" in path:  # other parameters: not probed generically
                continue
            response = client.get(path, follow=True)  # a redirect must not lead to the object either
            probed += 1
            if response.status_code not in (403, 404, 405):
                leaks.append(f"GET {path} ({name}) answered {response.status_code}")
    print(f"probed {probed} page calls")
    assert probed >= 5
    assert leaks == [], "\n".join(leaks)
