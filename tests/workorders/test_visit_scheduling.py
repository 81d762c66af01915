"""Booking, rescheduling, reassigning, cancelling visits and no-shows: the conflict rules (each refusal with its
code and reason), the work order following the visit through the work-order services, notices after commit, and
follow-up visits after an incomplete one."""

import threading
from datetime import date, time, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from technicians.models import TechnicianSkill
from tests.factories import MembershipFactory
from tests.technicians.factories import TimeOffFactory
from tests.workorders.builders.visits import (
    VISIT_DAY,
    acknowledge,
    book,
    booked_visit,
    build_field_world,
    check_in,
    check_out,
    local,
    other_technician,
    ready_work_order,
)
from workorders.choices import VisitStatus, WorkOrderStatus
from workorders.models import Visit, WorkOrder
from workorders.services import work_order_assign, work_order_transition
from workorders.visits import errors
from workorders.visits.services import field_actions, planning

S = WorkOrderStatus


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_booking_a_visit_schedules_the_work_order_and_tells_the_technician(world, django_capture_on_commit_callbacks):
    # given
    work_order = ready_work_order(world)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        visit = book(world, work_order, start=(9, 0), end=(12, 0))
    # then
    visit.refresh_from_db()
    work_order.refresh_from_db()
    assert (visit.status, visit.sequence, visit.follow_up_of) == (VisitStatus.SCHEDULED, 1, None)
    assert visit.window_start == local(VISIT_DAY, 9) and visit.window_end == local(VISIT_DAY, 12)
    assert visit.local_date == VISIT_DAY
    assert visit.checkin_due_by == local(VISIT_DAY, 9) + timedelta(minutes=world.program.checkin_grace_minutes)
    assert work_order.status == S.SCHEDULED
    assert (work_order.technician_id, work_order.planned_start) == (world.technician.pk, visit.window_start)
    assert AuditEvent.objects.filter(verb="visit.scheduled", target_id=str(visit.pk)).exists()
    assert [message.to for message in mail.outbox] == [[world.technician.email]]
    assert "New visit" in mail.outbox[0].subject


def _time_off(world):
    TimeOffFactory(technician=world.technician, start_date=VISIT_DAY, end_date=VISIT_DAY, reason="Dentist")


def _double_booked(world):
    book(world, ready_work_order(world, site_code="OTHER-1"), start=(11, 0), end=(13, 0))


def _skill_removed(world):
    TechnicianSkill.objects.filter(technician=world.technician).delete()


CONFLICTS = [
    # (name, arrange, booking overrides, code, field, words in the message)
    ("double booking", _double_booked, {}, "double_booking", "start_time", "already has a visit"),
    ("time off", _time_off, {}, "time_off", "technician", "time off"),
    ("outside access hours", None, {"start": (5, 0), "end": (7, 0)}, "outside_access_hours", "start_time", "access"),
    ("blackout date", "blackout", {}, "blackout_date", "date", "blackout"),
    ("not eligible (skill)", _skill_removed, {}, "technician_not_eligible", "technician", "Missing skill"),
    ("not a working day", None, {"day": date(2027, 3, 6)}, "technician_not_eligible", "technician", "Saturday"),
    ("window backwards", None, {"start": (12, 0), "end": (9, 0)}, "invalid_window", "end_time", "end after"),
]


@pytest.mark.parametrize(
    ("name", "arrange", "overrides", "code", "field", "words"), CONFLICTS, ids=[row[0] for row in CONFLICTS]
)
def test_booking_conflicts_are_refused_with_the_reason(world, name, arrange, overrides, code, field, words):
    # given
    site_values = {"blackout_dates": [VISIT_DAY.isoformat()]} if arrange == "blackout" else {}
    work_order = ready_work_order(world, **site_values)
    if callable(arrange):
        arrange(world)
    # when
    with pytest.raises(ApplicationError) as refused:
        book(world, work_order, **overrides)
    # then
    assert (refused.value.code, refused.value.field) == (code, field)
    assert words.lower() in refused.value.message.lower()
    work_order.refresh_from_db()
    assert work_order.status == S.READY and work_order.technician_id is None
    assert not Visit.objects.filter(work_order=work_order).exists()


@pytest.mark.parametrize(("status", "words"), [("draft", "Draft"), ("dispatched", "recall it first")])
def test_a_work_order_that_cannot_take_a_visit_is_refused(world, status, words):
    # given
    work_order = ready_work_order(world, status=status)
    # when / then
    with pytest.raises(errors.WorkOrderNotSchedulable, match=words):
        book(world, work_order)


