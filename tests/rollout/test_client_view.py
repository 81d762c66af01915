"""What a client viewer reaches in the demo: every page linked from their home (breadth first, the organization's
pages and the API lists) shows none of the internal workings — gate-override notes, technicians' working-hours
reasons, internal comments, technicians' e-mails and phones, pending variations — and links to nothing that
answers 403."""

import re
from collections import deque

import pytest
from django.core.management import call_command

from rollout.choices import Role
from rollout.models import Membership, Organization
from technicians.models import Technician
from tests.rollout.routes import api_routes
from workorders.models import Visit, WorkOrder

pytestmark = pytest.mark.django_db

LINK = re.compile(r'href="(/[^"#?]*)')
SKIP = ("/sign-out", "/logout", "/static/", "/media/", "/export", "/download", ".csv", "/api/docs", "/api/schema")
INTERNAL_WORDS = ["pending variation", "check sites", "outside their working hours", "does not work on"]
MAX_PAGES = 400


def internal_strings(organization) -> list[str]:
    strings = list(INTERNAL_WORDS)
    for overrides in (
        WorkOrder.objects.for_organization(organization)
        .exclude(gate_overrides={})
        .values_list("gate_overrides", flat=True)
    ):
        strings += [value["reason"] for value in overrides.values() if isinstance(value, dict) and value.get("reason")]
    for email, phone in Technician.objects.for_organization(organization).values_list("email", "phone"):
        strings += [email, phone]
    try:
        from quality.models import Review

        strings += [c for c in Review.objects.for_organization(organization).values_list("comment", flat=True) if c]
    except (ImportError, AttributeError, Exception):  # noqa: BLE001 - the quality app may name it otherwise
        pass
    return [s for s in set(strings) if s and len(s) > 3]


def test_a_client_viewer_never_sees_internal_workings(client):
    # given the demo and its client viewer
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    viewer = Membership.objects.get(organization=northwind, role=Role.CLIENT).user
    client.force_login(viewer)
    forbidden = internal_strings(northwind)
    # when they follow every link from their home, and open every API list
    start = f"/o/{northwind.slug}/"
    # the pages a client reaches from their home, from a notification or a shared link: the work orders of their
    # program, the pilot's work orders and every visit of the day
    pilot = WorkOrder.objects.for_organization(northwind).filter(visits__isnull=False).distinct()
    starts = [start, f"{start}work-orders/"]
    starts += [f"{start}work-orders/{pk}/" for pk in pilot.values_list("pk", flat=True)]
    starts += [f"{start}visits/{pk}/" for pk in Visit.objects.for_organization(northwind).values_list("pk", flat=True)]
    seen, queue, leaks, refused = set(starts), deque((url, "") for url in starts), [], []
    while queue and len(seen) <= MAX_PAGES:
        url, came_from = queue.popleft()
        response = client.get(url)
        if response.status_code == 403:
            refused.append(f"{url} (linked from {came_from})")
            continue
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        text = response.content.decode()
        leaks += [f"{url}: {s!r}" for s in forbidden if s in text]
        for link in LINK.findall(text):
            if link.startswith(start) and link not in seen and not any(part in link for part in SKIP):
                seen.add(link)
                queue.append((link, url))
    for route, _name, _cls, actions in api_routes():
        if "<" in route or "(?P" in route or actions.get("get") not in ("list", "export"):
            continue
        response = client.get("/" + route.replace("^", "").replace("$", ""))
        if response.status_code == 200:  # the lists, and the exports (/api/v1/exports/…: streamed CSV)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8-sig")
            leaks += [f"/{route}: {s!r}" for s in forbidden if s in text]
    # then nothing internal shows and no link leads to a refusal
    assert len(seen) > 5, seen
    assert not leaks, "\n".join(sorted(set(leaks))[:40])
    assert not refused, "\n".join(refused[:40])
