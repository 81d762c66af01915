"""Work orders REST API: role matrix, cross-organization 404s (ids in paths and bodies), client scoping,
the state table through the API, bulk transitions, assignment errors, shipments, and query budgets."""

import itertools

import pytest
from rest_framework.test import APIClient

from rollout.choices import Role
from rollout.models import AuditEvent
from tests.factories import ClientFactory, MembershipFactory, issue_token
from tests.programs.factories import EnrollmentFactory, ProgramFactory
from tests.technicians.factories import TechnicianFactory
from tests.workorders.builders.work_orders import VISIT_DAY, enrolled_site, local, prepared
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from workorders.choices import REVIEW_ONLY_MOVES, WORK_ORDER_TRANSITIONS, Gate, WorkOrderStatus
from workorders.models import Shipment, WorkOrder

S = WorkOrderStatus
READ_OK = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, "token"}
WRITE_OK = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token"}  # an integrator syncs work orders
OVERRIDE_OK = {Role.ADMIN, Role.PM}
CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]


def errors(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


def expect(caller, response, ok_roles, ok_status):
    if caller in ok_roles:
        assert response.status_code == ok_status, (caller, response.content)
    elif caller is None:
        assert response.status_code == 401
    else:
        assert response.status_code == 403, (caller, response.status_code)


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, world, caller):
    # given a work order with a shipment
    work_order = prepared(world, "scheduled")
    shipment = work_order.shipments.first()
    api = tenant.api(caller)
    urls = [
        "/api/v1/work-orders/",
        f"/api/v1/work-orders/{work_order.pk}/",
        f"/api/v1/work-orders/{work_order.pk}/readiness/",
        "/api/v1/shipments/",
        f"/api/v1/shipments/{shipment.pk}/",
    ]
    # when the caller reads / then readers get 200, technicians 403, anonymous 401
    for url in urls:
        expect(caller, api.get(url), READ_OK, 200)
    candidates = api.get(f"/api/v1/work-orders/{work_order.pk}/technician-candidates/")
    expect(caller, candidates, READ_OK - {Role.CLIENT}, 200)


def writes(tenant, world):
    """One write per endpoint and action, each valid for a writer on fresh rows."""
    ready = prepared(world, "ready")
    draft = prepared(world, "draft", green=False)
    shipment = ShipmentFactory(work_order=ready)
    EnrollmentFactory(program=world["program"])
    window = {"planned_start": local(VISIT_DAY, 9).isoformat(), "planned_end": local(VISIT_DAY, 12).isoformat()}
    return [
        ("post", "/api/v1/work-orders/create-for-program/", {"program": world["program"].pk}, 200),
        ("post", f"/api/v1/work-orders/{draft.pk}/transition/", {"to_status": "ready"}, 200),
        ("post", "/api/v1/work-orders/bulk-transition/", {"work_order_ids": [draft.pk], "to_status": "draft"}, 200),
        ("post", f"/api/v1/work-orders/{ready.pk}/confirm-site-contact/", {"note": "Spoke to Ana"}, 200),
        ("post", f"/api/v1/work-orders/{ready.pk}/assign/", {"technician": world["technician"].pk, **window}, 200),
        ("post", "/api/v1/shipments/", {"work_order": ready.pk, "carrier": "FedEx", "shipped_on": "2026-02-25"}, 201),
        ("patch", f"/api/v1/shipments/{shipment.pk}/", {"tracking_number": "NEW-1"}, 200),
        ("delete", f"/api/v1/shipments/{shipment.pk}/", None, 204),
    ]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
def test_write_role_matrix(tenant, world, caller):
    # given fresh work orders
    api = tenant.api(caller)
    for method, url, body, ok_status in writes(tenant, world):
        # when the caller writes / then only admins, PMs, coordinators and integrators may
        response = getattr(api, method)(url, body, format="json")
        expect(caller, response, WRITE_OK, ok_status)


