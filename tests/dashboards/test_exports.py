"""Exports of the work-order, visit, defect and escalation lists (pages and API): the list's filters, formula
injection neutralised, roles, other organizations' and other clients' rows never written (a foreign filter id is
refused), a client's columns without internal notes or surnames, XLSX that opens, and a query count that does not
grow with the rows."""

import csv
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from rollout.choices import Role
from tests.dashboards.builders import SECRET_CANCEL, SECRET_RESOLUTION, SECRET_REVIEW, program_world
from tests.factories import ClientFactory
from tests.quality.support import browser
from workorders.models import WorkOrder

LISTS = ("work-orders", "visits", "defects", "escalations")
ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


def page(tenant, name: str, query: str = "") -> str:
    return reverse("dashboards:list-export", kwargs={"org": tenant.organization.slug, "list": name}) + query


def raw(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def rows(response) -> list[list[str]]:
    body = response if isinstance(response, bytes) else raw(response)
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_every_list_exports_as_csv_and_xlsx_with_the_list_filters(tenant):
    # given two programs; the filter picks one
    program, _, _ = program_world(tenant, sites=6, code="=HYPERLINK(1)")
    program_world(tenant, sites=3, code="other")
    pm, api = browser(tenant, Role.PM), tenant.api(Role.PM)
    expected = {
        "work-orders": WorkOrder.objects.filter(program=program).count(),
        "visits": 1,
        "defects": 2,
        "escalations": 2,  # both current (the builder raises two breaches)
    }
    for name in LISTS:
        # when
        answer = pm.get(page(tenant, name, f"?program={program.pk}&format=csv"))
        from_api = api.get(f"/api/v1/exports/{name}/?program={program.pk}&format=csv")
        # then
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv"), name
        assert answer.streaming and "attachment" in answer["Content-Disposition"]
        body = raw(answer)
        table = rows(body)
        assert len(table) - 1 == expected[name], (name, table)
        assert rows(from_api) == table, name
        assert "'=HYPERLINK(1)" in body.decode(), name  # the program code, defused
        assert "other" not in [cell for row in table for cell in row], name
        workbook = openpyxl.load_workbook(
            io.BytesIO(raw(pm.get(page(tenant, name, f"?program={program.pk}&format=xlsx"))))
        )
        sheet = workbook.worksheets[0]
        assert [c.value for c in next(sheet.iter_rows())] == table[0], name
        assert sheet.max_row == len(table), name
    by_status = rows(pm.get(page(tenant, "work-orders", f"?program={program.pk}&status=accepted")))
    assert len(by_status) - 1 == WorkOrder.objects.filter(program=program, status="accepted").count() == 2
    assert {row[8] for row in by_status[1:]} == {"Accepted"}


def test_formula_injection_is_neutralised_in_text_not_numbers(tenant):
    from rollout.exporting import csv_cell, xlsx_cell

    for dangerous in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"):
        assert csv_cell(dangerous).startswith("'") and xlsx_cell(dangerous).startswith("'")
    assert csv_cell("-87.63") == "-87.63" and csv_cell(-4) == "-4" and xlsx_cell(-4) == -4
    assert csv_cell(None) == "" and csv_cell("plain") == "plain"


@pytest.mark.parametrize("caller", ALL)
def test_roles(tenant, caller):
    program_world(tenant, sites=3)
    readers = {
        "work-orders": {Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR},
        "visits": {Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR},
        "defects": {Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR},
        "escalations": {Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR},
    }
    api = tenant.api("token" if caller == Role.INTEGRATOR else caller)
    for name in LISTS:
        status = api.get(f"/api/v1/exports/{name}/").status_code
        if caller in readers[name]:
            assert status == 200, (name, caller)
        else:
            assert status == (401 if caller is None else 403), (name, caller, status)
        if caller not in (None, Role.INTEGRATOR):
            status = browser(tenant, caller).get(page(tenant, name)).status_code
            assert status == (200 if caller in readers[name] else 403), (name, caller, status)
    assert browser(tenant, None).get(page(tenant, "visits")).status_code in (302, 404)


def test_other_organizations_rows_never_exported_and_their_ids_refused(tenant, other_tenant):
    foreign, _, _ = program_world(other_tenant, sites=3, code="foreign")
    program_world(tenant, sites=3, code="mine")
    pm, api = browser(tenant, Role.PM), tenant.api(Role.PM)
    for name in LISTS:
        assert "foreign" not in raw(pm.get(page(tenant, name))).decode(), name
        assert len(rows(pm.get(page(tenant, name, f"?program={foreign.pk}")))) == 1, name  # the header only
        assert api.get(f"/api/v1/exports/{name}/?program={foreign.pk}").status_code == 400, name
    assert pm.get(page(tenant, "nothing")).status_code == 404
    assert api.get("/api/v1/exports/work-orders/?format=pdf").status_code == 400


def test_a_client_gets_their_own_rows_and_only_the_columns_they_may_read(tenant):
    program_world(tenant, sites=6, code="mine")
    theirs, _, _ = program_world(tenant, sites=3, code="theirs", client=ClientFactory(organization=tenant.organization))
    client, staff = browser(tenant, Role.CLIENT), browser(tenant, Role.PM)
    for name in LISTS:
        body = raw(client.get(page(tenant, name))).decode()
        for secret in (SECRET_CANCEL, SECRET_REVIEW, SECRET_RESOLUTION, "Quist", "theirs"):
            assert secret not in body, (name, secret)
        assert "mine" in body, name
        assert client.get(page(tenant, name, f"?program={theirs.pk}")).status_code == 200
        assert len(rows(client.get(page(tenant, name, f"?program={theirs.pk}")))) == 1
        assert tenant.api(Role.CLIENT).get(f"/api/v1/exports/{name}/?program={theirs.pk}").status_code == 400
    staff_header = rows(staff.get(page(tenant, "visits")))[0]
    client_visits = rows(client.get(page(tenant, "visits")))
    assert "Check-out note" in staff_header and "Check-out note" not in client_visits[0]
    technician = client_visits[0].index("Technician")
    assert client_visits[1][technician] == "Dana"
    assert "Dana Quist" in raw(staff.get(page(tenant, "visits"))).decode()
    assert "Resolution note" not in rows(client.get(page(tenant, "escalations")))[0]


def _queries(caller, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(address)
        raw(response)  # the rows are read while the file streams
    assert response.status_code == 200
    return len(captured)


def test_query_count_does_not_grow_with_the_rows(tenant, other_tenant):
    small, _, _ = program_world(tenant, sites=4, code="small")
    large, _, _ = program_world(other_tenant, sites=60, code="large")
    counts = []
    for world, program in ((tenant, small), (other_tenant, large)):
        pm, api = browser(world, Role.PM), world.api(Role.PM)
        counts.append(
            [
                _queries(pm, page(world, name, f"?program={program.pk}&format={file_format}"))
                for name in LISTS
                for file_format in ("csv", "xlsx")
            ]
            + [_queries(api, f"/api/v1/exports/{name}/?program={program.pk}") for name in LISTS]
        )
    print("export query counts (small, large):", counts)
    assert counts[0] == counts[1], counts
