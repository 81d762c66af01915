"""Export: the import's columns, so exporting then importing changes nothing; formulas are defused."""

import csv
import io
from decimal import Decimal

import pytest

from rollout.choices import Role
from sites import exporting
from sites.choices import ImportStatus, SiteStatus
from sites.models import Site
from tests.sites.factories import SiteFactory

pytestmark = pytest.mark.django_db

NASTY = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "'=already quoted"]


def make_sites(tenant):
    SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        code="A-1",
        name="=cmd|' /C calc'!A0",
        address_line2="+44 20 7946 0000",
        city="@Home",
        attributes={"store_format": "-mall", "floors": 2, "ceiling_height_m": 4.5, "dock": True, "ref": "00123"},
        access_hours={"mon": ["06:00-22:00"], "tue": ["06:00-22:00"], "sun": []},
        blackout_dates=["2026-12-24", "2026-12-25"],
    )
    SiteFactory(
        organization=tenant.organization,
        client=tenant.client,
        code="A-2",
        name='Café Ünïcode, "quoted"\nsecond line',
        latitude=Decimal("-33.868800"),
        longitude=Decimal("151.209300"),
        timezone="Australia/Sydney",
        country="AU",
        status=SiteStatus.INACTIVE,
        access_hours={},
        blackout_dates=[],
        attributes={"floors": 1, "ceiling_height_m": 3},
    )
    SiteFactory(organization=tenant.organization, client=tenant.client, code="A-3", latitude=None, longitude=None)


def snapshot(organization):
    return list(
        Site.objects.for_organization(organization)
        .order_by("code")
        .values(
            "code",
            "name",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "country",
            "latitude",
            "longitude",
            "timezone",
            "access_hours",
            "blackout_dates",
            "attributes",
            "status",
            "updated_at",
        )
    )


def test_defuse_prefixes_text_a_spreadsheet_would_run_but_not_numbers():
    assert [exporting.defuse(text) for text in NASTY] == ["'" + text for text in NASTY]
    assert exporting.defuse("\tTab") == "'\tTab"
    assert exporting.defuse("\rCR") == "'\rCR"
    assert exporting.defuse("-87.6298") == "-87.6298"
    assert exporting.defuse("Main St") == "Main St"
    assert exporting.defuse("") == ""


def test_csv_export_escapes_formulas(tenant):
    # given sites whose text starts with formula characters
    make_sites(tenant)
    # when exported
    content = b"".join(exporting.csv_stream(Site.objects.for_organization(tenant.organization).order_by("code")))
    # then it is UTF-8 with a BOM, and every risky cell starts with a quote (numbers stay numbers)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    first = rows[0]
    assert first["name"] == "'=cmd|' /C calc'!A0"
    assert first["address2"] == "'+44 20 7946 0000"
    assert first["city"] == "'@Home"
    assert first["attr:store_format:str"] == "'-mall"
    assert first["longitude"] == "-87.6298"
    assert first["access_hours"] == "mon-tue 06:00-22:00; sun closed"
    assert first["blackout_dates"] == "2026-12-24;2026-12-25"
    assert first["client"] == tenant.client.code
    assert list(first)[:3] == ["client", "code", "name"]
    for row in rows:
        for value in row.values():
            assert not (value and value[0] in "=+@\t\r"), value


def test_csv_export_then_import_changes_nothing(tenant, importer):
    # given sites with every kind of value
    make_sites(tenant)
    before = snapshot(tenant.organization)
    content = b"".join(exporting.csv_stream(Site.objects.for_organization(tenant.organization)))
    # when the export is imported again
    site_import = importer.run(content, "export.csv")
    assert site_import.error_count == 0, site_import.errors
    site_import = importer.commit(site_import)
    # then every site is unchanged (not even its updated_at)
    assert site_import.status == ImportStatus.COMMITTED
    assert (site_import.created_count, site_import.updated_count, site_import.unchanged_count) == (0, 0, 3)
    assert snapshot(tenant.organization) == before


def test_xlsx_export_then_import_changes_nothing(tenant, importer):
    import openpyxl

    make_sites(tenant)
    before = snapshot(tenant.organization)
    # when exported as XLSX
    handle = exporting.xlsx_file(Site.objects.for_organization(tenant.organization).order_by("code"))
    content = handle.read()
    # then formula text is stored as text with its quote, numbers as numbers
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    first = dict(zip(header, [cell.value for cell in sheet[2]], strict=True))
    assert first["name"] == "'=cmd|' /C calc'!A0"
    assert sheet.cell(row=2, column=header.index("name") + 1).data_type == "s"
    assert first["longitude"] == pytest.approx(-87.6298)
    assert first["attr:floors:int"] == 2
    assert first["attr:dock:bool"] is True
    # when imported again
    site_import = importer.commit(importer.run(content, "export.xlsx"))
    # then nothing changes
    assert site_import.status == ImportStatus.COMMITTED, site_import.errors
    assert (site_import.created_count, site_import.updated_count, site_import.unchanged_count) == (0, 0, 3)
    assert snapshot(tenant.organization) == before


def test_attribute_columns_are_typed_when_every_site_agrees(tenant):
    make_sites(tenant)
    columns = dict(exporting.attribute_columns(Site.objects.for_organization(tenant.organization)))
    # 4.5 and 3 → float; "00123" stays text
    assert columns == {
        "ceiling_height_m": "float",
        "dock": "bool",
        "floors": "int",
        "ref": "str",
        "store_format": "str",
    }


def test_export_through_the_api_streams_csv_with_the_list_filters(tenant, other_tenant):
    # given sites in two cities of the tenant, and a site of another organization
    SiteFactory(organization=tenant.organization, client=tenant.client, code="CHI", city="Chicago")
    SiteFactory(organization=tenant.organization, client=tenant.client, code="BOS", city="Boston")
    SiteFactory(organization=other_tenant.organization, client=other_tenant.client, code="FOREIGN")
    # when a coordinator exports Chicago's sites
    response = tenant.api(Role.COORDINATOR).get("/api/v1/sites/export/", {"format": "csv", "city": "chicago"})
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    codes = [row["code"] for row in csv.DictReader(io.StringIO(text))]
    assert codes == ["CHI"]


def test_export_through_the_api_as_xlsx_and_a_bad_format(tenant):
    import openpyxl

    SiteFactory(organization=tenant.organization, client=tenant.client, code="CHI")
    api = tenant.api("token")
    response = api.get("/api/v1/sites/export/", {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == exporting.XLSX_CONTENT_TYPE
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=2).value == "CHI"
    bad = api.get("/api/v1/sites/export/", {"format": "pdf"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["attr"] == "format"


def test_a_client_viewer_exports_only_their_clients_sites(tenant):
    from tests.factories import ClientFactory

    SiteFactory(organization=tenant.organization, client=tenant.client, code="MINE")
    SiteFactory(organization=tenant.organization, client=ClientFactory(organization=tenant.organization), code="THEIRS")
    response = tenant.api(Role.CLIENT).get("/api/v1/sites/export/")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert [row["code"] for row in csv.DictReader(io.StringIO(text))] == ["MINE"]


def test_export_is_refused_to_a_technician_and_anonymous(tenant):
    assert tenant.api(Role.TECHNICIAN).get("/api/v1/sites/export/").status_code == 403
    assert tenant.api(None).get("/api/v1/sites/export/").status_code in (401, 403)
