"""The event catalogue of the existing apps and the notices it gives: the technician hears of their cancelled, moved
or reassigned visit and of a changed packet (mandatory), of a QA rejection in ONE e-mail with the defects; the
office hears of submitted work and no-shows; every type has a realistic example that its sentence and link read."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notification_preferences_update
from rollout.choices import Role
from rollout.events import event_relay, event_types
from rollout.models import Event
from rollout.tenancy import Access
from tests.quality.support import reject, submitted_work_order
from tests.workorders.builders.visits import book, build_field_world, ready_work_order
from workorders.visits.services import planning

APP_TYPES = {
    "work_order.transitioned",
    "work_order.submitted",
    "work_order.assigned",
    "work_order.rescheduled",
    "visit.scheduled",
    "visit.rescheduled",
    "visit.reassigned",
    "visit.cancelled",
    "visit.confirmed",
    "visit.on_the_way",
    "visit.checked_in",
    "visit.checked_out",
    "visit.no_show",
    "packet.issued",
    "qa_review.accepted",
    "qa_review.rejected",
    "site_import.finished",
}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def relay_all() -> None:
    for event_id in Event.objects.filter(relayed_at__isnull=True).order_by("id").values_list("id", flat=True):
        event_relay(event_id)


def test_the_catalogue_declares_every_app_event_with_a_realistic_example(tenant):
    catalogue = {spec.name: spec for spec in event_types()}
    assert set(catalogue) >= APP_TYPES
    for name in APP_TYPES:
        spec = catalogue[name]
        # a realistic payload: ids, the organization's slug, and a sentence for people built from it
        assert spec.example.get("organization") == "northwind-rollouts", name
        assert spec.title and spec.description and spec.version == 1, name
        assert spec.sentence(spec.example) and "{" not in spec.sentence(spec.example), name
        event = Event(organization=tenant.organization, type=name, subject_id=1, data=spec.example)
        for role in Role:
            assert spec.path(event, role) is not None
    must = {name for name in APP_TYPES if catalogue[name].mandatory}
    assert must == {
        "visit.cancelled",
        "visit.rescheduled",
        "visit.reassigned",
        "packet.issued",
        "work_order.rescheduled",
    }


def test_a_cancelled_visit_tells_its_technician_with_a_link_to_the_visit(world, django_capture_on_commit_callbacks):
    # given a booked visit (its technician has an account) who switched every e-mail they could off
    visit = book(world, ready_work_order(world))
    technician = world.tenant.members[Role.TECHNICIAN].user
    notification_preferences_update(
        organization=world.organization, actor=world.tech, changes=[("visit.scheduled", "email", False)]
    )
    relay_all()
    mail.outbox.clear()

    # when the coordinator cancels it
    with django_capture_on_commit_callbacks(execute=True):
        planning.visit_cancel(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed"
        )

    # then the technician has one mandatory notice linking to their visit page, and one e-mail
    notice = Notification.objects.get(user=technician, type="visit.cancelled")
    assert notice.mandatory and notice.link == f"/o/{world.organization.slug}/field/visits/{visit.pk}/"
    assert "Store closed" in notice.body and visit.work_order.number in notice.body
    assert [m.subject for m in mail.outbox] == [
        f"Visit cancelled: {visit.work_order.number} at {visit.work_order.site.code}"
    ]
    # and the moves of the work order back to ready told nobody
    assert not Notification.objects.filter(organization=world.organization, type="work_order.transitioned").exists()


def test_a_rescheduled_visit_is_mandatory_and_names_the_new_window(world, django_capture_on_commit_callbacks):
    visit = book(world, ready_work_order(world))
    relay_all()
    with django_capture_on_commit_callbacks(execute=True):
        planning.visit_reschedule(
            organization=world.organization,
            actor=world.coordinator,
            visit_id=visit.pk,
            day=visit.local_date + timedelta(days=1),
            start_time=visit.window_start.astimezone(timezone.get_current_timezone()).time().replace(hour=13),
            end_time=visit.window_start.time().replace(hour=15),
        )
    notice = Notification.objects.get(organization=world.organization, type="visit.rescheduled")
    assert notice.mandatory and "13:00–15:00" in notice.body and notice.user == world.technician.user
    # the work order's own "rescheduled" event (it follows the visit) told nobody: one notice for one change
    assert not Notification.objects.filter(organization=world.organization, type__startswith="work_order.").exists()


def test_a_qa_rejection_sends_one_e_mail_with_the_defects(world, django_capture_on_commit_callbacks):
    # given submitted work
    work_order = submitted_work_order(world)
    relay_all()
    mail.outbox.clear()
    # when QA rejects it (no return visit booked in the same call)
    with django_capture_on_commit_callbacks(execute=True):
        reject(world, work_order)
    # then the technician got one e-mail (the move to rework adds none), with the defect
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == f"QA rejected: {work_order.number} at {work_order.site.code}"
    assert message.to == [world.technician.user.email] and "photo-missing" in message.body
    assert Notification.objects.get(organization=world.organization, type="qa_review.rejected").link.endswith(
        f"/packets/work-orders/{work_order.pk}/"
    )


def test_submitted_work_tells_the_coordinators_and_pms(world, tenant):
    submitted_work_order(world)
    relay_all()
    told = set(
        Notification.objects.filter(organization=world.organization, type="work_order.submitted").values_list(
            "user_id", flat=True
        )
    )
    assert told == {tenant.members[Role.COORDINATOR].user.pk, tenant.members[Role.PM].user.pk}
    link = Notification.objects.filter(organization=world.organization, type="work_order.submitted").first().link
    assert "/work-orders/" in link and "/field/" not in link


def test_assigning_work_tells_the_technician_and_moving_it_is_mandatory(tenant):
    # given a ready work order and a technician with an account (no visit: planned from the work order page)
    from tests.workorders.builders.work_orders import VISIT_DAY, build_world, local, prepared
    from workorders.services import work_order_assign

    world = build_world(tenant)
    technician = world["technician"]
    technician.user = tenant.members[Role.TECHNICIAN].user
    technician.save(update_fields=["user"])
    work_order = prepared(world, "ready")
    pm = Access(organization=tenant.organization, role=Role.PM, user=tenant.members[Role.PM].user)
    plan = {"organization": tenant.organization, "actor": pm, "work_order_id": work_order.pk}
    # when it is scheduled for them, then moved to the afternoon
    work_order_assign(
        **plan, technician_id=technician.pk, planned_start=local(VISIT_DAY, 9), planned_end=local(VISIT_DAY, 11),
        schedule=True,
    )  # fmt: skip
    work_order_assign(
        **plan, technician_id=technician.pk, planned_start=local(VISIT_DAY, 13), planned_end=local(VISIT_DAY, 15)
    )
    relay_all()
    # then they heard of the new work, then of the move (mandatory), and of nothing else
    notices = list(Notification.objects.filter(organization=tenant.organization, user=technician.user).order_by("id"))
    assert [(n.type, n.mandatory) for n in notices] == [
        ("work_order.assigned", False),
        ("work_order.rescheduled", True),
    ]
    assert "13:00–15:00" in notices[1].body


def test_a_technician_without_an_account_yet_is_e_mailed_once(tenant, django_capture_on_commit_callbacks):
    # given a scheduled work order whose technician has not signed up yet (no account: no inbox)
    from tests.workorders.builders.work_orders import build_world, prepared
    from workorders.services import work_order_transition

    world = build_world(tenant)
    technician = world["technician"]
    assert technician.user_id is None
    work_order = prepared(world, "scheduled")
    pm = Access(organization=tenant.organization, role=Role.PM, user=tenant.members[Role.PM].user)
    # when it is dispatched, and the event relayed again
    with django_capture_on_commit_callbacks(execute=True):
        work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="dispatched"
        )
    event = Event.objects.get(
        organization=tenant.organization, type="work_order.transitioned", data__to_status="dispatched"
    )
    assert event.recipients == [f"mailto:{technician.email}"]
    event_relay(event.pk)
    # then their address got one e-mail, with the local window, and nobody's inbox has it
    assert [m.to for m in mail.outbox] == [[technician.email]]
    assert "09:00–13:00 (America/Chicago)" in mail.outbox[0].body and mail.outbox[0].body.startswith("Hello,")
    notice = Notification.objects.get(event=event)
    assert (notice.user, notice.email_to, notice.in_app) == (None, technician.email, False)


def test_escalation_notices_read_as_sentences_and_link_to_the_escalation(tenant):
    # the escalations app's types: a sentence from the payload, the escalation's page for staff, none for technicians,
    # and for client viewers only what the policy shows them
    catalogue = {spec.name: spec for spec in event_types()}
    names = [name for name in catalogue if name.startswith("escalation.")]
    assert len(names) == 5
    for name in names:
        spec = catalogue[name]
        sentence = spec.sentence(spec.example)
        assert spec.example["work_order_number"] in sentence and "{" not in sentence, name
        event = Event(organization=tenant.organization, type=name, subject_id=1, data=spec.example)
        assert spec.path(event, Role.COORDINATOR).endswith(f"/escalations/{spec.example['escalation_id']}/")
        assert spec.path(event, Role.TECHNICIAN) == ""
        assert spec.path(event, Role.CLIENT) == ""  # the example is not client-visible
        shown = Event(organization=tenant.organization, type=name, data={**spec.example, "client_visible": True})
        assert spec.path(shown, Role.CLIENT).endswith(f"/escalations/{spec.example['escalation_id']}/")
