"""REST API of a program's sites: enrollments (bulk actions), the attribute schema and its problems, site
variations — role matrix, cross-organization 404s (in paths and bodies), client scoping, query budgets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from programs.models import Enrollment, ProgramAttribute, SiteVariation
from rollout.choices import Role
from tests.factories import ClientFactory, MembershipFactory
from tests.programs.factories import (
    EnrollmentFactory,
    ProgramAttributeFactory,
    ProgramFactory,
    SiteVariationFactory,
    WaveFactory,
)
from tests.sites.factories import SiteFactory

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
READ_OK = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, "token"}
PLANNERS = {Role.ADMIN, Role.PM}
SYNCED = PLANNERS | {Role.INTEGRATOR, "token"}  # enrollments: an integrator syncs them too
VARIATION_WRITERS = {Role.ADMIN, Role.PM, Role.COORDINATOR}


def errors(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


@pytest.fixture
def plan(tenant, program, draft):
    """A program (SOW draft with tasks mount, test) with a wave, an enrolled site, a free site, an attribute
    and a pending variation."""
    wave = WaveFactory(program=program, name="Pilot")
    enrollment = EnrollmentFactory(program=program, wave=wave)
    return {
        "program": program,
        "wave": wave,
        "enrollment": enrollment,
        "free_site": SiteFactory(organization=tenant.organization, client=tenant.client),
        "attribute": ProgramAttributeFactory(program=program, name="floors", type="int", required=True),
        "variation": SiteVariationFactory(enrollment=enrollment),
    }


def read_urls(plan):
    program = plan["program"].pk
    return [
        "/api/v1/enrollments/",
        f"/api/v1/enrollments/{plan['enrollment'].pk}/",
        "/api/v1/program-attributes/",
        f"/api/v1/program-attributes/{plan['attribute'].pk}/",
        "/api/v1/site-variations/",
        f"/api/v1/site-variations/{plan['variation'].pk}/",
        f"/api/v1/programs/{program}/attribute-problems/",
        f"/api/v1/programs/{program}/attribute-schema/",
    ]


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, plan, caller):
    api = tenant.api(caller)
    for url in read_urls(plan):
        # when the caller reads
        response = api.get(url)
        # then readers may (client viewers: their own client's); technicians may not; anonymous must sign in
        expected = 200 if caller in READ_OK else 401 if caller is None else 403
        assert response.status_code == expected, (caller, url, response.content[:200])


def writes(plan):
    program, wave, enrollment, free = plan["program"], plan["wave"], plan["enrollment"], plan["free_site"]
    attribute, variation = plan["attribute"], plan["variation"]
    return [
        (SYNCED, "post", "/api/v1/enrollments/bulk-create/",
         {"program": program.pk, "site_ids": [free.pk], "wave": wave.pk}, 200),
        (SYNCED, "post", "/api/v1/enrollments/bulk-set-wave/",
         {"program": program.pk, "site_ids": [free.pk], "wave": None}, 200),
        (PLANNERS, "post", "/api/v1/program-attributes/", {"program": program.pk, "name": "store_format"}, 201),
        (PLANNERS, "patch", f"/api/v1/program-attributes/{attribute.pk}/", {"required": False}, 200),
        (PLANNERS, "delete", f"/api/v1/program-attributes/{attribute.pk}/", None, 204),
        (VARIATION_WRITERS, "post", "/api/v1/site-variations/",
         {"program": program.pk, "site": enrollment.site_id, "kind": "skip_task", "task_key": "mount",
          "reason": "No counter"}, 201),
        (VARIATION_WRITERS, "patch", f"/api/v1/site-variations/{variation.pk}/", {"note": "Gate 2"}, 200),
        (PLANNERS, "post", f"/api/v1/site-variations/{variation.pk}/approve/", {"note": "ok"}, 200),
        # Decided by a planner by now; a coordinator's approval was refused, so theirs is still pending.
        (VARIATION_WRITERS, "delete", f"/api/v1/site-variations/{variation.pk}/", None, {Role.COORDINATOR: 204}),
        (PLANNERS, "post", f"/api/v1/site-variations/{variation.pk}/reject/", {"note": "late"}, 409),
        (SYNCED, "post", "/api/v1/enrollments/bulk-remove/", {"program": program.pk, "site_ids": [free.pk]}, 200),
    ]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
def test_write_role_matrix(tenant, plan, caller):
    api = tenant.api(caller)
    for allowed, method, url, body, ok_status in writes(plan):
        # when the caller writes
        response = getattr(api, method)(url, body)
        # then only the roles the endpoint names may
        if caller in allowed:
            expected = ok_status.get(caller, 409) if isinstance(ok_status, dict) else ok_status
            assert response.status_code == expected, (caller, method, url, response.content[:300])
        elif caller is None:
            assert response.status_code == 401
        else:
            assert response.status_code == 403, (caller, method, url)


@pytest.fixture
def foreign(other_tenant):
    """Another organization's program with a wave, an enrolled site, an attribute and a variation."""
    program = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client, code="theirs")
    wave = WaveFactory(program=program)
    enrollment = EnrollmentFactory(program=program, wave=wave)
    return {
        "program": program,
        "wave": wave,
        "enrollment": enrollment,
        "site": enrollment.site,
        "attribute": ProgramAttributeFactory(program=program),
        "variation": SiteVariationFactory(enrollment=enrollment),
    }


