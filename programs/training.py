"""The courses a program requires of its team, per role: reads, writes, and who on the team is qualified.

The requirement lives here (programs may depend on technicians, never the other way round); the rule that an
unqualified technician cannot be assigned lives in technicians.selectors, which takes the required course ids
as input: `program_required_courses_many` is what work-order booking, candidate pickers and readiness pass it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db import transaction

from programs.models import Program, ProgramCourseRequirement
from programs.services import _check_open, _lock_program
from rollout.audit import audit_record, audit_snapshot
from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import Organization
from rollout.tenancy import Access, actor_user
from technicians.choices import TRAINING_ROLES
from technicians.errors import CourseInactive, CourseNotForRole, UnknownCourse
from technicians.models import Course
from technicians.selectors import TrainingPerson, training_matrix

REQUIREMENT_FIELDS = ["program", "course", "role"]


# --- Reads ------------------------------------------------------------------------------------------


def program_requirement_list(*, access: Access):
    """Course requirements of the programs the caller may read, with program and course in the same query."""
    return ProgramCourseRequirement.objects.visible_to(access).select_related("program", "course")


def program_required_courses_many(
    *, organization, program_ids: Iterable[int], role: str = Role.TECHNICIAN
) -> dict[int, tuple[int, ...]]:
    """program id → the ids of the courses it requires of `role` (empty tuple: none). One query."""
    program_ids = set(program_ids)
    required: dict[int, list[int]] = {pk: [] for pk in program_ids}
    rows = (
        ProgramCourseRequirement.objects.for_organization(organization)
        .filter(program_id__in=program_ids, role=role)
        .values_list("program_id", "course_id")
        .order_by("program_id", "course_id")
    )
    for program_id, course_id in rows:
        required[program_id].append(course_id)
    return {pk: tuple(courses) for pk, courses in required.items()}


def program_required_courses(*, organization, program_id: int, role: str = Role.TECHNICIAN) -> tuple[int, ...]:
    """The ids of the courses the program requires of `role`. One query."""
    return program_required_courses_many(organization=organization, program_ids=[program_id], role=role)[program_id]


@dataclass(frozen=True)
class TeamMember:
    """One person of a role the program requires training of, with the required courses' cells."""

    person: TrainingPerson
    required: list  # TrainingCell per required course of their role

    @property
    def qualified(self) -> bool:
        return all(cell.counts for cell in self.required)

    @property
    def missing(self) -> list:
        return [cell for cell in self.required if not cell.counts]


@dataclass(frozen=True)
class ProgramTeam:
    """The program's requirements per role and, for each such role, who is qualified on `on`."""

    on: date
    requirements: list[ProgramCourseRequirement]
    roles: list[tuple[str, str, list[Course], list[TeamMember]]]  # (role, label, courses, members)

    @property
    def qualified_count(self) -> int:
        return sum(member.qualified for _, _, _, members in self.roles for member in members)


def program_team(*, organization, program: Program, on: date) -> ProgramTeam:
    """For each role the program requires courses of: the organization's active people in that role and whether
    they hold every required course on `on`. A fixed number of queries (requirements, then the training matrix)."""
    requirements = list(
        ProgramCourseRequirement.objects.for_organization(organization)
        .filter(program=program)
        .select_related("course")
        .order_by("role", "course__name")
    )
    by_role: dict[str, list[Course]] = {}
    for requirement in requirements:
        by_role.setdefault(requirement.role, []).append(requirement.course)
    matrix = training_matrix(
        organization=organization,
        on=on,
        course_ids={r.course_id for r in requirements},
        roles=by_role.keys(),
    )
    roles = []
    for role in TRAINING_ROLES:
        if role not in by_role:
            continue
        courses = by_role[role]
        members = [
            TeamMember(person=person, required=[person.cell(course.pk) for course in courses])
            for person in matrix.people
            if person.role == role
        ]
        members.sort(key=lambda m: (m.qualified, m.person.name.lower()))
        roles.append((role, Role(role).label, courses, members))
    return ProgramTeam(on=on, requirements=requirements, roles=roles)


# --- Writes -----------------------------------------------------------------------------------------


@transaction.atomic
def program_course_requirement_add(
    *, organization: Organization, actor, program_id: int, course_id: int, role: str
) -> ProgramCourseRequirement:
    """Require a course of everyone in `role` on the program's team. From now on a technician without a valid
    record of it is refused for the program's work (booking, assignment and the candidate picker)."""
    program = _lock_program(organization, program_id)
    _check_open(program)
    if role not in TRAINING_ROLES:
        raise ApplicationError(f"Use one of {', '.join(TRAINING_ROLES)}.", field="role", code="invalid_role")
    course = Course.objects.for_organization(organization).filter(pk=course_id).first()
    if course is None:
        raise UnknownCourse(field="course")
    if not course.active:
        raise CourseInactive(f"The course “{course.name}” is retired; reactivate it first.", field="course")
    if not course.is_for(role):
        raise CourseNotForRole(f"The course “{course.name}” is not for {Role(role).label}s.", field="course")
    existing = ProgramCourseRequirement.objects.for_organization(organization).filter(
        program=program, course=course, role=role
    )
    if existing.exists():
        raise ApplicationError(
            f"Program {program.code} already requires “{course.name}” of {Role(role).label}s.",
            field="course",
            code="duplicate_requirement",
        )
    requirement = ProgramCourseRequirement.objects.create(
        organization=organization, program=program, course=course, role=role, created_by=actor_user(actor)
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="program.course_required",
        target=program,
        after=audit_snapshot(requirement, REQUIREMENT_FIELDS),
    )
    return requirement


@transaction.atomic
def program_course_requirement_remove(*, organization: Organization, actor, requirement_id: int) -> None:
    """Stop requiring a course of a role on the program's team."""
    requirement = (
        ProgramCourseRequirement.objects.for_organization(organization)
        .select_for_update()
        .filter(pk=requirement_id)
        .first()
    )
    if requirement is None:
        raise NotFound()
    program = _lock_program(organization, requirement.program_id)
    _check_open(program)
    audit_record(
        organization=organization,
        actor=actor,
        verb="program.course_requirement_removed",
        target=program,
        before=audit_snapshot(requirement, REQUIREMENT_FIELDS),
    )
    requirement.delete()
