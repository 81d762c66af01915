"""With a real Celery worker on the broker: a cancelled visit's event is relayed after commit by the worker, which
writes the technician's notice and e-mails it once — and a second relay and a second e-mail task send nothing more."""

import time

import pytest

from notifications.models import Notification
from notifications.tasks import notification_email_task
from rollout.models import Event
from rollout.tasks import event_relay_task
from tests.workers import Workers, wait_for
from tests.workorders.builders.visits import book, build_field_world, ready_work_order
from workorders.visits.services import planning

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def cancellations(mail_dir) -> list[str]:
    if not mail_dir.exists():
        return []
    texts = [path.read_text() for path in mail_dir.iterdir() if path.stat().st_size]
    return [text for text in texts if "Subject: Visit cancelled" in text]


def test_a_real_worker_relays_a_cancelled_visit_and_e_mails_the_technician_once(tenant, tmp_path):
    with Workers(tmp_path) as workers:
        workers.start()
        mail_dir = tmp_path / "mail"
        # given a booked visit
        world = build_field_world(tenant)
        visit = book(world, ready_work_order(world))
        # when the coordinator cancels it (the relay is enqueued when the transaction commits)
        planning.visit_cancel(
            organization=world.organization, actor=world.coordinator, visit_id=visit.pk, reason="Store closed"
        )
        # then the worker relays the event and e-mails the technician
        assert wait_for(lambda: len(cancellations(mail_dir)) == 1), "see var/last-worker-test.log"
        event = Event.objects.get(type="visit.cancelled", subject_id=visit.pk)
        notice = Notification.objects.get(event=event)
        assert notice.user == world.technician.user and notice.emailed_at is not None
        assert world.technician.user.email in cancellations(mail_dir)[0]
        # when the relay and the e-mail task are delivered again
        event_relay_task.delay(event_id=event.pk)
        notification_email_task.delay(organization_id=tenant.organization.pk, notification_id=notice.pk)
        # then nothing more is sent (the tasks ran: the queue drained)
        assert wait_for(lambda: Event.objects.filter(pk=event.pk, relayed_at__isnull=False).exists())
        time.sleep(3)
        assert len(cancellations(mail_dir)) == 1
        assert Notification.objects.filter(event=event).count() == 1