def test_another_organizations_rows_are_404_in_paths_and_never_listed(tenant, plan, foreign):
    api = tenant.api(Role.ADMIN)
    # when our admin reads, changes or acts on their rows
    for url in [
        f"/api/v1/enrollments/{foreign['enrollment'].pk}/",
        f"/api/v1/program-attributes/{foreign['attribute'].pk}/",
        f"/api/v1/site-variations/{foreign['variation'].pk}/",
        f"/api/v1/programs/{foreign['program'].pk}/attribute-problems/",
        f"/api/v1/programs/{foreign['program'].pk}/attribute-schema/",
    ]:
        assert api.get(url).status_code == 404, url
    for url in (
        f"/api/v1/program-attributes/{foreign['attribute'].pk}/",
        f"/api/v1/site-variations/{foreign['variation'].pk}/",
    ):
        assert api.patch(url, {"label": "x", "note": "x"}).status_code == 404, url
        assert api.delete(url).status_code == 404, url
    for verb in ("approve", "reject"):
        assert api.post(f"/api/v1/site-variations/{foreign['variation'].pk}/{verb}/", {"note": "x"}).status_code == 404
    # then nothing of theirs is listed, and nothing of theirs changed
    for url, theirs in (
        ("/api/v1/enrollments/", foreign["enrollment"].pk),
        ("/api/v1/program-attributes/", foreign["attribute"].pk),
        ("/api/v1/site-variations/", foreign["variation"].pk),
    ):
        ids = [row["id"] for row in api.get(url).json()["results"]]
        assert ids and theirs not in ids, url  # each list against its own table's foreign id
    assert SiteVariation.objects.get(pk=foreign["variation"].pk).status == "pending"


