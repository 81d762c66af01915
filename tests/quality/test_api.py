"""Quality REST API: the role matrix of every endpoint, cross-organization 404s (paths, bodies, filters), client
viewers without internal comments, the review loop and its refusals through HTTP, and list query budgets."""

import pytest
from django.utils import timezone

from quality.models import DefectCode, QaReview
from rollout.choices import Role
from tests.quality.support import defect_code, expect, reject, submitted_work_order
from tests.workorders.builders.visits import build_field_world, other_technician, ready_work_order
from workorders.models import VisitPhoto, WorkOrder

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
STAFF = {Role.ADMIN, Role.PM, Role.COORDINATOR}
FULL_READ = STAFF | {Role.INTEGRATOR, "token"}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def quick_submitted(world, technician=None) -> WorkOrder:
    """A submitted work order made by the factory (no visit): enough for lists and role checks."""
    work_order = ready_work_order(world, status="submitted")
    WorkOrder.objects.filter(pk=work_order.pk).update(
        submitted_at=timezone.now(), technician=technician or world.technician
    )
    return WorkOrder.objects.get(pk=work_order.pk)


def codes(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, world, caller):
    # given a rejected work order (a review with a defect) and a catalogue
    review = reject(world, quick_submitted(world))
    api = tenant.api(caller)
    # then
    expect(caller, api.get("/api/v1/qa-queue/"), FULL_READ, 200)
    expect(caller, api.get("/api/v1/defect-codes/"), FULL_READ, 200)
    expect(caller, api.get("/api/v1/drft-metrics/?dimension=vendor"), FULL_READ | {Role.CLIENT}, 200)
    readers = FULL_READ | {Role.CLIENT, Role.TECHNICIAN}
    expect(caller, api.get("/api/v1/qa-reviews/"), readers, 200)
    expect(caller, api.get(f"/api/v1/qa-reviews/{review.pk}/"), readers, 200)


@pytest.mark.parametrize("caller", CALLERS)
def test_decision_role_matrix(tenant, world, caller):
    # given two submitted work orders
    first, second = quick_submitted(world), quick_submitted(world)
    code = defect_code(world)
    api = tenant.api(caller)
    # when the caller accepts one and rejects the other
    accepted = api.post(f"/api/v1/qa-queue/{first.pk}/accept/", {"comment": "ok"}, format="json")
    rejected = api.post(
        f"/api/v1/qa-queue/{second.pk}/reject/",
        {"defects": [{"code": code.pk, "root_cause": "skill", "task_key": "mount"}]},
        format="json",
    )
    # then only coordinators, PMs and admins decide
    expect(caller, accepted, STAFF, 200)
    expect(caller, rejected, STAFF, 200)
    if caller in STAFF:
        assert accepted.json()["decision"] == "accepted"
        assert rejected.json()["defects"][0]["code"] == code.code
        assert WorkOrder.objects.get(pk=second.pk).status == "rework"


@pytest.mark.parametrize("caller", CALLERS)
def test_only_admins_edit_the_catalogue(tenant, world, caller):
    code = defect_code(world, "dirty")
    api = tenant.api(caller)
    created = api.post("/api/v1/defect-codes/", {"code": "label-missing", "title": "Label missing"}, format="json")
    changed = api.patch(f"/api/v1/defect-codes/{code.pk}/", {"default_severity": "critical"}, format="json")
    expect(caller, created, {Role.ADMIN}, 201)
    expect(caller, changed, {Role.ADMIN}, 200)
    if caller == Role.ADMIN:
        assert created.json()["default_severity"] == "major"
        assert changed.json()["default_severity"] == "critical"
        duplicate = api.post("/api/v1/defect-codes/", {"code": "dirty", "title": "Again"}, format="json")
        assert duplicate.status_code == 400 and codes(duplicate) == [("unique", "code")]


