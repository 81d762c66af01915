"""The schedule-runs API and pages: the role matrix, another organization's run is a 404 on every route, the
create input's codes, and a run followed end to end (create → proposals → publish twice → booked once)."""

import pytest
from django.urls import reverse

from rollout.choices import Role
from scheduling.models import ScheduleRun
from tests.scheduling.builders import WEEK, build_wave, run_now
from tests.workorders.builders.visits import build_field_world
from workorders.models import Visit

BASE = "/api/v1/schedule-runs/"
WRITERS = {Role.ADMIN, Role.PM, Role.COORDINATOR}
READERS = WRITERS | {Role.INTEGRATOR}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


@pytest.fixture
def run(world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=2)
    return run_now(world, wave, django_capture_on_commit_callbacks)


def body(world, wave):
    return {"program": world.program.pk, "wave": wave.pk, "date_from": str(WEEK[0]), "date_to": str(WEEK[1])}


@pytest.mark.parametrize("role", list(Role))
def test_who_reads_runs(tenant, run, role):
    api = tenant.api(role)
    for path in (BASE, f"{BASE}{run.pk}/", f"{BASE}{run.pk}/proposals/", f"{BASE}{run.pk}/unscheduled/"):
        assert api.get(path).status_code == (200 if role in READERS else 403), path


@pytest.mark.parametrize("role", list(Role))
def test_who_starts_a_run(tenant, world, role, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = tenant.api(role).post(BASE, body(world, wave), format="json")
    assert response.status_code == (202 if role in WRITERS else 403), response.content
    if role in WRITERS:
        assert ScheduleRun.objects.get(pk=response.json()["id"]).status == "succeeded"


@pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.CLIENT, Role.TECHNICIAN])
def test_who_may_not_publish_or_cancel(tenant, run, role):
    api = tenant.api(role)
    assert api.post(f"{BASE}{run.pk}/publish/").status_code == 403
    assert api.post(f"{BASE}{run.pk}/cancel/").status_code == 403


def test_another_organizations_run_is_a_404_everywhere(other_tenant, run):
    other = other_tenant
    api = other.api(Role.ADMIN)
    for path in ("", "proposals/", "unscheduled/"):
        assert api.get(f"{BASE}{run.pk}/{path}").status_code == 404
    for path in ("publish/", "cancel/"):
        assert api.post(f"{BASE}{run.pk}/{path}").status_code == 404
    assert api.get(BASE).json()["results"] == []
    page = reverse("scheduling:schedule-run-detail", kwargs={"org": other.organization.slug, "pk": run.pk})
    client = other.api(Role.ADMIN)
    assert client.get(page).status_code == 404


def test_bad_create_inputs_answer_their_codes(tenant, world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=1)
    api = tenant.api(Role.PM)
    outside = {**body(world, wave), "date_from": "2027-02-20"}
    response = api.post(BASE, outside, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "date_range_outside_wave"
    with django_capture_on_commit_callbacks(execute=False):
        assert api.post(BASE, body(world, wave), format="json").status_code == 202
    response = api.post(BASE, body(world, wave), format="json")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "schedule_run_already_running"
    empty, _ = build_wave(world, sites=0)
    response = api.post(BASE, body(world, empty), format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "no_ready_work_orders"


def test_a_run_end_to_end_through_the_api(tenant, run):
    api = tenant.api(Role.COORDINATOR)
    detail = api.get(f"{BASE}{run.pk}/").json()
    assert (detail["status"], detail["progress"], detail["summary"]["visits"]) == ("succeeded", 100, 2)
    proposals = api.get(f"{BASE}{run.pk}/proposals/").json()["results"]
    assert len(proposals) == 2 and all(p["publish_outcome"] == "" for p in proposals)
    assert api.post(f"{BASE}{run.pk}/publish/").json() == {"booked": 2, "refused": 0, "already": 0}
    assert api.post(f"{BASE}{run.pk}/publish/").json() == {"booked": 0, "refused": 0, "already": 2}
    assert Visit.objects.filter(work_order__program=run.program).count() == 2
    response = api.post(f"{BASE}{run.pk}/cancel/")
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "schedule_run_not_open"


def test_the_run_page_shows_the_proposal_and_publishes(tenant, run):
    client = tenant.api(Role.PM)
    org = tenant.organization.slug
    page = client.get(reverse("scheduling:schedule-run-detail", kwargs={"org": org, "pk": run.pk}))
    assert page.status_code == 200
    assert b"Proposed visits, per technician and day" in page.content and b"Publish all (2)" in page.content
    listing = client.get(reverse("scheduling:schedule-runs", kwargs={"org": org}))
    assert f"Run {run.pk}".encode() in listing.content
    client.post(reverse("scheduling:schedule-run-publish", kwargs={"org": org, "pk": run.pk}))
    assert Visit.objects.filter(work_order__program=run.program).count() == 2
    page = client.get(reverse("scheduling:schedule-run-detail", kwargs={"org": org, "pk": run.pk}))
    assert b"Booked" in page.content