def test_another_organizations_ids_in_bodies_read_as_missing(tenant, plan, foreign):
    api = tenant.api(Role.PM)
    program = plan["program"]
    # when their program, wave and site are given in our requests
    bulk_program = api.post(
        "/api/v1/enrollments/bulk-create/", {"program": foreign["program"].pk, "site_ids": [foreign["site"].pk]}
    )
    bulk_wave = api.post(
        "/api/v1/enrollments/bulk-create/",
        {"program": program.pk, "site_ids": [plan["free_site"].pk], "wave": foreign["wave"].pk},
    )
    filter_wave = api.post(
        "/api/v1/enrollments/bulk-remove/", {"program": program.pk, "filter": {"wave": foreign["wave"].pk}}
    )
    bulk_site = api.post("/api/v1/enrollments/bulk-create/", {"program": program.pk, "site_ids": [foreign["site"].pk]})
    attribute = api.post("/api/v1/program-attributes/", {"program": foreign["program"].pk, "name": "x"})
    variation = api.post(
        "/api/v1/site-variations/",
        {"program": program.pk, "site": foreign["site"].pk, "kind": "access_note", "note": "n", "reason": "r"},
    )
    listed = api.get(f"/api/v1/enrollments/?program={foreign['program'].pk}")
    # then each reads as "does not exist", and a foreign site is refused per item like a missing one
    assert errors(bulk_program) == [("does_not_exist", "program")]
    assert errors(bulk_wave) == [("does_not_exist", "wave")]
    assert filter_wave.status_code == 400
    assert errors(filter_wave)[0][1].startswith("filter")
    assert bulk_site.status_code == 200
    assert bulk_site.json()["items"] == [
        {"site_id": foreign["site"].pk, "outcome": "refused", "reason": "not_found", "message": "No such site."}
    ]
    assert errors(attribute) == [("does_not_exist", "program")]
    assert errors(variation) == [("does_not_exist", "site")]
    assert listed.status_code == 400
    assert not Enrollment.objects.filter(program=program, site=foreign["site"]).exists()


def client_viewer(tenant, client):
    viewer = MembershipFactory(organization=tenant.organization, role=Role.CLIENT, client=client)
    api = APIClient()
    api.force_login(viewer.user)
    api.defaults["HTTP_X_ORGANIZATION"] = tenant.organization.slug
    return api


def test_client_viewers_read_only_their_own_clients_rows(tenant, plan):
    # given a second client of the organization with its own program, enrollment and variation
    other_client = ClientFactory(organization=tenant.organization)
    other_program = ProgramFactory(organization=tenant.organization, client=other_client, code="other")
    other_enrollment = EnrollmentFactory(program=other_program)
    other_variation = SiteVariationFactory(enrollment=other_enrollment)
    api = client_viewer(tenant, other_client)
    # when that client's viewer reads
    enrollments = api.get("/api/v1/enrollments/").json()
    variations = api.get("/api/v1/site-variations/").json()
    # then they see their own client's rows only
    assert [row["id"] for row in enrollments["results"]] == [other_enrollment.pk]
    assert [row["id"] for row in variations["results"]] == [other_variation.pk]
    assert api.get(f"/api/v1/enrollments/{plan['enrollment'].pk}/").status_code == 404
    assert api.get(f"/api/v1/site-variations/{plan['variation'].pk}/").status_code == 404
    assert api.get(f"/api/v1/programs/{plan['program'].pk}/attribute-problems/").status_code == 404
    # and cannot write, even to their own
    assert api.post(f"/api/v1/site-variations/{other_variation.pk}/approve/", {}).status_code == 403
    bulk = api.post("/api/v1/enrollments/bulk-remove/", {"program": other_program.pk, "site_ids": [1]})
    assert bulk.status_code == 403


def test_bulk_enroll_by_filter_with_preview_then_for_real(tenant, plan):
    # given sites of the client in two states
    api = tenant.api(Role.PM)
    program, wave = plan["program"], plan["wave"]
    texas = [SiteFactory(organization=tenant.organization, client=tenant.client, state="TX") for _ in range(3)]
    body = {"program": program.pk, "filter": {"state": "tx"}, "wave": wave.pk}
    # when the PM previews the enrollment of every Texas site, then does it
    preview = api.post("/api/v1/enrollments/bulk-create/", {**body, "preview": True}).json()
    done = api.post("/api/v1/enrollments/bulk-create/", body).json()
    # then the preview said exactly what happened
    assert preview["preview"] is True
    assert (
        preview["counts"]
        == done["counts"]
        == {
            "created": 3,
            "updated": 0,
            "unchanged": 0,
            "removed": 0,
            "refused": 0,
        }
    )
    assert sorted(item["site_id"] for item in done["items"]) == sorted(site.pk for site in texas)
    assert Enrollment.objects.filter(program=program, wave=wave).count() == 4


