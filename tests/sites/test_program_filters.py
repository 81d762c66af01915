"""Sites by program and wave: the `program` and `wave` filters of the site list (page and API, one FilterSet), their
choices scoped to the organization and the caller's client, the schema, and the map data endpoint
`GET /api/v1/sites/locations/`."""

import pytest
from django.test import Client as BrowserClient

from programs.models import Program
from rollout.choices import Role
from sites.choices import ImportStatus
from sites.models import SiteImport
from tests.factories import ClientFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.sites.factories import SiteFactory

pytestmark = pytest.mark.django_db


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    client.force_login(tenant.members[Role(role)].user)
    return client


def site_list(tenant) -> str:
    return f"/o/{tenant.organization.slug}/sites/"


@pytest.fixture
def plan(tenant):
    """Program sco (pilot: HF-1, wave 1: HF-2) and program wifi (HF-2, HF-3); HF-4 in no program."""
    org, client = tenant.organization, tenant.client
    sco = ProgramFactory(organization=org, client=client, code="sco", name="Self-checkout")
    wifi = ProgramFactory(organization=org, client=client, code="wifi", name="Wi-Fi refresh")
    pilot = WaveFactory(program=sco, name="Pilot")
    wave_1 = WaveFactory(program=sco, name="Wave 1")
    sites = {
        code: SiteFactory(organization=org, client=client, code=code, name=f"Store {code}")
        for code in ("HF-1", "HF-2", "HF-3", "HF-4")
    }
    EnrollmentFactory(program=sco, site=sites["HF-1"], wave=pilot)
    EnrollmentFactory(program=sco, site=sites["HF-2"], wave=wave_1)
    EnrollmentFactory(program=wifi, site=sites["HF-2"])
    EnrollmentFactory(program=wifi, site=sites["HF-3"])
    return {"sco": sco, "wifi": wifi, "pilot": pilot, "wave_1": wave_1, "sites": sites}


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


# --- The HTML site list -----------------------------------------------------------------------------------


def test_the_site_list_filters_by_program_and_by_wave(tenant, plan):
    page = browser(tenant, Role.PM)
    # when filtered by a program: its enrolled sites only, once each
    html = page.get(site_list(tenant), {"program": plan["sco"].pk}).content.decode()
    assert "Store HF-1" in html and "Store HF-2" in html
    assert "Store HF-3" not in html and "Store HF-4" not in html
    assert "Showing <strong>1–2</strong> of <strong>2</strong> sites" in html
    # and it links to the program's map
    assert f"/o/{tenant.organization.slug}/programs/{plan['sco'].pk}/map/" in html
    # when filtered by a wave: that wave's sites; the map link keeps the wave
    html = page.get(site_list(tenant), {"program": plan["sco"].pk, "wave": plan["pilot"].pk}).content.decode()
    assert "Store HF-1" in html and "Store HF-2" not in html
    assert f"/programs/{plan['sco'].pk}/map/?wave={plan['pilot'].pk}" in html
    # and the export link carries both filters
    assert f"program={plan['sco'].pk}&amp;wave={plan['pilot'].pk}" in html


def test_the_program_and_wave_choices_are_the_organizations_only(tenant, other_tenant, plan):
    # given another organization's program and wave
    foreign = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client, code="foreign-prog")
    foreign_wave = WaveFactory(program=foreign, name="Foreign wave")
    page = browser(tenant, Role.PM)
    # then the selects offer our programs and waves (named with their program's code), never theirs
    html = page.get(site_list(tenant)).content.decode()
    assert "sco · Self-checkout" in html and "wifi · Wi-Fi refresh" in html
    assert "sco · Pilot" in html and "sco · Wave 1" in html
    assert "foreign-prog" not in html and "Foreign wave" not in html
    # and their ids are not valid choices: nothing is listed, and the field says why
    for name, value in (("program", foreign.pk), ("wave", foreign_wave.pk)):
        html = page.get(site_list(tenant), {name: value}).content.decode()
        assert "Select a valid choice" in html
        assert "Store HF-1" not in html


