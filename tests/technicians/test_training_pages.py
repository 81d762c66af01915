"""Training pages: the matrix (people × courses, expiring within 30 days), course and record forms, the
certificate file URL (same organization only), and the program's team page (who is qualified, requirements)."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client as BrowserClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import ProgramCourseRequirement
from rollout.choices import Role
from technicians.models import Course, TrainingRecord
from tests.programs.factories import ProgramFactory
from tests.technicians.factories import CourseFactory, TechnicianFactory, TrainingRecordFactory

PDF = b"%PDF-1.4\n%%EOF\n"
STAFF = [Role.ADMIN, Role.PM, Role.COORDINATOR]


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


def build(organization, client):
    today = timezone.localdate()
    safety = CourseFactory(organization=organization, name="Site safety", roles=["technician"])
    soon = TechnicianFactory(organization=organization, full_name="Ana Soon")
    record = TrainingRecordFactory(
        technician=soon, course=safety, completed_on=today - timedelta(days=350), expires_on=today + timedelta(days=9)
    )
    record.certificate.save("card.pdf", SimpleUploadedFile("card.pdf", PDF), save=False)
    record.certificate_name = "card.pdf"
    record.save()
    TechnicianFactory(organization=organization, full_name="Bo Untrained")
    program = ProgramFactory(organization=organization, client=client)
    requirement = ProgramCourseRequirement.objects.create(
        organization=organization, program=program, course=safety, role=Role.TECHNICIAN
    )
    return {"course": safety, "record": record, "program": program, "requirement": requirement}


@pytest.fixture
def path(tenant):
    return build(tenant.organization, tenant.client)


@pytest.mark.parametrize("role", [None, Role.TECHNICIAN, Role.CLIENT, Role.INTEGRATOR, *STAFF], ids=str)
def test_page_role_matrix(tenant, path, role):
    # given the pages
    client = browser(tenant, role)
    pages = [
        url(tenant, "technicians:training"),
        url(tenant, "technicians:course-create"),
        url(tenant, "technicians:training-record-create"),
        url(tenant, "programs:program-team", pk=path["program"].pk),
    ]
    for page in pages:
        # when the caller opens them
        response = client.get(page)
        # then staff see them, anonymous callers sign in, everyone else is refused
        if role in STAFF:
            assert response.status_code == 200, (role, page)
        elif role is None:
            assert response.status_code == 302 and "/login" in response["Location"], page
        else:
            assert response.status_code == 403, (role, page)


def test_the_matrix_shows_states_and_who_expires_within_30_days_in_fixed_queries(tenant, path):
    # given more people, to show the query count does not grow
    client = browser(tenant, Role.COORDINATOR)
    client.get(url(tenant, "technicians:training"))
    with CaptureQueriesContext(connection) as few:
        client.get(url(tenant, "technicians:training"))
    for _ in range(10):
        TrainingRecordFactory(technician=TechnicianFactory(organization=tenant.organization), course=path["course"])
    # when the coordinator opens the matrix
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(tenant, "technicians:training"))
    # then every person × course cell and the expiring list show
    html = response.content.decode()
    assert len(many) == len(few)
    assert 'data-training="expiring"' in html and 'data-training="missing"' in html
    assert f'data-expiring="{path["record"].pk}"' in html and "Ana Soon" in html
    assert url(tenant, "technicians:training-certificate", pk=path["record"].pk) in html


def test_the_certificate_is_served_to_its_organization_only(tenant, other_tenant, path):
    # given another organization's record with a certificate
    theirs = build(other_tenant.organization, other_tenant.client)["record"]
    mine = url(tenant, "technicians:training-certificate", pk=path["record"].pk)
    # when our admin opens ours and theirs (through our URL, and through theirs)
    admin = browser(tenant, Role.ADMIN)
    ours = admin.get(mine)
    foreign = admin.get(url(tenant, "technicians:training-certificate", pk=theirs.pk))
    their_url = admin.get(
        reverse("technicians:training-certificate", kwargs={"org": other_tenant.organization.slug, "pk": theirs.pk})
    )
    # then ours streams; theirs is a 404 (and their organization's URL is not ours to open)
    assert ours.status_code == 200 and b"".join(ours.streaming_content) == PDF
    assert foreign.status_code == 404
    assert their_url.status_code in (403, 404)
    # and a technician of ours, whose record it is not, gets a 404 too
    assert browser(tenant, Role.TECHNICIAN).get(mine).status_code == 404


def test_a_coordinator_adds_a_course_and_records_training_with_a_certificate(tenant, path):
    # given the coordinator
    client = browser(tenant, Role.COORDINATOR)
    pm = tenant.members[Role.PM]
    # when they add a PM course and record the PM's completion with a certificate
    created = client.post(
        url(tenant, "technicians:course-create"),
        {"name": "Program leadership", "roles": ["pm"], "validity_months": "24"},
    )
    course = Course.objects.get(organization=tenant.organization, name="Program leadership")
    recorded = client.post(
        url(tenant, "technicians:training-record-create"),
        {"person": f"member-{pm.pk}", "course": course.pk, "completed_on": "2026-01-10",
         "certificate": SimpleUploadedFile("leadership.pdf", PDF)},
    )  # fmt: skip
    # then both are written and the record counts 24 months
    assert created.status_code == 302 and recorded.status_code == 302, recorded.content[:2000]
    record = TrainingRecord.objects.get(member=pm)
    assert str(record.expires_on) == "2028-01-10" and record.certificate_name == "leadership.pdf"
    # and a course not for the person's role is refused on the form, nothing written
    refused = client.post(
        url(tenant, "technicians:training-record-create"),
        {"person": f"member-{tenant.members[Role.COORDINATOR].pk}", "course": course.pk, "completed_on": "2026-01-10"},
    )
    assert refused.status_code == 200
    assert "is not for Field coordinators" in refused.content.decode()
    assert TrainingRecord.objects.filter(course=course).count() == 1


def test_the_team_page_shows_who_is_qualified_and_planners_change_requirements(tenant, path):
    # given the program requiring Site safety of technicians
    pm = browser(tenant, Role.PM)
    team = url(tenant, "programs:program-team", pk=path["program"].pk)
    # when the PM opens the team page
    html = pm.get(team).content.decode()
    # then the trained technician is qualified (expiring soon), the untrained one is not
    assert html.count('data-qualified="yes"') == 1 and html.count('data-qualified="no"') == 1
    assert "Not qualified" in html and "Site safety" in html
    # when they require a PM course, then remove the technician requirement
    leadership = CourseFactory(organization=tenant.organization, name="Program leadership", roles=["pm"])
    added = pm.post(team, {"course": leadership.pk, "role": "pm"})
    removed = pm.post(
        url(tenant, "programs:program-requirement-remove", pk=path["program"].pk, requirement=path["requirement"].pk)
    )
    # then the program requires only the PM course
    assert (added.status_code, removed.status_code) == (302, 302)
    assert list(ProgramCourseRequirement.objects.filter(program=path["program"]).values_list("role", flat=True)) == [
        "pm"
    ]
    # and a coordinator may read but not change
    assert (
        browser(tenant, Role.COORDINATOR).post(team, {"course": leadership.pk, "role": "technician"}).status_code == 403
    )


def test_another_organizations_program_team_and_requirement_are_404(tenant, other_tenant, path):
    # given another organization's program and requirement
    theirs = build(other_tenant.organization, other_tenant.client)
    pm = browser(tenant, Role.PM)
    # when / then
    assert pm.get(url(tenant, "programs:program-team", pk=theirs["program"].pk)).status_code == 404
    remove = url(
        tenant, "programs:program-requirement-remove", pk=path["program"].pk, requirement=theirs["requirement"].pk
    )
    assert pm.post(remove).status_code == 404
    assert ProgramCourseRequirement.objects.filter(pk=theirs["requirement"].pk).exists()


def test_the_technician_page_lists_their_training(tenant, path):
    # given Ana's record with a certificate
    ana = path["record"].technician
    # when a coordinator and an integrator open her page
    staff = browser(tenant, Role.COORDINATOR).get(url(tenant, "technicians:technician-detail", pk=ana.pk))
    integrator = browser(tenant, Role.INTEGRATOR).get(url(tenant, "technicians:technician-detail", pk=ana.pk))
    # then both see the course and its expiry; only staff get the certificate link and "Record training"
    certificate = url(tenant, "technicians:training-certificate", pk=path["record"].pk)
    for response in (staff, integrator):
        assert 'data-training="expiring"' in response.content.decode() and "Site safety" in response.content.decode()
    assert certificate in staff.content.decode() and f"person=technician-{ana.pk}" in staff.content.decode()
    assert certificate not in integrator.content.decode()