def test_bulk_set_wave_and_remove_by_filter(tenant, plan):
    api = tenant.api(Role.PM)
    program = plan["program"]
    wave2 = WaveFactory(program=program, name="Wave 2")
    EnrollmentFactory(program=program)  # no wave
    # when every site of the pilot moves to wave 2, then every site in no wave is removed
    moved = api.post(
        "/api/v1/enrollments/bulk-set-wave/",
        {"program": program.pk, "filter": {"wave": plan["wave"].pk}, "wave": wave2.pk},
    ).json()
    removed = api.post("/api/v1/enrollments/bulk-remove/", {"program": program.pk, "filter": {"no_wave": True}}).json()
    # then
    assert moved["counts"]["updated"] == 1
    assert removed["counts"]["removed"] == 1
    assert list(Enrollment.objects.filter(program=program).values_list("wave", flat=True)) == [wave2.pk]


def test_bulk_input_needs_exactly_one_selection(tenant, plan):
    api = tenant.api(Role.PM)
    neither = api.post("/api/v1/enrollments/bulk-create/", {"program": plan["program"].pk})
    both = api.post(
        "/api/v1/enrollments/bulk-create/", {"program": plan["program"].pk, "site_ids": [1], "filter": {"q": "x"}}
    )
    assert errors(neither) == errors(both) == [("invalid_selection", "site_ids")]


def test_a_wave_of_another_program_is_refused_with_its_field(tenant, plan):
    api = tenant.api(Role.PM)
    other = WaveFactory(program=ProgramFactory(organization=tenant.organization, client=tenant.client))
    response = api.post(
        "/api/v1/enrollments/bulk-create/",
        {"program": plan["program"].pk, "site_ids": [plan["free_site"].pk], "wave": other.pk},
    )
    assert errors(response) == [("wave_not_in_program", "wave")]


def test_enrollment_list_filters_and_shows_the_variation_count(tenant, plan):
    # given a second enrolled site in Austin, TX, in no wave
    api = tenant.api(Role.COORDINATOR)
    program = plan["program"]
    austin = EnrollmentFactory(
        program=program, site=SiteFactory(organization=tenant.organization, client=tenant.client, city="Austin",
                                          state="TX", code="AUS-1"),
    )  # fmt: skip
    # when / then
    ids = lambda r: [row["id"] for row in r.json()["results"]]  # noqa: E731
    assert ids(api.get(f"/api/v1/enrollments/?program={program.pk}&state=tx")) == [austin.pk]
    assert ids(api.get(f"/api/v1/enrollments/?wave={plan['wave'].pk}")) == [plan["enrollment"].pk]
    assert ids(api.get("/api/v1/enrollments/?no_wave=true")) == [austin.pk]
    assert ids(api.get("/api/v1/enrollments/?q=aus")) == [austin.pk]
    assert ids(api.get(f"/api/v1/enrollments/?client={tenant.client.pk}&ordering=-site__code"))[0] in {
        austin.pk,
        plan["enrollment"].pk,
    }
    row = api.get(f"/api/v1/enrollments/{plan['enrollment'].pk}/").json()
    assert (row["variation_count"], row["wave_name"], row["site"]["code"]) == (1, "Pilot", plan["enrollment"].site.code)


def test_attribute_problems_and_schema(tenant, plan):
    # given the `floors` int attribute (required); the enrolled site has floors: 2
    api = tenant.api(Role.PM)
    program = plan["program"]
    EnrollmentFactory(
        program=program, site=SiteFactory(organization=tenant.organization, client=tenant.client, code="NO-FLOORS",
                                          attributes={"floors": "two"}),
    )  # fmt: skip
    # when the problems and the schema are read
    problems = api.get(f"/api/v1/programs/{program.pk}/attribute-problems/").json()
    schema = api.get(f"/api/v1/programs/{program.pk}/attribute-schema/").json()
    # then
    assert (problems["sites_checked"], problems["attributes_declared"], problems["count"]) == (2, 1, 1)
    assert problems["results"][0]["site_code"] == "NO-FLOORS"
    assert problems["results"][0]["problems"][0]["code"] == "wrong_type"
    assert schema == [{"name": "floors", "type": "int", "required": True, "allowed": []}]


