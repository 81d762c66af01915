"""The quality pages built on the existing API: the defect catalogue (admins edit code, title, default severity;
sorting; validation), DRFT exclusions (a PM classifies a return with a reason), warranty reports (PMs and the
client), and the client viewer's DRFT page — all through the one client-visibility policy (quality.visibility):
the client's own programs only, no internal notes, technicians by first name; another client or organization
gets 404 or nothing."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from quality.models import DefectCode, DrftExclusion, WarrantyReport
from quality.visibility import CLIENT
from rollout.choices import Role
from tests.factories import ClientFactory, MembershipFactory
from tests.quality.support import accept, browser, close, defect_code, first_visit, reject, work_visit
from tests.workorders.builders.visits import build_field_world
from workorders.models import WorkOrder

ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


def rejected_then_accepted(world, capture, *, comment="Internal: the vendor was warned") -> WorkOrder:
    """A work order whose first review rejected it (with an internal comment), then accepted and closed."""
    from tests.quality.support import return_visit

    with capture(execute=True):
        visit = work_visit(world, first_visit(world))
        work_order = WorkOrder.objects.get(pk=visit.work_order_id)
        reject(world, work_order, comment=comment)
        work_visit(world, return_visit(world, work_order))
        accept(world, WorkOrder.objects.get(pk=work_order.pk))
        close(world, WorkOrder.objects.get(pk=work_order.pk))
    return WorkOrder.objects.get(pk=work_order.pk)


def accepted(world, capture) -> WorkOrder:
    with capture(execute=True):
        visit = work_visit(world, first_visit(world))
        accept(world, WorkOrder.objects.get(pk=visit.work_order_id))
    return WorkOrder.objects.get(pk=visit.work_order_id)


def another_clients_viewer(tenant):
    """A client viewer of the same organization, of another client."""
    other = ClientFactory(organization=tenant.organization, code="other-client", name="Other client")
    membership = MembershipFactory(
        organization=tenant.organization, role=Role.CLIENT, client=other, user__email="viewer@other.example.com"
    )
    client = browser(tenant, None)
    client.force_login(membership.user)
    return client


def table_of(response) -> str:
    page = response.content.decode()
    return page[page.index("<table") :]


# --- Role matrix ---------------------------------------------------------------------------------------------

PAGES = {
    "quality:defect-codes": {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR},
    "quality:defect-code-create": {Role.ADMIN},
    "quality:exclusions": {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR},
    "quality:exclusion-create": {Role.ADMIN, Role.PM},
    "quality:warranty-reports": {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT},
    "quality:warranty-report-create": {Role.ADMIN, Role.PM, Role.CLIENT},
    "quality:client-quality": {Role.CLIENT},
}


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, world, role):
    client = browser(tenant, role)
    for name, readers in PAGES.items():
        response = client.get(url(tenant, name))
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"], name
        elif role in readers:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)


def test_another_organizations_rows_are_404(tenant, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = defect_code(foreign, "foreign-code")
    admin = browser(tenant, Role.ADMIN)
    assert admin.get(url(tenant, "quality:defect-code-edit", pk=theirs.pk)).status_code == 404
    assert admin.post(url(tenant, "quality:defect-code-edit", pk=theirs.pk), {"code": "x"}).status_code == 404
    assert "foreign-code" not in admin.get(url(tenant, "quality:defect-codes")).content.decode()
    # and a member of this organization reading the other organization's pages is refused as not found
    assert admin.get(reverse("quality:defect-codes", kwargs={"org": other_tenant.organization.slug})).status_code in (
        403,
        404,
    )


# --- Defect catalogue ----------------------------------------------------------------------------------------


def test_admins_add_and_edit_codes_with_validation_and_sorting(tenant, world):
    admin = browser(tenant, Role.ADMIN)
    # when an admin adds two codes
    for code, title, severity in [("zz-last", "Last one", "minor"), ("aa-first", "First one", "critical")]:
        response = admin.post(
            url(tenant, "quality:defect-code-create"),
            {"code": code, "title": title, "default_severity": severity, "active": "on"},
        )
        assert response.status_code == 302, response.content.decode()
    # then they are listed by code, sortable by severity
    page = table_of(admin.get(url(tenant, "quality:defect-codes")))
    assert page.index("aa-first") < page.index("zz-last")
    by_severity = table_of(admin.get(url(tenant, "quality:defect-codes") + "?sort=default_severity"))
    assert by_severity.index("aa-first") < by_severity.index("zz-last")  # critical sorts before minor
    # and a duplicate code or a blank title is refused next to the field, nothing written
    duplicate = admin.post(
        url(tenant, "quality:defect-code-create"), {"code": "aa-first", "title": "Again", "default_severity": "minor"}
    )
    assert duplicate.status_code == 200 and "already has a code" in duplicate.content.decode()
    blank = admin.post(url(tenant, "quality:defect-code-create"), {"code": "new", "title": "", "default_severity": "x"})
    assert blank.status_code == 200 and DefectCode.objects.filter(organization=tenant.organization).count() == 2
    # and an edit changes the title and retires the code
    code = DefectCode.objects.get(code="zz-last")
    response = admin.post(
        url(tenant, "quality:defect-code-edit", pk=code.pk),
        {"code": "zz-last", "title": "Renamed", "default_severity": "major"},
    )
    assert response.status_code == 302
    code.refresh_from_db()
    assert (code.title, code.default_severity, code.active) == ("Renamed", "major", False)
    assert "Retired" in admin.get(url(tenant, "quality:defect-codes") + "?active=false").content.decode()


def test_the_catalogue_list_has_a_query_budget(tenant, world, django_assert_max_num_queries):
    admin = browser(tenant, Role.ADMIN)
    defect_code(world, "one")
    with django_assert_max_num_queries(30) as small:
        admin.get(url(tenant, "quality:defect-codes"))
    for n in range(15):
        defect_code(world, f"code-{n}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        admin.get(url(tenant, "quality:defect-codes"))


# --- Exclusions ----------------------------------------------------------------------------------------------


def test_a_pm_excludes_a_return_with_a_reason_and_counts_it_again(tenant, world, django_capture_on_commit_callbacks):
    work_order = rejected_then_accepted(world, django_capture_on_commit_callbacks)
    clean = accepted(world, django_capture_on_commit_callbacks)
    pm = browser(tenant, Role.PM)
    # given the form offers only work orders with a return or incomplete visit
    form = pm.get(url(tenant, "quality:exclusion-create") + f"?work_order={work_order.pk}").content.decode()
    assert work_order.number in form and clean.number not in form
    # when the PM sends it without a reason, then with one
    data = {"work_order": work_order.pk, "cause": "site_not_ready"}
    refused = pm.post(url(tenant, "quality:exclusion-create"), data)
    assert refused.status_code == 200 and not DrftExclusion.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = pm.post(url(tenant, "quality:exclusion-create"), {**data, "reason": "Store was being refitted"})
    # then it is excluded, listed with the reason, and DRFT counts it as excluded
    assert done.status_code == 302
    exclusion = DrftExclusion.objects.get(work_order=work_order)
    listing = pm.get(url(tenant, "quality:exclusions")).content.decode()
    assert work_order.number in listing and "Store was being refitted" in listing
    assert work_order.drft_fact.__class__.objects.get(work_order=work_order).status == "excluded"
    # and counting it again goes through a confirmation
    confirm = pm.get(url(tenant, "quality:exclusion-delete", pk=exclusion.pk))
    assert confirm.status_code == 200 and "Count in DRFT again" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert pm.post(url(tenant, "quality:exclusion-delete", pk=exclusion.pk)).status_code == 302
    assert not DrftExclusion.objects.exists()
    # and a coordinator may read but not exclude
    coordinator = browser(tenant, Role.COORDINATOR)
    assert coordinator.post(url(tenant, "quality:exclusion-create"), {**data, "reason": "x"}).status_code == 403


# --- Warranty reports ----------------------------------------------------------------------------------------


def test_the_client_reports_a_problem_on_their_own_accepted_work(tenant, world, django_capture_on_commit_callbacks):
    work_order = accepted(world, django_capture_on_commit_callbacks)
    viewer = browser(tenant, Role.CLIENT)
    # given the client's form offers their accepted work
    form = viewer.get(url(tenant, "quality:warranty-report-create"))
    assert work_order.number in form.content.decode() and "portal" in form.content.decode()
    # when they report a problem
    with django_capture_on_commit_callbacks(execute=True):
        response = viewer.post(
            url(tenant, "quality:warranty-report-create"),
            {"work_order": work_order.pk, "description": "Terminal reboots every hour"},
        )
    # then the work order goes back for a warranty return and the report is listed
    assert response.status_code == 302
    assert WorkOrder.objects.get(pk=work_order.pk).status == "rework"
    assert "Terminal reboots every hour" in viewer.get(url(tenant, "quality:warranty-reports")).content.decode()
    # and a viewer of another client neither sees it nor may report on it
    stranger = another_clients_viewer(tenant)
    assert "Terminal reboots" not in stranger.get(url(tenant, "quality:warranty-reports")).content.decode()
    refused = stranger.post(
        url(tenant, "quality:warranty-report-create"), {"work_order": work_order.pk, "description": "Mine?"}
    )
    assert refused.status_code == 200 and WarrantyReport.objects.count() == 1


# --- The client's DRFT page and the one policy ---------------------------------------------------------------


def test_the_client_sees_drft_and_root_causes_but_no_notes_and_first_names_only(
    tenant, world, django_capture_on_commit_callbacks
):
    # given a rejected (internal comment) then closed work order, and a closed DRFT one
    failed = rejected_then_accepted(world, django_capture_on_commit_callbacks)
    done = accepted(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        close(world, done)
    technician = failed.drft_fact.technician
    first, surname = technician.full_name.split()[0], technician.full_name.split()[-1]
    # when the client viewer opens their Quality page
    page = browser(tenant, Role.CLIENT).get(url(tenant, "quality:client-quality")).content.decode()
    # then DRFT of their program shows (1 of 2), with the failure's reason and root cause
    assert world.program.code in page and "50.0 %" in page
    assert failed.number in page and "QA rejected" in page and "Technician error" in page
    # and no internal comment, no technician surname or e-mail
    assert "Internal: the vendor was warned" not in page
    assert first in page and surname not in page and technician.email not in page
    # and a viewer of another client of the same organization sees none of it
    other = another_clients_viewer(tenant).get(url(tenant, "quality:client-quality")).content.decode()
    assert world.program.code not in other and failed.number not in other and "No DRFT yet" in other


def test_a_client_token_of_another_client_gets_404_on_quality_rows(tenant, world, django_capture_on_commit_callbacks):
    from tests.factories import issue_token

    failed = rejected_then_accepted(world, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        exclusion_id = (
            tenant.api(Role.PM)
            .post(
                "/api/v1/drft-exclusions/",
                {"work_order": failed.pk, "cause": "client", "reason": "Client changed the counter layout"},
                format="json",
            )
            .json()["id"]
        )
    mine = tenant.api(Role.CLIENT).get(f"/api/v1/drft-exclusions/{exclusion_id}/")
    assert mine.status_code == 200 and mine.json()["reason"] == ""  # the cause shows, the reason does not
    other = ClientFactory(organization=tenant.organization, code="other-client", name="Other client")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token(tenant.organization, Role.CLIENT, client=other)}")
    assert api.get(f"/api/v1/drft-exclusions/{exclusion_id}/").status_code == 404
    review_id = failed.qa_reviews.first().pk
    assert api.get(f"/api/v1/qa-reviews/{review_id}/").status_code == 404
    metrics = api.get("/api/v1/drft-metrics/?dimension=technician").json()
    assert metrics == [] or metrics.get("results", []) == []


def test_the_policy_is_the_one_place_that_says_what_a_client_sees(tenant):
    from rollout.tenancy import Access

    client_access = Access(organization=tenant.organization, role=Role.CLIENT, client_id=tenant.client.pk)
    staff_access = Access(organization=tenant.organization, role=Role.PM)
    assert CLIENT.internal(client_access, "note") == "" and CLIENT.internal(staff_access, "note") == "note"
    assert CLIENT.person(client_access, "Rosa Diaz Ortega") == "Rosa"
    assert CLIENT.person(staff_access, "Rosa Diaz Ortega") == "Rosa Diaz Ortega"
    no_client = Access(organization=tenant.organization, role=Role.CLIENT, client_id=None)
    assert not CLIENT.rows(DefectCode.objects.all(), no_client, program_path="").exists()


def test_exclusion_warranty_and_client_pages_have_query_budgets(tenant, world, django_assert_max_num_queries):
    from django.utils import timezone

    from tests.workorders.builders.visits import ready_work_order

    def add(count):
        for _ in range(count):
            work_order = ready_work_order(world)
            DrftExclusion.objects.create(
                organization=tenant.organization, work_order=work_order, cause="client", reason="Client change"
            )
            WarrantyReport.objects.create(
                organization=tenant.organization,
                work_order=work_order,
                description="Broken",
                window_ends_at=timezone.now(),
            )

    pages = [
        (browser(tenant, Role.PM), url(tenant, "quality:exclusions")),
        (browser(tenant, Role.PM), url(tenant, "quality:warranty-reports")),
        (browser(tenant, Role.CLIENT), url(tenant, "quality:warranty-reports")),
        (browser(tenant, Role.CLIENT), url(tenant, "quality:client-quality")),
    ]
    add(1)
    small = []
    for client, address in pages:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(address).status_code == 200
        small.append(len(captured.captured_queries))
    add(8)
    for (client, address), budget in zip(pages, small, strict=True):
        with django_assert_max_num_queries(budget):
            assert client.get(address).status_code == 200
