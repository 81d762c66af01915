"""Programs REST API: role matrix, cross-organization 404s, client scoping, immutability, errors, budgets."""

from datetime import date

import pytest

from rollout.choices import Role
from tests.factories import ClientFactory, MembershipFactory
from tests.programs.factories import (
    ProgramFactory,
    SowFactory,
    SowTaskFactory,
    WaveFactory,
    approved_sow,
)

READ_OK = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, "token"}
WRITE_OK = {Role.ADMIN, Role.PM}
SYNC_OK = WRITE_OK | {Role.INTEGRATOR, "token"}  # programs and waves: an integrator syncs them too
CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]


def errors(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


@pytest.fixture
def plan(program, draft):
    return {
        "program": program,
        "wave": WaveFactory(program=program, name="Pilot"),
        "sow": draft,
        "task": draft.tasks.first(),
        "material": draft.materials.first(),
    }


def list_and_detail_urls(plan):
    return [
        ("/api/v1/programs/", f"/api/v1/programs/{plan['program'].pk}/"),
        ("/api/v1/waves/", f"/api/v1/waves/{plan['wave'].pk}/"),
        ("/api/v1/sows/", f"/api/v1/sows/{plan['sow'].pk}/"),
        ("/api/v1/sow-tasks/", f"/api/v1/sow-tasks/{plan['task'].pk}/"),
        ("/api/v1/sow-materials/", f"/api/v1/sow-materials/{plan['material'].pk}/"),
    ]


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, plan, caller):
    # given a program with a wave and a draft SOW
    api = tenant.api(caller)
    for list_url, detail_url in list_and_detail_urls(plan):
        # when the caller lists and reads
        listed, detail = api.get(list_url), api.get(detail_url)
        # then readers get both; technicians are refused; anonymous callers must authenticate
        if caller in READ_OK:
            assert (listed.status_code, detail.status_code) == (200, 200), (caller, list_url)
            assert listed.json()["count"] >= 1
        elif caller is None:
            assert (listed.status_code, detail.status_code) == (401, 401)
        else:
            assert (listed.status_code, detail.status_code) == (403, 403), (caller, list_url)


def writes(tenant, plan):
    """One write per endpoint and action, each valid for a planner on a fresh plan."""
    program, wave, sow, task, material = (plan[k] for k in ("program", "wave", "sow", "task", "material"))
    return [
        (SYNC_OK, "post", "/api/v1/programs/", {"client": tenant.client.pk, "code": "new", "name": "New",
                                       "start_date": "2026-01-01", "end_date": "2026-02-01"}, 201),
        (SYNC_OK, "patch", f"/api/v1/programs/{program.pk}/", {"name": "Renamed"}, 200),
        (SYNC_OK, "post", f"/api/v1/programs/{program.pk}/transition/", {"to_status": "pilot"}, 200),
        (SYNC_OK, "post", "/api/v1/waves/", {"program": program.pk, "name": "W1", "start_date": "2026-04-01",
                                    "end_date": "2026-04-30"}, 201),
        (SYNC_OK, "patch", f"/api/v1/waves/{wave.pk}/", {"name": "Pilot A"}, 200),
        (SYNC_OK, "delete", f"/api/v1/waves/{wave.pk}/", None, 204),
        (WRITE_OK, "patch", f"/api/v1/sows/{sow.pk}/", {"notes": "n"}, 200),
        (WRITE_OK, "post", f"/api/v1/sows/{sow.pk}/reorder-tasks/", {"task_ids": list(
            reversed(sow.tasks.order_by("position").values_list("pk", flat=True)))}, 200),
        (WRITE_OK, "post", "/api/v1/sow-tasks/", {"sow": sow.pk, "title": "Extra"}, 201),
        (WRITE_OK, "patch", f"/api/v1/sow-tasks/{task.pk}/", {"estimated_minutes": 9}, 200),
        (WRITE_OK, "delete", f"/api/v1/sow-tasks/{task.pk}/", None, 204),
        (WRITE_OK, "post", "/api/v1/sow-materials/", {"sow": sow.pk, "part_number": "X-1"}, 201),
        (WRITE_OK, "patch", f"/api/v1/sow-materials/{material.pk}/", {"quantity": "4"}, 200),
        (WRITE_OK, "delete", f"/api/v1/sow-materials/{material.pk}/", None, 204),
        (WRITE_OK, "post", f"/api/v1/sows/{sow.pk}/approve/", None, 200),
        (WRITE_OK, "post", "/api/v1/sows/", {"program": program.pk}, 201),
        (WRITE_OK, "delete", f"/api/v1/sows/{sow.pk}/", None, 409),  # approved by now: refused, but allowed to try
    ]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