def test_a_second_open_visit_for_the_same_work_order_is_refused(world):
    # given
    work_order = ready_work_order(world)
    book(world, work_order)
    # when / then
    with pytest.raises(errors.VisitExists):
        book(world, work_order, day=VISIT_DAY + timedelta(days=1))


def test_a_cancelled_visit_neither_double_books_nor_blocks_a_new_visit(world):
    # given
    work_order = ready_work_order(world)
    first = book(world, work_order)
    planning.visit_cancel(
        organization=world.organization, actor=world.coordinator, visit_id=first.pk, reason="Store asked"
    )
    # when
    second = book(world, work_order)
    # then
    assert second.sequence == 1
    assert WorkOrder.objects.get(pk=work_order.pk).status == S.SCHEDULED


def test_reschedule_moves_the_window_and_asks_for_confirmation_again(world, django_capture_on_commit_callbacks):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    field_actions.visit_confirm(
        organization=world.organization, actor=world.tech, visit_id=visit.pk, client_action_id="confirm-1",
        device_time=timezone.now(),
    )  # fmt: skip
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        planning.visit_reschedule(
            organization=world.organization,
            actor=world.coordinator,
            visit_id=visit.pk,
            day=VISIT_DAY + timedelta(days=1),
            start_time=time(13, 0),
            end_time=time(15, 0),
            reason="Store manager away in the morning",
        )
    # then
    visit.refresh_from_db()
    work_order.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED and visit.confirmed_at is None
    assert visit.window_start == local(VISIT_DAY + timedelta(days=1), 13)
    assert visit.local_date == VISIT_DAY + timedelta(days=1)
    assert work_order.planned_start == visit.window_start
    assert len(mail.outbox) == 1 and "moved" in mail.outbox[0].subject
    event = AuditEvent.objects.get(verb="visit.rescheduled", target_id=str(visit.pk))
    assert event.reason == "Store manager away in the morning"


def test_reschedule_checks_double_booking_but_not_against_itself(world):
    # given
    visit = book(world, ready_work_order(world))
    book(world, ready_work_order(world, site_code="OTHER-2"), start=(14, 0), end=(16, 0))
    # when: overlapping itself only is fine
    planning.visit_reschedule(
        organization=world.organization, actor=world.coordinator, visit_id=visit.pk, day=VISIT_DAY,
        start_time=time(10, 0), end_time=time(13, 0),
    )  # fmt: skip
    # then: overlapping the other visit is not
    with pytest.raises(ApplicationError) as refused:
        planning.visit_reschedule(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, day=VISIT_DAY,
            start_time=time(13, 0), end_time=time(15, 0),
        )  # fmt: skip
    assert refused.value.code == "double_booking"


def test_reassign_tells_both_technicians(world, django_capture_on_commit_callbacks):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    account = MembershipFactory(organization=world.organization, role=Role.TECHNICIAN, user__email="rosa@field.example")
    rosa = other_technician(world, user=account.user, email="rosa@field.example")
    mail.outbox.clear()
    # when
    with django_capture_on_commit_callbacks(execute=True):
        planning.visit_reassign(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, technician_id=rosa.pk
        )
    # then
    visit.refresh_from_db()
    work_order.refresh_from_db()
    assert visit.technician_id == rosa.pk == work_order.technician_id
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == sorted([rosa.email, world.technician.email])
    assert any("reassigned" in message.subject for message in mail.outbox if message.to == [world.technician.email])


def test_reassign_refuses_a_busy_technician(world):
    # given
    visit = book(world, ready_work_order(world))
    rosa = other_technician(world)
    book(world, ready_work_order(world, site_code="OTHER-3"), technician=rosa, start=(8, 0), end=(10, 0))
    # when / then
    with pytest.raises(ApplicationError) as refused:
        planning.visit_reassign(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, technician_id=rosa.pk
        )
    assert refused.value.code == "double_booking"


