"""The technician's field actions through the services: confirm, on my way, check-in (geofence flag and
enforcement, denied location, the work order moving, exactly-once replays, a second check-in refused), task
results (format, range, duplicates), sign-off, and check-out (missing evidence listed, complete → submitted,
incomplete → rework)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from programs.models import Program
from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from tests.workorders.builders.visits import (
    FAR,
    NEAR,
    VISIT_DAY,
    access_for,
    acknowledge,
    act,
    action_id,
    book,
    booked_visit,
    build_field_world,
    check_in,
    check_out,
    complete_evidence,
    other_technician,
    ready_work_order,
    result,
    sign,
)
from workorders.choices import VisitStatus, WorkOrderStatus
from workorders.models import Packet, TaskResult, VisitAction
from workorders.services import work_order_confirm_site_contact
from workorders.visits import errors
from workorders.visits.api.serializers import VisitCheckInSerializer
from workorders.visits.selectors import check_in_warning
from workorders.visits.services import field_actions, planning

S = WorkOrderStatus
V = VisitStatus


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_confirm_and_on_my_way_move_the_visit_once_per_action_id(world):
    # given
    visit = booked_visit(world)
    # when: confirm sent three times with the same id, then on my way
    outcomes = [act(world, visit, field_actions.visit_confirm, client_action_id="confirm-abc") for _ in range(3)]
    act(world, visit, field_actions.visit_on_my_way)
    # then
    visit.refresh_from_db()
    assert [outcome.replayed for outcome in outcomes] == [False, True, True]
    assert VisitAction.objects.filter(visit=visit, kind="confirm").count() == 1
    assert visit.status == V.ON_THE_WAY and visit.confirmed_at and visit.on_the_way_at
    assert AuditEvent.objects.filter(verb="visit.confirmed", target_id=str(visit.pk)).count() == 1


def test_check_in_records_times_position_and_starts_the_work(world):
    # given
    visit = booked_visit(world)
    device_time = timezone.now() - timedelta(minutes=2)
    # when
    outcome = field_actions.visit_check_in(
        organization=world.organization,
        actor=world.tech,
        visit_id=visit.pk,
        client_action_id=action_id(),
        device_time=device_time,
        location_status="ok",
        latitude=NEAR[0],
        longitude=NEAR[1],
        accuracy_m=8.5,
    )
    # then
    visit.refresh_from_db()
    assert not outcome.replayed
    assert visit.status == V.CHECKED_IN
    assert visit.checked_in_at is not None and visit.check_in_device_time == device_time
    assert (visit.check_in_latitude, visit.check_in_longitude, visit.check_in_accuracy_m) == (NEAR[0], NEAR[1], 8.5)
    assert 40 <= visit.check_in_distance_m <= 50 and not visit.check_in_flagged
    assert visit.packet == Packet.objects.current().get(work_order=visit.work_order)
    assert visit.work_order.__class__.objects.get(pk=visit.work_order_id).status == S.IN_PROGRESS
    action = VisitAction.objects.get(visit=visit, kind="check_in")
    assert action.device_time == device_time and action.received_at is not None
    assert AuditEvent.objects.filter(verb="visit.checked_in", target_id=str(visit.pk)).exists()


def test_check_in_far_away_is_flagged_when_the_geofence_is_not_enforced(world):
    # given
    visit = booked_visit(world)
    # when
    check_in(world, visit, point=FAR)
    # then
    visit.refresh_from_db()
    assert visit.status == V.CHECKED_IN
    assert visit.check_in_flagged and visit.check_in_distance_m > 2000


def test_check_in_far_away_is_refused_when_the_geofence_is_enforced(world):
    # given
    Program.objects.filter(pk=world.program.pk).update(geofence_enforced=True, geofence_radius_m=300)
    visit = booked_visit(world)
    # when
    with pytest.raises(errors.OutsideGeofence) as refused:
        check_in(world, visit, point=FAR)
    # then: nothing recorded; nearer (or with an accuracy that could put the phone inside) is fine
    visit.refresh_from_db()
    assert refused.value.status_code == 409 and "300 m" in refused.value.message
    assert visit.status == V.SCHEDULED and not VisitAction.objects.filter(visit=visit).exists()
    check_in(world, visit, point=FAR, accuracy=2500)
    visit.refresh_from_db()
    assert visit.status == V.CHECKED_IN and visit.check_in_flagged


@pytest.mark.parametrize("location_status", ["denied", "unavailable"])
def test_a_denied_or_unavailable_location_is_recorded_not_refused(world, location_status):
    # given
    Program.objects.filter(pk=world.program.pk).update(geofence_enforced=True)
    visit = booked_visit(world)
    # when
    check_in(world, visit, location_status=location_status, latitude=None, longitude=None, accuracy=None)
    # then
    visit.refresh_from_db()
    assert visit.status == V.CHECKED_IN
    assert visit.location_status == location_status
    assert visit.check_in_latitude is None and visit.check_in_distance_m is None and not visit.check_in_flagged


def test_check_in_with_location_ok_needs_coordinates(world):
    visit = booked_visit(world)
    with pytest.raises(ApplicationError) as refused:
        check_in(world, visit, latitude=None, longitude=None)
    assert (refused.value.code, refused.value.field) == ("required", "latitude")


def test_the_same_check_in_resent_is_recorded_once_and_a_new_one_is_refused(world):
    # given
    visit = booked_visit(world)
    first = check_in(world, visit, client_action_id="check-in-1")
    # when
    again = [check_in(world, visit, client_action_id="check-in-1") for _ in range(2)]
    with pytest.raises(errors.AlreadyCheckedIn) as refused:
        check_in(world, visit, client_action_id="check-in-2")
    # then
    assert not first.replayed and all(outcome.replayed for outcome in again)
    assert refused.value.status_code == 409 and refused.value.code == "already_checked_in"
    assert VisitAction.objects.filter(visit=visit, kind="check_in").count() == 1
    assert AuditEvent.objects.filter(verb="visit.checked_in", target_id=str(visit.pk)).count() == 1


def test_an_action_id_reused_for_another_kind_of_action_is_refused(world):
    visit = booked_visit(world)
    act(world, visit, field_actions.visit_confirm, client_action_id="same-id-123")
    with pytest.raises(errors.ClientActionIdReused):
        check_in(world, visit, client_action_id="same-id-123")


def test_check_in_waits_for_green_gates_when_the_work_order_is_not_dispatched(world):
    # given: booked, but the packet is not acknowledged
    visit = book(world, ready_work_order(world))
    # when
    with pytest.raises(errors.WorkOrderNotDispatched) as refused:
        check_in(world, visit)
    # then
    assert "Packet acknowledged" in refused.value.message
    visit.refresh_from_db()
    assert visit.status == V.SCHEDULED


def test_another_technicians_visit_is_not_found(world, tenant):
    # given: a visit of Rosa's; the caller is the tenant's technician member (Tomás)
    rosa = other_technician(world)
    visit = book(world, ready_work_order(world), technician=rosa)
    # when / then
    with pytest.raises(NotFound):
        check_in(world, visit)
    with pytest.raises(NotFound):
        act(world, visit, field_actions.visit_confirm)


def test_only_technicians_and_integrators_record_field_actions(world, tenant):
    visit = booked_visit(world)
    with pytest.raises(errors.NotAFieldActor):
        field_actions.visit_confirm(
            organization=world.organization,
            actor=access_for(tenant, Role.COORDINATOR),
            visit_id=visit.pk,
            client_action_id=action_id(),
            device_time=None,
        )
    outcome = field_actions.visit_confirm(
        organization=world.organization,
        actor=access_for(tenant, Role.INTEGRATOR),
        visit_id=visit.pk,
        client_action_id=action_id(),
        device_time=None,
    )
    assert outcome.visit.status == V.CONFIRMED


def test_task_results_are_checked_against_the_packet(world):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    cases = [
        ({"task_key": "mount", "serial": "XYZ"}, "serial_format", "serial"),
        ({"task_key": "cable", "measurement": Decimal("45")}, "measurement_out_of_range", "measurement"),
        ({"task_key": "cable", "status": "not_done"}, "reason_required", "reason"),
        ({"task_key": "nope"}, "unknown_task", "task_key"),
    ]
    # when / then
    for values, code, field in cases:
        values = dict(values)
        with pytest.raises(ApplicationError) as refused:
            result(world, visit, values.pop("task_key"), **values)
        assert (refused.value.code, refused.value.field) == (code, field), values
    assert not TaskResult.objects.filter(visit=visit).exists()
    assert not VisitAction.objects.filter(visit=visit, kind="task_result").exists()


def test_a_later_result_replaces_the_earlier_one(world):
    visit = booked_visit(world)
    check_in(world, visit)
    result(world, visit, "cable", status="not_done", reason="No ladder")
    result(world, visit, "cable", measurement=Decimal("12.25"), note="Measured twice")
    saved = TaskResult.objects.get(visit=visit, task_key="cable")
    assert (saved.status, saved.measurement, saved.reason) == ("done", Decimal("12.25"), "")
    assert saved.note == "Measured twice"


def test_a_serial_recorded_on_another_work_order_of_the_program_is_flagged(world):
    # given: visit 1 records a serial and ends incomplete; its follow-up (same work order) records it again
    first = booked_visit(world)
    check_in(world, first)
    result(world, first, "mount", serial="SCO123456")
    check_out(world, first, outcome="incomplete", incomplete_reason="parts_missing")
    follow_up = book(world, first.work_order, day=VISIT_DAY + timedelta(days=1))
    work_order_confirm_site_contact(
        organization=world.organization, actor=world.coordinator, work_order_id=first.work_order_id
    )
    check_in(world, follow_up)
    other = book(world, ready_work_order(world, site_code="SECOND"), start=(13, 0), end=(16, 0))
    acknowledge(world, other.work_order)
    check_in(world, other)
    # when
    result(world, follow_up, "mount", serial="SCO123456")
    result(world, other, "mount", serial="SCO123456")
    # then
    assert not TaskResult.objects.get(visit=first, task_key="mount").serial_duplicate
    assert not TaskResult.objects.get(visit=follow_up, task_key="mount").serial_duplicate
    assert TaskResult.objects.get(visit=other, task_key="mount").serial_duplicate


def test_results_need_a_checked_in_visit(world):
    visit = booked_visit(world)
    with pytest.raises(errors.VisitNotCheckedIn):
        result(world, visit, "tidy")


def test_check_out_complete_lists_the_missing_evidence(world):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    result(world, visit, "survey")
    result(world, visit, "mount", serial="SCO000001")
    result(world, visit, "cable", status="not_done", reason="Ceiling closed")
    # when
    with pytest.raises(errors.EvidenceMissing) as refused:
        check_out(world, visit)
    # then
    missing = {item.task_key: item.message for item in refused.value.missing}
    assert set(missing) == {"survey", "cable", "test", "tidy"}
    assert "2 photos needed, 0 received" in missing["survey"]
    assert "not done" in missing["cable"]
    assert "no result" in missing["tidy"]
    visit.refresh_from_db()
    assert visit.status == V.CHECKED_IN and not VisitAction.objects.filter(visit=visit, kind="check_out").exists()


def test_check_out_complete_submits_the_work_order(world):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    complete_evidence(world, visit)
    # when
    outcome = check_out(world, visit, note="All good")
    # then
    visit.refresh_from_db()
    assert not outcome.replayed
    assert (visit.status, visit.outcome, visit.check_out_note) == (V.CHECKED_OUT, "complete", "All good")
    assert visit.work_order.__class__.objects.get(pk=visit.work_order_id).status == S.SUBMITTED


def test_check_out_incomplete_needs_a_reason_from_the_list(world):
    visit = booked_visit(world)
    check_in(world, visit)
    with pytest.raises(ApplicationError) as missing:
        check_out(world, visit, outcome="incomplete")
    with pytest.raises(ApplicationError) as unknown:
        check_out(world, visit, outcome="incomplete", incomplete_reason="tired")
    assert (missing.value.code, unknown.value.code) == ("reason_required", "invalid_choice")
    check_out(world, visit, outcome="incomplete", incomplete_reason="site_not_ready")
    visit.refresh_from_db()
    assert (visit.outcome, visit.incomplete_reason) == ("incomplete", "site_not_ready")
    work_order = visit.work_order.__class__.objects.get(pk=visit.work_order_id)
    # straight back to rework: the work order was never submitted
    assert (work_order.status, work_order.submitted_at) == (S.REWORK, None)


def test_a_second_check_out_is_refused_and_nothing_more_is_recorded(world):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    check_out(world, visit, outcome="incomplete", incomplete_reason="access_denied", client_action_id="out-1")
    # when / then
    assert check_out(world, visit, outcome="incomplete", incomplete_reason="other", client_action_id="out-1").replayed
    with pytest.raises(errors.VisitCheckedOut):
        check_out(world, visit, outcome="incomplete", incomplete_reason="other")
    with pytest.raises(errors.VisitCheckedOut):
        result(world, visit, "tidy")


def test_a_signature_on_a_checked_out_visit_is_refused(world):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    sign(world, visit, name="First Signer")
    sign(world, visit, name="Dana Store-Manager")  # signing again replaces the sign-off
    check_out(world, visit, outcome="incomplete", incomplete_reason="scope_change")
    # when / then
    with pytest.raises(errors.VisitCheckedOut) as refused:
        sign(world, visit)
    assert refused.value.code == "visit_checked_out"
    visit.refresh_from_db()
    assert visit.sign_off.name == "Dana Store-Manager"


def test_a_cancelled_visit_cannot_be_checked_in(world):
    visit = booked_visit(world)
    planning.visit_cancel(organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Rain")
    with pytest.raises(errors.VisitNotCheckable):
        check_in(world, visit)
    with pytest.raises(errors.VisitNotActive):
        act(world, visit, field_actions.visit_confirm)


def _acknowledge(world, visit, *, version: int, **options):
    return act(world, visit, field_actions.visit_acknowledge_packet, packet_version=version, **options)


def test_acknowledging_the_packet_from_the_visit_is_one_logged_action(world):
    # given a booked visit whose packet nobody acknowledged
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    packet = Packet.objects.current().get(work_order=work_order)
    # when the phone sends the acknowledgement three times (lost answers)
    outcomes = [_acknowledge(world, visit, version=packet.version, client_action_id="ack-1") for _ in range(3)]
    # then it is recorded once in the visit's log, and the work order's gate is green
    assert [outcome.replayed for outcome in outcomes] == [False, True, True]
    action = VisitAction.objects.get(visit=visit, kind="acknowledge_packet")
    assert action.payload == {"packet_version": packet.version}
    assert packet.acknowledgements.filter(technician=world.technician).count() == 1
    assert AuditEvent.objects.filter(verb="packet.acknowledged", target_id=str(packet.pk)).count() == 1


def test_acknowledging_another_version_or_as_someone_else_is_refused(world, tenant):
    # given
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    packet = Packet.objects.current().get(work_order=work_order)
    rosas = book(world, ready_work_order(world, site_code="ROSA-9"), technician=other_technician(world))
    # when / then: an old or unknown version says which one to read
    with pytest.raises(ApplicationError) as stale:
        _acknowledge(world, visit, version=packet.version + 1)
    assert stale.value.code == "packet_not_current"
    assert f"v{packet.version} is" in stale.value.message
    # another technician's visit does not exist for Tomás; an integrator cannot read the packet for him
    with pytest.raises(NotFound):
        _acknowledge(world, rosas, version=1)
    with pytest.raises(ApplicationError) as integrator:
        _acknowledge(world, visit, version=packet.version, actor=access_for(tenant, Role.INTEGRATOR))
    assert integrator.value.status_code == 403
    assert not VisitAction.objects.filter(kind="acknowledge_packet").exists()


def test_checking_in_two_hours_early_is_allowed_with_a_warning(world):
    # given a visit whose window starts two hours from now
    visit = booked_visit(world)
    now = timezone.now()
    type(visit).objects.filter(pk=visit.pk).update(
        window_start=now + timedelta(hours=2), window_end=now + timedelta(hours=5)
    )
    # when the technician checks in
    check_in(world, visit)
    # then the check-in stands, with a word to the technician kept on the audit trail and shown by the API
    visit.refresh_from_db()
    assert visit.status == V.CHECKED_IN
    event = AuditEvent.objects.get(verb="visit.checked_in", target_id=str(visit.pk))
    assert event.after["warning"].startswith("You checked in 1 h 59 min before the visit's window") or event.after[
        "warning"
    ].startswith("You checked in 2 h before the visit's window")
    assert "make sure the store expects you" in VisitCheckInSerializer(visit).data["warning"]


def test_checking_in_on_time_says_nothing(world):
    visit = booked_visit(world)
    now = timezone.now()
    type(visit).objects.filter(pk=visit.pk).update(
        window_start=now - timedelta(minutes=10), window_end=now + timedelta(hours=2)
    )
    check_in(world, visit)
    visit.refresh_from_db()
    assert "warning" not in AuditEvent.objects.get(verb="visit.checked_in", target_id=str(visit.pk)).after
    assert check_in_warning(visit) == ""