def test_write_role_matrix(tenant, plan, caller):
    # given a program with a wave and a draft SOW
    api = tenant.api(caller)
    for allowed, method, url, body, planner_status in writes(tenant, plan):
        # when the caller writes
        response = getattr(api, method)(url, body)
        # then only PMs and admins may (and an integrator, for programs and waves)
        if caller in allowed:
            assert response.status_code == planner_status, (caller, method, url, response.content)
        elif caller is None:
            assert response.status_code == 401
        else:
            assert response.status_code == 403, (caller, method, url)


def test_another_organizations_rows_are_404_and_never_listed(tenant, foreign):
    # given another organization's program, SOWs, wave, task and material
    wave = WaveFactory(program=foreign["program"])
    api = tenant.api(Role.ADMIN)
    details = [
        f"/api/v1/programs/{foreign['program'].pk}/",
        f"/api/v1/waves/{wave.pk}/",
        f"/api/v1/sows/{foreign['sow'].pk}/",
        f"/api/v1/sows/{foreign['draft'].pk}/",
        f"/api/v1/sow-tasks/{foreign['task'].pk}/",
        f"/api/v1/sow-materials/{foreign['material'].pk}/",
    ]
    # when our admin reads, changes or acts on them
    for url in details:
        assert api.get(url).status_code == 404, url
        assert api.patch(url, {"name": "x"}).status_code == 404, url
        assert api.delete(url).status_code == 404, url
    for action in (
        f"/api/v1/programs/{foreign['program'].pk}/transition/",
        f"/api/v1/sows/{foreign['draft'].pk}/approve/",
        f"/api/v1/sows/{foreign['draft'].pk}/reorder-tasks/",
    ):
        assert api.post(action, {"to_status": "pilot", "task_ids": [foreign["task"].pk]}).status_code == 404
    assert api.get(f"/api/v1/sows/{foreign['sow'].pk}/diff/?against={foreign['draft'].pk}").status_code == 404
    # then nothing of theirs is listed either
    for url in ("/api/v1/programs/", "/api/v1/waves/", "/api/v1/sows/", "/api/v1/sow-tasks/", "/api/v1/sow-materials/"):
        assert api.get(url).json()["count"] == 0, url


def test_foreign_ids_in_inputs_read_as_missing(tenant, draft, foreign, other_tenant):
    # given our PM and another organization's program, client, SOW and PM
    api = tenant.api(Role.PM)
    # when they are used as inputs
    wave = api.post(
        "/api/v1/waves/",
        {"program": foreign["program"].pk, "name": "W", "start_date": "2026-02-01", "end_date": "2026-02-02"},
    )
    task = api.post("/api/v1/sow-tasks/", {"sow": foreign["draft"].pk, "title": "x"})
    material = api.post("/api/v1/sow-materials/", {"sow": foreign["draft"].pk, "part_number": "x"})
    program = api.post(
        "/api/v1/programs/",
        {"client": other_tenant.client.pk, "code": "c", "name": "n", "start_date": "2026-01-01",
         "end_date": "2026-02-01", "responsible_pm": other_tenant.members[Role.PM].user.pk},
    )  # fmt: skip
    diff = api.get(f"/api/v1/sows/{draft.pk}/diff/?against={foreign['sow'].pk}")
    filtered = api.get(f"/api/v1/sow-tasks/?sow={foreign['draft'].pk}")
    # then each is refused as if the id did not exist
    assert ("does_not_exist", "program") in errors(wave)
    assert ("does_not_exist", "sow") in errors(task)
    assert ("does_not_exist", "sow") in errors(material)
    assert {("does_not_exist", "client"), ("does_not_exist", "responsible_pm")} <= set(errors(program))
    assert errors(diff) == [("invalid", "against")]
    assert filtered.status_code == 400