def test_a_client_viewer_chooses_among_their_own_clients_programs_only(tenant, plan):
    # given a program of another client of the same organization
    other_client = ClientFactory(organization=tenant.organization, code="other", name="Other client")
    ProgramFactory(organization=tenant.organization, client=other_client, code="other-prog")
    # then the client viewer's program select lists their client's programs only
    html = browser(tenant, Role.CLIENT).get(site_list(tenant)).content.decode()
    assert "sco · Self-checkout" in html
    assert "other-prog" not in html


def test_the_filtered_site_list_stays_within_a_query_budget(tenant, plan, django_assert_max_num_queries):
    page = browser(tenant, Role.PM)
    query = {"program": plan["sco"].pk, "wave": plan["wave_1"].pk}
    page.get(site_list(tenant), query)
    with django_assert_max_num_queries(14) as few:
        page.get(site_list(tenant), query)
    for _ in range(30):
        EnrollmentFactory(program=plan["sco"], site__client=tenant.client, wave=plan["wave_1"])
    with django_assert_max_num_queries(14) as many:
        assert "of <strong>31</strong> sites" in page.get(site_list(tenant), query).content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


# --- The API ------------------------------------------------------------------------------------------


def test_the_api_filters_sites_by_program_and_wave(tenant, plan):
    api = tenant.api(Role.PM)
    assert codes(api.get("/api/v1/sites/", {"program": plan["sco"].pk})) == ["HF-1", "HF-2"]
    assert codes(api.get("/api/v1/sites/", {"program": plan["wifi"].pk})) == ["HF-2", "HF-3"]
    assert codes(api.get("/api/v1/sites/", {"wave": plan["wave_1"].pk})) == ["HF-2"]
    assert codes(api.get("/api/v1/sites/", {"program": plan["wifi"].pk, "q": "HF-3"})) == ["HF-3"]
    # an integrator token uses the same filters
    assert codes(tenant.api("token").get("/api/v1/sites/", {"program": plan["sco"].pk})) == ["HF-1", "HF-2"]


def test_another_organizations_program_or_wave_is_not_a_valid_filter(tenant, other_tenant, plan):
    foreign = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    foreign_wave = WaveFactory(program=foreign)
    api = tenant.api(Role.PM)
    for name, value in (("program", foreign.pk), ("wave", foreign_wave.pk)):
        response = api.get("/api/v1/sites/", {name: value})
        assert response.status_code == 400
        assert name in str(response.json())


def test_a_client_viewer_filters_by_their_own_programs_only(tenant, plan):
    other_client = ClientFactory(organization=tenant.organization, code="other")
    other_program = ProgramFactory(organization=tenant.organization, client=other_client)
    api = tenant.api(Role.CLIENT)
    assert codes(api.get("/api/v1/sites/", {"program": plan["sco"].pk})) == ["HF-1", "HF-2"]
    assert api.get("/api/v1/sites/", {"program": other_program.pk}).status_code == 400


def test_the_schema_documents_the_program_and_wave_filters_and_the_locations_endpoint(tenant):
    schema = tenant.api(Role.PM).get("/api/schema/", {"format": "json"}).json()
    listing = {parameter["name"]: parameter for parameter in schema["paths"]["/api/v1/sites/"]["get"]["parameters"]}
    assert listing["program"]["schema"]["type"] == "integer"
    assert listing["wave"]["schema"]["type"] == "integer"
    assert "program" in listing["program"]["description"].lower()
    locations = schema["paths"]["/api/v1/sites/locations/"]["get"]
    assert {"program", "wave", "q"} <= {parameter["name"] for parameter in locations["parameters"]}
    assert "Site positions" in locations["summary"]


# --- GET /api/v1/sites/locations/ --------------------------------------------------------------------


def test_locations_give_compact_rows_with_the_wave_in_the_program(tenant, plan):
    # given a site without coordinates in the program too
    unplaced = SiteFactory(
        organization=tenant.organization, client=tenant.client, code="HF-5", latitude=None, longitude=None
    )
    EnrollmentFactory(program=plan["sco"], site=unplaced)
    # when the map asks for the program's sites
    body = tenant.api(Role.PM).get("/api/v1/sites/locations/", {"program": plan["sco"].pk}).json()
    # then each placed site is one compact row, with its wave in that program; the unplaced one is counted
    assert body["count"] == 2 and body["without_coordinates"] == 1 and body["truncated"] is False
    first = body["results"][0]
    assert first == {
        "id": plan["sites"]["HF-1"].pk,
        "code": "HF-1",
        "name": "Store HF-1",
        "city": "Chicago",
        "state": "IL",
        "lat": 41.8781,
        "lng": -87.6298,
        "wave": plan["pilot"].pk,
    }
    assert [row["wave"] for row in body["results"]] == [plan["pilot"].pk, plan["wave_1"].pk]