@pytest.mark.parametrize("caller", CALLERS)
def test_override_gate_is_for_pms_and_admins_only(tenant, world, caller):
    # given a scheduled work order whose site contact is not confirmed
    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    # when the caller overrides that gate
    response = tenant.api(caller).post(
        f"/api/v1/work-orders/{work_order.pk}/override-gate/",
        {"gate": "site_contact", "reason": "Store manager confirmed by text to the PM"},
        format="json",
    )
    # then only PMs and admins may, and the override shows on the checklist
    expect(caller, response, OVERRIDE_OK, 200)
    if response.status_code == 200:
        gate = next(g for g in response.json()["checklist"] if g["gate"] == "site_contact")
        assert (gate["passed"], gate["green"]) == (False, True)
        assert gate["override"]["reason"] == "Store manager confirmed by text to the PM"


TABLE = list(itertools.product(S.values, S.values))


@pytest.mark.parametrize(("from_status", "to_status"), TABLE)
def test_state_table_through_the_api(tenant, world, from_status, to_status):
    # given a work order in `from_status` with every precondition met
    work_order = prepared(world, from_status)
    # when a coordinator asks for the move
    response = tenant.api(Role.COORDINATOR).post(
        f"/api/v1/work-orders/{work_order.pk}/transition/",
        {"to_status": to_status, "reason": "Per the plan", "expected_version": work_order.version},
        format="json",
    )
    # then allowed moves answer 200 with the new state; the rest 409 invalid_transition naming from and to;
    # accepting or rejecting submitted work is the QA review's alone (409 review_required, naming the review)
    if (from_status, to_status) in REVIEW_ONLY_MOVES:
        assert response.status_code == 409
        assert errors(response) == [("review_required", None)]
        assert f"/api/v1/qa-queue/{work_order.pk}/accept/" in response.json()["errors"][0]["detail"]
        assert WorkOrder.objects.get(pk=work_order.pk).status == from_status
    elif to_status in WORK_ORDER_TRANSITIONS[from_status]:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == to_status
        assert response.json()["version"] == work_order.version + 1
    else:
        assert response.status_code == 409
        assert errors(response) == [("invalid_transition", None)]
        detail = response.json()["errors"][0]["detail"]
        assert S(from_status).label in detail and S(to_status).label in detail
        assert WorkOrder.objects.get(pk=work_order.pk).status == from_status


def test_dispatch_with_red_gates_is_refused_with_the_reasons(tenant, world):
    # given a scheduled work order with no shipment and no site contact confirmation
    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    work_order.shipments.all().delete()
    # when it is dispatched
    response = tenant.api(Role.PM).post(
        f"/api/v1/work-orders/{work_order.pk}/transition/", {"to_status": "dispatched"}, format="json"
    )
    # then 409 not_ready lists the red gates
    assert response.status_code == 409
    assert errors(response) == [("not_ready", None)]
    detail = response.json()["errors"][0]["detail"]
    assert "Site contact confirmed" in detail and "Materials delivered" in detail


def test_stale_version_is_a_409(tenant, world):
    work_order = prepared(world, "draft")
    response = tenant.api(Role.PM).post(
        f"/api/v1/work-orders/{work_order.pk}/transition/",
        {"to_status": "ready", "expected_version": work_order.version + 5},
        format="json",
    )
    assert response.status_code == 409
    assert errors(response) == [("stale_version", None)]


def test_bulk_transition_reports_each_item(tenant, world, other_tenant, foreign):
    # given two drafts, one closed work order, and another organization's work order
    first, second = prepared(world, "draft"), prepared(world, "draft")
    closed = prepared(world, "closed")
    ids = [first.pk, closed.pk, foreign["work_order"].pk, second.pk, first.pk]
    # when a PM moves them all to ready
    response = tenant.api(Role.PM).post(
        "/api/v1/work-orders/bulk-transition/", {"work_order_ids": ids, "to_status": "ready"}, format="json"
    )
    # then each id is reported once, in order: moved, refused with the reason, or not found
    body = response.json()
    assert response.status_code == 200
    assert (body["moved"], body["refused"]) == (2, 2)
    outcomes = [(item["work_order_id"], item["outcome"], item["code"]) for item in body["items"]]
    assert outcomes == [
        (first.pk, "moved", ""),
        (closed.pk, "refused", "invalid_transition"),
        (foreign["work_order"].pk, "refused", "not_found"),
        (second.pk, "moved", ""),
    ]
    assert body["items"][1]["number"] == closed.number
    assert "Closed" in body["items"][1]["message"]
    assert body["items"][2]["number"] == ""  # nothing about the foreign row leaks
    assert WorkOrder.objects.get(pk=foreign["work_order"].pk).status == "ready"


