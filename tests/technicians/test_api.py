"""Technicians REST API: role matrix, cross-organization 404s, a technician's own profile, eligibility, budgets."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rollout.choices import Role
from rollout.models import Invitation
from technicians.models import Technician
from tests.technicians.builders import WEDNESDAY
from tests.technicians.factories import (
    CertificationFactory,
    SkillFactory,
    TechnicianFactory,
    TimeOffFactory,
    VendorFactory,
)

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
READERS = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token"}
WRITERS = {Role.ADMIN, Role.PM, Role.COORDINATOR}
# Lists a technician may read (scoped to their own profile); the others are staff-only.
OWN_PROFILE_LISTS = {"technicians", "certifications", "time-off"}
WRIGLEY = {"lat": "41.9484", "lng": "-87.6553"}


def errors(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


@pytest.fixture
def plan(workforce):
    return {**workforce, "time_off": TimeOffFactory(technician=workforce["technician"])}


def urls(plan) -> dict[str, tuple[str, str]]:
    return {
        "vendors": ("/api/v1/vendors/", f"/api/v1/vendors/{plan['vendor'].pk}/"),
        "skills": ("/api/v1/skills/", f"/api/v1/skills/{plan['pos'].pk}/"),
        "technicians": ("/api/v1/technicians/", f"/api/v1/technicians/{plan['technician'].pk}/"),
        "certifications": ("/api/v1/certifications/", f"/api/v1/certifications/{plan['certification'].pk}/"),
        "time-off": ("/api/v1/time-off/", f"/api/v1/time-off/{plan['time_off'].pk}/"),
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, plan, caller):
    # given a vendor, skills, a technician with a certification and time off
    api = tenant.api(caller)
    for name, (list_url, detail_url) in urls(plan).items():
        # when the caller lists and reads
        listed, detail = api.get(list_url), api.get(detail_url)
        # then staff and integrators read everything; a technician reads only their own (not this one's)
        if caller in READERS:
            assert (listed.status_code, detail.status_code) == (200, 200), (caller, name)
            assert listed.json()["count"] >= 1
        elif caller is None:
            assert (listed.status_code, detail.status_code) == (401, 401)
        elif caller == Role.TECHNICIAN and name in OWN_PROFILE_LISTS:
            assert (listed.status_code, listed.json()["count"], detail.status_code) == (200, 0, 404), name
        else:
            assert (listed.status_code, detail.status_code) == (403, 403), (caller, name)


def writes(plan):
    """One write per endpoint and action, each valid for a writer on a fresh plan."""
    vendor, pos, technician = plan["vendor"].pk, plan["pos"].pk, plan["technician"].pk
    certification, time_off = plan["certification"].pk, plan["time_off"].pk
    return [
        ("post", "/api/v1/vendors/", {"code": "summit", "name": "Summit"}, 201),
        ("patch", f"/api/v1/vendors/{vendor}/", {"contact_name": "Ray"}, 200),
        ("post", f"/api/v1/vendors/{vendor}/deactivate/", None, 200),
        ("post", f"/api/v1/vendors/{vendor}/reactivate/", None, 200),
        ("post", "/api/v1/skills/", {"slug": "kiosk-config", "name": "Kiosk"}, 201),
        ("patch", f"/api/v1/skills/{pos}/", {"name": "POS terminals"}, 200),
        ("post", f"/api/v1/skills/{pos}/deactivate/", None, 200),
        ("post", f"/api/v1/skills/{pos}/reactivate/", None, 200),
        ("post", "/api/v1/technicians/", {"email": "n@x.example", "full_name": "N", "vendor": vendor,
                                          "skills": ["pos-install"]}, 201),
        ("patch", f"/api/v1/technicians/{technician}/", {"service_radius_km": 90, "working_days": ["mon"]}, 200),
        ("post", f"/api/v1/technicians/{technician}/deactivate/", None, 200),
        ("post", f"/api/v1/technicians/{technician}/reactivate/", None, 200),
        ("post", "/api/v1/technicians/invite/", {"email": "i@x.example", "full_name": "Ida Invited"}, 201),
        ("post", "/api/v1/certifications/", {"technician": technician, "name": "OSHA 10"}, 201),
        ("patch", f"/api/v1/certifications/{certification}/", {"reference": "R-1"}, 200),
        ("delete", f"/api/v1/certifications/{certification}/", None, 204),
        ("post", "/api/v1/time-off/", {"technician": technician, "start_date": "2026-05-04",
                                       "end_date": "2026-05-05"}, 201),
        ("patch", f"/api/v1/time-off/{time_off}/", {"reason": "Training"}, 200),
        ("delete", f"/api/v1/time-off/{time_off}/", None, 204),
    ]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
def test_write_role_matrix(tenant, plan, caller):
    # given the plan
    api = tenant.api(caller)
    for method, url, body, writer_status in writes(plan):
        # when the caller writes
        response = getattr(api, method)(url, body)
        # then admins, PMs and coordinators may; a technician may only try to add time off (not for others)
        if caller in WRITERS:
            assert response.status_code == writer_status, (caller, method, url, response.content)
        elif caller is None:
            assert response.status_code == 401
        elif caller == Role.TECHNICIAN and (method, url) == ("post", "/api/v1/time-off/"):
            assert errors(response) == [("does_not_exist", "technician")]
        else:
            assert response.status_code == 403, (caller, method, url)


def test_another_organizations_rows_are_404_and_never_listed(tenant, foreign):
    # given another organization's vendor, skill, technician, certification and time off
    api = tenant.api(Role.ADMIN)
    details = [
        f"/api/v1/vendors/{foreign['vendor'].pk}/",
        f"/api/v1/skills/{foreign['skill'].pk}/",
        f"/api/v1/technicians/{foreign['technician'].pk}/",
        f"/api/v1/certifications/{foreign['certification'].pk}/",
        f"/api/v1/time-off/{foreign['time_off'].pk}/",
    ]
    # when our admin reads, changes, deletes or acts on them
    for url in details:
        assert api.get(url).status_code == 404, url
        assert api.patch(url, {"name": "x", "reason": "x"}).status_code == 404, url
        if "certifications" in url or "time-off" in url:
            assert api.delete(url).status_code == 404, url
    for action in (
        f"/api/v1/vendors/{foreign['vendor'].pk}/deactivate/",
        f"/api/v1/skills/{foreign['skill'].pk}/deactivate/",
        f"/api/v1/technicians/{foreign['technician'].pk}/deactivate/",
    ):
        assert api.post(action).status_code == 404, action
    eligibility = f"/api/v1/technicians/{foreign['technician'].pk}/eligibility/"
    assert api.get(eligibility, {"date": "2026-03-04", **WRIGLEY}).status_code == 404
    # then nothing of theirs is listed either (nor offered as qualified)
    for url in ("/api/v1/vendors/", "/api/v1/skills/", "/api/v1/technicians/", "/api/v1/certifications/",
                "/api/v1/time-off/"):  # fmt: skip
        assert api.get(url).json()["count"] == 0, url
    qualified = api.get("/api/v1/technicians/qualified/", {"skills": "pos-install", "date": "2026-03-04", **WRIGLEY})
    assert qualified.json()["count"] == 0


def test_foreign_ids_in_bodies_and_filters_read_as_missing(tenant, workforce, foreign):
    # given our coordinator and another organization's rows
    api = tenant.api(Role.COORDINATOR)
    # when they are used as inputs
    technician = api.post(
        "/api/v1/technicians/",
        {"email": "x@x.example", "full_name": "X", "vendor": foreign["vendor"].pk, "skills": ["no-such-skill"]},
    )
    moved = api.patch(f"/api/v1/technicians/{workforce['technician'].pk}/", {"vendor": foreign["vendor"].pk})
    certification = api.post("/api/v1/certifications/", {"technician": foreign["technician"].pk, "name": "X"})
    time_off = api.post(
        "/api/v1/time-off/",
        {"technician": foreign["technician"].pk, "start_date": "2026-05-01", "end_date": "2026-05-01"},
    )
    filtered = api.get("/api/v1/technicians/", {"vendor": foreign["vendor"].pk})
    # then each is refused as if the id did not exist
    assert set(errors(technician)) == {("does_not_exist", "vendor"), ("does_not_exist", "skills")}
    assert errors(moved) == [("does_not_exist", "vendor")]
    assert errors(certification) == [("does_not_exist", "technician")]
    assert errors(time_off) == [("does_not_exist", "technician")]
    assert filtered.status_code == 400


@pytest.fixture
def me(tenant):
    """The technician member's own profile, linked to their account."""
    user = tenant.members[Role.TECHNICIAN].user
    technician = TechnicianFactory(organization=tenant.organization, email=user.email, user=user, full_name="Me")
    CertificationFactory(technician=technician, name="OSHA 10")
    TimeOffFactory(technician=technician, start_date=date(2026, 7, 1), end_date=date(2026, 7, 3))
    return technician


