"""The demo's training path: courses, records with certificates, the self-checkout rollout's requirements, someone
expiring within 30 days, one technician not qualified — and the pilot's booked work still eligible after it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from programs.models import Program, ProgramCourseRequirement
from programs.training import program_required_courses, program_team
from rollout.demo.seed import APP_SEEDERS, demo_seeder, seed_core
from technicians.models import Course, TrainingRecord
from technicians.selectors import technician_eligibility_problems, training_matrix
from workorders.models import WorkOrder
from workorders.readiness import work_orders_readiness

pytestmark = pytest.mark.django_db


def seed_until(stop: str):
    """seed_demo's seeders in order, up to (not including) `stop`."""
    demo = seed_core()
    for module in APP_SEEDERS[: APP_SEEDERS.index(stop)]:
        seeder = demo_seeder(module)
        if seeder is not None:
            seeder.seed(demo)
    return demo


def readiness_of(organization) -> dict[int, tuple]:
    work_orders = list(WorkOrder.objects.for_organization(organization).with_summary().filter(technician__isnull=False))
    verdicts = work_orders_readiness(organization=organization, work_orders=work_orders)
    return {pk: tuple((g.gate, g.passed, g.reason) for g in r.gates) for pk, r in verdicts.items()}


def test_the_demo_training_path_leaves_the_booked_work_eligible_and_shows_what_to_notice():
    # given the demo up to the training seeder, and the checklists of every assigned work order
    demo = seed_until("programs.demo.training")
    northwind = demo.organizations["northwind"]
    before = readiness_of(northwind)
    training_demo = demo_seeder("programs.demo.training")
    # when the training path is seeded (twice: the second run changes nothing)
    training_demo.seed(demo)
    counts = (Course.objects.count(), TrainingRecord.objects.count(), ProgramCourseRequirement.objects.count())
    training_demo.seed(demo)
    # then the rows are there once, every record with its certificate
    assert counts == (Course.objects.count(), TrainingRecord.objects.count(), ProgramCourseRequirement.objects.count())
    assert counts[0] == 3 and counts[2] == 2
    assert all(record.certificate for record in TrainingRecord.objects.all())
    # and the assigned work orders' checklists did not change (the technicians who hold work are trained)
    assert readiness_of(northwind) == before
    # and someone's training expires within 30 days, on the matrix
    today = timezone.localdate()
    matrix = training_matrix(organization=northwind, on=today)
    expiring = {(r.person_name, r.course.name) for r in matrix.expiring}
    assert ("Jordan Lee", "Field safety and site conduct") in expiring
    assert all(today <= r.expires_on <= today + timedelta(days=30) for r in matrix.expiring)
    # and the program's team page shows Grace Mitchell not qualified, and the booking rules refuse her
    program = Program.objects.get(organization=northwind, code="sco-2026")
    team = program_team(organization=northwind, program=program, on=today)
    [members] = [members for role, _, _, members in team.roles if role == "technician"]
    technicians = {member.person.name: member.qualified for member in members}
    assert technicians["Grace Mitchell"] is False
    assert sum(technicians.values()) == len(technicians) - 1
    grace = next(member.person.technician for member in members if member.person.name == "Grace Mitchell")
    [problem] = [
        p
        for p in technician_eligibility_problems(
            organization=northwind, technician_id=grace.pk, skills=[], on_date=today + timedelta(days=7),
            latitude=None, longitude=None, courses=program_required_courses(organization=northwind,
                                                                             program_id=program.pk),
        )
        if p.code.startswith("training")
    ]  # fmt: skip
    assert problem.code == "training_missing"
    assert "Self-checkout kiosk installation" in problem.message