def test_cancel_needs_a_reason_and_returns_the_work_order_to_ready(world, django_capture_on_commit_callbacks):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    mail.outbox.clear()
    # when
    with pytest.raises(ApplicationError) as refused:
        planning.visit_cancel(organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason=" ")
    with django_capture_on_commit_callbacks(execute=True):
        planning.visit_cancel(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed for audit"
        )
    # then
    assert refused.value.code == "reason_required"
    visit.refresh_from_db()
    work_order.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == (VisitStatus.CANCELLED, "Store closed for audit")
    assert work_order.status == S.READY and work_order.planned_start is None
    subject = f"Visit cancelled: {work_order.number} at {work_order.site.code}"
    assert [message.subject for message in mail.outbox] == [subject]
    assert "Store closed for audit" in mail.outbox[0].body


def test_cancelling_a_dispatched_visit_recalls_the_work_order(world):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    acknowledge(world, work_order)
    from workorders.services import work_order_transition

    work_order_transition(
        organization=world.organization, actor=world.coordinator, work_order_id=work_order.pk, to_status=S.DISPATCHED
    )
    # when
    planning.visit_cancel(organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Rain")
    # then
    work_order.refresh_from_db()
    assert work_order.status == S.READY


def test_no_show_only_once_the_window_started(world):
    # given
    future = book(world, ready_work_order(world))
    past_work_order = ready_work_order(world, site_code="PAST-1")
    past = book(world, past_work_order, start=(13, 0), end=(15, 0))
    Visit.objects.filter(pk=past.pk).update(
        window_start=timezone.now() - timedelta(hours=3), window_end=timezone.now() - timedelta(hours=1)
    )
    # when
    with pytest.raises(errors.VisitNotActive):
        planning.visit_mark_no_show(organization=world.organization, actor=world.coordinator, visit_id=future.pk)
    planning.visit_mark_no_show(organization=world.organization, actor=world.coordinator, visit_id=past.pk)
    # then
    past.refresh_from_db()
    assert past.status == VisitStatus.NO_SHOW and past.no_show_at is not None


def test_the_no_show_sweep_marks_only_visits_past_their_window_and_grace(world):
    # given
    missed = book(world, ready_work_order(world, site_code="MISS-1"))
    grace = book(world, ready_work_order(world, site_code="MISS-2"), start=(13, 0), end=(15, 0))
    now = timezone.now()
    hours = timedelta(hours=1)
    Visit.objects.filter(pk=missed.pk).update(window_start=now - 4 * hours, window_end=now - 2 * hours)
    Visit.objects.filter(pk=grace.pk).update(window_start=now - 2 * hours, window_end=now - timedelta(minutes=5))
    # when
    marked = planning.visits_mark_no_shows(organization=world.organization)
    # then
    assert marked == 1
    assert Visit.objects.get(pk=missed.pk).status == VisitStatus.NO_SHOW
    assert Visit.objects.get(pk=grace.pk).status == VisitStatus.SCHEDULED


def test_an_incomplete_visit_leads_to_a_linked_follow_up(world):
    # given: visit 1 checked in, then out incomplete
    work_order = ready_work_order(world)
    first = book(world, work_order)
    acknowledge(world, work_order)
    check_in(world, first)
    check_out(world, first, outcome="incomplete", incomplete_reason="parts_missing", note="Bracket missing")
    work_order.refresh_from_db()
    assert work_order.status == S.REWORK
    # when
    follow_up = book(world, work_order, day=VISIT_DAY + timedelta(days=1))
    # then
    work_order.refresh_from_db()
    assert (follow_up.sequence, follow_up.follow_up_of_id) == (2, first.pk)
    assert work_order.status == S.SCHEDULED
    rework = AuditEvent.objects.filter(verb="work_order.transitioned", target_id=str(work_order.pk)).order_by("id")
    reason = next(event.reason for event in rework if event.after["status"] == "rework")
    assert "Visit 1 ended incomplete: Parts missing" in reason


def test_scheduling_services_look_up_visits_only_inside_the_organization(world, other_tenant):
    # given
    visit = book(world, ready_work_order(world))
    # when / then
    with pytest.raises(NotFound):
        planning.visit_cancel(organization=other_tenant.organization, actor=None, visit_id=visit.pk, reason="x")


# --- The work order and its open visit never drift apart ---------------------------------------------------


def move_work_order(world, work_order_id: int, to_status: str, reason: str = ""):
    return work_order_transition(
        organization=world.organization,
        actor=world.coordinator,
        work_order_id=work_order_id,
        to_status=to_status,
        reason=reason,
    )


def test_cancelling_the_work_order_calls_off_its_visit_with_one_notice(world, django_capture_on_commit_callbacks):
    # given a work order with a booked, confirmed visit
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    mail.outbox.clear()
    # when the PM cancels the work order
    with django_capture_on_commit_callbacks(execute=True):
        move_work_order(world, work_order.pk, S.CANCELLED, "Store closing")
    # then the visit is cancelled with the reason, audited, and the technician hears it once
    visit.refresh_from_db()
    assert (visit.status, visit.cancel_reason) == (VisitStatus.CANCELLED, "Work order cancelled: Store closing")
    assert AuditEvent.objects.filter(verb="visit.cancelled", target_id=str(visit.pk)).count() == 1
    assert [message.to for message in mail.outbox] == [[world.technician.email]]


def test_a_work_order_cannot_be_cancelled_while_its_technician_is_on_site(world):
    # given a checked-in visit
    visit = booked_visit(world)
    check_in(world, visit)
    # when
    with pytest.raises(ApplicationError) as refused:
        move_work_order(world, visit.work_order_id, S.CANCELLED, "Store closing")
    # then
    assert refused.value.code == "visit_underway"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CHECKED_IN
    assert WorkOrder.objects.get(pk=visit.work_order_id).status == S.IN_PROGRESS


def test_unscheduling_a_work_order_with_a_booked_visit_is_refused(world):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    # when
    with pytest.raises(ApplicationError) as refused:
        move_work_order(world, work_order.pk, S.READY)
    # then the visit must be cancelled instead (which does move the work order back to ready)
    assert refused.value.code == "visit_open"
    assert "cancel the visit" in refused.value.message
    planning.visit_cancel(organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Rain")
    work_order.refresh_from_db()
    assert work_order.status == S.READY


def test_the_work_order_plan_changes_only_through_its_open_visit(world):
    # given a booked visit 09:00–12:00
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    # when someone plans the work order directly
    with pytest.raises(ApplicationError) as refused:
        work_order_assign(
            organization=world.organization,
            actor=world.coordinator,
            work_order_id=work_order.pk,
            technician_id=world.technician.pk,
            planned_start=local(VISIT_DAY, 13),
            planned_end=local(VISIT_DAY, 15),
        )
    # then it is refused, and rescheduling the visit moves both
    assert refused.value.code == "visit_open"
    planning.visit_reschedule(
        organization=world.organization,
        actor=world.coordinator,
        visit_id=visit.pk,
        day=VISIT_DAY,
        start_time=time(13, 0),
        end_time=time(15, 0),
    )
    work_order.refresh_from_db()
    visit.refresh_from_db()
    assert work_order.planned_start == visit.window_start == local(VISIT_DAY, 13)


@pytest.mark.django_db(transaction=True)
def test_a_check_in_racing_a_work_order_cancel_never_deadlocks(tenant):
    # given several booked visits whose technician checks in while the PM cancels their work orders
    world = build_field_world(tenant)
    visits = []
    for hour in range(9, 15):
        work_order = ready_work_order(world, site_code=f"RACE-{hour}")
        visits.append(book(world, work_order, start=(hour, 0), end=(hour + 1, 0)))
        acknowledge(world, work_order)
    outcomes, errors = [], []
    start = threading.Barrier(2)

    def run(work):
        try:
            start.wait(timeout=10)
            for visit in visits:
                try:
                    work(visit)
                    outcomes.append("done")
                except ApplicationError as refused:
                    outcomes.append(refused.code)
        except Exception as exc:  # noqa: BLE001 - a deadlock or any other failure is reported below
            errors.append(exc)
        finally:
            connection.close()

    def checking_in(visit):
        check_in(world, visit)

    def cancelling(visit):
        move_work_order(world, visit.work_order_id, S.CANCELLED, "Store closed")

    threads = [threading.Thread(target=run, args=(work,)) for work in (checking_in, cancelling)]
    # when both run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then nothing failed but on purpose: each visit is either checked in (the cancel refused) or cancelled (the
    # check-in refused), and its work order agrees
    assert errors == []
    assert set(outcomes) <= {"done", "visit_underway", "visit_not_active", "visit_not_checkable"}
    for visit in Visit.objects.filter(pk__in=[v.pk for v in visits]).select_related("work_order"):
        expected = S.IN_PROGRESS if visit.status == VisitStatus.CHECKED_IN else S.CANCELLED
        assert visit.status in (VisitStatus.CHECKED_IN, VisitStatus.CANCELLED)
        assert visit.work_order.status == expected
