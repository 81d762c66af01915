"""The map of a program's sites (/o/<org>/programs/<pk>/map/): who may open it, the rows it embeds for Leaflet and the
list it renders next to them, the wave filter, tenancy, a fixed query budget, and a name that tries to break out of
the embedded JSON."""

import json
import re

import pytest
from django.test import Client as BrowserClient

from rollout.choices import Role
from tests.factories import ClientFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.sites.factories import SiteFactory

pytestmark = pytest.mark.django_db


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[Role(role)].user)
    return client


def map_url(tenant, program) -> str:
    return f"/o/{tenant.organization.slug}/programs/{program.pk}/map/"


def map_data(html: str) -> dict:
    match = re.search(r'<script id="site-map-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "the page embeds the map's rows"
    return json.loads(match.group(1))


@pytest.fixture
def plan(tenant):
    org, client = tenant.organization, tenant.client
    program = ProgramFactory(organization=org, client=client, code="sco", name="Self-checkout")
    pilot = WaveFactory(program=program, name="Pilot", order=1)
    wave_1 = WaveFactory(program=program, name="Wave 1", order=2)
    sites = {
        "HF-1": SiteFactory(organization=org, client=client, code="HF-1", name="Harbor Loop", city="Chicago"),
        "HF-2": SiteFactory(
            organization=org, client=client, code="HF-2", city="Boston", state="MA", latitude=42.36, longitude=-71.06
        ),
        "HF-3": SiteFactory(organization=org, client=client, code="HF-3", latitude=None, longitude=None),
        "HF-4": SiteFactory(organization=org, client=client, code="HF-4", city="Denver", state="CO"),
    }
    EnrollmentFactory(program=program, site=sites["HF-1"], wave=pilot)
    EnrollmentFactory(program=program, site=sites["HF-2"], wave=wave_1)
    EnrollmentFactory(program=program, site=sites["HF-3"], wave=wave_1)
    EnrollmentFactory(program=program, site=sites["HF-4"])
    return {"program": program, "pilot": pilot, "wave_1": wave_1, "sites": sites}


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.TECHNICIAN, 403),
        (Role.CLIENT, 200),
        (Role.COORDINATOR, 200),
        (Role.PM, 200),
        (Role.ADMIN, 200),
        (Role.INTEGRATOR, 200),
    ],
)
def test_who_may_open_the_map(tenant, plan, role, expected):
    response = browser(tenant, role).get(map_url(tenant, plan["program"]))
    assert response.status_code == expected
    if expected == 200:
        assert "Harbor Loop" in response.content.decode()


def test_another_organizations_program_or_another_clients_is_a_404(tenant, other_tenant, plan):
    foreign = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    EnrollmentFactory(program=foreign, site__name="Their store")
    other_client = ClientFactory(organization=tenant.organization, code="other")
    other_program = ProgramFactory(organization=tenant.organization, client=other_client)
    # another organization's program: 404 for everyone, like a missing one
    assert browser(tenant, Role.PM).get(map_url(tenant, foreign)).status_code == 404
    assert browser(tenant, Role.PM).get(f"/o/{tenant.organization.slug}/programs/999999/map/").status_code == 404
    # another client's program: 404 for a client viewer
    assert browser(tenant, Role.CLIENT).get(map_url(tenant, other_program)).status_code == 404