def test_bulk_transition_by_filter(tenant, world):
    # given three drafts and a ready one
    drafts = [prepared(world, "draft") for _ in range(3)]
    prepared(world, "ready")
    # when a PM moves "every draft" to ready
    response = tenant.api(Role.PM).post(
        "/api/v1/work-orders/bulk-transition/",
        {"filter": {"status": ["draft"]}, "to_status": "ready"},
        format="json",
    )
    # then exactly the drafts moved
    assert response.json()["moved"] == 3
    assert {item["work_order_id"] for item in response.json()["items"]} == {d.pk for d in drafts}


def test_create_for_program_is_idempotent_and_numbers_are_unique(tenant, world):
    # given three enrolled sites
    for _ in range(3):
        enrolled_site(world)
    api = tenant.api(Role.PM)
    # when work orders are created twice
    first = api.post("/api/v1/work-orders/create-for-program/", {"program": world["program"].pk}, format="json")
    second = api.post("/api/v1/work-orders/create-for-program/", {"program": world["program"].pk}, format="json")
    # then the first creates three, numbered SCO-2026-000001…3; the second reports them as existing
    assert (first.json()["created"], first.json()["existing"]) == (3, 0)
    assert sorted(item["number"] for item in first.json()["items"]) == [
        "SCO-2026-000001",
        "SCO-2026-000002",
        "SCO-2026-000003",
    ]
    assert (second.json()["created"], second.json()["existing"]) == (0, 3)
    assert WorkOrder.objects.filter(program=world["program"]).count() == 3


def test_assign_explains_refusals(tenant, world):
    # given a ready work order, a technician without the POS skill, and a site closed on Sundays
    work_order = prepared(world, "ready", green=False)
    unskilled = TechnicianFactory(organization=tenant.organization, full_name="Pat Novice")
    api = tenant.api(Role.COORDINATOR)
    url = f"/api/v1/work-orders/{work_order.pk}/assign/"
    window = {"planned_start": local(VISIT_DAY, 9).isoformat(), "planned_end": local(VISIT_DAY, 12).isoformat()}
    # when the unskilled technician is assigned
    refused = api.post(url, {"technician": unskilled.pk, **window}, format="json")
    # then the reason names the missing skill
    assert refused.status_code == 400
    assert errors(refused) == [("technician_not_eligible", "technician")]
    assert "Missing skill: POS install" in refused.json()["errors"][0]["detail"]
    # when the window is at night
    night = api.post(
        url,
        {
            "technician": world["technician"].pk,
            "planned_start": local(VISIT_DAY, 23).isoformat(),
            "planned_end": local(VISIT_DAY, 23, 30).isoformat(),
        },
        format="json",
    )
    assert errors(night) == [("window_not_allowed", "planned_start")]
    assert "outside the site's access hours" in night.json()["errors"][0]["detail"]
    # when it is right, with schedule: true
    ok = api.post(url, {"technician": world["technician"].pk, **window, "schedule": True}, format="json")
    assert ok.status_code == 200, ok.content
    assert (ok.json()["status"], ok.json()["technician"]["full_name"]) == ("scheduled", "Tomás Alvarez")
    assert "09:00–12:00 (America/Chicago)" in ok.json()["planned_window_local"]


