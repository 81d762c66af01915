"""Writes of the training path: courses (for which roles, valid how many months) and training records.

Who holds a record: a technician holds it on their technician profile (which exists before they have an
account, and is what assignments name); a PM or coordinator holds it on their membership of the organization
(one user may be trained for one organization and not another). Exactly one of the two, checked here and by a
database constraint. A record's person and course are looked up inside the organization: another
organization's (or a missing) id is refused with a stable code (`unknown_person`, `unknown_course`) before
anything — row, file or audit event — is written. The certificate is a private file (PDF, PNG or JPEG,
checked by content), streamed only to the same organization.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import PurePosixPath
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from rollout.audit import audit_created, audit_deleted, audit_record, audit_snapshot, audited_save
from rollout.choices import Role
from rollout.models import Membership, Organization
from rollout.tenancy import actor_user
from technicians.choices import MEMBER_TRAINING_ROLES, TRAINING_ROLES
from technicians.errors import (
    ApplicationError,
    CourseInactive,
    CourseNotForRole,
    InvalidCertificate,
    UnknownCourse,
    UnknownPerson,
)
from technicians.models import Course, Technician, TrainingRecord
from technicians.services import Actor, _check_known, _lock, _save_active

COURSE_FIELDS = ["name", "description", "roles", "validity_months"]
RECORD_FIELDS = ["course", "technician", "member", "completed_on", "expires_on", "certificate_name"]
MAX_CERTIFICATE_BYTES = 10 * 1024 * 1024
CERTIFICATE_SIGNATURES = {b"%PDF-": ".pdf", b"\x89PNG\r\n\x1a\n": ".png", b"\xff\xd8\xff": ".jpg"}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has fewer days: Jan 31 + 1 → Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def course_expiry(course: Course, completed_on: date) -> date | None:
    """When a completion of `course` on `completed_on` stops counting (None: never)."""
    return add_months(completed_on, course.validity_months) if course.validity_months else None


# --- Courses ----------------------------------------------------------------------------------------


def clean_roles(roles) -> list[str]:
    """The course's roles, known and in a stable order; at least one."""
    roles = list(roles or [])
    unknown = [role for role in roles if role not in TRAINING_ROLES]
    if unknown:
        raise ApplicationError(
            f"Unknown role(s): {', '.join(map(str, unknown))}. Use {', '.join(TRAINING_ROLES)}.",
            code="invalid_role",
            field="roles",
        )
    if not roles:
        raise ApplicationError("Name at least one role the course is for.", code="required", field="roles")
    return [role for role in TRAINING_ROLES if role in roles]


def _check_course_name_free(organization, name: str, *, exclude_pk: int | None = None) -> None:
    if Course.objects.for_organization(organization).filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ApplicationError(f"A course named “{name}” already exists.", code="duplicate_name", field="name")


def _check_validity(months) -> None:
    if months is not None and not 1 <= months <= 240:
        raise ApplicationError(
            "Validity is between 1 and 240 months (blank: does not expire).", code="invalid", field="validity_months"
        )


@transaction.atomic
def course_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    roles,
    validity_months: int | None = None,
    description: str = "",
) -> Course:
    """Add a course to the organization's training path."""
    name = name.strip()
    _check_course_name_free(organization, name)
    _check_validity(validity_months)
    course = Course.objects.create(
        organization=organization,
        name=name,
        roles=clean_roles(roles),
        validity_months=validity_months,
        description=description,
    )
    audit_created(organization, actor, course, [*COURSE_FIELDS, "active"], verb="course.created")
    return course


@transaction.atomic
def course_update(*, organization: Organization, actor: Actor, course_id: int, **changes: Any) -> Course:
    """Change a course. A new validity applies to records written from now on; recorded expiries stay."""
    course = _lock(Course, organization, course_id)
    _check_known(changes, COURSE_FIELDS, "course")
    if "name" in changes:
        changes["name"] = changes["name"].strip()
        _check_course_name_free(organization, changes["name"], exclude_pk=course.pk)
    if "roles" in changes:
        changes["roles"] = clean_roles(changes["roles"])
    if "validity_months" in changes:
        _check_validity(changes["validity_months"])
    audited_save(organization, actor, course, changes, verb="course.updated")
    return course


@transaction.atomic
def course_set_active(*, organization: Organization, actor: Actor, course_id: int, active: bool) -> Course:
    """Retire a course (no new records) or bring it back; its records and program requirements stay."""
    course = _lock(Course, organization, course_id)
    _save_active(organization, actor, course, active, entity="course")
    return course


# --- Training records -------------------------------------------------------------------------------


def _course(organization, course_id: int) -> Course:
    course = Course.objects.for_organization(organization).filter(pk=course_id).first()
    if course is None:
        raise UnknownCourse(field="course")
    if not course.active:
        raise CourseInactive(f"The course “{course.name}” is retired; reactivate it first.", field="course")
    return course