def test_client_viewers_see_only_their_clients_programs_read_only(tenant, program, draft):
    # given a second client of the same organization, with its own program and viewer
    other_client = ClientFactory(organization=tenant.organization)
    other_program = ProgramFactory(organization=tenant.organization, client=other_client, code="other")
    approved_sow(other_program)
    viewer = MembershipFactory(organization=tenant.organization, role=Role.CLIENT, client=other_client)
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_login(viewer.user)
    api.defaults["HTTP_X_ORGANIZATION"] = tenant.organization.slug
    # when that viewer lists and reads
    programs = api.get("/api/v1/programs/").json()
    sows = api.get("/api/v1/sows/").json()
    tasks = api.get("/api/v1/sow-tasks/").json()
    # then they see their own client's program only, and nothing of the first client's
    assert [p["code"] for p in programs["results"]] == ["other"]
    assert {s["program"] for s in sows["results"]} == {other_program.pk}
    assert all(t["sow"] != draft.pk for t in tasks["results"])
    assert api.get(f"/api/v1/programs/{program.pk}/").status_code == 404
    assert api.get(f"/api/v1/sows/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/sow-tasks/{draft.tasks.first().pk}/").status_code == 404
    assert api.get(f"/api/v1/sows/{draft.pk}/diff/?against={draft.pk}").status_code == 404
    # and they cannot write even to their own
    assert api.patch(f"/api/v1/programs/{other_program.pk}/", {"name": "x"}).status_code == 403


def test_client_token_is_scoped_like_a_client_viewer(tenant, program):
    # given a client-role API token for another client of the organization
    from rest_framework.test import APIClient

    from tests.factories import issue_token

    other_client = ClientFactory(organization=tenant.organization)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(tenant.organization, Role.CLIENT, other_client)}")
    # when / then
    assert api.get("/api/v1/programs/").json()["count"] == 0
    assert api.get(f"/api/v1/programs/{program.pk}/").status_code == 404


def test_program_create_returns_the_full_program(tenant):
    # given a PM
    api = tenant.api(Role.PM)
    pm_user = tenant.members[Role.PM].user
    # when they create a program
    response = api.post(
        "/api/v1/programs/",
        {
            "client": tenant.client.pk,
            "code": "sco-2026",
            "name": "Self-checkout",
            "start_date": "2026-01-01",
            "end_date": "2026-06-30",
            "responsible_pm": pm_user.pk,
            "geofence_enforced": True,
        },
    )
    # then
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "planning"
    assert body["allowed_transitions"] == ["pilot", "active"]
    assert body["client"] == {"id": tenant.client.pk, "code": tenant.client.code, "name": tenant.client.name}
    assert body["responsible_pm"]["id"] == pm_user.pk
    assert (body["target_drft_percent"], body["checkin_grace_minutes"], body["geofence_enforced"]) == (
        "99.70",
        30,
        True,
    )
    assert (body["wave_count"], body["latest_sow_version"], body["approved_sow_version"]) == (0, None, None)


def test_api_errors_name_the_field_and_code(tenant, program, draft):
    # given a PM
    api = tenant.api(Role.PM)
    # when values break the rules
    dates = api.patch(f"/api/v1/programs/{program.pk}/", {"end_date": "2025-01-01"})
    duplicate = api.post(
        "/api/v1/programs/",
        {"client": tenant.client.pk, "code": program.code, "name": "x", "start_date": "2026-01-01",
         "end_date": "2026-01-02"},
    )  # fmt: skip
    condition = api.post("/api/v1/sow-tasks/", {"sow": draft.pk, "title": "x", "condition": "floors >= 2 or"})
    pattern = api.post(
        "/api/v1/sow-tasks/", {"sow": draft.pk, "title": "x", "evidence_kind": "serial", "serial_pattern": "(["}
    )
    transition = api.post(f"/api/v1/programs/{program.pk}/transition/", {"to_status": "closed"})
    # then
    assert errors(dates) == [("invalid_dates", "end_date")]
    assert errors(duplicate) == [("duplicate_code", "code")]
    assert condition.status_code == 400
    assert errors(condition) == [("invalid_condition", "condition")]
    assert condition.json()["errors"][0]["detail"] == (
        "Expected an attribute name, a value, “not” or “(”, found the end of the condition (column 15)."
    )
    assert errors(pattern) == [("invalid_pattern", "serial_pattern")]
    assert transition.status_code == 409
    assert errors(transition) == [("invalid_transition", None)]
    assert "from Planning to Closed" in transition.json()["errors"][0]["detail"]