def test_the_map_embeds_one_row_per_placed_site_coloured_by_wave_and_lists_every_site(tenant, plan):
    html = browser(tenant, Role.PM).get(map_url(tenant, plan["program"])).content.decode()
    data = map_data(html)
    # then the placed sites are rows [id, code, name, city, state, lat, lng, wave key], later waves drawn first
    rows = {row[1]: row for row in data["sites"]}
    assert set(rows) == {"HF-1", "HF-2", "HF-4"}
    assert [row[1] for row in data["sites"]] == ["HF-4", "HF-2", "HF-1"]
    pilot_key, wave_1_key = str(plan["pilot"].pk), str(plan["wave_1"].pk)
    assert rows["HF-1"] == [
        plan["sites"]["HF-1"].pk,
        "HF-1",
        "Harbor Loop",
        "Chicago",
        "IL",
        41.8781,
        -87.6298,
        pilot_key,
    ]
    assert (rows["HF-2"][7], rows["HF-4"][7]) == (wave_1_key, "none")
    # and every wave (and "no wave") has a name and a distinct colour, which the legend shows too
    assert data["waves"][pilot_key]["name"] == "Pilot" and data["waves"]["none"]["name"] == "No wave"
    colours = {wave["color"] for wave in data["waves"].values()}
    assert len(colours) == 3
    for colour in colours:
        assert f"background: {colour}" in html
    # and the site link pattern points at the site page
    assert data["siteUrl"] == f"/o/{tenant.organization.slug}/sites/{{id}}/"
    # and the list below names every enrolled site, the one without coordinates too
    for code in ("HF-1", "HF-2", "HF-3", "HF-4"):
        assert f">{code}</a>" in html
    assert "1 site without coordinates is not on the map" in html
    assert "No position" in html
    # and the page loads Leaflet, its stylesheet and our script, with the tiles note ready for offline use
    assert "vendor/leaflet/leaflet.js" in html and "vendor/leaflet/leaflet.css" in html
    assert "js/site-map.js" in html
    assert 'id="site-map-tiles-note"' in html


def test_the_wave_filter_narrows_the_map_and_the_list(tenant, plan):
    page = browser(tenant, Role.PM)
    url = map_url(tenant, plan["program"])
    html = page.get(url, {"wave": plan["wave_1"].pk}).content.decode()
    assert [row[1] for row in map_data(html)["sites"]] == ["HF-2"]
    assert ">HF-3</a>" in html and ">HF-1</a>" not in html
    html = page.get(url, {"wave": "none"}).content.decode()
    assert [row[1] for row in map_data(html)["sites"]] == ["HF-4"]
    # an unknown wave (or another program's) is ignored: every site
    other_wave = WaveFactory(program=ProgramFactory(organization=tenant.organization, client=tenant.client))
    html = page.get(url, {"wave": other_wave.pk}).content.decode()
    assert len(map_data(html)["sites"]) == 3


def test_a_program_without_sites_says_how_to_enroll_them(tenant):
    program = ProgramFactory(organization=tenant.organization, client=tenant.client)
    html = browser(tenant, Role.PM).get(map_url(tenant, program)).content.decode()
    assert "No sites enrolled yet" in html
    assert "Enroll sites" in html
    assert "site-map-data" not in html and "leaflet.js" not in html


def test_a_site_name_cannot_break_out_of_the_embedded_rows(tenant, plan):
    EnrollmentFactory(program=plan["program"], site__client=tenant.client, site__name="</script><script>alert(1)")
    html = browser(tenant, Role.PM).get(map_url(tenant, plan["program"])).content.decode()
    assert "<script>alert(1)" not in html
    assert "</script><script>alert(1)" in [row[2] for row in map_data(html)["sites"]]


def test_the_map_takes_a_fixed_number_of_queries(tenant, plan, django_assert_max_num_queries):
    page = browser(tenant, Role.PM)
    url = map_url(tenant, plan["program"])
    page.get(url)
    with django_assert_max_num_queries(14) as few:
        page.get(url)
    for _ in range(60):
        EnrollmentFactory(program=plan["program"], site__client=tenant.client, wave=plan["wave_1"])
    with django_assert_max_num_queries(14) as many:
        html = page.get(url).content.decode()
    assert len(map_data(html)["sites"]) == 63
    assert "of <strong>64</strong> sites" in html
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_program_tabs_lead_to_the_map(tenant, plan):
    html = (
        browser(tenant, Role.PM).get(f"/o/{tenant.organization.slug}/programs/{plan['program'].pk}/").content.decode()
    )
    assert f'href="{map_url(tenant, plan["program"])}"' in html