def test_a_technician_sees_only_their_own_profile_and_adds_their_own_time_off(tenant, workforce, me):
    # given a colleague (workforce) and the technician's own profile
    api = tenant.api(Role.TECHNICIAN)
    colleague = workforce["technician"]
    # when they list and read
    technicians = api.get("/api/v1/technicians/").json()
    certifications = api.get("/api/v1/certifications/").json()
    time_off = api.get("/api/v1/time-off/").json()
    # then they see only themselves and what hangs off their profile
    assert [t["id"] for t in technicians["results"]] == [me.pk]
    assert technicians["results"][0]["has_joined"] is True
    assert [c["name"] for c in certifications["results"]] == ["OSHA 10"]
    assert [t["technician"] for t in time_off["results"]] == [me.pk]
    assert api.get(f"/api/v1/technicians/{colleague.pk}/").status_code == 404
    assert api.get(f"/api/v1/certifications/{workforce['certification'].pk}/").status_code == 404
    # when they add time off for themselves, and try for the colleague
    mine = api.post("/api/v1/time-off/", {"technician": me.pk, "start_date": "2026-08-03", "end_date": "2026-08-04"})
    theirs = api.post(
        "/api/v1/time-off/", {"technician": colleague.pk, "start_date": "2026-08-03", "end_date": "2026-08-04"}
    )
    # then only their own is recorded; changing profiles, vendors or eligibility stays with staff
    assert mine.status_code == 201, mine.content
    assert errors(theirs) == [("does_not_exist", "technician")]
    assert api.patch(f"/api/v1/technicians/{me.pk}/", {"phone": "1"}).status_code == 403
    assert api.get("/api/v1/vendors/").status_code == 403
    assert api.get(f"/api/v1/technicians/{me.pk}/eligibility/", {"date": "2026-03-04", **WRIGLEY}).status_code == 403