def test_attribute_api_errors_name_the_field(tenant, plan):
    api = tenant.api(Role.PM)
    bad_name = api.post("/api/v1/program-attributes/", {"program": plan["program"].pk, "name": "Bad Name"})
    duplicate = api.post("/api/v1/program-attributes/", {"program": plan["program"].pk, "name": "floors"})
    choice = api.post(
        "/api/v1/program-attributes/",
        {"program": plan["program"].pk, "name": "fmt", "type": "choice", "allowed_values": ["mall", "street"]},
    )
    assert errors(bad_name) == [("invalid_name", "name")]
    assert errors(duplicate) == [("duplicate_name", "name")]
    assert choice.status_code == 201
    assert choice.json()["allowed_values"] == ["mall", "street"]
    assert ProgramAttribute.objects.filter(program=plan["program"]).count() == 2


def test_variation_api_flow_and_errors(tenant, plan):
    # given a coordinator and a PM
    coordinator, pm = tenant.api(Role.COORDINATOR), tenant.api(Role.PM)
    program, site = plan["program"], plan["enrollment"].site
    # when the coordinator captures variations, one with a bad task key and one for a site not enrolled
    bad_key = coordinator.post(
        "/api/v1/site-variations/",
        {"program": program.pk, "site": site.pk, "kind": "modify_task", "task_key": "nope", "instructions": "x",
         "reason": "r"},
    )  # fmt: skip
    not_enrolled = coordinator.post(
        "/api/v1/site-variations/",
        {"program": program.pk, "site": plan["free_site"].pk, "kind": "access_note", "note": "n", "reason": "r"},
    )
    created = coordinator.post(
        "/api/v1/site-variations/",
        {"program": program.pk, "site": site.pk, "kind": "add_task", "title": "Install bollard",
         "after_task_key": "mount", "evidence_kind": "photo", "reason": "Parking lot kiosk"},
    )  # fmt: skip
    variation_id = created.json()["id"]
    no_note = pm.post(f"/api/v1/site-variations/{variation_id}/reject/", {})
    approved = pm.post(f"/api/v1/site-variations/{variation_id}/approve/", {"note": "Go"})
    edit_after = coordinator.patch(f"/api/v1/site-variations/{variation_id}/", {"title": "x"})
    # then
    assert errors(bad_key) == [("unknown_task", "task_key")]
    assert errors(not_enrolled) == [("not_enrolled", "site")]
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["task_key"], body["photo_min_count"], body["summary"]) == (
        "pending",
        "install-bollard",
        1,
        "add “Install bollard” after mount",
    )
    assert errors(no_note) == [("required", "note")]
    assert approved.json()["status"] == "approved"
    assert approved.json()["decided_by"]["email"] == tenant.members[Role.PM].user.email
    assert edit_after.status_code == 409
    assert errors(edit_after) == [("variation_decided", None)]
    listed = pm.get(f"/api/v1/site-variations/?program={program.pk}&status=approved").json()
    assert [row["id"] for row in listed["results"]] == [variation_id]


def test_enrollment_list_query_budget_does_not_grow(tenant, plan):
    # given 5 enrolled sites with a variation each, then 40
    api = tenant.api(Role.PM)
    program = plan["program"]

    def add(count):
        for _ in range(count):
            SiteVariationFactory(enrollment=EnrollmentFactory(program=program, wave=plan["wave"]))

    add(5)
    api.get("/api/v1/enrollments/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/enrollments/")
    add(35)
    # when the list is fetched again
    with CaptureQueriesContext(connection) as many:
        response = api.get("/api/v1/enrollments/")
    # then the same number of queries, within the budget
    assert response.json()["count"] == 41
    assert len(many.captured_queries) == len(few.captured_queries) <= 8