def test_an_approved_sow_is_immutable_through_the_api(tenant, approved):
    # given an approved SOW
    api = tenant.api(Role.ADMIN)
    task, material = approved.tasks.first(), approved.materials.first()
    attempts = [
        api.patch(f"/api/v1/sows/{approved.pk}/", {"notes": "x"}),
        api.delete(f"/api/v1/sows/{approved.pk}/"),
        api.post(f"/api/v1/sows/{approved.pk}/approve/"),
        api.post(f"/api/v1/sows/{approved.pk}/reorder-tasks/", {"task_ids": [task.pk]}),
        api.post("/api/v1/sow-tasks/", {"sow": approved.pk, "title": "x"}),
        api.patch(f"/api/v1/sow-tasks/{task.pk}/", {"title": "x"}),
        api.delete(f"/api/v1/sow-tasks/{task.pk}/"),
        api.post("/api/v1/sow-materials/", {"sow": approved.pk, "part_number": "x"}),
        api.patch(f"/api/v1/sow-materials/{material.pk}/", {"quantity": "9"}),
        api.delete(f"/api/v1/sow-materials/{material.pk}/"),
    ]
    # when / then every route is refused with the stable code, and nothing changed
    for response in attempts:
        assert response.status_code == 409, response.content
        assert errors(response) == [("sow_approved", None)]
    task.refresh_from_db()
    assert task.title != "x"
    assert approved.tasks.count() == 2


def test_sow_versions_and_diff(tenant, draft):
    # given an approved v1
    api = tenant.api(Role.PM)
    assert api.post(f"/api/v1/sows/{draft.pk}/approve/").json()["status"] == "approved"
    # when v2 starts, changes, and is compared with v1
    v2 = api.post("/api/v1/sows/", {"program": draft.program_id, "notes": "v2"}).json()
    second_draft = api.post("/api/v1/sows/", {"program": draft.program_id})
    tasks = api.get(f"/api/v1/sow-tasks/?sow={v2['id']}&ordering=position").json()["results"]
    api.patch(f"/api/v1/sow-tasks/{tasks[0]['id']}/", {"title": "Mount it", "evidence_kind": "photo"})
    api.post("/api/v1/sow-tasks/", {"sow": v2["id"], "title": "Survey", "key": "survey", "position": 1})
    diff = api.get(f"/api/v1/sows/{v2['id']}/diff/?against={draft.pk}")
    # then
    assert (v2["version"], v2["based_on"], v2["task_count"], v2["material_count"]) == (2, draft.pk, 2, 1)
    assert second_draft.status_code == 409
    assert errors(second_draft) == [("draft_exists", None)]
    body = diff.json()
    assert body["base"] == {"id": draft.pk, "version": 1, "status": "approved"}
    assert body["tasks"]["added"] == [{"key": "survey", "label": "Survey", "position": 1}]
    assert body["tasks"]["removed"] == []
    assert body["tasks"]["changed"] == [
        {
            "key": "mount",
            "label": "Mount it",
            "changes": [
                {"field": "title", "before": "Mount terminal", "after": "Mount it"},
                {"field": "evidence_kind", "before": "none", "after": "photo"},
                {"field": "photo_min_count", "before": None, "after": 1},
            ],
        }
    ]
    assert body["materials"] == {"added": [], "removed": [], "changed": []}
    detail = api.get(f"/api/v1/sows/{v2['id']}/").json()
    assert [t["key"] for t in detail["tasks"]] == ["survey", "mount", "test"]