def test_technician_candidates_nearest_first(tenant, world):
    # given a ready work order planned on the visit day and a second, farther qualified technician
    from decimal import Decimal

    work_order = prepared(world, "scheduled")
    far = TechnicianFactory(
        organization=tenant.organization,
        full_name="Far Away",
        skills=[world["skill"]],
        home_latitude=Decimal("42.300000"),
        home_longitude=Decimal("-87.900000"),
    )
    # when candidates are listed
    response = tenant.api(Role.COORDINATOR).get(f"/api/v1/work-orders/{work_order.pk}/technician-candidates/")
    # then nearest first, with distances
    names = [(row["full_name"], row["distance_km"]) for row in response.json()["results"]]
    assert [name for name, _ in names] == ["Tomás Alvarez", far.full_name]
    assert names[0][1] < names[1][1]


def test_shipments_follow_their_dates_and_are_audited(tenant, world):
    work_order = prepared(world, "ready", green=False)
    api = tenant.api(Role.COORDINATOR)
    created = api.post(
        "/api/v1/shipments/",
        {"work_order": work_order.pk, "carrier": "UPS", "tracking_number": "1Z1", "shipped_on": "2026-02-20"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["status"] == "in_transit"
    delivered = api.patch(f"/api/v1/shipments/{created.json()['id']}/", {"delivered_on": "2026-02-23"}, format="json")
    assert delivered.json()["status"] == "delivered"
    backwards = api.patch(f"/api/v1/shipments/{created.json()['id']}/", {"delivered_on": "2026-02-01"}, format="json")
    assert errors(backwards) == [("invalid_dates", "delivered_on")]
    assert AuditEvent.objects.filter(verb__startswith="shipment.").count() == 2


def test_another_organizations_rows_are_404_and_never_listed(tenant, world, foreign):
    # given another organization's work order and shipment
    api = tenant.api(Role.ADMIN)
    work_order, shipment = foreign["work_order"], foreign["shipment"]
    # when our admin reads or acts on them
    for url in (
        f"/api/v1/work-orders/{work_order.pk}/",
        f"/api/v1/work-orders/{work_order.pk}/readiness/",
        f"/api/v1/work-orders/{work_order.pk}/technician-candidates/?date=2026-03-04",
        f"/api/v1/shipments/{shipment.pk}/",
    ):
        assert api.get(url).status_code == 404, url
    for action, body in (
        ("transition", {"to_status": "draft"}),
        ("override-gate", {"gate": "site_contact", "reason": "no no no no"}),
        ("confirm-site-contact", {}),
        ("assign", {"technician": world["technician"].pk, "planned_start": "2026-03-04T09:00:00-06:00",
                    "planned_end": "2026-03-04T10:00:00-06:00"}),
    ):  # fmt: skip
        assert api.post(f"/api/v1/work-orders/{work_order.pk}/{action}/", body, format="json").status_code == 404
    assert api.patch(f"/api/v1/shipments/{shipment.pk}/", {"carrier": "x"}, format="json").status_code == 404
    assert api.delete(f"/api/v1/shipments/{shipment.pk}/").status_code == 404
    # then nothing of theirs is listed, and nothing changed
    assert api.get("/api/v1/work-orders/").json()["count"] == 0
    assert api.get("/api/v1/shipments/").json()["count"] == 0
    assert WorkOrder.objects.get(pk=work_order.pk).status == "ready"
    assert Shipment.objects.filter(pk=shipment.pk).exists()


def test_foreign_ids_in_bodies_and_filters_read_as_missing(tenant, world, foreign):
    # given our ready work order and another organization's program, technician and work order
    work_order = prepared(world, "ready", green=False)
    api = tenant.api(Role.PM)
    assign = api.post(
        f"/api/v1/work-orders/{work_order.pk}/assign/",
        {"technician": foreign["technician"].pk, "planned_start": "2026-03-04T09:00:00-06:00",
         "planned_end": "2026-03-04T10:00:00-06:00"},
        format="json",
    )  # fmt: skip
    create = api.post("/api/v1/work-orders/create-for-program/", {"program": foreign["program"].pk}, format="json")
    shipment = api.post("/api/v1/shipments/", {"work_order": foreign["work_order"].pk, "carrier": "x"}, format="json")
    filtered = api.get(f"/api/v1/work-orders/?program={foreign['program'].pk}")
    bulk = api.post(
        "/api/v1/work-orders/bulk-transition/",
        {"filter": {"program": foreign["program"].pk}, "to_status": "draft"},
        format="json",
    )
    assert errors(assign) == [("does_not_exist", "technician")]
    assert errors(create) == [("does_not_exist", "program")]
    assert errors(shipment) == [("does_not_exist", "work_order")]
    assert filtered.status_code == 400
    assert bulk.status_code == 400
    assert WorkOrder.objects.get(pk=foreign["work_order"].pk).status == "ready"


def test_client_viewers_see_their_own_clients_work_orders_only_read_only(tenant, world):
    # given a work order of our client's program, and a second client with its own program and viewer
    ours = prepared(world, "ready")
    other_client = ClientFactory(organization=tenant.organization)
    other_program = ProgramFactory(organization=tenant.organization, client=other_client, code="other")
    theirs = WorkOrderFactory(enrollment__program=other_program)
    ShipmentFactory(work_order=theirs)
    viewer = MembershipFactory(organization=tenant.organization, role=Role.CLIENT, client=other_client)
    api = APIClient()
    api.force_login(viewer.user)
    api.defaults["HTTP_X_ORGANIZATION"] = tenant.organization.slug
    # when that viewer reads
    listed = api.get("/api/v1/work-orders/").json()
    shipments = api.get("/api/v1/shipments/").json()
    # then only the other client's rows
    assert [row["id"] for row in listed["results"]] == [theirs.pk]
    assert {row["work_order"] for row in shipments["results"]} == {theirs.pk}
    assert api.get(f"/api/v1/work-orders/{ours.pk}/").status_code == 404
    assert api.get(f"/api/v1/shipments/{ours.shipments.first().pk}/").status_code == 404
    # and cannot write, even to their own
    assert api.post(f"/api/v1/work-orders/{theirs.pk}/transition/", {"to_status": "ready"}).status_code == 403
    # a client token is scoped the same way
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(tenant.organization, Role.CLIENT, other_client)}")
    assert [row["id"] for row in token.get("/api/v1/work-orders/").json()["results"]] == [theirs.pk]


def test_list_filters_and_search(tenant, world):
    scheduled = prepared(world, "scheduled")
    draft = prepared(world, "draft", green=False)
    api = tenant.api(Role.PM)

    def ids(query):
        return {row["id"] for row in api.get(f"/api/v1/work-orders/?{query}").json()["results"]}

    assert ids("status=scheduled") == {scheduled.pk}
    assert ids("status=scheduled&status=draft") == {scheduled.pk, draft.pk}
    assert ids(f"technician={world['technician'].pk}") == {scheduled.pk}
    assert ids("planned_from=2026-03-04&planned_to=2026-03-04") == {scheduled.pk}
    assert ids("planned_from=2026-03-05") == set()
    assert ids(f"q={draft.number}") == {draft.pk}
    assert ids(f"q={scheduled.site.code}") == {scheduled.pk}
    assert ids("state=il") == {scheduled.pk, draft.pk}
    assert ids(f"program={world['program'].pk}&ordering=-number") == {scheduled.pk, draft.pk}


def test_list_query_budget_does_not_grow_with_rows(tenant, world, django_assert_max_num_queries):
    # given work orders in every state, with technicians, windows and shipments (readiness badges per row)
    api = tenant.api(Role.PM)

    def add(count):
        for n in range(count):
            prepared(world, S.values[n % len(S.values)])

    add(3)
    with django_assert_max_num_queries(40) as small:
        api.get("/api/v1/work-orders/")
    add(25)
    # when the list is read with ten times the rows
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = api.get("/api/v1/work-orders/")
    # then the number of queries is the same, and every row has its badge
    assert response.json()["count"] == 28
    assert all(row["readiness"]["total"] == len(Gate.values) for row in response.json()["results"])
    assert len(large.captured_queries) == len(small.captured_queries)