@pytest.mark.parametrize("url", ["/api/v1/site-variations/", "/api/v1/program-attributes/"])
def test_other_list_query_budgets(tenant, plan, url, django_assert_max_num_queries):
    for n in range(20):
        SiteVariationFactory(enrollment=EnrollmentFactory(program=plan["program"]))
        ProgramAttributeFactory(program=plan["program"], name=f"a_{n}")
    api = tenant.api(Role.PM)
    with django_assert_max_num_queries(8):
        response = api.get(url)
    assert response.json()["count"] >= 20


def test_attribute_problems_query_budget_does_not_grow(tenant, plan):
    api = tenant.api(Role.PM)
    program = plan["program"]

    def add(count):
        for _ in range(count):
            EnrollmentFactory(
                program=program, site=SiteFactory(organization=tenant.organization, client=tenant.client, attributes={})
            )

    add(5)
    api.get(f"/api/v1/programs/{program.pk}/attribute-problems/")
    with CaptureQueriesContext(connection) as few:
        api.get(f"/api/v1/programs/{program.pk}/attribute-problems/")
    add(45)
    with CaptureQueriesContext(connection) as many:
        response = api.get(f"/api/v1/programs/{program.pk}/attribute-problems/")
    assert response.json()["count"] == 50
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_schema_describes_the_new_actions(tenant):
    schema = tenant.api(Role.PM).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    bulk = paths["/api/v1/enrollments/bulk-create/"]["post"]
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "EnrollmentBulkCreateInputRequest"
    )
    assert bulk["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/BulkResult")
    problems = paths["/api/v1/programs/{id}/attribute-problems/"]["get"]
    assert problems["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/AttributeProblemsPage"
    )
    assert {"page", "page_size"} <= {p["name"] for p in problems["parameters"]}
    approve = paths["/api/v1/site-variations/{id}/approve/"]["post"]
    assert approve["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/SiteVariation")
    list_params = {p["name"] for p in paths["/api/v1/enrollments/"]["get"]["parameters"]}
    assert {"program", "wave", "no_wave", "site", "client", "state", "q", "ordering", "page"} <= list_params
    assert "post" not in paths["/api/v1/enrollments/"]


def test_enrolling_1200_sites_by_filter_stays_within_a_fixed_number_of_queries(tenant, program):
    # given 1,200 sites of the client (written in bulk) and a wave
    from sites.models import Site

    Site.objects.bulk_create(
        [
            Site(organization=tenant.organization, client=tenant.client, code=f"B-{n:05d}", name=f"Store {n}",
                 state="TX", timezone="America/Chicago")
            for n in range(1200)
        ]
    )  # fmt: skip
    wave = WaveFactory(program=program)
    api = tenant.api(Role.PM)
    body = {"program": program.pk, "filter": {"state": "TX"}, "wave": wave.pk}
    # when the PM previews, then enrolls every Texas site
    with CaptureQueriesContext(connection) as preview_queries:
        preview = api.post("/api/v1/enrollments/bulk-create/", {**body, "preview": True})
    with CaptureQueriesContext(connection) as queries:
        done = api.post("/api/v1/enrollments/bulk-create/", body)
    # then all 1,200 are enrolled, with reads that do not depend on the number of sites
    assert preview.json()["counts"]["created"] == done.json()["counts"]["created"] == 1200
    assert Enrollment.objects.filter(program=program, wave=wave).count() == 1200
    assert len(preview_queries.captured_queries) <= 15
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(queries.captured_queries) - len(inserts) <= 15
    assert len(inserts) <= 1 + 1200 // 100  # batched (SQLite takes ~120 rows per INSERT) plus the audit event