def test_eligibility_explains_every_reason(tenant, workforce):
    # given a technician whose certification expired and who is on time off that day
    workforce["certification"].expires_on = date(2026, 3, 1)
    workforce["certification"].save()
    TimeOffFactory(technician=workforce["technician"], start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Dentist")
    api = tenant.api(Role.COORDINATOR)
    # when the coordinator asks why not
    response = api.get(
        f"/api/v1/technicians/{workforce['technician'].pk}/eligibility/",
        {"skills": "pos-install,network-cabling", "date": "2026-03-04", **WRIGLEY},
    )
    # then the answer lists each reason with its code and words
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["eligible"] is False
    assert body["distance_km"] == pytest.approx(8.0, abs=0.5)
    assert [p["code"] for p in body["problems"]] == ["certification_expired", "time_off"]
    assert body["problems"][1]["message"] == "On time off Mar 4, 2026 (Dentist)."


def test_eligibility_parameters_are_checked(tenant, workforce):
    api = tenant.api(Role.COORDINATOR)
    url = f"/api/v1/technicians/{workforce['technician'].pk}/eligibility/"
    response = api.get(url, {"date": "03/04/2026", "lat": "91", "tz": "Mars/Base"})
    assert response.status_code == 400
    assert {attr for _code, attr in errors(response)} == {"date", "lat", "lng", "tz"}


def test_qualified_lists_technicians_nearest_first_with_distance(tenant, workforce):
    # given a second qualified technician further away (Naperville) and one without the skill
    far = TechnicianFactory(
        organization=tenant.organization,
        full_name="Far Away",
        home_latitude="41.750800",
        home_longitude="-88.153500",
        skills=[workforce["pos"]],
    )
    TechnicianFactory(organization=tenant.organization, full_name="No skill")
    api = tenant.api("token")
    # when an integrator asks who qualifies for a POS install at Wrigley Field on Wednesday at 10:00
    response = api.get(
        "/api/v1/technicians/qualified/",
        {"skills": "pos-install", "date": "2026-03-04", "time": "10:00", "tz": "America/Chicago", **WRIGLEY},
    )
    # then the two qualified come nearest first, with their distance
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["id"] for r in results] == [workforce["technician"].pk, far.pk]
    assert results[0]["distance_km"] < results[1]["distance_km"]
    assert results[0]["vendor"]["code"] == "lakeshore"
    assert {s["slug"] for s in results[0]["skills"]} == {"pos-install", "network-cabling"}