def test_reorder_tasks(tenant, draft):
    # given a draft with mount, test
    api = tenant.api(Role.PM)
    mount, test = draft.tasks.get(key="mount"), draft.tasks.get(key="test")
    # when
    response = api.post(f"/api/v1/sows/{draft.pk}/reorder-tasks/", {"task_ids": [test.pk, mount.pk]})
    bad = api.post(f"/api/v1/sows/{draft.pk}/reorder-tasks/", {"task_ids": [test.pk]})
    # then
    assert [(t["key"], t["position"]) for t in response.json()] == [("test", 1), ("mount", 2)]
    assert errors(bad) == [("invalid_order", "task_ids")]


def test_filters_search_and_ordering(tenant, program):
    # given programs of two clients in different statuses
    other_client = ClientFactory(organization=tenant.organization, name="Zeta Stores")
    ProgramFactory(organization=tenant.organization, client=other_client, code="zeta-wifi", status="active",
                   start_date=date(2026, 5, 1), end_date=date(2026, 8, 1))  # fmt: skip
    api = tenant.api(Role.PM)
    # when / then
    codes = lambda r: [p["code"] for p in r.json()["results"]]  # noqa: E731
    assert codes(api.get(f"/api/v1/programs/?client={other_client.pk}")) == ["zeta-wifi"]
    assert codes(api.get("/api/v1/programs/?status=planning&status=pilot")) == ["sco-2026"]
    assert codes(api.get("/api/v1/programs/?search=zeta")) == ["zeta-wifi"]
    assert codes(api.get("/api/v1/programs/?active_on=2026-02-01")) == ["sco-2026"]
    assert codes(api.get("/api/v1/programs/?ordering=-code")) == ["zeta-wifi", "sco-2026"]
    assert codes(api.get("/api/v1/programs/?ordering=-start_date")) == ["zeta-wifi", "sco-2026"]
    assert api.get("/api/v1/programs/?page_size=1").json()["next"] is not None


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/api/v1/programs/", 8),
        ("/api/v1/waves/", 8),
        ("/api/v1/sows/", 8),
        ("/api/v1/sow-tasks/", 8),
        ("/api/v1/sow-materials/", 8),
    ],
)
def test_list_query_budgets(tenant, url, budget, django_assert_max_num_queries):
    # given many programs, each with waves and SOW versions with lines
    for n in range(15):
        program = ProgramFactory(organization=tenant.organization, client=tenant.client, code=f"p{n}")
        WaveFactory(program=program)
        sow = approved_sow(program, tasks=3, materials=2)
        SowTaskFactory(sow=SowFactory(program=program, version=2, based_on=sow))
    api = tenant.api(Role.PM)
    # when a list is fetched
    with django_assert_max_num_queries(budget):
        response = api.get(url)
    # then
    assert response.status_code == 200
    assert response.json()["count"] >= 15


def test_schema_describes_the_actions_truthfully(tenant):
    # given the OpenAPI schema
    api = tenant.api(Role.PM)
    response = api.get("/api/schema/?format=json")
    schema = response.json()
    paths = schema["paths"]
    # when / then the actions take and return what they do
    transition = paths["/api/v1/programs/{id}/transition/"]["post"]
    assert transition["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "ProgramTransitionInputRequest"
    )
    assert transition["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Program")
    diff = paths["/api/v1/sows/{id}/diff/"]["get"]
    assert any(p["name"] == "against" and p["required"] for p in diff["parameters"])
    assert diff["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SowDiff")
    approve = paths["/api/v1/sows/{id}/approve/"]["post"]
    assert "requestBody" not in approve
    create = paths["/api/v1/sow-tasks/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SowTaskCreateInputRequest")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/SowTask")
    assert "put" not in paths["/api/v1/programs/{id}/"]
    list_params = {p["name"] for p in paths["/api/v1/sow-tasks/"]["get"]["parameters"]}
    assert {"sow", "program", "ordering", "search", "page", "page_size"} <= list_params
