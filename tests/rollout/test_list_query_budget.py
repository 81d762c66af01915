"""No N+1 on any API list: on the full demo (Northwind: 1,220 work orders, sites and enrollments, visits,
technicians…), every list endpoint reads the same number of queries for a page of 5 rows as for a page of 100,
and few of them. New endpoints are covered automatically: the routes come from the URL patterns."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from rollout.models import Organization
from tests.factories import issue_token
from tests.rollout.routes import api_routes, concrete

pytestmark = pytest.mark.django_db(transaction=True)

MAX_QUERIES = 16


def list_routes():
    return [route for route, _, _, actions in api_routes() if actions.get("get") == "list" and "<pk>" not in route]


def queries_for(api, path: str) -> tuple[int, int]:
    """(queries, rows) of one GET of a list page."""
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200, (path, response.status_code)
    body = response.json()
    rows = body.get("results", body) if isinstance(body, dict) else body
    return len(queries), len(rows)


def test_every_list_reads_a_fixed_number_of_queries_whatever_the_page_size():
    # given the full demo, read by Northwind's admin
    call_command("seed_demo", verbosity=0)
    northwind = Organization.objects.get(slug="northwind")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(northwind, role='admin')}")
    api.get("/api/v1/programs/")  # warm the token's and the organization's first-use writes
    offenders, measured = [], 0
    for route in list_routes():
        path = concrete(route, 0)
        # when a small and a large page are read
        small, small_rows = queries_for(api, f"{path}?page_size=5")
        large, large_rows = queries_for(api, f"{path}?page_size=100")
        measured += 1
        # then the large page costs no more queries than the small one, and neither costs many
        if large > small or large > MAX_QUERIES:
            offenders.append(f"{path}: {small} queries for {small_rows} rows, {large} for {large_rows} rows")
    assert measured >= 20
    assert offenders == [], "Lists whose queries grow with the page (N+1) or exceed the budget:\n" + "\n".join(
        offenders
    )
