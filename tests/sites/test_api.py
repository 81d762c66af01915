"""The sites REST API: role matrix, cross-organization 404s, filters, query budgets, and the import flow."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from rollout.choices import Role
from sites.choices import ImportStatus, SiteStatus
from sites.models import Site, SiteImport
from tests.factories import ClientFactory
from tests.sites.builders import csv_text, site_line
from tests.sites.factories import SiteContactFactory, SiteFactory

pytestmark = pytest.mark.django_db

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, "token"]
DENIED = (401, 403)


def site_payload(client_id, **overrides):
    payload = {
        "client": client_id,
        "code": "NEW-1",
        "name": "New store",
        "city": "Denver",
        "state": "CO",
        "latitude": "39.7392",
        "longitude": "-104.9903",
        "access_hours": {"mon": ["06:00-22:00"]},
        "blackout_dates": ["2026-12-25"],
        "attributes": {"store_format": "mall", "floors": 2},
    }
    payload.update(overrides)
    return payload


# --- Role matrix ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (None, DENIED),
        (Role.TECHNICIAN, (403,)),
        (Role.CLIENT, (200,)),
        (Role.COORDINATOR, (200,)),
        (Role.PM, (200,)),
        (Role.ADMIN, (200,)),
        ("token", (200,)),
    ],
)
def test_who_may_read_sites(tenant, caller, expected):
    site = SiteFactory(organization=tenant.organization, client=tenant.client)
    api = tenant.api(caller)
    assert api.get("/api/v1/sites/").status_code in expected
    assert api.get(f"/api/v1/sites/{site.pk}/").status_code in expected


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (None, DENIED),
        (Role.TECHNICIAN, (403,)),
        (Role.CLIENT, (403,)),
        (Role.COORDINATOR, (403,)),
        (Role.PM, (201,)),
        (Role.ADMIN, (201,)),
        ("token", (201,)),  # an integrator syncs sites
    ],
)
def test_who_may_create_sites(tenant, caller, expected):
    response = tenant.api(caller).post("/api/v1/sites/", site_payload(tenant.client.pk), format="json")
    assert response.status_code in expected, response.content
    assert Site.objects.exists() == (expected == (201,))


@pytest.mark.parametrize("caller", CALLERS)
def test_who_may_change_deactivate_and_delete_sites(tenant, caller):
    site = SiteFactory(organization=tenant.organization, client=tenant.client)
    api = tenant.api(caller)
    allowed = caller in (Role.PM, Role.ADMIN, "token")
    patch = api.patch(f"/api/v1/sites/{site.pk}/", {"name": "Renamed"}, format="json")
    deactivate = api.post(f"/api/v1/sites/{site.pk}/deactivate/")
    contact = api.post("/api/v1/site-contacts/", {"site": site.pk, "name": "Ann", "is_primary": True}, format="json")
    delete = api.delete(f"/api/v1/sites/{site.pk}/")
    if allowed:
        assert (patch.status_code, deactivate.status_code, contact.status_code, delete.status_code) == (
            200,
            200,
            201,
            204,
        )
    else:
        for response in (patch, deactivate, contact, delete):
            assert response.status_code in DENIED
        site.refresh_from_db()
        assert site.name != "Renamed" and site.status == SiteStatus.ACTIVE


@pytest.mark.parametrize(
    ("caller", "allowed"),
    [
        (None, False),
        (Role.TECHNICIAN, False),
        (Role.CLIENT, False),
        (Role.COORDINATOR, False),
        (Role.PM, True),
        (Role.ADMIN, True),
        ("token", True),
    ],
)
def test_who_may_use_site_imports(tenant, caller, allowed, django_capture_on_commit_callbacks):
    api = tenant.api(caller)
    with django_capture_on_commit_callbacks(execute=True):
        upload = api.post(
            "/api/v1/site-imports/",
            {"client": tenant.client.pk, "file": SimpleUploadedFile("sites.csv", csv_text(2).encode())},
            format="multipart",
        )
    listing = api.get("/api/v1/site-imports/")
    if allowed:
        assert (upload.status_code, listing.status_code) == (202, 200), upload.content
    else:
        assert upload.status_code in DENIED and listing.status_code in DENIED
        assert not SiteImport.objects.exists()


# --- Tenancy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller", [Role.ADMIN, "token"], ids=str)
def test_another_organizations_site_contact_and_import_are_404_and_never_listed(tenant, other_tenant, caller):
    # given another organization's site, contact and import
    foreign_site = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    foreign_contact = SiteContactFactory(site=foreign_site)
    foreign_import = SiteImport.objects.create(
        organization=other_tenant.organization,
        client=other_tenant.client,
        original_filename="theirs.csv",
        format="csv",
        status=ImportStatus.VALIDATED,
    )
    api = tenant.api(caller)  # an admin, and the integrator token that syncs sites and imports
    # then every route answers 404 for them
    for method, url in [
        ("get", f"/api/v1/sites/{foreign_site.pk}/"),
        ("patch", f"/api/v1/sites/{foreign_site.pk}/"),
        ("delete", f"/api/v1/sites/{foreign_site.pk}/"),
        ("post", f"/api/v1/sites/{foreign_site.pk}/deactivate/"),
        ("get", f"/api/v1/site-contacts/{foreign_contact.pk}/"),
        ("delete", f"/api/v1/site-contacts/{foreign_contact.pk}/"),
        ("get", f"/api/v1/site-imports/{foreign_import.pk}/"),
        ("get", f"/api/v1/site-imports/{foreign_import.pk}/errors/"),
        ("post", f"/api/v1/site-imports/{foreign_import.pk}/commit/"),
    ]:
        response = getattr(api, method)(url, {"name": "x"} if method == "patch" else None, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    # and lists never show them
    assert api.get("/api/v1/sites/").json()["count"] == 0
    assert api.get("/api/v1/site-contacts/").json()["count"] == 0
    assert api.get("/api/v1/site-imports/").json()["count"] == 0
    # and their ids are not accepted as references
    response = api.post("/api/v1/sites/", site_payload(other_tenant.client.pk), format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "client"
    response = api.post("/api/v1/site-contacts/", {"site": foreign_site.pk, "name": "Eve"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["attr"] == "site"
    foreign_site.refresh_from_db()
    assert foreign_site.status == SiteStatus.ACTIVE


def test_a_client_viewer_sees_only_their_clients_sites(tenant):
    # given a site of the viewer's client and one of another client in the same organization
    mine = SiteFactory(organization=tenant.organization, client=tenant.client)
    theirs = SiteFactory(organization=tenant.organization, client=ClientFactory(organization=tenant.organization))
    SiteContactFactory(site=theirs)
    api = tenant.api(Role.CLIENT)
    # then
    assert [row["id"] for row in api.get("/api/v1/sites/").json()["results"]] == [mine.pk]
    assert api.get(f"/api/v1/sites/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/site-contacts/").json()["count"] == 0


def test_a_client_viewer_of_another_client_sees_nothing(tenant):
    # given sites of the tenant's client, and a client viewer of a second client with no sites
    SiteFactory.create_batch(3, organization=tenant.organization, client=tenant.client)
    from rollout.services import api_token_create

    other_client = ClientFactory(organization=tenant.organization)
    key = api_token_create(
        organization=tenant.organization, actor=None, name="viewer", role=Role.CLIENT, client=other_client
    ).key
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    # then
    assert api.get("/api/v1/sites/").json()["count"] == 0


# --- Behaviour ------------------------------------------------------------------------------------------


def test_create_derives_the_time_zone_and_returns_the_site(tenant):
    response = tenant.api(Role.PM).post("/api/v1/sites/", site_payload(tenant.client.pk), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["timezone"] == "America/Denver"
    assert body["latitude"] == pytest.approx(39.7392)
    assert body["client_code"] == tenant.client.code
    assert body["access_hours"] == {"mon": ["06:00-22:00"]}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"latitude": "95"}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"access_hours": {"mon": ["25:00-26:00"]}}, "access_hours"),
        ({"attributes": {"Bad Name": 1}}, "attributes"),
        ({"blackout_dates": ["2026-13-01"]}, "blackout_dates"),
        ({"country": "USA"}, "country"),
    ],
)
def test_bad_input_names_the_field(tenant, overrides, field):
    response = tenant.api(Role.PM).post("/api/v1/sites/", site_payload(tenant.client.pk, **overrides), format="json")
    assert response.status_code == 400
    assert field in [error["attr"].split(".")[0] for error in response.json()["errors"]]


def test_a_duplicate_code_is_refused_on_the_code_field(tenant):
    SiteFactory(organization=tenant.organization, client=tenant.client, code="NEW-1")
    response = tenant.api(Role.PM).post("/api/v1/sites/", site_payload(tenant.client.pk), format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "duplicate_code",
        "detail": "This client already has a site with code “NEW-1”.",
        "attr": "code",
    }


def test_filters_search_and_ordering(tenant):
    other_client = ClientFactory(organization=tenant.organization)
    SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        code="A",
        city="Chicago",
        state="IL",
        attributes={"store_format": "mall", "floors": 2, "open": True},
    )
    SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        code="B",
        city="Boston",
        state="MA",
        name="Harbor",
        attributes={"store_format": "street", "floors": "2"},
    )
    SiteFactory(
        organization=tenant.organization,
        client=other_client,
        code="C",
        city="Chicago",
        state="IL",
        status=SiteStatus.INACTIVE,
        attributes={"contains": "x"},
    )
    api = tenant.api(Role.COORDINATOR)

    def codes(**params):
        response = api.get("/api/v1/sites/", params)
        assert response.status_code == 200, response.content
        return [row["code"] for row in response.json()["results"]]

    assert codes() == ["A", "B", "C"]
    assert codes(client=other_client.pk) == ["C"]
    assert codes(status="inactive") == ["C"]
    assert codes(state="il") == ["A", "C"]
    assert codes(city="Boston") == ["B"]
    assert codes(attr="store_format:mall") == ["A"]
    assert codes(attr="floors:2") == ["A", "B"]  # the number 2 and the text "2"
    assert codes(attr="open:true") == ["A"]
    assert codes(attr="contains:x") == ["C"]  # a key named like a lookup is still just a key
    assert codes(q="harb") == ["B"]
    assert codes(search="harb") == ["B"]
    assert codes(ordering="-code") == ["C", "B", "A"]
    assert api.get("/api/v1/sites/", {"attr": "no colon"}).status_code == 400


def test_site_lists_stay_within_a_query_budget(tenant, django_assert_max_num_queries):
    # given 30 sites with two contacts each
    for site in SiteFactory.create_batch(30, organization=tenant.organization, client=tenant.client):
        SiteContactFactory.create_batch(2, site=site)
    api = tenant.api(Role.PM)
    api.get("/api/v1/sites/")  # warm the session
    # then a page of sites (with clients and contacts) takes a fixed number of queries
    with django_assert_max_num_queries(8):
        response = api.get("/api/v1/sites/", {"page_size": 30})
    assert len(response.json()["results"]) == 30
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/site-contacts/", {"page_size": 60}).json()["count"] == 60
    SiteImport.objects.bulk_create(
        SiteImport(organization=tenant.organization, client=tenant.client, original_filename=f"{n}.csv", format="csv")
        for n in range(25)
    )
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/site-imports/").json()["count"] == 25


# --- Imports over the API ----------------------------------------------------------------------------


def test_upload_then_commit_over_the_api(tenant, django_capture_on_commit_callbacks):
    api = tenant.api(Role.PM)
    rows = [site_line(1), site_line(2, latitude="100"), site_line(3, timezone="Nowhere/Land")]
    # when a file with two bad rows is uploaded (202 at once; the dry run runs after the request's commit)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = api.post(
            "/api/v1/site-imports/",
            {"client": tenant.client.pk, "file": SimpleUploadedFile("sites.csv", csv_text(rows=rows).encode())},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == ImportStatus.UPLOADED
    assert len(callbacks) == 1
    import_id = response.json()["id"]
    # then the import shows the dry run's result, and its problems are paginated
    detail = api.get(f"/api/v1/site-imports/{import_id}/").json()
    assert (detail["status"], detail["error_count"], detail["progress_percent"]) == ("validated", 2, 100)
    assert detail["errors_url"].endswith(f"/api/v1/site-imports/{import_id}/errors/")
    errors = api.get(f"/api/v1/site-imports/{import_id}/errors/", {"page_size": 1}).json()
    assert errors["count"] == 2
    assert errors["results"] == [{"row": 3, "column": "latitude", "message": errors["results"][0]["message"]}]
    assert errors["next"]
    # and the commit is refused with a stable code
    refused = api.post(f"/api/v1/site-imports/{import_id}/commit/")
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "import_has_errors"
    # when a fixed file is uploaded and committed
    with django_capture_on_commit_callbacks(execute=True):
        fixed = api.post(
            "/api/v1/site-imports/",
            {"client": tenant.client.pk, "file": SimpleUploadedFile("fixed.csv", csv_text(3).encode())},
            format="multipart",
        ).json()
    with django_capture_on_commit_callbacks(execute=True):
        committed = api.post(f"/api/v1/site-imports/{fixed['id']}/commit/")
    assert committed.status_code == 202
    detail = api.get(f"/api/v1/site-imports/{fixed['id']}/").json()
    assert (detail["status"], detail["created_count"]) == ("committed", 3)
    assert Site.objects.for_organization(tenant.organization).count() == 3


def test_upload_refuses_other_files_and_foreign_clients(tenant, other_tenant):
    api = tenant.api(Role.PM)
    pdf = api.post(
        "/api/v1/site-imports/",
        {"client": tenant.client.pk, "file": SimpleUploadedFile("sites.pdf", b"%PDF-1.4")},
        format="multipart",
    )
    assert pdf.status_code == 400 and pdf.json()["errors"][0]["attr"] == "file"
    foreign = api.post(
        "/api/v1/site-imports/",
        {"client": other_tenant.client.pk, "file": SimpleUploadedFile("sites.csv", csv_text(1).encode())},
        format="multipart",
    )
    assert foreign.status_code == 400 and foreign.json()["errors"][0]["attr"] == "client"


def test_the_uploaded_file_is_never_exposed(tenant, importer):
    site_import = importer.run(csv_text(1))
    body = tenant.api(Role.PM).get(f"/api/v1/site-imports/{site_import.pk}/").json()
    assert "file" not in body
    assert "site-imports/" not in str(body).replace("/api/v1/site-imports/", "")
    assert str(site_import.file.path).startswith(str(site_import.file.storage.location))
    with pytest.raises(ValueError):
        site_import.file.url  # noqa: B018


def test_the_schema_documents_the_sites_api(tenant):
    response = tenant.api(Role.ADMIN).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    if paths is None:
        import yaml

        paths = yaml.safe_load(response.content)["paths"]
    for path in (
        "/api/v1/sites/",
        "/api/v1/sites/{id}/",
        "/api/v1/sites/export/",
        "/api/v1/site-contacts/",
        "/api/v1/site-imports/",
        "/api/v1/site-imports/{id}/commit/",
        "/api/v1/site-imports/{id}/errors/",
    ):
        assert path in paths, path
    export = paths["/api/v1/sites/export/"]["get"]
    assert {"format", "client", "attr", "q"} <= {parameter["name"] for parameter in export["parameters"]}
    assert "202" in paths["/api/v1/site-imports/"]["post"]["responses"]


def test_a_file_over_10_mb_uploads_through_the_api(tenant, django_capture_on_commit_callbacks):
    # given a CSV over 10 MB (larger than the in-memory upload limit, so it streams to a temporary file)
    padding = "x" * 180
    rows = [site_line(n, address1=f"{n} {padding}", address2=f"Unit {n} {padding}") for n in range(1, 22_001)]
    content = csv_text(rows=rows).encode()
    assert len(content) > 10 * 1024 * 1024
    # when uploaded
    with django_capture_on_commit_callbacks(execute=True):
        response = tenant.api(Role.PM).post(
            "/api/v1/site-imports/",
            {"client": tenant.client.pk, "file": SimpleUploadedFile("big.csv", content)},
            format="multipart",
        )
    # then it is accepted and checked
    assert response.status_code == 202, response.content
    site_import = SiteImport.objects.get(pk=response.json()["id"])
    assert (site_import.status, site_import.error_count, site_import.created_count) == ("validated", 0, 22_000)
