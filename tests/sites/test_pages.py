"""Sites pages: smoke tests, role matrix, cross-organization 404s, query budget, and the import flow."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as BrowserClient

from rollout.choices import Role
from sites.choices import ImportStatus
from sites.models import Site, SiteImport
from tests.factories import ClientFactory
from tests.sites.builders import csv_text, site_line
from tests.sites.factories import SiteContactFactory, SiteFactory

pytestmark = pytest.mark.django_db


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[Role(role)].user)
    return client


def url(tenant, path: str = "") -> str:
    return f"/o/{tenant.organization.slug}/sites/{path}"


PAGE_ROLES = [
    (None, 302),
    (Role.TECHNICIAN, 403),
    (Role.CLIENT, 200),
    (Role.COORDINATOR, 200),
    (Role.PM, 200),
    (Role.ADMIN, 200),
    (Role.INTEGRATOR, 200),
]


@pytest.mark.parametrize(("role", "expected"), PAGE_ROLES)
def test_who_may_open_the_site_list_and_a_site(tenant, role, expected):
    site = SiteFactory(organization=tenant.organization, client=tenant.client, name="Union Station")
    page = browser(tenant, role)
    listing = page.get(url(tenant))
    detail = page.get(url(tenant, f"{site.pk}/"))
    assert (listing.status_code, detail.status_code) == (expected, expected)
    if expected == 200:
        assert "Union Station" in listing.content.decode()
        assert "Union Station" in detail.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, 302),
        (Role.TECHNICIAN, 403),
        (Role.CLIENT, 403),
        (Role.COORDINATOR, 403),
        (Role.PM, 200),
        (Role.ADMIN, 200),
        (Role.INTEGRATOR, 403),
    ],
)
def test_who_may_open_the_import_page(tenant, role, expected):
    assert browser(tenant, role).get(url(tenant, "imports/")).status_code == expected


def test_the_site_list_filters_sorts_paginates_and_offers_exports(tenant):
    for n in range(55):
        SiteFactory(organization=tenant.organization, client=tenant.client, code=f"IL-{n:02d}", state="IL")
    SiteFactory(organization=tenant.organization, client=tenant.client, code="MA-1", state="MA", city="Boston")
    page = browser(tenant, Role.PM)
    # the first page: 50 of 56, sorted by code, with export links
    html = page.get(url(tenant)).content.decode()
    assert "Showing <strong>1–50</strong> of <strong>56</strong>" in html
    assert "IL-00" in html and "MA-1" not in html
    assert f"/o/{tenant.organization.slug}/sites/export/?format=csv" in html
    assert "Import sites" in html
    # sorted descending by code: Massachusetts first
    html = page.get(url(tenant), {"sort": "-code"}).content.decode()
    assert html.index("MA-1") < html.index("IL-54")
    # filtered by state (the API's FilterSet): one site; the export link carries the filter
    html = page.get(url(tenant), {"state": "ma"}).content.decode()
    assert "MA-1" in html and "IL-00" not in html
    assert "state=ma&amp;format=csv" in html
    # an attribute filter and free-text search
    assert "MA-1" in page.get(url(tenant), {"q": "boston"}).content.decode()
    assert "No sites match these filters" in page.get(url(tenant), {"attr": "store_format:kiosk"}).content.decode()


def test_the_site_list_stays_within_a_query_budget(tenant, django_assert_max_num_queries):
    page = browser(tenant, Role.PM)
    SiteFactory.create_batch(5, organization=tenant.organization, client=tenant.client)
    page.get(url(tenant))
    with django_assert_max_num_queries(12) as few:
        page.get(url(tenant))
    SiteFactory.create_batch(60, organization=tenant.organization, client=tenant.client)
    with django_assert_max_num_queries(12) as many:
        page.get(url(tenant))
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_site_page_shows_local_access_hours_blackouts_contacts_and_attributes(tenant):
    site = SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        timezone="America/Denver",
        access_hours={"mon": ["06:00-22:00"], "sun": []},
        blackout_dates=["2099-12-25"],
        attributes={"store_format": "mall", "floors": 2},
    )
    SiteContactFactory(site=site, name="Ann Manager", is_primary=True)
    html = browser(tenant, Role.COORDINATOR).get(url(tenant, f"{site.pk}/")).content.decode()
    assert "America/Denver" in html
    assert "06:00-22:00" in html
    assert "Closed" in html  # Sunday, and the days not listed
    assert "2099-12-25" in html
    assert "Ann Manager" in html and "Primary" in html
    assert "store_format" in html and "mall" in html


def test_the_site_page_tells_the_time_on_the_sites_own_clock(tenant):
    # an organization in New York and a site in Chicago: the page says Chicago's time, with its zone
    from datetime import datetime
    from zoneinfo import ZoneInfo

    site = SiteFactory(organization=tenant.organization, client=tenant.client, timezone="America/Chicago")
    before = datetime.now(ZoneInfo("America/Chicago"))
    html = browser(tenant, Role.COORDINATOR).get(url(tenant, f"{site.pk}/")).content.decode()
    after = datetime.now(ZoneInfo("America/Chicago"))
    shown = {moment.strftime("%a %b %-d, %H:%M ") + moment.tzname() for moment in (before, after)}
    assert any(text in html for text in shown), shown


def test_another_organizations_site_and_import_are_404(tenant, other_tenant):
    site = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    site_import = SiteImport.objects.create(
        organization=other_tenant.organization, client=other_tenant.client, original_filename="x.csv", format="csv"
    )
    page = browser(tenant, Role.ADMIN)
    assert page.get(url(tenant, f"{site.pk}/")).status_code == 404
    assert page.get(url(tenant, f"imports/{site_import.pk}/")).status_code == 404
    assert page.get(url(tenant, f"imports/{site_import.pk}/status/")).status_code == 404
    assert page.post(url(tenant, f"imports/{site_import.pk}/commit/")).status_code == 404
    assert page.get(f"/o/{other_tenant.organization.slug}/sites/").status_code == 404
    assert site.name not in page.get(url(tenant)).content.decode()


def test_a_client_viewer_sees_only_their_clients_sites(tenant):
    mine = SiteFactory(organization=tenant.organization, client=tenant.client, name="Mine store")
    theirs = SiteFactory(
        organization=tenant.organization, client=ClientFactory(organization=tenant.organization), name="Theirs store"
    )
    page = browser(tenant, Role.CLIENT)
    html = page.get(url(tenant)).content.decode()
    assert "Mine store" in html and "Theirs store" not in html
    assert "Import sites" not in html
    assert page.get(url(tenant, f"{mine.pk}/")).status_code == 200
    assert page.get(url(tenant, f"{theirs.pk}/")).status_code == 404
    export = page.get(url(tenant, "export/"), {"format": "csv"})
    assert b"Theirs store" not in b"".join(export.streaming_content)


def test_the_export_buttons_download_the_filtered_list(tenant):
    SiteFactory(organization=tenant.organization, client=tenant.client, code="CHI", city="Chicago")
    SiteFactory(organization=tenant.organization, client=tenant.client, code="BOS", city="Boston")
    page = browser(tenant, Role.COORDINATOR)
    response = page.get(url(tenant, "export/"), {"format": "csv", "city": "Boston"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "BOS" in text and "CHI" not in text
    xlsx = page.get(url(tenant, "export/"), {"format": "xlsx", "client": tenant.client.pk})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert tenant.client.code in xlsx["Content-Disposition"]


def test_import_flow_in_the_browser(tenant, django_capture_on_commit_callbacks):
    page = browser(tenant, Role.PM)
    # when a PM uploads a file with one bad row
    rows = [site_line(1), site_line(2, latitude="123", longitude="500"), site_line(3)]
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            url(tenant, "imports/"),
            {"client": tenant.client.pk, "file": SimpleUploadedFile("stores.csv", csv_text(rows=rows).encode())},
        )
    assert response.status_code == 302
    bad = SiteImport.objects.get(original_filename="stores.csv")
    # then its page lists the problem by row and column, without a commit button
    html = page.get(response["Location"]).content.decode()
    assert "2 problems found</strong> in 1 of 3 rows" in html
    assert "<td>3</td><td><code>latitude</code></td>" in html
    assert "Commit" not in html
    assert 'hx-trigger="every 1s"' not in html
    # when the fixed file is uploaded
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(
            url(tenant, "imports/"),
            {"client": tenant.client.pk, "file": SimpleUploadedFile("fixed.csv", csv_text(2).encode())},
        )
    fixed = SiteImport.objects.get(original_filename="fixed.csv")
    html = page.get(response["Location"]).content.decode()
    assert "Ready to commit 2 rows" in html and "(2 new, 0 updated)" in html
    # when committed
    with django_capture_on_commit_callbacks(execute=True):
        response = page.post(url(tenant, f"imports/{fixed.pk}/commit/"))
    assert response.status_code == 302
    html = page.get(response["Location"]).content.decode()
    assert "Committed." in html and "2 sites created" in html
    assert Site.objects.for_organization(tenant.organization).count() == 2
    # and the refused commit of the bad import says why
    response = page.post(url(tenant, f"imports/{bad.pk}/commit/"), follow=True)
    assert "fix the file and upload it again" in response.content.decode()
    # the imports list shows both
    html = page.get(url(tenant, "imports/")).content.decode()
    assert "stores.csv" in html and "fixed.csv" in html


def test_a_running_import_polls_its_status_every_second(tenant):
    site_import = SiteImport.objects.create(
        organization=tenant.organization,
        client=tenant.client,
        original_filename="big.csv",
        format="csv",
        status=ImportStatus.VALIDATING,
        rows_total=200,
        rows_done=50,
    )
    page = browser(tenant, Role.PM)
    html = page.get(url(tenant, f"imports/{site_import.pk}/status/")).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert f"/imports/{site_import.pk}/status/" in html
    assert 'aria-valuenow="25"' in html and "50 of 200 rows" in html


def test_an_upload_without_a_file_or_with_a_bad_file_shows_the_error(tenant):
    page = browser(tenant, Role.PM)
    response = page.post(url(tenant, "imports/"), {"client": tenant.client.pk})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = page.post(
        url(tenant, "imports/"), {"client": tenant.client.pk, "file": SimpleUploadedFile("x.pdf", b"%PDF-1.4")}
    )
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    assert not SiteImport.objects.exists()