def test_invite_returns_the_text_friendly_link_once(tenant, mailoutbox, django_capture_on_commit_callbacks):
    # given a coordinator
    api = tenant.api(Role.COORDINATOR)
    # when they invite a technician
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/api/v1/technicians/invite/", {"email": "Grace@Summit.example", "full_name": "Grace Mitchell"}
        )
    # then the profile, the invitation and the link come back, and the same link was e-mailed
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["technician"]["email"] == "grace@summit.example"
    assert body["technician"]["has_joined"] is False
    assert body["accept_url"] in body["text_message"]
    assert body["accept_url"] in mailoutbox[0].body
    assert Invitation.objects.get(pk=body["invitation"]["id"]).role == Role.TECHNICIAN
    # and the link is not readable afterwards
    listed = api.get(f"/api/v1/technicians/{body['technician']['id']}/").json()
    assert "accept_url" not in listed


def test_invite_refuses_a_technician_who_joined(tenant, me):
    response = tenant.api(Role.PM).post("/api/v1/technicians/invite/", {"email": me.email})
    assert response.status_code == 409
    assert errors(response) == [("technician_already_joined", None)]


def test_filters_search_and_ordering(tenant, workforce):
    # given a second vendor's technician with an expired certification, and an inactive in-house one
    other = TechnicianFactory(
        organization=tenant.organization,
        full_name="Aaron Other",
        vendor=VendorFactory(organization=tenant.organization),
    )
    CertificationFactory(technician=other, issued_on=date(2018, 1, 1), expires_on=date(2020, 1, 1))
    TechnicianFactory(organization=tenant.organization, full_name="Zed Inactive", active=False)
    api = tenant.api(Role.PM)

    def names(**params):
        return [t["full_name"] for t in api.get("/api/v1/technicians/", params).json()["results"]]

    # when / then
    assert names(vendor=workforce["vendor"].pk) == ["Tomás Alvarez"]
    assert names(skill="network-cabling") == ["Tomás Alvarez"]
    assert names(certification="expired") == ["Aaron Other"]
    assert names(active="false") == ["Zed Inactive"]
    assert names(in_house="true") == ["Zed Inactive"]
    assert names(search="alvarez") == ["Tomás Alvarez"]
    assert names(ordering="-full_name") == ["Zed Inactive", "Tomás Alvarez", "Aaron Other"]
    expired = api.get("/api/v1/technicians/", {"certification": "expired"}).json()["results"][0]
    assert expired["expired_certification_count"] == 1


@pytest.mark.parametrize(
    ("url", "budget"),
    [
        ("/api/v1/vendors/", 8),
        ("/api/v1/skills/", 8),
        ("/api/v1/technicians/", 9),
        ("/api/v1/certifications/", 8),
        ("/api/v1/time-off/", 8),
    ],
)
def test_list_query_budgets(tenant, url, budget, django_assert_max_num_queries):
    # given many technicians, each with a vendor, skills, certifications and time off
    skills = [SkillFactory(organization=tenant.organization) for _ in range(3)]
    for _ in range(20):
        technician = TechnicianFactory(
            organization=tenant.organization, vendor=VendorFactory(organization=tenant.organization), skills=skills
        )
        CertificationFactory(technician=technician, skill=skills[0])
        TimeOffFactory(technician=technician)
    api = tenant.api(Role.PM)
    # when a list is fetched
    with django_assert_max_num_queries(budget):
        response = api.get(url)
    # then
    assert response.status_code == 200
    assert response.json()["count"] >= 3


def _queries(api, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url, params)
    assert response.status_code == 200, response.content
    return len(captured)


def test_qualified_query_count_does_not_grow_with_the_workforce(tenant, workforce):
    # given a few qualified technicians
    api = tenant.api(Role.COORDINATOR)
    params = {"skills": "pos-install,network-cabling", "date": "2026-03-04", **WRIGLEY}

    def add(count):
        for _ in range(count):
            technician = TechnicianFactory(
                organization=tenant.organization,
                vendor=VendorFactory(organization=tenant.organization),
                skills=[workforce["pos"], workforce["cabling"]],
            )
            CertificationFactory(technician=technician, skill=workforce["cabling"])

    add(2)
    api.get("/api/v1/technicians/qualified/", params)  # warm the session
    few = _queries(api, "/api/v1/technicians/qualified/", params)
    # when the workforce grows
    add(25)
    many = _queries(api, "/api/v1/technicians/qualified/", params)
    # then the count of queries stays the same (and small)
    assert many == few <= 12
    assert Technician.objects.count() == 28