def test_locations_without_a_program_have_no_wave_and_follow_the_other_filters(tenant, plan):
    body = tenant.api(Role.PM).get("/api/v1/sites/locations/", {"q": "HF-4"}).json()
    assert [(row["code"], row["wave"]) for row in body["results"]] == [("HF-4", None)]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 401),
        (Role.TECHNICIAN, 403),
        (Role.CLIENT, 200),
        (Role.COORDINATOR, 200),
        (Role.PM, 200),
        (Role.ADMIN, 200),
        (Role.INTEGRATOR, 200),
        ("token", 200),
    ],
)
def test_who_may_read_locations(tenant, plan, role, expected):
    response = tenant.api(role).get("/api/v1/sites/locations/", {"program": plan["sco"].pk})
    assert response.status_code in ((401, 403) if expected == 401 else (expected,))
    if expected == 200:
        assert response.json()["count"] == 2


def test_locations_never_show_another_organizations_sites(tenant, other_tenant, plan):
    SiteFactory(organization=other_tenant.organization, client=other_tenant.client, code="THEIRS-1")
    foreign = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    api = tenant.api(Role.PM)
    assert "THEIRS-1" not in [row["code"] for row in api.get("/api/v1/sites/locations/").json()["results"]]
    assert api.get("/api/v1/sites/locations/", {"program": foreign.pk}).status_code == 400


def test_a_client_viewer_locates_their_own_clients_sites_only(tenant, plan):
    other_client = ClientFactory(organization=tenant.organization, code="other")
    SiteFactory(organization=tenant.organization, client=other_client, code="OTHER-1")
    rows = tenant.api(Role.CLIENT).get("/api/v1/sites/locations/").json()["results"]
    assert sorted(row["code"] for row in rows) == ["HF-1", "HF-2", "HF-3", "HF-4"]


def test_locations_take_a_fixed_number_of_queries(tenant, plan, django_assert_max_num_queries):
    api = tenant.api(Role.PM)
    api.get("/api/v1/sites/locations/", {"program": plan["sco"].pk})
    with django_assert_max_num_queries(8) as few:
        api.get("/api/v1/sites/locations/", {"program": plan["sco"].pk})
    for _ in range(40):
        EnrollmentFactory(program=plan["sco"], site__client=tenant.client, wave=plan["pilot"])
    with django_assert_max_num_queries(8) as many:
        assert api.get("/api/v1/sites/locations/", {"program": plan["sco"].pk}).json()["count"] == 42
    assert len(many.captured_queries) == len(few.captured_queries)


# --- After an import: enroll the sites next -------------------------------------------------------------


def test_a_committed_import_offers_the_clients_open_programs_to_enroll_in(tenant, other_tenant, plan):
    # given a committed import for the client, a closed program of the client and another client's program
    Program.objects.filter(pk=plan["wifi"].pk).update(status="closed")
    other_client = ClientFactory(organization=tenant.organization, code="other")
    ProgramFactory(organization=tenant.organization, client=other_client, code="other-prog")
    site_import = SiteImport.objects.create(
        organization=tenant.organization,
        client=tenant.client,
        original_filename="stores.csv",
        format="csv",
        status=ImportStatus.COMMITTED,
        created_count=3,
    )
    # when the PM looks at it
    html = browser(tenant, Role.PM).get(f"{site_list(tenant)}imports/{site_import.pk}/").content.decode()
    # then the client's open programs are offered, with the picker showing the sites not enrolled yet
    assert f"/o/{tenant.organization.slug}/programs/{plan['sco'].pk}/sites/enroll/?enrolled=false" in html
    assert "Enroll in sco" in html
    assert "Enroll in wifi" not in html and "other-prog" not in html
