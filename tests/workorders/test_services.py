"""Work order services beyond the state table: numbering, creation from enrollments, assignment checks,
technician notices (idempotent), shipments."""

import threading

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction

from notifications.models import Notification
from notifications.tasks import notification_email_task
from rollout.errors import InvalidTransition
from rollout.events import event_relay
from rollout.models import AuditEvent, Event
from tests.programs.factories import EnrollmentFactory, WaveFactory
from tests.workorders.builders.work_orders import VISIT_DAY, build_world, enrolled_site, local, prepared
from tests.workorders.factories import WorkOrderFactory
from workorders import services
from workorders.models import WorkOrder


def test_numbers_are_consecutive_per_program_and_unique(tenant, world, pm):
    # given two programs
    other = build_world(tenant, code="wifi-27")["program"]
    allocate = services.work_order_numbers_allocate
    # when numbers are allocated in turns
    with transaction.atomic():
        first = allocate(organization=tenant.organization, program=world["program"], count=2)
        second = allocate(organization=tenant.organization, program=other, count=1)
        third = allocate(organization=tenant.organization, program=world["program"], count=3)
    # then each program counts on its own, with its code as prefix
    assert [n for _, n in first] == ["SCO-2026-000001", "SCO-2026-000002"]
    assert [n for _, n in second] == ["WIFI-27-000001"]
    assert [n for _, n in third] == ["SCO-2026-000003", "SCO-2026-000004", "SCO-2026-000005"]


def test_the_database_refuses_a_duplicate_number(tenant, world):
    first = WorkOrderFactory(enrollment=enrolled_site(world), number="SCO-2026-000001")
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkOrderFactory(enrollment=enrolled_site(world), number=first.number)


@pytest.mark.django_db(transaction=True)
def test_concurrent_allocations_never_hand_out_the_same_number(tenant, world):
    # given four workers allocating numbers for one program at the same time
    numbers, errors = [], []

    def work():
        try:
            for _ in range(5):
                with transaction.atomic():
                    numbers.extend(
                        n
                        for _, n in services.work_order_numbers_allocate(
                            organization=tenant.organization, program=world["program"], count=3
                        )
                    )
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then every number is distinct, and together they are exactly 1…60
    assert not errors
    assert len(numbers) == len(set(numbers)) == 60
    assert sorted(numbers) == [f"SCO-2026-{n:06d}" for n in range(1, 61)]


def test_create_for_a_wave_only_and_again_for_the_rest(tenant, world, pm):
    # given two sites in the pilot wave and one in no wave
    pilot = WaveFactory(program=world["program"], name="Pilot")
    in_pilot = [EnrollmentFactory(program=world["program"], wave=pilot) for _ in range(2)]
    loose = EnrollmentFactory(program=world["program"])
    kwargs = {"organization": tenant.organization, "actor": pm, "program_id": world["program"].pk}
    # when work orders are created for the pilot, then for the whole program
    first = services.work_orders_create_for_program(**kwargs, wave_id=pilot.pk)
    second = services.work_orders_create_for_program(**kwargs)
    # then the pilot got two, the second run added only the third, reporting the pilot's as existing
    assert {item.site_id for item in first.items} == {e.site_id for e in in_pilot}
    assert (second.created, second.existing) == (1, 2)
    assert next(item for item in second.items if item.outcome == "created").site_id == loose.site_id
    created = WorkOrder.objects.filter(program=world["program"])
    assert set(created.values_list("status", flat=True)) == {"draft"}
    assert set(created.values_list("sow", flat=True)) == {world["sow"].pk}
    assert AuditEvent.objects.filter(verb="work_order.bulk_created").count() == 2


def test_create_for_another_programs_wave_is_refused(tenant, world, pm):
    other = build_world(tenant, code="other")["program"]
    wave = WaveFactory(program=other)
    with pytest.raises(Exception) as refused:
        services.work_orders_create_for_program(
            organization=tenant.organization, actor=pm, program_id=world["program"].pk, wave_id=wave.pk
        )
    assert (refused.value.code, refused.value.field) == ("wave_not_in_program", "wave")


def test_assign_is_refused_after_dispatch(tenant, world, pm):
    work_order = prepared(world, "dispatched")
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_assign(
            organization=tenant.organization,
            actor=pm,
            work_order_id=work_order.pk,
            technician_id=world["technician"].pk,
            planned_start=local(VISIT_DAY, 9),
            planned_end=local(VISIT_DAY, 10),
        )
    assert refused.value.code == "not_assignable" and "recall it first" in refused.value.message


def test_dispatch_e_mails_the_technician_once(tenant, world, pm, django_capture_on_commit_callbacks):
    # given a scheduled work order ready to go, whose technician has an account
    technician = world["technician"]
    technician.user = tenant.members["technician"].user
    technician.save(update_fields=["user"])
    work_order = prepared(world, "scheduled")
    # when it is dispatched (the event is relayed after commit; the notice's e-mail follows)
    with django_capture_on_commit_callbacks(execute=True):
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="dispatched"
        )
    # then the technician got one e-mail with the number, the site and the local window
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [technician.user.email]
    assert work_order.number in message.subject and "Dispatched" in message.body
    assert "09:00–13:00 (America/Chicago)" in message.body
    # when the event is relayed again and the e-mail task delivered twice, nothing more is sent
    event = Event.objects.get(type="work_order.transitioned", subject_id=work_order.pk, data__to_status="dispatched")
    assert event_relay(event.pk) is True
    notification = Notification.objects.get(event=event)
    notification_email_task(organization_id=tenant.organization.pk, notification_id=notification.pk)
    assert len(mail.outbox) == 1
