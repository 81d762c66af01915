"""Training path REST API: courses, training records (certificate upload and download), program course
requirements — role matrix, cross-organization 404s (certificate file URL included), bad input, query budgets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.models import ProgramCourseRequirement
from rollout.choices import Role
from technicians.models import TrainingRecord
from tests.programs.factories import ProgramFactory
from tests.technicians.factories import CourseFactory, TechnicianFactory, TrainingRecordFactory

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
READERS = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token"}
PDF = b"%PDF-1.4\n%%EOF\n"


def errors(response) -> list[tuple]:
    return [(e["code"], e["attr"]) for e in response.json()["errors"]]


def certificate(name="card.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def build_path(organization, client=None):
    """A course, a technician with a record (and its certificate), a program requiring the course."""
    course = CourseFactory(organization=organization, name="Site safety", roles=["technician", "pm"])
    technician = TechnicianFactory(organization=organization)
    record = TrainingRecordFactory(technician=technician, course=course)
    record.certificate.save("card.pdf", certificate(), save=False)
    record.certificate_name = "card.pdf"
    record.save()
    program = ProgramFactory(organization=organization, **({"client": client} if client else {}))
    requirement = ProgramCourseRequirement.objects.create(
        organization=organization, program=program, course=course, role=Role.TECHNICIAN
    )
    return {"course": course, "technician": technician, "record": record, "program": program,
            "requirement": requirement}  # fmt: skip


@pytest.fixture
def path(tenant):
    return build_path(tenant.organization, tenant.client)


@pytest.fixture
def foreign(other_tenant):
    return build_path(other_tenant.organization, other_tenant.client)


def urls(p) -> dict[str, tuple[str, str]]:
    return {
        "courses": ("/api/v1/courses/", f"/api/v1/courses/{p['course'].pk}/"),
        "training-records": ("/api/v1/training-records/", f"/api/v1/training-records/{p['record'].pk}/"),
        "requirements": (
            "/api/v1/program-course-requirements/",
            f"/api/v1/program-course-requirements/{p['requirement'].pk}/",
        ),
    }


@pytest.mark.parametrize("caller", CALLERS)
def test_read_role_matrix(tenant, path, caller):
    # given a course, a record with a certificate, a program requirement
    api = tenant.api(caller)
    certificate_url = f"/api/v1/training-records/{path['record'].pk}/certificate/"
    for name, (list_url, detail_url) in urls(path).items():
        # when the caller lists and reads
        listed, detail = api.get(list_url), api.get(detail_url)
        # then staff and integrators read all; a technician reads only their own records (none here); others: no
        if caller in READERS:
            assert (listed.status_code, detail.status_code) == (200, 200), (caller, name)
            assert listed.json()["count"] == 1
        elif caller is None:
            assert (listed.status_code, detail.status_code) == (401, 401)
        elif caller == Role.TECHNICIAN and name == "training-records":
            assert (listed.status_code, listed.json()["count"], detail.status_code) == (200, 0, 404)
        else:
            assert (listed.status_code, detail.status_code) == (403, 403), (caller, name)
    downloaded = api.get(certificate_url)
    expected = 200 if caller in READERS else {None: 401, Role.TECHNICIAN: 404, Role.CLIENT: 403}[caller]
    assert downloaded.status_code == expected, caller
    if expected == 200:
        assert b"".join(downloaded.streaming_content) == PDF
        assert 'filename="card.pdf"' in downloaded["Content-Disposition"]


def writes(tenant, p):
    course, technician, record = p["course"].pk, p["technician"].pk, p["record"].pk
    return [
        ("post", "/api/v1/courses/", {"name": "Ladder safety", "roles": ["technician"], "validity_months": 24},
         {Role.ADMIN, Role.PM, Role.COORDINATOR}, 201),
        ("patch", f"/api/v1/courses/{course}/", {"validity_months": 36}, {Role.ADMIN, Role.PM, Role.COORDINATOR}, 200),
        ("post", f"/api/v1/courses/{course}/deactivate/", None, {Role.ADMIN, Role.PM, Role.COORDINATOR}, 200),
        ("post", f"/api/v1/courses/{course}/reactivate/", None, {Role.ADMIN, Role.PM, Role.COORDINATOR}, 200),
        ("post", "/api/v1/training-records/", {"course": course, "technician": technician,
                                               "completed_on": "2026-02-01"}, {Role.ADMIN, Role.PM, Role.COORDINATOR},
         201),
        ("patch", f"/api/v1/training-records/{record}/", {"completed_on": "2025-07-01"},
         {Role.ADMIN, Role.PM, Role.COORDINATOR}, 200),
        ("post", "/api/v1/program-course-requirements/", {"program": p["program"].pk, "course": course, "role": "pm"},
         {Role.ADMIN, Role.PM}, 201),
        ("delete", f"/api/v1/program-course-requirements/{p['requirement'].pk}/", None, {Role.ADMIN, Role.PM}, 204),
        ("delete", f"/api/v1/training-records/{record}/", None, {Role.ADMIN, Role.PM, Role.COORDINATOR}, 204),
    ]  # fmt: skip


@pytest.mark.parametrize("caller", CALLERS)
def test_write_role_matrix(tenant, path, caller):
    # given the path
    api = tenant.api(caller)
    for method, url, body, writers, writer_status in writes(tenant, path):
        # when the caller writes
        response = getattr(api, method)(url, body, format="json")
        # then only the roles named may; anonymous is 401; a technician never sees another's record (404)
        if caller in writers:
            assert response.status_code == writer_status, (caller, method, url, response.content)
        elif caller is None:
            assert response.status_code == 401
        elif caller == Role.TECHNICIAN and f"/training-records/{path['record'].pk}/" in url:
            assert response.status_code in (403, 404), (caller, method, url)
        else:
            assert response.status_code == 403, (caller, method, url, response.content)


def test_another_organizations_rows_and_certificate_are_404_and_never_listed(tenant, path, foreign):
    # given another organization's course, record (with its certificate) and program requirement
    api = tenant.api(Role.ADMIN)
    # when our admin reads, changes, deletes or downloads them
    for _, detail in urls(foreign).values():
        assert api.get(detail).status_code == 404, detail
        assert api.delete(detail).status_code in (404, 405), detail
    assert api.patch(urls(foreign)["courses"][1], {"name": "x"}, format="json").status_code == 404
    assert api.post(f"/api/v1/courses/{foreign['course'].pk}/deactivate/").status_code == 404
    assert api.get(f"/api/v1/training-records/{foreign['record'].pk}/certificate/").status_code == 404
    # then nothing of theirs is listed, and their certificate is still there for them
    for list_url, _ in urls(path).values():
        assert [row["id"] for row in api.get(list_url).json()["results"]] == [
            path[{"/api/v1/courses/": "course", "/api/v1/training-records/": "record"}.get(list_url, "requirement")].pk
        ]
    theirs = other = foreign["record"]
    assert theirs.certificate.storage.exists(other.certificate.name)


def test_a_record_for_a_person_of_another_organization_is_refused_and_nothing_is_written(tenant, path, foreign):
    # given our coordinator, and their technician, PM and course
    api = tenant.api(Role.COORDINATOR)
    before = TrainingRecord.objects.count()
    cases = [
        ({"technician": foreign["technician"].pk, "course": path["course"].pk}, ("unknown_person", "technician")),
        ({"member": foreign["program"].organization.pk and 10**9, "course": path["course"].pk},
         ("unknown_person", "member")),
        ({"technician": path["technician"].pk, "course": foreign["course"].pk}, ("unknown_course", "course")),
    ]  # fmt: skip
    for body, expected in cases:
        # when a record is posted for them (multipart, with a certificate)
        response = api.post(
            "/api/v1/training-records/",
            {**body, "completed_on": "2026-02-01", "certificate": certificate()},
            format="multipart",
        )
        # then it is a 400 with the stable code on the field, and no row is written
        assert response.status_code == 400, response.content
        assert errors(response) == [expected]
    assert TrainingRecord.objects.count() == before


def test_a_certificate_is_uploaded_with_the_record_and_read_back(tenant, path):
    # given a PM of ours and the course
    api = tenant.api(Role.PM)
    pm = tenant.members[Role.PM]
    # when their completion is recorded with a certificate
    created = api.post(
        "/api/v1/training-records/",
        {"course": path["course"].pk, "member": pm.pk, "completed_on": "2026-01-15", "certificate": certificate()},
        format="multipart",
    )
    # then the record counts 12 months and its certificate URL streams the file
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["member"], body["role"], body["expires_on"]) == (pm.pk, "pm", "2027-01-15")
    assert body["certificate_url"] == f"/api/v1/training-records/{body['id']}/certificate/"
    assert b"".join(api.get(body["certificate_url"]).streaming_content) == PDF
    # and a file that is not a certificate is refused by content
    refused = api.patch(
        f"/api/v1/training-records/{body['id']}/",
        {"certificate": certificate("x.pdf", b"<html>not a pdf</html>")},
        format="multipart",
    )
    assert errors(refused) == [("invalid_certificate", "certificate")]


def test_a_technician_reads_their_own_records_and_certificate(tenant, path):
    # given the technician member's own profile with a record
    user = tenant.members[Role.TECHNICIAN].user
    me = TechnicianFactory(organization=tenant.organization, user=user, email=user.email)
    mine = TrainingRecordFactory(technician=me, course=path["course"])
    api = tenant.api(Role.TECHNICIAN)
    # when they list
    listed = api.get("/api/v1/training-records/").json()
    # then they see only theirs
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert api.get(f"/api/v1/training-records/{mine.pk}/certificate/").status_code == 404  # none uploaded


def test_requirement_rules(tenant, path):
    # given a PM
    api = tenant.api(Role.PM)
    program, course = path["program"], path["course"]
    coordinators_only = CourseFactory(organization=tenant.organization, roles=["coordinator"])
    # when the same requirement is added twice, or a course not for the role
    twice = api.post(
        "/api/v1/program-course-requirements/",
        {"program": program.pk, "course": course.pk, "role": "technician"},
        format="json",
    )
    wrong_role = api.post(
        "/api/v1/program-course-requirements/",
        {"program": program.pk, "course": coordinators_only.pk, "role": "technician"},
        format="json",
    )
    retired = CourseFactory(organization=tenant.organization, roles=["technician"], active=False)
    inactive = api.post(
        "/api/v1/program-course-requirements/",
        {"program": program.pk, "course": retired.pk, "role": "technician"},
        format="json",
    )
    # then each is refused with its code
    assert errors(inactive) == [("course_inactive", "course")]
    assert errors(twice) == [("duplicate_requirement", "course")]
    assert errors(wrong_role) == [("course_not_for_role", "course")]
    # and the list filters by program and role
    listed = api.get("/api/v1/program-course-requirements/", {"program": program.pk, "role": "technician"})
    assert [row["course_name"] for row in listed.json()["results"]] == ["Site safety"]


@pytest.mark.parametrize(
    "list_url", ["/api/v1/courses/", "/api/v1/training-records/", "/api/v1/program-course-requirements/"]
)
def test_lists_read_a_fixed_number_of_queries(tenant, list_url):
    # given many courses, records and requirements
    for n in range(12):
        p = build_path(tenant.organization, tenant.client)
        p["course"].name = f"Course {n:02d}"
        p["course"].save()
    api = tenant.api(Role.ADMIN)
    api.get(list_url)
    # when a page of 2 and a page of 12 are read
    with CaptureQueriesContext(connection) as small:
        assert api.get(list_url, {"page_size": 2}).status_code == 200
    with CaptureQueriesContext(connection) as large:
        assert len(api.get(list_url, {"page_size": 12}).json()["results"]) == 12
    # then the same few queries
    assert len(large) == len(small) <= 8, [q["sql"] for q in large]


def test_courses_filter_by_role_and_records_by_state(tenant, path):
    # given a PM-only course besides Site safety (technician, pm), and a record expiring in a week
    CourseFactory(organization=tenant.organization, name="Program leadership", roles=["pm", "coordinator"])
    api = tenant.api(Role.COORDINATOR)
    # when / then
    names = {
        role: [row["name"] for row in api.get("/api/v1/courses/", {"role": role}).json()["results"]]
        for role in ("pm", "coordinator", "technician")
    }
    assert names == {
        "pm": ["Program leadership", "Site safety"],
        "coordinator": ["Program leadership"],
        "technician": ["Site safety"],
    }
    expired = api.get("/api/v1/training-records/", {"state": "expired"}).json()
    assert [row["id"] for row in expired["results"]] == [path["record"].pk]  # the factory's record ended in 2026-06
    assert expired["results"][0]["state"] == "expired"


def test_the_admin_lists_and_opens_training_rows_without_a_file_link(db, path):
    # given a superuser
    from django.test import Client as BrowserClient

    from rollout.models import User

    browser = BrowserClient()
    browser.force_login(User.objects.create_superuser(email="root@example.com", password="x-long-password-1"))
    # when / then every training admin page opens, and the certificate is never linked
    for url in (
        "/admin/technicians/course/",
        f"/admin/technicians/course/{path['course'].pk}/change/",
        "/admin/technicians/trainingrecord/",
        f"/admin/technicians/trainingrecord/{path['record'].pk}/change/",
        "/admin/programs/programcourserequirement/",
        f"/admin/programs/programcourserequirement/{path['requirement'].pk}/change/",
    ):
        response = browser.get(url)
        assert response.status_code == 200, url
        assert b"training-certificates/" not in response.content


def test_eligibility_endpoints_take_the_required_courses(tenant, path):
    # given a technician without the course, and the one with it
    untrained = TechnicianFactory(organization=tenant.organization, full_name="Cy Untrained")
    api = tenant.api(Role.COORDINATOR)
    work = {"date": "2026-03-04", "lat": "41.9484", "lng": "-87.6553", "courses": str(path["course"].pk)}
    # when
    verdict = api.get(f"/api/v1/technicians/{untrained.pk}/eligibility/", work).json()
    qualified = api.get("/api/v1/technicians/qualified/", work).json()
    bad = api.get("/api/v1/technicians/qualified/", {**work, "courses": "1,x"})
    # then
    assert [p["code"] for p in verdict["problems"]] == ["training_missing"]
    assert [row["id"] for row in qualified["results"]] == [path["technician"].pk]
    assert errors(bad) == [("invalid", "courses")]