def _person(organization, *, technician_id: int | None, member_id: int | None):
    """(technician, member, role) of the record's person, looked up inside the organization."""
    if (technician_id is None) == (member_id is None):
        raise ApplicationError(
            "Name exactly one person: a technician, or a PM or coordinator (member).",
            code="one_person_required",
            field="technician",
        )
    if technician_id is not None:
        technician = Technician.objects.for_organization(organization).filter(pk=technician_id).first()
        if technician is None:
            raise UnknownPerson("No such technician in this organization.", field="technician")
        return technician, None, Role.TECHNICIAN
    member = (
        Membership.objects.for_organization(organization)
        .filter(pk=member_id, is_active=True)
        .select_related("user")
        .first()
    )
    if member is None:
        raise UnknownPerson("No such member in this organization.", field="member")
    if member.role not in MEMBER_TRAINING_ROLES:
        hint = " Technicians hold training on their technician profile." if member.role == Role.TECHNICIAN else ""
        raise ApplicationError(
            f"Members hold training records as PMs or coordinators; this member is a {member.get_role_display()}."
            + hint,
            code="not_a_training_role",
            field="member",
        )
    return None, member, member.role


def _check_for_role(course: Course, role: str) -> None:
    if not course.is_for(role):
        raise CourseNotForRole(
            f"The course “{course.name}” is not for {Role(role).label}s.",
            field="course",
        )


def _check_dates(completed_on: date, expires_on: date | None) -> None:
    if expires_on is not None and expires_on < completed_on:
        raise ApplicationError(
            "A training record cannot expire before it was completed.", code="invalid_dates", field="expires_on"
        )


def _certificate_name(certificate: UploadedFile) -> str:
    """Check the certificate's content (never its name or declared type) and return a safe display name."""
    size = certificate.size or 0
    if size == 0:
        raise InvalidCertificate("The certificate file is empty.", field="certificate")
    if size > MAX_CERTIFICATE_BYTES:
        raise InvalidCertificate(
            f"The certificate is {size / 1024 / 1024:.0f} MB; the limit is 10 MB.", field="certificate"
        )
    certificate.seek(0)
    head = certificate.read(8)
    certificate.seek(0)
    suffix = next((ext for magic, ext in CERTIFICATE_SIGNATURES.items() if head.startswith(magic)), None)
    if suffix is None:
        raise InvalidCertificate(field="certificate")
    stem = PurePosixPath((certificate.name or "certificate").replace("\\", "/")).stem[:120] or "certificate"
    certificate.name = f"certificate{suffix}"
    return f"{stem}{suffix}"


@transaction.atomic
def training_record_create(
    *,
    organization: Organization,
    actor: Actor,
    course_id: int,
    completed_on: date,
    technician_id: int | None = None,
    member_id: int | None = None,
    expires_on: date | None = None,
    certificate: UploadedFile | None = None,
) -> TrainingRecord:
    """Record that one person of the organization completed a course (expiry: completion + the course's validity,
    unless given). Every check runs before anything is written, the certificate file included."""
    course = _course(organization, course_id)
    technician, member, role = _person(organization, technician_id=technician_id, member_id=member_id)
    _check_for_role(course, role)
    if expires_on is None:
        expires_on = course_expiry(course, completed_on)
    _check_dates(completed_on, expires_on)
    certificate_name = _certificate_name(certificate) if certificate is not None else ""
    record = TrainingRecord(
        organization=organization,
        course=course,
        technician=technician,
        member=member,
        completed_on=completed_on,
        expires_on=expires_on,
        certificate_name=certificate_name,
        created_by=actor_user(actor),
    )
    _write(record, certificate)
    audit_created(organization, actor, record, RECORD_FIELDS, verb="training_record.created")
    return record


def _write(record: TrainingRecord, certificate: UploadedFile | None) -> None:
    """Store the certificate (when given) and save the row; a failed save leaves no file behind."""
    stored = None
    if certificate is not None:
        record.certificate.save(certificate.name, certificate, save=False)
        stored = record.certificate.name
    try:
        with transaction.atomic():
            record.save()
    except Exception:
        if stored:
            record.certificate.storage.delete(stored)
        raise


@transaction.atomic
def training_record_update(
    *,
    organization: Organization,
    actor: Actor,
    training_record_id: int,
    completed_on: date | None = None,
    expires_on: date | None = None,
    certificate: UploadedFile | None = None,
) -> TrainingRecord:
    """Correct a record's dates or attach a (new) certificate. A new completion date without an expiry
    recomputes the expiry from the course's validity. The person and course never change: record anew."""
    record = _lock(TrainingRecord, organization, training_record_id, related=("course",))
    before = audit_snapshot(record, RECORD_FIELDS)
    if completed_on is not None:
        record.completed_on = completed_on
        if expires_on is None:
            record.expires_on = course_expiry(record.course, completed_on)
    if expires_on is not None:
        record.expires_on = expires_on
    _check_dates(record.completed_on, record.expires_on)
    old_file = record.certificate.name if certificate is not None else None
    if certificate is not None:
        record.certificate_name = _certificate_name(certificate)
    _write(record, certificate)
    if old_file:
        storage = record.certificate.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    audit_record(
        organization=organization,
        actor=actor,
        verb="training_record.updated",
        target=record,
        before=before,
        after=audit_snapshot(record, RECORD_FIELDS),
    )
    return record


@transaction.atomic
def training_record_delete(*, organization: Organization, actor: Actor, training_record_id: int) -> None:
    """Remove a record entered by mistake (an expired one can stay: it no longer counts), with its file."""
    record = _lock(TrainingRecord, organization, training_record_id)
    audit_deleted(organization, actor, record, RECORD_FIELDS, verb="training_record.deleted")
    name, storage = record.certificate.name, record.certificate.storage
    record.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))
