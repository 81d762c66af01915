"""A program's required training gates its work: booking a visit, assigning a technician, the candidate picker and
the readiness checklist refuse a technician without a valid record of a required course, with the reason — as an
expired certification is refused."""

from datetime import date, timedelta

import pytest

from programs.training import program_course_requirement_add
from rollout.choices import Role
from rollout.errors import ApplicationError
from tests.technicians.factories import CourseFactory, TrainingRecordFactory
from tests.workorders.builders.visits import (
    VISIT_DAY,
    access_for,
    book,
    build_field_world,
    local,
    other_technician,
    ready_work_order,
)
from workorders.choices import Gate
from workorders.models import Visit
from workorders.readiness import work_orders_readiness
from workorders.selectors import work_order_technician_candidates
from workorders.services import work_order_assign


@pytest.fixture
def world(tenant):
    world = build_field_world(tenant)
    world.course = CourseFactory(organization=tenant.organization, name="Self-checkout safety", roles=["technician"])
    program_course_requirement_add(
        organization=tenant.organization,
        actor=access_for(tenant, Role.PM),
        program_id=world.program.pk,
        course_id=world.course.pk,
        role=Role.TECHNICIAN,
    )
    return world


def test_booking_refuses_a_technician_whose_required_training_expired(world):
    # given the program's technician, whose course record expired the day before the visit
    TrainingRecordFactory(
        technician=world.technician,
        course=world.course,
        completed_on=VISIT_DAY - timedelta(days=366),
        expires_on=VISIT_DAY - timedelta(days=1),
    )
    work_order = ready_work_order(world)
    # when a visit is booked for them
    with pytest.raises(ApplicationError) as refused:
        book(world, work_order)
    # then it is refused like an expired certification, with the reason, and nothing is booked
    assert (refused.value.code, refused.value.field) == ("technician_not_eligible", "technician")
    assert "Training “Self-checkout safety”, which this program requires, expired on Mar 2, 2027." in str(refused.value)
    assert not Visit.objects.filter(work_order=work_order).exists()


def test_booking_accepts_a_technician_with_valid_training(world):
    # given a valid record
    TrainingRecordFactory(
        technician=world.technician, course=world.course, completed_on=date(2026, 6, 1), expires_on=date(2027, 6, 1)
    )
    # when / then
    assert book(world, ready_work_order(world)).technician_id == world.technician.pk


def test_assignment_candidates_and_readiness_leave_out_the_untrained(world):
    # given a trained colleague and the untrained world technician
    trained = other_technician(world, full_name="Rosa Trained")
    TrainingRecordFactory(technician=trained, course=world.course, completed_on=date(2026, 6, 1), expires_on=None)
    work_order = ready_work_order(world)
    # when the coordinator assigns the untrained technician directly
    with pytest.raises(ApplicationError) as refused:
        work_order_assign(
            organization=world.organization,
            actor=world.coordinator,
            work_order_id=work_order.pk,
            technician_id=world.technician.pk,
            planned_start=local(VISIT_DAY, 9),
            planned_end=local(VISIT_DAY, 12),
        )
    # then it is refused with the reason; the picker offers only the trained one
    assert refused.value.code == "technician_not_eligible"
    assert "No training record for “Self-checkout safety”" in refused.value.message
    candidates = work_order_technician_candidates(
        organization=world.organization, work_order=work_order, on_date=VISIT_DAY
    )
    assert [t.full_name for t in candidates] == ["Rosa Trained"]
    # and the readiness checklist of a work order planned for the untrained technician says why
    work_order.technician = world.technician
    work_order.planned_start, work_order.planned_end = local(VISIT_DAY, 9), local(VISIT_DAY, 12)
    work_order.save()
    work_order = type(work_order).objects.with_summary().get(pk=work_order.pk)
    readiness = work_orders_readiness(organization=world.organization, work_orders=[work_order])[work_order.pk]
    gate = readiness.get(Gate.TECHNICIAN)
    assert not gate.passed
    assert gate.reason == "No training record for “Self-checkout safety”, which this program requires."
