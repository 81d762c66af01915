"""The training path: courses and records through the services (bad input refused with a stable code and nothing
written), the eligibility rule (a required course must be valid on the day of the work), and the training matrix."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.models import AuditEvent
from technicians import training
from technicians.choices import EligibilityProblemCode as Code
from technicians.choices import TrainingState
from technicians.models import TrainingRecord
from technicians.selectors import (
    EligibilityQuestion,
    technician_eligibility_many,
    technician_eligibility_problems,
    technicians_qualified_for,
    training_matrix,
)
from tests.technicians.builders import WEDNESDAY
from tests.technicians.factories import CourseFactory, TechnicianFactory, TrainingRecordFactory

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
WORK = {"skills": [], "on_date": WEDNESDAY, "latitude": 41.9484, "longitude": -87.6553}


def certificate_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT) / "private" / "training-certificates"
    return {str(path) for path in root.rglob("*") if path.is_file()} if root.exists() else set()


@pytest.fixture
def safety(tenant):
    return CourseFactory(organization=tenant.organization, name="Site safety", roles=["technician", "pm"])


def test_a_record_expires_after_the_course_validity_and_keeps_its_certificate(tenant, coordinator, safety):
    # given a technician and a 12-month course
    technician = TechnicianFactory(organization=tenant.organization)
    # when a completion on Jan 31 is recorded with a PDF certificate
    record = training.training_record_create(
        organization=tenant.organization,
        actor=coordinator,
        course_id=safety.pk,
        technician_id=technician.pk,
        completed_on=date(2026, 1, 31),
        certificate=SimpleUploadedFile("Safety card (Tomás).pdf", PDF, content_type="application/pdf"),
    )
    # then it counts for 12 months, the file is stored privately under a random name, and the write is audited
    assert record.expires_on == date(2027, 1, 31)
    assert training.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert record.certificate_name == "Safety card (Tomás).pdf"
    assert record.certificate.name.startswith(f"training-certificates/{tenant.organization.pk}/")
    assert record.certificate.read() == PDF
    assert AuditEvent.objects.filter(verb="training_record.created", target_id=str(record.pk)).exists()


def test_a_pm_holds_records_on_their_membership(tenant, coordinator, safety):
    # given the organization's PM
    pm = tenant.members[Role.PM]
    # when their completion is recorded
    record = training.training_record_create(
        organization=tenant.organization, actor=coordinator, course_id=safety.pk, member_id=pm.pk,
        completed_on=date(2026, 1, 5),
    )  # fmt: skip
    # then the record is theirs
    assert (record.member_id, record.technician_id) == (pm.pk, None)
    assert record.person_name == pm.user.email or record.person_name == pm.user.full_name


def _foreign_technician(tenant, other_tenant, course):
    return {"technician_id": TechnicianFactory(organization=other_tenant.organization).pk, "course_id": course.pk}


def _foreign_member(tenant, other_tenant, course):
    return {"member_id": other_tenant.members[Role.PM].pk, "course_id": course.pk}


def _foreign_course(tenant, other_tenant, course):
    foreign = CourseFactory(organization=other_tenant.organization)
    return {"technician_id": TechnicianFactory(organization=tenant.organization).pk, "course_id": foreign.pk}


def _not_for_role(tenant, other_tenant, course):
    return {"member_id": tenant.members[Role.COORDINATOR].pk, "course_id": course.pk}


def _technician_member(tenant, other_tenant, course):
    return {"member_id": tenant.members[Role.TECHNICIAN].pk, "course_id": course.pk}


def _two_people(tenant, other_tenant, course):
    technician = TechnicianFactory(organization=tenant.organization)
    return {"technician_id": technician.pk, "member_id": tenant.members[Role.PM].pk, "course_id": course.pk}


def _not_a_certificate(tenant, other_tenant, course):
    technician = TechnicianFactory(organization=tenant.organization)
    fake = SimpleUploadedFile("card.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    return {"technician_id": technician.pk, "course_id": course.pk, "certificate": fake}


def _expires_before_completed(tenant, other_tenant, course):
    technician = TechnicianFactory(organization=tenant.organization)
    return {"technician_id": technician.pk, "course_id": course.pk, "expires_on": date(2025, 1, 1)}


BAD_INPUT = [
    # (case, arrange, code, field)
    ("technician of another organization", _foreign_technician, "unknown_person", "technician"),
    ("member of another organization", _foreign_member, "unknown_person", "member"),
    ("course of another organization", _foreign_course, "unknown_course", "course"),
    ("course not for the role", _not_for_role, "course_not_for_role", "course"),
    ("technician's membership", _technician_member, "not_a_training_role", "member"),
    ("two people", _two_people, "one_person_required", "technician"),
    ("not a certificate", _not_a_certificate, "invalid_certificate", "certificate"),
    ("expires before completion", _expires_before_completed, "invalid_dates", "expires_on"),
]


@pytest.mark.parametrize(("case", "arrange", "code", "field"), BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_records_are_refused_with_a_stable_code_and_nothing_is_written(
    tenant, other_tenant, coordinator, safety, case, arrange, code, field, settings, tmp_path
):
    # given this test's own media folder (other workers write certificates too)
    settings.MEDIA_ROOT = str(tmp_path)
    values = arrange(tenant, other_tenant, safety)
    values.setdefault("certificate", SimpleUploadedFile("card.pdf", PDF))
    files_before = certificate_files()
    # when
    with pytest.raises(ApplicationError) as refused:
        training.training_record_create(
            organization=tenant.organization, actor=coordinator, completed_on=date(2026, 1, 5), **values
        )
    # then: the code and field, and no row, no audit event, no file
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.status_code == 400
    assert not TrainingRecord.objects.exists()
    assert not AuditEvent.objects.filter(verb="training_record.created").exists()
    assert certificate_files() == files_before


def test_course_rules(tenant, coordinator, safety):
    # given / when / then: roles are checked and ordered, names are unique, validity is bounded
    course = training.course_create(
        organization=tenant.organization, actor=coordinator, name="Ladder", roles=["technician", "coordinator"]
    )
    assert course.roles == ["coordinator", "technician"] and course.validity_months is None
    for values, code in [
        ({"name": "site SAFETY", "roles": ["pm"]}, "duplicate_name"),
        ({"name": "X", "roles": []}, "required"),
        ({"name": "X", "roles": ["client"]}, "invalid_role"),
        ({"name": "X", "roles": ["pm"], "validity_months": 0}, "invalid"),
    ]:
        with pytest.raises(ApplicationError) as refused:
            training.course_create(organization=tenant.organization, actor=coordinator, **values)
        assert refused.value.code == code, values


# --- Eligibility ------------------------------------------------------------------------------------


def _problems(tenant, technician, courses, on=WEDNESDAY):
    return technician_eligibility_problems(
        organization=tenant.organization, technician_id=technician.pk, courses=courses, **{**WORK, "on_date": on}
    )


def test_a_required_course_must_be_valid_on_the_day_of_the_work(tenant, safety):
    # given three technicians: trained, trained but expired, never trained
    trained = TechnicianFactory(organization=tenant.organization, full_name="Ana Trained")
    TrainingRecordFactory(technician=trained, course=safety, completed_on=date(2025, 6, 1), expires_on=date(2026, 6, 1))
    lapsed = TechnicianFactory(organization=tenant.organization, full_name="Bo Lapsed")
    TrainingRecordFactory(technician=lapsed, course=safety, completed_on=date(2025, 1, 1), expires_on=date(2026, 3, 1))
    untrained = TechnicianFactory(organization=tenant.organization, full_name="Cy Untrained")
    # when the work requires the course
    qualified = technicians_qualified_for(organization=tenant.organization, courses=[safety.pk], **WORK)
    # then only the trained one qualifies, and the others are told why
    assert [t.full_name for t in qualified] == ["Ana Trained"]
    assert _problems(tenant, trained, [safety.pk]) == []
    [expired] = _problems(tenant, lapsed, [safety.pk])
    assert expired.code == Code.TRAINING_EXPIRED
    assert expired.message == "Training “Site safety”, which this program requires, expired on Mar 1, 2026."
    [missing] = _problems(tenant, untrained, [safety.pk])
    assert missing.code == Code.TRAINING_MISSING and "Site safety" in missing.message
    # and a completion after the day of the work does not count yet
    assert _problems(tenant, trained, [safety.pk], on=date(2025, 5, 1))[0].code == Code.TRAINING_NOT_YET_VALID
    # and without the requirement, everyone qualifies
    assert len(technicians_qualified_for(organization=tenant.organization, **WORK)) == 3


def test_a_foreign_course_id_requires_nothing_here(tenant, other_tenant):
    # given a course of another organization
    foreign = CourseFactory(organization=other_tenant.organization)
    technician = TechnicianFactory(organization=tenant.organization)
    # when / then it is ignored (it cannot be a requirement of this organization's program)
    assert _problems(tenant, technician, [foreign.pk]) == []


def test_the_batch_selector_agrees_with_the_single_one_on_training(tenant, safety):
    # given technicians in each training state
    people = [TechnicianFactory(organization=tenant.organization) for _ in range(3)]
    TrainingRecordFactory(technician=people[0], course=safety, expires_on=date(2027, 1, 1))
    TrainingRecordFactory(technician=people[1], course=safety, expires_on=date(2026, 1, 1))
    questions = [
        EligibilityQuestion(key=t.pk, technician_id=t.pk, skills=(), on_date=WEDNESDAY, courses=(safety.pk,))
        for t in people
    ]
    # when
    with CaptureQueriesContext(connection) as queries:
        verdicts = technician_eligibility_many(organization=tenant.organization, questions=questions)
    # then
    assert len(queries) <= 7
    for technician in people:
        assert verdicts[technician.pk].problems == _problems(tenant, technician, [safety.pk])
    assert [[p.code for p in verdicts[t.pk].problems] for t in people] == [
        [],
        [Code.TRAINING_EXPIRED],
        [Code.TRAINING_MISSING],
    ]


# --- Matrix -----------------------------------------------------------------------------------------


def test_the_matrix_shows_people_by_courses_and_what_expires_within_30_days(tenant, safety):
    # given a PM course, technicians and the PM with records in every state
    on = WEDNESDAY
    leadership = CourseFactory(organization=tenant.organization, name="Program leadership", roles=["pm"])
    soon = TechnicianFactory(organization=tenant.organization, full_name="Ana Soon")
    TrainingRecordFactory(technician=soon, course=safety, expires_on=on + timedelta(days=12))
    valid = TechnicianFactory(organization=tenant.organization, full_name="Bo Valid")
    TrainingRecordFactory(technician=valid, course=safety, expires_on=on + timedelta(days=200))
    TrainingRecordFactory(technician=valid, course=safety, completed_on=date(2024, 1, 1), expires_on=date(2025, 1, 1))
    TechnicianFactory(organization=tenant.organization, full_name="Cy None")
    pm = tenant.members[Role.PM]
    TrainingRecordFactory(technician=None, member=pm, course=leadership, expires_on=on - timedelta(days=1))
    # when
    with CaptureQueriesContext(connection) as queries:
        matrix = training_matrix(organization=tenant.organization, on=on)
    # then: four queries; each cell the best record's state; the expiring list has the one due in 12 days
    assert len(queries) <= 4
    assert [c.name for c in matrix.courses] == ["Program leadership", "Site safety"]
    cells = {p.name: [c.state for c in p.cells] for p in matrix.people}
    assert cells["Ana Soon"] == [TrainingState.NOT_FOR_ROLE, TrainingState.EXPIRING]
    assert cells["Bo Valid"] == [TrainingState.NOT_FOR_ROLE, TrainingState.VALID]
    assert cells["Cy None"] == [TrainingState.NOT_FOR_ROLE, TrainingState.MISSING]
    pm_row = next(p for p in matrix.people if p.member == pm)
    assert [c.state for c in pm_row.cells] == [TrainingState.EXPIRED, TrainingState.MISSING]
    coordinator_row = next(p for p in matrix.people if p.member == tenant.members[Role.COORDINATOR])
    assert [c.state for c in coordinator_row.cells] == [TrainingState.NOT_FOR_ROLE, TrainingState.NOT_FOR_ROLE]
    assert [r.person_name for r in matrix.expiring] == ["Ana Soon"]
