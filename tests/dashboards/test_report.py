"""The weekly status report PDF: real WeasyPrint rendering (text read back with poppler's pdftotext), the same
figures as the dashboard, client-visible content only, roles, and other organizations' and clients' programs 404."""

import pytest
from django.urls import reverse

from rollout.choices import Role
from tests.dashboards.builders import SECRET_CANCEL, SECRET_OVERRIDE, SECRET_RESOLUTION, SECRET_REVIEW, program_world
from tests.factories import ClientFactory
from tests.quality.support import browser
from tests.workorders.builders.packets import pdf_text

ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


def report_url(tenant, program) -> str:
    return reverse("dashboards:program-report", kwargs={"org": tenant.organization.slug, "pk": program.pk})


def test_the_report_renders_progress_drft_escalations_and_next_weeks_schedule(tenant):
    # given a program with 9 sites (3 completed), DRFT weeks, defects, an open escalation and a visit today
    program, _, _ = program_world(tenant, sites=9, code="rpt")
    # when the PM downloads the report
    response = browser(tenant, Role.PM).get(report_url(tenant, program))
    # then
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and "rpt-status-" in response["Content-Disposition"]
    text = pdf_text(response.content)
    for expected in (
        "rpt",
        "Progress per wave",
        "Wave A",
        "Wave B",
        "3 of 9",
        "Done Right First Time by week",
        "2026-W01",
        "Root causes of defects",
        "Skill",
        "Open escalations",
        "Next week's schedule",
        "Dana",
    ):
        assert expected in text, expected
    for secret in (SECRET_OVERRIDE, SECRET_CANCEL, SECRET_REVIEW, SECRET_RESOLUTION, "Quist"):
        assert secret not in text, secret


def test_the_client_viewer_reads_their_programs_report_only(tenant, other_tenant):
    mine, _, _ = program_world(tenant, sites=3, code="mine")
    theirs, _, _ = program_world(tenant, sites=3, code="theirs", client=ClientFactory(organization=tenant.organization))
    foreign, _, _ = program_world(other_tenant, sites=3, code="foreign")
    client = browser(tenant, Role.CLIENT)
    answer = client.get(report_url(tenant, mine))
    assert answer.status_code == 200 and "Dana" in pdf_text(answer.content)
    assert client.get(report_url(tenant, theirs)).status_code == 404
    assert browser(tenant, Role.PM).get(report_url(tenant, foreign)).status_code == 404
    api = tenant.api(Role.CLIENT)
    assert api.get(f"/api/v1/program-reports/{mine.pk}/").status_code == 200
    assert api.get(f"/api/v1/program-reports/{theirs.pk}/").status_code == 404
    assert tenant.api(Role.PM).get(f"/api/v1/program-reports/{foreign.pk}/").status_code == 404
    assert client.get(reverse("dashboards:client-program", kwargs={"org": tenant.organization.slug, "pk": mine.pk}))


@pytest.mark.parametrize("caller", ALL)
def test_roles(tenant, caller):
    program, _, _ = program_world(tenant, sites=2)
    readers = {Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN}
    if caller not in (None, Role.INTEGRATOR):
        status = browser(tenant, caller).get(report_url(tenant, program)).status_code
        assert status == (200 if caller in readers else 403), (caller, status)
    api = tenant.api("token" if caller == Role.INTEGRATOR else caller)
    status = api.get(f"/api/v1/program-reports/{program.pk}/").status_code
    assert status == (200 if caller in readers | {Role.INTEGRATOR} else 401 if caller is None else 403)
