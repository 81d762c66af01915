"""Schedule runs through their durable job: proposals inside access hours with a qualified technician (a split run
too, booked through the manual checks), materials awaited, unscheduled reasons, determinism, the bad inputs' codes,
and publishing through the visit services (twice books once, stale refused)."""

from datetime import date, time

import pytest

from rollout.errors import ApplicationError
from scheduling import errors, services
from scheduling.choices import RunStatus
from scheduling.models import ScheduleProposal, ScheduleUnscheduled
from technicians.models import TechnicianSkill
from tests.scheduling.builders import WEEK, build_wave, run_now
from tests.technicians.factories import TimeOffFactory
from tests.workorders.builders.visits import build_field_world, other_technician
from tests.workorders.factories import ShipmentFactory
from workorders.choices import VisitStatus
from workorders.models import Visit, WorkOrder

MORNINGS = {day: ["10:00-14:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_a_run_proposes_every_visit_inside_access_hours(world, django_capture_on_commit_callbacks):
    # given
    wave, work_orders = build_wave(world, sites=3, access_hours=MORNINGS)
    # when
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    # then
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100
    proposals = list(ScheduleProposal.objects.filter(run=run))
    assert {p.work_order_id for p in proposals} == {wo.pk for wo in work_orders}
    for proposal in proposals:
        assert proposal.technician_id == world.technician.pk
        assert time(10) <= proposal.start_time and proposal.end_time <= time(14)
        assert WEEK[0] <= proposal.day <= WEEK[1]
    assert run.summary["visits"] == 3 and run.summary["unscheduled"] == 0


def test_unscheduled_work_orders_carry_their_reason(world, django_capture_on_commit_callbacks):
    # given: one site blacked out all week, one open 20 minutes a day, one needing a skill nobody has
    wave, (blackout, short, _plain) = build_wave(world, sites=3)
    blackout.site.blackout_dates = ["2027-03-03", "2027-03-04", "2027-03-05"]
    blackout.site.save()
    short.site.access_hours = {day: ["10:00-10:20"] for day in ("wed", "thu", "fri")}
    short.site.save()
    TechnicianSkill.objects.filter(technician=world.technician).delete()
    # when
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    # then
    reasons = dict(ScheduleUnscheduled.objects.filter(run=run).values_list("work_order_id", "reason"))
    assert set(reasons.values()) == {"no_technician"}
    TechnicianSkill.objects.create(organization=world.organization, technician=world.technician, skill=world.skill)
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    rows = {u.work_order_id: u for u in ScheduleUnscheduled.objects.filter(run=run)}
    assert rows[blackout.pk].reason == "blackout"
    assert rows[short.pk].reason == "access_too_short" and "minutes" in rows[short.pk].message
    assert ScheduleProposal.objects.filter(run=run).count() == 1


def test_the_same_seed_gives_the_same_proposal(world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=4)
    first = run_now(world, wave, django_capture_on_commit_callbacks, seed=3)
    second = run_now(world, wave, django_capture_on_commit_callbacks, seed=3)

    def rows(run):
        return list(
            ScheduleProposal.objects.filter(run=run)
            .order_by("work_order_id")
            .values_list("work_order_id", "technician_id", "day", "start_time", "end_time")
        )

    assert rows(first) == rows(second)


def test_bad_inputs_are_refused_with_their_codes(world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=1)
    values = {"organization": world.organization, "actor": world.coordinator, "program_id": world.program.pk}
    with pytest.raises(errors.DateRangeOutsideWave):
        services.schedule_run_create(**values, wave_id=wave.pk, date_from=date(2027, 2, 27), date_to=date(2027, 3, 2))
    services.schedule_run_create(**values, wave_id=wave.pk, date_from=WEEK[0], date_to=WEEK[1])
    with pytest.raises(errors.RunAlreadyRunning):
        services.schedule_run_create(**values, wave_id=wave.pk, date_from=WEEK[0], date_to=WEEK[1])
    WorkOrder.objects.filter(program=world.program).update(status="draft")
    empty = build_wave(world, sites=0)[0]
    with pytest.raises(errors.NoReadyWorkOrders):
        services.schedule_run_create(**values, wave_id=empty.pk, date_from=WEEK[0], date_to=WEEK[1])


def test_a_cancelled_run_writes_nothing(world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=2)
    with django_capture_on_commit_callbacks(execute=False):
        run = services.schedule_run_create(
            organization=world.organization,
            actor=world.coordinator,
            program_id=world.program.pk,
            wave_id=wave.pk,
            date_from=WEEK[0],
            date_to=WEEK[1],
        )
    services.schedule_run_cancel(organization=world.organization, actor=world.coordinator, schedule_run_id=run.pk)
    from rollout.tasks import job_run_task

    job_run_task.delay(organization_id=world.organization.pk, job_id=run.job_id)
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert not ScheduleProposal.objects.filter(run=run).exists()


def test_publish_books_through_the_visit_service_and_twice_books_once(world, django_capture_on_commit_callbacks):
    # given
    wave, work_orders = build_wave(world, sites=3)
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    publish = {"organization": world.organization, "actor": world.coordinator, "schedule_run_id": run.pk}
    # when
    first = services.schedule_run_publish(**publish)
    second = services.schedule_run_publish(**publish)
    # then
    assert first == {"booked": 3, "refused": 0, "already": 0}
    assert second == {"booked": 0, "refused": 0, "already": 3}
    visits = Visit.objects.filter(work_order__in=work_orders)
    assert visits.count() == 3 and {v.status for v in visits} == {VisitStatus.SCHEDULED}
    for proposal in ScheduleProposal.objects.filter(run=run):
        assert (proposal.visit.window_start, proposal.visit.technician_id) == (
            proposal.window_start,
            proposal.technician_id,
        )


def test_a_refused_booking_leaves_that_proposal_unpublished_with_its_reason(world, django_capture_on_commit_callbacks):
    wave, _ = build_wave(world, sites=2)
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    proposal = ScheduleProposal.objects.filter(run=run).first()
    site = proposal.work_order.site
    site.blackout_dates = [proposal.day.isoformat()]
    site.save()
    result = services.schedule_run_publish(
        organization=world.organization, actor=world.coordinator, schedule_run_id=run.pk
    )
    proposal.refresh_from_db()
    assert result["booked"] == 1 and result["refused"] == 1
    assert (proposal.publish_outcome, proposal.publish_code, proposal.visit) == ("refused", "blackout_date", None)


def test_a_stale_run_is_refused(world, django_capture_on_commit_callbacks):
    wave, (work_order, *_) = build_wave(world, sites=2)
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    WorkOrder.objects.filter(pk=work_order.pk).update(version=work_order.version + 1)
    with pytest.raises(ApplicationError) as refused:
        services.schedule_run_publish(organization=world.organization, actor=world.coordinator, schedule_run_id=run.pk)
    assert refused.value.code == "schedule_run_stale"
    run.refresh_from_db()
    assert run.stale
    assert not Visit.objects.filter(work_order__program=world.program).exists()


def test_a_redelivered_job_writes_nothing_twice(world, django_capture_on_commit_callbacks):
    # given a run whose job finished
    wave, _ = build_wave(world, sites=2)
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    # when its runner task is delivered again (a worker that died after committing, then retried)
    from rollout.tasks import job_run_task

    job_run_task.delay(organization_id=world.organization.pk, job_id=run.job_id)
    # then the proposals are the ones written once
    assert ScheduleProposal.objects.filter(run=run).count() == 2
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED


def test_a_visit_waits_for_its_materials(world, django_capture_on_commit_callbacks):
    # given: one work order's shipment expected Thursday (the week runs Wednesday to Friday), one's after the week
    wave, (thursday, late, _plain) = build_wave(world, sites=3)
    in_transit = {"status": "in_transit", "shipped_on": date(2027, 3, 1), "delivered_on": None}
    ShipmentFactory(work_order=thursday, expected_delivery=date(2027, 3, 4), **in_transit)
    ShipmentFactory(work_order=late, expected_delivery=date(2027, 3, 9), **in_transit)
    # when
    run = run_now(world, wave, django_capture_on_commit_callbacks)
    # then
    proposals = {p.work_order_id: p for p in ScheduleProposal.objects.filter(run=run)}
    assert proposals[thursday.pk].day >= date(2027, 3, 4)
    row = ScheduleUnscheduled.objects.get(run=run)
    assert (row.work_order_id, row.reason) == (late.pk, "materials_late") and "Mar 9, 2027" in row.message


def test_a_split_run_books_every_proposal_through_the_manual_checks(
    world, django_capture_on_commit_callbacks, monkeypatch
):
    # given: three technicians (one off Thursday and Friday, one without the skill), six sites open mornings, and
    # the split forced (regions of one technician from three work orders)
    from scheduling import solver

    monkeypatch.setattr(solver, "SPLIT_SIZE", 3)
    monkeypatch.setattr(solver, "TECHNICIANS_PER_REGION", 1)
    away = other_technician(world, home_latitude=41.95, home_longitude=-87.70)
    TimeOffFactory(technician=away, start_date=date(2027, 3, 4), end_date=date(2027, 3, 5))
    unskilled = other_technician(world, home_latitude=41.80, home_longitude=-87.60)
    TechnicianSkill.objects.filter(technician=unskilled).delete()
    wave, _ = build_wave(world, sites=6, access_hours=MORNINGS)
    # when
    run = run_now(world, wave, django_capture_on_commit_callbacks, seed=2)
    again = run_now(world, wave, django_capture_on_commit_callbacks, seed=2)
    # then: a split plan, the same again, and every proposal books through visit_schedule (the manual checks)
    assert run.summary["regions"] > 1 and run.summary["visits"] == 6

    def rows(of):
        return list(
            ScheduleProposal.objects.filter(run=of)
            .order_by("work_order_id")
            .values_list("work_order_id", "technician_id", "day", "start_time")
        )

    assert rows(run) == rows(again)
    for proposal in ScheduleProposal.objects.filter(run=run):
        assert proposal.technician_id != unskilled.pk
        assert proposal.technician_id != away.pk or proposal.day < date(2027, 3, 4)
        assert time(10) <= proposal.start_time and proposal.end_time <= time(14)
    result = services.schedule_run_publish(
        organization=world.organization, actor=world.coordinator, schedule_run_id=run.pk
    )
    assert result == {"booked": 6, "refused": 0, "already": 0}