def test_the_queue_is_oldest_first_with_age_and_filters(tenant, world):
    # given three submitted work orders submitted 30 h, 5 h and 1 h ago, and one accepted
    now = timezone.now()
    rows = []
    for hours in (5, 30, 1):
        work_order = ready_work_order(world, status="submitted")
        WorkOrder.objects.filter(pk=work_order.pk).update(submitted_at=now - timezone.timedelta(hours=hours))
        rows.append(work_order)
    ready_work_order(world, status="accepted")
    api = tenant.api(Role.COORDINATOR)
    # when the queue is read
    response = api.get("/api/v1/qa-queue/")
    # then
    body = response.json()
    assert [row["id"] for row in body["results"]] == [rows[1].pk, rows[0].pk, rows[2].pk]
    assert body["results"][0]["age_hours"] == pytest.approx(30, abs=0.2)
    older = api.get("/api/v1/qa-queue/?older_than_hours=4").json()
    assert {row["id"] for row in older["results"]} == {rows[0].pk, rows[1].pk}
    assert api.get(f"/api/v1/qa-queue/?program={world.program.pk}").json()["count"] == 3


def test_refusals_through_the_api(tenant, world):
    # given a submitted work order and another, in progress
    work_order = submitted_work_order(world)
    other = submitted_work_order(world)
    their_photo = VisitPhoto.objects.filter(visit__work_order=other).first()
    code = defect_code(world)
    busy = ready_work_order(world, status="in_progress")
    api = tenant.api(Role.COORDINATOR)
    url = f"/api/v1/qa-queue/{work_order.pk}/reject/"
    # then: no defect
    response = api.post(url, {"defects": []}, format="json")
    assert response.status_code == 400 and codes(response) == [("defect_required", "defects")]
    # another work order's photo
    body = {"defects": [{"code": code.pk, "root_cause": "other", "photo": their_photo.pk}]}
    response = api.post(url, body, format="json")
    assert response.status_code == 400 and codes(response) == [("evidence_mismatch", "defects[0].photo")]
    # not submitted
    response = api.post(f"/api/v1/qa-queue/{busy.pk}/accept/", {}, format="json")
    assert response.status_code == 409 and codes(response)[0][0] == "not_submitted"
    # a second decision
    assert api.post(f"/api/v1/qa-queue/{work_order.pk}/accept/", {}, format="json").status_code == 200
    response = api.post(url, {"defects": [{"code": code.pk, "root_cause": "other"}]}, format="json")
    assert response.status_code == 409 and codes(response)[0][0] == "already_reviewed"
    assert QaReview.objects.filter(work_order=work_order).count() == 1


def test_another_organizations_rows_are_404_and_never_listed(tenant, world, other_tenant):
    # given another organization's submitted, reviewed work order and catalogue
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = submitted_work_order(foreign)
    their_review = reject(foreign, submitted_work_order(foreign))
    their_code = DefectCode.objects.get(organization=other_tenant.organization)
    mine = submitted_work_order(world)
    api = tenant.api(Role.ADMIN)
    # then paths are 404
    assert api.post(f"/api/v1/qa-queue/{theirs.pk}/accept/", {}, format="json").status_code == 404
    assert api.get(f"/api/v1/qa-reviews/{their_review.pk}/").status_code == 404
    assert api.get(f"/api/v1/defect-codes/{their_code.pk}/").status_code == 404
    assert api.patch(f"/api/v1/defect-codes/{their_code.pk}/", {"title": "x"}, format="json").status_code == 404
    # lists never show them
    assert [row["id"] for row in api.get("/api/v1/qa-queue/").json()["results"]] == [mine.pk]
    assert api.get("/api/v1/qa-reviews/").json()["count"] == 0
    assert api.get("/api/v1/defect-codes/").json()["count"] == 0
    # ids in bodies and filters read as missing
    body = {"defects": [{"code": their_code.pk, "root_cause": "other"}]}
    response = api.post(f"/api/v1/qa-queue/{mine.pk}/reject/", body, format="json")
    assert codes(response) == [("does_not_exist", "defects[0].code")]
    assert api.get(f"/api/v1/qa-queue/?program={foreign.program.pk}").status_code == 400
    assert api.get(f"/api/v1/drft-metrics/?program={foreign.program.pk}").status_code == 400


