"""Pages of a program's sites: role matrix, cross-organization 404s, the enroll / set wave / remove flows with
their confirmation and result summary, the attribute editor and problems, variations, query budgets."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import Enrollment, ProgramAttribute, SiteVariation
from rollout.choices import Role
from sites.models import SiteImport
from tests.factories import ClientFactory
from tests.programs.builders import browser, url
from tests.programs.factories import (
    EnrollmentFactory,
    ProgramAttributeFactory,
    ProgramFactory,
    SiteVariationFactory,
    WaveFactory,
)
from tests.sites.factories import SiteFactory

READERS = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT]
PLANNERS = [Role.ADMIN, Role.PM]
ALL_MEMBERS = [*READERS, Role.TECHNICIAN]


@pytest.fixture
def plan(program, draft):
    wave = WaveFactory(program=program, name="Pilot")
    enrollment = EnrollmentFactory(program=program, wave=wave)
    return {
        "program": program,
        "wave": wave,
        "enrollment": enrollment,
        "attribute": ProgramAttributeFactory(program=program, name="floors", type="int", required=True),
        "variation": SiteVariationFactory(enrollment=enrollment),
    }


def pages(plan):
    """name → (kwargs, roles that may open it)."""
    program, attribute, variation = plan["program"].pk, plan["attribute"].pk, plan["variation"].pk
    writers = [*PLANNERS, Role.COORDINATOR]
    return {
        "programs:program-sites": ({"pk": program}, READERS),
        "programs:program-attributes": ({"pk": program}, READERS),
        "programs:program-attribute-problems": ({"pk": program}, READERS),
        "programs:program-variations": ({"pk": program}, READERS),
        "programs:program-enroll": ({"pk": program}, PLANNERS),
        "programs:program-site-import": ({"pk": program}, PLANNERS),
        "programs:program-attribute-create": ({"pk": program}, PLANNERS),
        "programs:program-attribute-edit": ({"attribute": attribute}, PLANNERS),
        "programs:program-attribute-delete": ({"attribute": attribute}, PLANNERS),
        "programs:program-variation-create": ({"pk": program}, writers),
        "programs:variation-edit": ({"variation": variation}, writers),
        "programs:variation-delete": ({"variation": variation}, writers),
        "programs:variation-approve": ({"variation": variation}, PLANNERS),
        "programs:variation-reject": ({"variation": variation}, PLANNERS),
    }


PAGE_NAMES = [
    "programs:program-sites",
    "programs:program-attributes",
    "programs:program-attribute-problems",
    "programs:program-variations",
    "programs:program-enroll",
    "programs:program-site-import",
    "programs:program-attribute-create",
    "programs:program-attribute-edit",
    "programs:program-attribute-delete",
    "programs:program-variation-create",
    "programs:variation-edit",
    "programs:variation-delete",
    "programs:variation-approve",
    "programs:variation-reject",
]


@pytest.mark.parametrize("name", PAGE_NAMES)
@pytest.mark.parametrize("role", [*ALL_MEMBERS, None])
def test_page_role_matrix(tenant, plan, name, role):
    # given a program with sites, an attribute and a variation
    kwargs, allowed = pages(plan)[name]
    # when a member with `role` opens the page
    response = browser(tenant, role).get(url(tenant, name, **kwargs))
    # then
    expected = 302 if role is None else 200 if role in allowed else 403
    assert response.status_code == expected, (role, name)


@pytest.mark.parametrize("name", PAGE_NAMES)
def test_another_organizations_objects_are_404(tenant, other_tenant, name):
    # given another organization's program with an enrolled site, an attribute and a variation
    program = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    enrollment = EnrollmentFactory(program=program)
    foreign = {
        "program": program,
        "attribute": ProgramAttributeFactory(program=program),
        "variation": SiteVariationFactory(enrollment=enrollment),
    }
    kwargs, _ = pages(foreign)[name]
    # when our admin opens it under our organization
    response = browser(tenant, Role.ADMIN).get(url(tenant, name, **kwargs))
    # then it does not exist
    assert response.status_code == 404


def test_the_bulk_endpoint_refuses_non_planners_and_foreign_programs(tenant, other_tenant, plan):
    foreign = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    body = {"action": "remove", "site": [plan["enrollment"].site_id]}
    coordinator = browser(tenant, Role.COORDINATOR).post(
        url(tenant, "programs:program-sites-bulk", pk=plan["program"].pk), body
    )
    admin = browser(tenant, Role.ADMIN).post(url(tenant, "programs:program-sites-bulk", pk=foreign.pk), body)
    assert (coordinator.status_code, admin.status_code) == (403, 404)
    assert Enrollment.objects.filter(pk=plan["enrollment"].pk).exists()


def test_the_program_page_has_the_sites_section_and_tabs(tenant, plan):
    page = browser(tenant, Role.PM).get(url(tenant, "programs:program-detail", pk=plan["program"].pk)).content.decode()
    assert "1</a> enrolled site" in page
    assert "1 pending variation" in page
    assert url(tenant, "programs:program-sites", pk=plan["program"].pk) in page
    assert url(tenant, "programs:program-enroll", pk=plan["program"].pk) in page


def test_enroll_all_matching_with_confirmation_and_result(tenant, plan):
    # given Texas sites of the client (one inactive), and an Illinois one
    program, wave = plan["program"], plan["wave"]
    texas = [SiteFactory(organization=tenant.organization, client=tenant.client, state="TX") for _ in range(3)]
    inactive = SiteFactory(organization=tenant.organization, client=tenant.client, state="TX", status="inactive")
    SiteFactory(organization=tenant.organization, client=tenant.client, state="IL")
    pm = browser(tenant, Role.PM)
    # when the PM filters on TX, takes all matching with the pilot wave, and asks to enroll
    picker = pm.get(url(tenant, "programs:program-enroll", pk=program.pk), {"state": "TX"})
    confirm = pm.post(
        url(tenant, "programs:program-sites-bulk", pk=program.pk),
        {"action": "enroll", "scope": "all", "filters": "state=TX", "wave": wave.pk},
    )
    # then the confirmation says exactly what will happen, and nothing happened yet
    assert "All 4 sites matching the filters" in picker.content.decode()
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "Enroll 3 sites in sco-2026?" in page
    assert confirm.context["confirm"]["details"] == [
        ("Will be enrolled (in Pilot)", 3),
        ("Refused (see the reasons after)", 1),
    ]
    assert Enrollment.objects.filter(program=program).count() == 1
    # and when confirmed, the result summary shows the refused site and why
    fields = confirm.context["confirm"]["fields"]
    result = pm.post(url(tenant, "programs:program-sites-bulk", pk=program.pk), fields)
    assert result.status_code == 200
    body = result.content.decode()
    assert "Enrollment done" in body
    assert inactive.code in body and "The site is inactive" in body
    assert set(Enrollment.objects.filter(program=program, wave=wave).values_list("site_id", flat=True)) == {
        plan["enrollment"].site_id,
        *(site.pk for site in texas),
    }


def test_set_wave_and_remove_ticked_sites(tenant, plan):
    # given two enrolled sites in the pilot, and a second wave
    program = plan["program"]
    second = EnrollmentFactory(program=program, wave=plan["wave"])
    wave2 = WaveFactory(program=program, name="Wave 2")
    pm = browser(tenant, Role.PM)
    bulk = url(tenant, "programs:program-sites-bulk", pk=program.pk)
    # when the PM ticks the second site, sets wave 2, confirms; then removes it
    confirm = pm.post(bulk, {"action": "set_wave", "site": [second.site_id], "wave": wave2.pk})
    pm.post(bulk, confirm.context["confirm"]["fields"])
    moved = Enrollment.objects.get(pk=second.pk).wave_id
    confirm_remove = pm.post(bulk, {"action": "remove", "site": [second.site_id]})
    pm.post(bulk, confirm_remove.context["confirm"]["fields"])
    # then
    assert "Move 1 site to Wave 2?" in confirm.content.decode()
    assert "Remove 1 site from sco-2026?" in confirm_remove.content.decode()
    assert moved == wave2.pk
    assert not Enrollment.objects.filter(pk=second.pk).exists()


def test_bulk_without_a_selection_or_on_a_closed_program_says_so(tenant, plan):
    program = plan["program"]
    pm = browser(tenant, Role.PM)
    nothing = pm.post(url(tenant, "programs:program-sites-bulk", pk=program.pk), {"action": "remove"}, follow=True)
    program.status = "closed"
    program.save()
    closed = pm.post(
        url(tenant, "programs:program-sites-bulk", pk=program.pk),
        {"action": "remove", "site": [plan["enrollment"].site_id]},
        follow=True,
    )
    assert "Select at least one site" in nothing.content.decode()
    assert "is closed" in closed.content.decode()
    assert Enrollment.objects.filter(pk=plan["enrollment"].pk).exists()


def test_the_sites_table_filters_sorts_and_shows_variation_counts(tenant, plan):
    # given a second site in Austin, in no wave
    program = plan["program"]
    site = SiteFactory(organization=tenant.organization, client=tenant.client, code="AUS-1", city="Austin", state="TX")
    EnrollmentFactory(program=program, site=site)
    pm = browser(tenant, Role.PM)
    # when filtered and sorted
    texas = pm.get(url(tenant, "programs:program-sites", pk=program.pk), {"state": "tx"}).content.decode()
    no_wave = pm.get(url(tenant, "programs:program-sites", pk=program.pk), {"no_wave": "true"}).content.decode()
    ordered = pm.get(url(tenant, "programs:program-sites", pk=program.pk), {"sort": "code"}).content.decode()
    reverse = pm.get(url(tenant, "programs:program-sites", pk=program.pk), {"sort": "-code"}).content.decode()
    # then
    assert "AUS-1" in texas and plan["enrollment"].site.code not in texas
    assert "AUS-1" in no_wave
    assert ordered.index("AUS-1") < ordered.index(plan["enrollment"].site.code)
    assert reverse.index("AUS-1") > reverse.index(plan["enrollment"].site.code)
    assert f"?site={plan['enrollment'].site_id}" in ordered  # the variation count links to the site's variations


def test_a_client_viewer_sees_their_programs_sites_in_the_portal(tenant, plan):
    # given another client's program of the same organization
    other = ProgramFactory(organization=tenant.organization, client=ClientFactory(organization=tenant.organization))
    viewer = browser(tenant, Role.CLIENT)
    # when / then
    own = viewer.get(url(tenant, "programs:program-sites", pk=plan["program"].pk))
    assert own.status_code == 200
    assert "Client portal" in own.content.decode()
    assert "bulk-form" not in own.content.decode()
    assert viewer.get(url(tenant, "programs:program-sites", pk=other.pk)).status_code == 404
    assert viewer.get(url(tenant, "programs:program-variations", pk=other.pk)).status_code == 404


def test_attribute_editor_and_problems(tenant, plan):
    # given a PM, and an enrolled site with floors only
    program = plan["program"]
    site = plan["enrollment"].site
    site.attributes = {"floors": 2}
    site.save()
    pm = browser(tenant, Role.PM)
    # when they add a choice attribute with a bad name, then a good one
    bad = pm.post(
        url(tenant, "programs:program-attribute-create", pk=program.pk), {"name": "Store Format", "type": "str"}
    )
    good = pm.post(
        url(tenant, "programs:program-attribute-create", pk=program.pk),
        {"name": "store_format", "type": "choice", "allowed_values": "mall\nstreet\n", "required": "on"},
    )
    # then the error sits by the name; the good one is saved
    assert bad.status_code == 200
    assert "name" in bad.context["form"].errors
    assert good.status_code == 302
    assert ProgramAttribute.objects.get(name="store_format").allowed_values == ["mall", "street"]
    # and the problems page lists the enrolled site that lacks it
    problems = pm.get(url(tenant, "programs:program-attribute-problems", pk=program.pk)).content.decode()
    assert plan["enrollment"].site.code in problems
    assert "The attribute store_format is required." in problems
    # and the edit form changes it
    attribute = ProgramAttribute.objects.get(name="store_format")
    pm.post(
        url(tenant, "programs:program-attribute-edit", attribute=attribute.pk),
        {"name": "store_format", "type": "choice", "allowed_values": "mall\nstreet\nkiosk", "label": "Format"},
    )
    attribute.refresh_from_db()
    assert (attribute.label, attribute.required, attribute.allowed_values) == (
        "Format",
        False,
        ["mall", "street", "kiosk"],
    )
    pm.post(url(tenant, "programs:program-attribute-delete", attribute=attribute.pk))
    assert not ProgramAttribute.objects.filter(pk=attribute.pk).exists()


def test_site_import_with_the_programs_schema(tenant, plan, settings, tmp_path):
    # given a program with the `floors` attribute (int, required)
    settings.MEDIA_ROOT = tmp_path / "media"
    pm = browser(tenant, Role.PM)
    upload = SimpleUploadedFile("sites.csv", b"code,name,timezone,attr:floors\nS-1,Store 1,America/Chicago,2\n")
    # when the PM uploads a site file from the program
    response = pm.post(url(tenant, "programs:program-site-import", pk=plan["program"].pk), {"file": upload})
    # then the import is for the program's client, checked against the program's schema
    site_import = SiteImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(tenant, "sites:site-import-page", pk=site_import.pk)
    assert site_import.client == tenant.client
    assert site_import.attribute_schema == [{"name": "floors", "type": "int", "required": True, "allowed": []}]


def test_variation_capture_edit_and_decisions(tenant, plan):
    program, site = plan["program"], plan["enrollment"].site
    coordinator, pm = browser(tenant, Role.COORDINATOR), browser(tenant, Role.PM)
    create = url(tenant, "programs:program-variation-create", pk=program.pk)
    # when the coordinator adds a task with the key of a SOW task, then a change of `mount`
    form = coordinator.get(create, {"site": site.pk, "kind": "add_task"})
    clash = coordinator.post(
        create,
        {"site": site.pk, "kind": "add_task", "reason": "Kiosk", "title": "Bollard", "new_task_key": "mount",
         "evidence_kind": "none"},
    )  # fmt: skip
    made = coordinator.post(
        create,
        {"site": site.pk, "kind": "modify_task", "reason": "Mall", "task_key": "mount", "instructions": "Use a ladder"},
    )
    variation = SiteVariation.objects.get(kind="modify_task")
    coordinator.post(
        url(tenant, "programs:variation-edit", variation=variation.pk),
        {"reason": "Mall rules", "task_key": "mount", "instructions": "Use the tall ladder"},
    )
    # then the form offered the SOW's tasks; the clash is shown by the key field; the change was saved
    assert 'value="mount"' in form.content.decode()
    assert clash.status_code == 200
    assert "new_task_key" in clash.context["form"].errors
    assert made.status_code == 302
    variation.refresh_from_db()
    assert (variation.instructions, variation.reason) == ("Use the tall ladder", "Mall rules")
    # and when the PM rejects without a note, then approves with one
    no_note = pm.post(url(tenant, "programs:variation-reject", variation=variation.pk), {"note": ""})
    pm.post(url(tenant, "programs:variation-approve", variation=variation.pk), {"note": "OK"})
    variation.refresh_from_db()
    assert "note" in no_note.context["form"].errors
    assert (variation.status, variation.decision_note) == ("approved", "OK")
    # and a decided variation can no longer be edited
    edit = coordinator.get(url(tenant, "programs:variation-edit", variation=variation.pk), follow=True)
    assert "already decided" in edit.content.decode()
    listing = pm.get(url(tenant, "programs:program-variations", pk=program.pk), {"status": "approved"}).content.decode()
    assert "change mount" in listing


def test_coordinators_see_no_decision_buttons(tenant, plan):
    page = browser(tenant, Role.COORDINATOR).get(url(tenant, "programs:program-variations", pk=plan["program"].pk))
    body = page.content.decode()
    assert url(tenant, "programs:variation-edit", variation=plan["variation"].pk) in body
    assert url(tenant, "programs:variation-approve", variation=plan["variation"].pk) not in body


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(path, params or {})
    assert response.status_code == 200
    return len(context.captured_queries)


@pytest.mark.parametrize(
    "name",
    [
        "programs:program-sites",
        "programs:program-enroll",
        "programs:program-variations",
        "programs:program-attribute-problems",
    ],
)
def test_page_query_counts_do_not_grow_with_the_sites(tenant, plan, name):
    # given 5 more enrolled sites with a variation each, then 30 more
    program = plan["program"]
    pm = browser(tenant, Role.PM)
    path = url(tenant, name, pk=program.pk)

    def add(count):
        for _ in range(count):
            SiteVariationFactory(enrollment=EnrollmentFactory(program=program, wave=plan["wave"]))

    add(5)
    pm.get(path)  # warm the session
    few = count_queries(pm, path)
    add(30)
    # when the page is rendered again
    many = count_queries(pm, path)
    # then the same number of queries, within a fixed budget
    assert many == few <= 16, (few, many)


def test_the_enroll_page_marks_enrolled_sites(tenant, plan):
    SiteFactory(organization=tenant.organization, client=tenant.client, code="FREE-1")
    page = browser(tenant, Role.PM).get(url(tenant, "programs:program-enroll", pk=plan["program"].pk)).content.decode()
    assert "Enrolled, Pilot" in page
    assert re.search(r"FREE-1.*Not enrolled", page, re.S)
