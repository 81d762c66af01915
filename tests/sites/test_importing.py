"""Bulk site import: the dry run reports every problem by row and column; the commit is all or nothing."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from rollout.models import AuditEvent
from sites.attributes import AttributeSchema
from sites.choices import ImportStatus, SiteStatus
from sites.models import Site, SiteImport
from tests.sites.builders import HEADER, csv_text, site_line, xlsx_bytes
from tests.sites.factories import SiteFactory

pytestmark = pytest.mark.django_db


def problems(site_import: SiteImport) -> list[tuple]:
    return [(issue["row"], issue["column"]) for issue in site_import.errors]


def messages(site_import: SiteImport) -> str:
    return " | ".join(issue["message"] for issue in site_import.errors)


# --- The happy path and counts -------------------------------------------------------------------


def test_a_clean_file_dry_runs_then_commits_every_row(tenant, importer):
    # given a file of three sites for the tenant's client
    content = csv_text(3)
    # when it is uploaded (the dry run runs in the background)
    site_import = importer.run(content)
    # then nothing is written yet, and the summary says what the commit will do
    assert site_import.status == ImportStatus.VALIDATED
    assert site_import.error_count == 0, site_import.errors
    assert (site_import.rows_total, site_import.rows_done) == (3, 3)
    assert (site_import.created_count, site_import.updated_count, site_import.unchanged_count) == (3, 0, 0)
    assert not Site.objects.exists()
    # when the PM commits
    site_import = importer.commit(site_import)
    # then every site is written with normalized values
    assert site_import.status == ImportStatus.COMMITTED
    assert site_import.created_count == 3
    site = Site.objects.for_organization(tenant.organization).get(code="S-00001")
    assert site.client == tenant.client
    assert site.latitude == Decimal("41.878100")
    assert site.timezone == "America/Chicago"
    assert site.access_hours == {
        "mon": ["06:00-22:00"],
        "tue": ["06:00-22:00"],
        "wed": ["06:00-22:00"],
        "thu": ["06:00-22:00"],
        "fri": ["06:00-22:00"],
        "sat": ["08:00-20:00"],
    }
    assert site.blackout_dates == ["2026-12-24", "2026-12-25"]
    assert site.attributes == {"store_format": "mall", "floors": 2}
    assert site.status == SiteStatus.ACTIVE
    assert AuditEvent.objects.filter(verb="site_import.committed", target_id=str(site_import.pk)).exists()


def test_reimporting_the_same_file_updates_by_code_and_creates_no_duplicates(tenant, importer):
    # given a committed import
    content = csv_text(5)
    importer.commit(importer.run(content))
    # when the same file is imported again
    again = importer.commit(importer.run(content))
    # then nothing is created or changed
    assert again.status == ImportStatus.COMMITTED
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 0, 5)
    assert Site.objects.for_organization(tenant.organization).count() == 5
    # when a changed file is imported (one renamed, one new)
    rows = [site_line(n) for n in range(1, 6)]
    rows[1] = site_line(2, name="Store two, renamed")
    rows.append(site_line(6))
    changed = importer.commit(importer.run(csv_text(rows=rows)))
    # then one is updated, one created, four unchanged
    assert (changed.created_count, changed.updated_count, changed.unchanged_count) == (1, 1, 4)
    assert Site.objects.for_organization(tenant.organization).count() == 6
    assert Site.objects.get(code="S-00002").name == "Store two, renamed"


def test_absent_columns_leave_fields_alone_and_empty_cells_clear_them(tenant, importer):
    # given an existing site with coordinates, access hours and two attributes
    SiteFactory(organization=tenant.organization, client=tenant.client, code="S-1", city="Chicago")
    # when a file with only code, name, address2 and one attribute column (empty) is imported
    content = "code,name,address2,attr:floors\nS-1,Renamed,,\n"
    importer.commit(importer.run(content))
    # then the named fields change, the rest stay
    site = Site.objects.get(code="S-1")
    assert site.name == "Renamed"
    assert site.city == "Chicago"
    assert site.timezone == "America/Chicago"
    assert site.access_hours == {"mon": ["06:00-22:00"], "sat": ["08:00-20:00"]}
    assert site.attributes == {"store_format": "mall"}


def test_the_time_zone_is_derived_from_coordinates_when_not_given(tenant, importer):
    # given sites in Denver and Honolulu without a time zone
    content = "code,name,latitude,longitude,timezone\nD,Denver,39.7392,-104.9903,\nH,Honolulu,21.3069,-157.8583,\n"
    # when imported
    importer.commit(importer.run(content))
    # then
    assert Site.objects.get(code="D").timezone == "America/Denver"
    assert Site.objects.get(code="H").timezone == "Pacific/Honolulu"


# --- Every problem, by row and column ----------------------------------------------------------------


def test_the_dry_run_reports_every_problem_by_row_and_column(tenant, importer):
    # given a file with one problem of each kind (and a good row between them)
    rows = [
        site_line(1),
        site_line(2, latitude="95.1"),  # latitude out of range
        site_line(3, longitude="east"),  # not a number
        site_line(4, timezone="Mars/Olympus_Mons"),  # unknown time zone
        site_line(1, name="Same code again"),  # duplicate code within the file
        site_line(6, **{"attr:floors:int": "two"}),  # wrong type
        site_line(7, access_hours="mon-fri 6am-10pm"),  # bad access hours
        site_line(8, blackout_dates="2026-02-30"),  # not a date
        site_line(9, name=""),  # missing required value
        site_line(10, latitude="41.1", longitude=""),  # half a coordinate
        site_line(11, latitude="", longitude="", timezone=""),  # a new site without any time zone
        site_line(12, country="USA"),
    ]
    # when it is dry-run
    site_import = importer.run(csv_text(rows=rows))
    # then every problem is listed, in file order, with its row and column
    assert site_import.status == ImportStatus.VALIDATED
    assert problems(site_import) == [
        (3, "latitude"),
        (4, "longitude"),
        (5, "timezone"),
        (6, "code"),
        (7, "attr:floors:int"),
        (8, "access_hours"),
        (9, "blackout_dates"),
        (10, "name"),
        (11, "longitude"),
        (12, "timezone"),
        (13, "country"),
    ]
    assert site_import.error_count == 11
    text = messages(site_import)
    for expected in (
        "Latitude must be between -90 and 90",
        "“east” is not a number",
        "“Mars/Olympus_Mons” is not a known time zone",
        "The site code “S-00001” is also on row 2",
        "“two” is not a whole number",
        "is not a time window",
        "“2026-02-30” is not a date",
        "The name is required",
        "Give both latitude and longitude",
        "not a two-letter country code",
        "A time zone is required for a new site",
    ):
        assert expected in text
    # and the good row alone is counted, but nothing can be committed
    assert site_import.created_count == 1
    assert not site_import.can_commit


def test_commit_is_refused_when_the_dry_run_found_problems(tenant, importer):
    # given a dry run with one bad row
    site_import = importer.run(csv_text(rows=[site_line(1), site_line(2, latitude="200")]))
    # when the PM commits anyway
    from rollout.choices import Role
    from sites import services
    from sites.errors import ImportHasErrors
    from tests.sites.builders import access_of

    with pytest.raises(ImportHasErrors) as refused:
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, Role.PM), import_id=site_import.pk
        )
    # then it is refused and nothing is written
    assert refused.value.code == "import_has_errors"
    assert not Site.objects.exists()


def test_a_wrong_header_names_the_missing_and_unknown_columns(tenant, importer):
    # given a header without "code" and with two unknown columns
    content = "store_id,name,citty,attr:Bad Name\n1,Store,Chicago,x\n"
    # when dry-run
    site_import = importer.run(content)
    # then the header problems name each column, on row 1, and no row is checked
    assert site_import.status == ImportStatus.VALIDATED
    by_column = {issue["column"]: issue["message"] for issue in site_import.errors}
    assert set(by_column) == {"store_id", "citty", "attr:Bad Name", "code"}
    assert all(issue["row"] == 1 for issue in site_import.errors)
    assert "Unknown column “store_id”" in by_column["store_id"]
    assert "code, name, address1" in by_column["citty"]  # the message lists the columns that exist
    assert "The required column “code” is missing" in by_column["code"]


def test_missing_required_attribute_and_allowed_values_come_from_a_schema(tenant, tmp_path):
    # given an attribute schema (as a program will declare it) and a file that breaks it
    from sites import importing

    schema = AttributeSchema.from_json(
        [
            {"name": "store_format", "type": "str", "required": True, "allowed": ["mall", "street"]},
            {"name": "ceiling_height_m", "type": "float"},
        ]
    )
    content = (
        "code,name,timezone,attr:store_format,attr:ceiling_height_m\n"
        "A,Ok,America/Chicago,mall,4\n"
        "B,Missing,America/Chicago,,3.5\n"
        "C,Not allowed,America/Chicago,kiosk,x\n"
    )
    path = tmp_path / "sites.csv"
    path.write_text(content, encoding="utf-8")
    # when checked with the schema
    _result, plan = importing.check_and_plan(
        path,
        "csv",
        organization_id=tenant.organization.pk,
        client_id=tenant.client.pk,
        client_code=tenant.client.code,
        schema=schema,
    )
    # then the schema's type wins over inference (4 → 4.0), and each problem has its row and column
    assert plan.creates[0][1]["attributes"] == {"store_format": "mall", "ceiling_height_m": 4.0}
    assert [(issue.row, issue.column) for issue in plan.issues] == [
        (3, "attr:store_format"),
        (4, "attr:store_format"),
        (4, "attr:ceiling_height_m"),
    ]
    assert any("required" in issue.message for issue in plan.issues)
    assert any("not allowed" in issue.message and "mall, street" in issue.message for issue in plan.issues)


def test_a_row_for_another_client_is_refused(tenant, importer):
    # given an export of several clients (a client column) imported into one client
    content = f"client,code,name,timezone\n{tenant.client.code},A,Mine,UTC\nother-client,B,Theirs,UTC\n"
    # when dry-run
    site_import = importer.run(content)
    # then the foreign row is a problem on the client column
    assert problems(site_import) == [(3, "client")]
    assert "this import is for client" in messages(site_import)


# --- File formats and shapes ---------------------------------------------------------------------


def test_a_utf8_bom_windows_line_endings_and_empty_rows_are_handled(tenant, importer):
    # given a file written by Excel: BOM, CRLF, accented text, blank rows in the middle and at the end
    rows = [site_line(1, name="Café Ünïcode"), "", ",,,,,,,,,,,,,,", site_line(2), "", ""]
    content = "\ufeff" + csv_text(rows=rows, newline="\r\n")
    # when imported
    site_import = importer.commit(importer.run(content.encode("utf-8")))
    # then the header is read despite the BOM, blank rows are skipped (not errors), values have no stray \r
    assert site_import.status == ImportStatus.COMMITTED, site_import.errors
    assert site_import.rows_total == 2
    assert site_import.created_count == 2
    site = Site.objects.get(code="S-00001")
    assert site.name == "Café Ünïcode"
    assert site.attributes == {"store_format": "mall", "floors": 2}


def test_a_file_that_is_not_utf8_gets_a_clear_message(tenant, importer):
    # given a CSV saved in Windows-1252
    content = "code,name,timezone\nS1,Caf\xe9,UTC\n".encode("cp1252")
    # when dry-run
    site_import = importer.run(content)
    # then one whole-file problem explains what to do
    assert site_import.error_count == 1
    assert site_import.errors[0]["row"] is None
    assert "not UTF-8" in site_import.errors[0]["message"]


def test_semicolon_separated_csv_is_read(tenant, importer):
    # given a CSV from a European spreadsheet (; between values)
    content = "code;name;timezone;access_hours\nS1;Store;Europe/Paris;mon-fri 08:00-18:00\n"
    # when imported
    site_import = importer.commit(importer.run(content))
    # then
    assert site_import.status == ImportStatus.COMMITTED, site_import.errors
    assert Site.objects.get(code="S1").access_hours["fri"] == ["08:00-18:00"]


def test_xlsx_formulas_give_their_saved_values_and_a_formula_without_one_is_flagged(tenant, importer):
    # given a workbook whose name and floors cells are formulas: row 2 saved by Excel, row 3 never calculated
    rows = [
        ["code", "name", "city", "timezone", "latitude", "longitude", "attr:floors:int", "blackout_dates"],
        ["S1", '="Store "&"one"', "Chicago", "America/Chicago", 41.8781, -87.6298, "=1+1", None],
        ["S2", "Store two", "Chicago", "America/Chicago", 41.8781, -87.6298, "=2+1", None],
        [None, None, None, None, None, None, None, None],
        ["S3", "Store three", 60601, "America/Chicago", None, None, 3, None],
    ]
    content = xlsx_bytes(rows, cached={"B2": "Store one", "G2": "2"})
    # when dry-run
    site_import = importer.run(content, "sites.xlsx")
    # then only the uncalculated formula is a problem, on its row and column
    assert site_import.format == "xlsx"
    assert problems(site_import) == [(3, "attr:floors:int")]
    assert "has no saved value" in messages(site_import)
    assert site_import.rows_total == 3  # the empty row is skipped


def test_an_xlsx_round_trips_values_of_every_cell_type(tenant, importer):
    # given a workbook with numbers, a date cell and text that looks like a number
    from datetime import date

    rows = [
        ["code", "name", "postal_code", "latitude", "longitude", "blackout_dates", "attr:open", "attr:sqft", "attr:id"],
        ["S1", "Store", "02134", 42.3601, -71.0589, date(2026, 12, 24), True, 1500, "00123"],
    ]
    # when imported
    site_import = importer.commit(importer.run(xlsx_bytes(rows), "sites.xlsx"))
    # then
    assert site_import.status == ImportStatus.COMMITTED, site_import.errors
    site = Site.objects.get(code="S1")
    assert site.postal_code == "02134"
    assert site.timezone == "America/New_York"
    assert site.blackout_dates == ["2026-12-24"]
    assert site.attributes == {"open": True, "sqft": 1500, "id": "00123"}


def test_a_10_mb_file_is_checked_and_committed(tenant, importer):
    # given a CSV of more than 10 MB (long address lines make it large with 22,000 rows)
    padding = "x" * 180
    rows = [site_line(n, address1=f"{n} {padding}", address2=f"Unit {n} {padding}") for n in range(1, 22_001)]
    content = csv_text(rows=rows)
    assert len(content.encode()) > 10 * 1024 * 1024
    # when dry-run and committed
    site_import = importer.run(content)
    assert site_import.error_count == 0, site_import.errors[:3]
    site_import = importer.commit(site_import)
    # then every row is written
    assert site_import.status == ImportStatus.COMMITTED
    assert site_import.file_size > 10 * 1024 * 1024
    assert Site.objects.for_organization(tenant.organization).count() == 22_000


def test_an_unsupported_file_is_refused_at_upload(tenant, importer):
    from rollout.errors import ApplicationError

    # given a PDF
    # when uploaded, then it is refused on the file field
    with pytest.raises(ApplicationError) as refused:
        importer.run(b"%PDF-1.7", "sites.pdf")
    assert (refused.value.code, refused.value.field) == ("unsupported_format", "file")


# --- All or nothing ---------------------------------------------------------------------------------


def _ddl(*statements: str) -> None:
    """Run DDL on the test database and commit it: as the schema's owner when the suite runs as the ordinary
    application role (MIGRATION_DATABASE_URL set: that role may not create triggers), else on the suite's own
    connection."""
    if connection.vendor == "postgresql" and settings.MIGRATION_DATABASE_URL:
        import dj_database_url
        import psycopg2

        owner = dj_database_url.parse(settings.MIGRATION_DATABASE_URL)
        owner_connection = psycopg2.connect(
            dbname=connection.settings_dict["NAME"],
            user=owner["USER"],
            password=owner["PASSWORD"] or None,
            host=owner["HOST"] or None,
            port=owner["PORT"] or None,
        )
        owner_connection.autocommit = True
        try:
            with owner_connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            owner_connection.close()
        return
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@pytest.fixture
def refuse_code_in_database():
    """`refuse(code)`: a real database failure in the middle of a commit, a trigger that rejects one site code;
    dropped again at the end (the test commits for real, so the trigger is not rolled back with it)."""

    def refuse(code: str) -> None:
        if connection.vendor == "postgresql":
            _ddl(
                "CREATE OR REPLACE FUNCTION sites_test_refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.code = '{code}' THEN RAISE EXCEPTION 'refused by test trigger'; END IF; RETURN NEW; END; "
                "$$ LANGUAGE plpgsql",
                "CREATE TRIGGER sites_test_refuse BEFORE INSERT OR UPDATE ON sites_site "
                "FOR EACH ROW EXECUTE FUNCTION sites_test_refuse()",
            )
        else:
            _ddl(
                "CREATE TRIGGER sites_test_refuse BEFORE INSERT ON sites_site "
                f"WHEN NEW.code = '{code}' BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END"
            )

    yield refuse
    if connection.vendor == "postgresql":
        _ddl("DROP TRIGGER IF EXISTS sites_test_refuse ON sites_site", "DROP FUNCTION IF EXISTS sites_test_refuse()")
    else:
        _ddl("DROP TRIGGER IF EXISTS sites_test_refuse")


# Committed for real (no test transaction): the owner's DDL could not take its lock on sites_site while the test's
# transaction held one, and the commit's transaction is the one that must roll back.
@pytest.mark.django_db(transaction=True)
def test_a_failure_during_the_commit_leaves_nothing_written(tenant, importer, refuse_code_in_database):
    # given a checked file of 50 new sites and one existing site it renames
    SiteFactory(organization=tenant.organization, client=tenant.client, code="S-00001", name="Old name")
    site_import = importer.run(csv_text(50))
    assert site_import.can_commit
    # and the database will refuse the 40th row
    refuse_code_in_database("S-00040")
    # when the PM commits
    site_import = importer.commit(site_import)
    # then the import failed and not one row was written or changed
    assert site_import.status == ImportStatus.FAILED
    assert "nothing was written" in site_import.failure_message
    assert "refused by test trigger" in site_import.failure_message
    assert Site.objects.for_organization(tenant.organization).count() == 1
    assert Site.objects.get(code="S-00001").name == "Old name"
    assert not AuditEvent.objects.filter(verb="site_import.committed").exists()


def test_the_commit_checks_the_file_again_against_the_sites_as_they_are_now(tenant, importer):
    # given a dry run that passed for a file whose site has no time zone and no coordinates, while the site existed
    existing = SiteFactory(organization=tenant.organization, client=tenant.client, code="S1")
    site_import = importer.run("code,name\nS1,Renamed\n")
    assert site_import.can_commit and site_import.updated_count == 1
    # and the site is deleted before the commit (so the row would now create a site without a time zone)
    existing.delete()
    # when committed
    site_import = importer.commit(site_import)
    # then the commit refuses, lists the problem, and writes nothing
    assert site_import.status == ImportStatus.FAILED
    assert problems(site_import) == [(2, "timezone")]
    assert not Site.objects.exists()


def test_the_commit_job_is_enqueued_on_commit_and_a_second_run_does_nothing(
    tenant, importer, django_capture_on_commit_callbacks
):
    from rollout.choices import Role
    from rollout.tasks import job_run_task
    from sites import services
    from tests.sites.builders import access_of

    # given a checked import
    site_import = importer.run(csv_text(2))
    # when the commit is requested, the job's runner waits for the transaction to commit
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, Role.PM), import_id=site_import.pk
        )
    assert len(callbacks) == 1
    site_import.refresh_from_db()
    assert site_import.status == ImportStatus.COMMITTING
    assert (site_import.commit_job.kind, site_import.commit_job.total) == (services.SITE_IMPORT_COMMIT, 1)
    assert not Site.objects.exists()
    # when the task runs, twice (a redelivery)
    callbacks[0]()
    job_run_task.delay(organization_id=tenant.organization.pk, job_id=site_import.commit_job_id)
    # then the sites exist once, and the job's one item is done
    site_import.refresh_from_db()
    assert site_import.status == ImportStatus.COMMITTED
    assert Site.objects.count() == 2
    job = site_import.commit_job
    job.refresh_from_db()
    assert (job.status, job.done_count, job.items.get().outcome) == ("done", 1, "committed")
    assert job.items.get().result == {"created": 2, "updated": 0, "unchanged": 0}


def test_a_commit_stopped_at_the_soft_time_limit_is_not_failed_and_the_continuation_commits(
    tenant, importer, django_capture_on_commit_callbacks, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    from rollout import jobs
    from rollout.choices import Role
    from sites import importing, services
    from tests.sites.builders import access_of

    # given a commit requested, whose first write runs past the task's soft time limit
    site_import = importer.run(csv_text(3))
    with django_capture_on_commit_callbacks(execute=False):
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, Role.PM), import_id=site_import.pk
        )
    site_import.refresh_from_db()
    real_write, stops = importing.write_plan, [1]

    def write_plan(*args, **kwargs):
        real_write(*args, **kwargs)
        if stops:
            stops.pop()
            raise SoftTimeLimitExceeded()

    monkeypatch.setattr(importing, "write_plan", write_plan)
    job_id = site_import.commit_job_id
    # when a delivery runs it
    assert jobs.job_run(organization_id=tenant.organization.pk, job_id=job_id, token="a") is True
    # then nothing is written, the import still commits (not failed), and the item is given back
    site_import.refresh_from_db()
    assert (site_import.status, Site.objects.count()) == (ImportStatus.COMMITTING, 0)
    item = site_import.commit_job.items.get()
    assert (item.status, item.claimed_by) == ("pending", "")
    # when the continuation runs
    assert jobs.job_run(organization_id=tenant.organization.pk, job_id=job_id, token="b") is False
    # then the sites are written once
    site_import.refresh_from_db()
    assert (site_import.status, Site.objects.count()) == (ImportStatus.COMMITTED, 3)


def test_a_commit_whose_worker_died_is_failed_with_the_reason_when_the_job_gives_up(
    tenant, importer, django_capture_on_commit_callbacks
):
    from rollout import jobs
    from rollout.choices import Role
    from sites import services
    from tests.sites.builders import access_of

    # given a commit requested, whose job nobody works on any more
    site_import = importer.run(csv_text(2))
    with django_capture_on_commit_callbacks(execute=False):
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, Role.PM), import_id=site_import.pk
        )
    site_import.refresh_from_db()
    job = site_import.commit_job
    job.__class__.objects.filter(pk=job.pk).update(requeue_count=99, heartbeat_at=job.heartbeat_at.replace(year=2000))
    # when the sweep runs
    report = jobs.jobs_sweep()
    # then the import is failed with why, and nothing was written
    site_import.refresh_from_db()
    assert report.failed == [job.pk]
    assert site_import.status == ImportStatus.FAILED
    assert "No worker made progress" in site_import.failure_message
    assert not Site.objects.exists()


def test_tasks_ignore_another_organizations_import(tenant, other_tenant, importer, django_capture_on_commit_callbacks):
    from rollout.choices import Role
    from rollout.tasks import job_run_task
    from sites import services
    from sites.tasks import site_import_validate_task
    from tests.sites.builders import access_of

    # given an import of the tenant that is checked
    site_import = importer.run(csv_text(2))
    # when tasks are called with the other organization's id
    site_import_validate_task.delay(organization_id=other_tenant.organization.pk, import_id=site_import.pk)
    site_import.refresh_from_db()
    assert site_import.status == ImportStatus.VALIDATED
    with django_capture_on_commit_callbacks(execute=False):
        services.site_import_commit(
            organization=tenant.organization, actor=access_of(tenant, Role.PM), import_id=site_import.pk
        )
    site_import.refresh_from_db()
    job_run_task.delay(organization_id=other_tenant.organization.pk, job_id=site_import.commit_job_id)
    # then nothing happens
    site_import.refresh_from_db()
    assert site_import.status == ImportStatus.COMMITTING
    assert not Site.objects.exists()


def test_header_constant_matches_the_import_columns():
    from sites.importing import COLUMN_FIELDS

    assert set(HEADER.split(",")) - {"attr:store_format", "attr:floors:int"} <= set(COLUMN_FIELDS)


def test_a_broken_workbook_gets_a_clear_message(tenant, importer):
    # given a file named .xlsx that is a zip but not a workbook
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    # when dry-run
    site_import = importer.run(buffer.getvalue(), "sites.xlsx")
    # then one whole-file problem says so
    assert site_import.status == ImportStatus.VALIDATED
    assert site_import.errors == [
        {"row": None, "column": None, "message": "The file is not a readable Excel workbook (.xlsx)."}
    ]