def test_client_viewers_read_their_reviews_without_internal_comments(tenant, world):
    work_order = submitted_work_order(world)
    reject(world, work_order, comment="Internal: talk to the vendor")
    response = tenant.api(Role.CLIENT).get("/api/v1/qa-reviews/")
    [review] = response.json()["results"]
    assert review["comment"] == "" and review["defects"][0]["root_cause"] == "technician_error"
    assert tenant.api(Role.PM).get("/api/v1/qa-reviews/").json()["results"][0]["comment"].startswith("Internal")


def test_technicians_read_the_reviews_of_their_own_work_orders_only(tenant, world):
    # given a rejected work order of the technician member's, and one of Rosa's
    mine = quick_submitted(world)
    reject(world, mine)
    theirs = quick_submitted(world, technician=other_technician(world))
    reject(world, theirs)
    # when the technician member reads the reviews / then only their own
    response = tenant.api(Role.TECHNICIAN).get("/api/v1/qa-reviews/")
    assert [row["work_order"] for row in response.json()["results"]] == [mine.pk]


def test_list_query_budgets_do_not_grow_with_rows(tenant, world, django_assert_max_num_queries):
    api = tenant.api(Role.PM)

    def add(count):
        for _ in range(count):
            work_order = ready_work_order(world, status="submitted")
            WorkOrder.objects.filter(pk=work_order.pk).update(submitted_at=timezone.now())

    add(2)
    reject(world, quick_submitted(world))
    with django_assert_max_num_queries(30) as small:
        api.get("/api/v1/qa-queue/")
        api.get("/api/v1/qa-reviews/")
    add(12)
    for _ in range(3):
        reject(world, quick_submitted(world))
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        queue = api.get("/api/v1/qa-queue/")
        reviews = api.get("/api/v1/qa-reviews/")
    assert queue.json()["count"] == 14 and reviews.json()["count"] == 4
    assert len(large.captured_queries) == len(small.captured_queries)


def test_drft_metrics_by_dimension_and_week(tenant, world, django_capture_on_commit_callbacks):
    from tests.quality.support import accept, close

    # given one closed DRFT work order, one closed rejected one (its return visit accepted), one accepted
    with django_capture_on_commit_callbacks(execute=True):
        good = submitted_work_order(world)
        accept(world, good)
        close(world, good)
        bad = submitted_work_order(world)
        reject(world, bad)
        WorkOrder.objects.filter(pk=bad.pk).update(status="submitted")  # its return visit's result came back
        accept(world, WorkOrder.objects.get(pk=bad.pk))
        close(world, WorkOrder.objects.get(pk=bad.pk))
        accept(world, submitted_work_order(world))
    api = tenant.api(Role.CLIENT)
    # when the metrics are read per program and per technician
    [program] = api.get("/api/v1/drft-metrics/?dimension=program").json()
    [technician] = api.get(f"/api/v1/drft-metrics/?dimension=technician&program={world.program.pk}").json()
    weeks = api.get("/api/v1/drft-metrics/?dimension=week").json()
    # then
    assert (program["numerator"], program["denominator"], program["excluded"], program["percent"]) == (1, 2, 0, "50.0")
    assert (program["provisional_numerator"], program["provisional_denominator"]) == (1, 1)
    assert program["label"] == world.program.code
    # (a client viewer sees technicians by first name only: quality.visibility)
    assert (technician["label"], technician["numerator"], technician["denominator"]) == ("Tomás", 1, 2)
    staff = tenant.api(Role.PM).get(f"/api/v1/drft-metrics/?dimension=technician&program={world.program.pk}").json()
    assert staff[0]["label"] == "Tomás Alvarez"
    assert sum(row["denominator"] for row in weeks) == 2 and weeks[0]["key"].count("-W") == 1
    assert api.get("/api/v1/drft-metrics/?week_from=2026-13").status_code == 400
