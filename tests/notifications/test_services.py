"""The notification service: one notice per recipient from each event, preferences (mandatory ones locked), e-mail
once with text and HTML bodies whatever the relay does, the daily digest once a day, and nothing for a change that
rolled back."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction

from notifications import services
from notifications.models import Notification, NotificationSettings
from notifications.tasks import notification_email_task
from rollout import events
from rollout.choices import Role
from rollout.models import Event
from rollout.tenancy import Access
from tests.factories import MembershipFactory

PLAIN = "tests.notice_posted"
MUST = "tests.notice_required"

events.event_type_register(
    events.EventType(
        name=PLAIN,
        title="Something to know",
        subject="organization",
        describe=lambda d: f"Item {d['n']} changed.",
        link=lambda event, role: f"/o/{event.organization.slug}/things/{event.data['n']}/{role}/",
    )
)
events.event_type_register(events.EventType(name=MUST, title="Must know", subject="organization", mandatory=True))


def access(tenant, role: Role) -> Access:
    member = tenant.members[role]
    return Access(organization=tenant.organization, role=role, user=member.user, membership=member)


def emit(tenant, type=PLAIN, recipients=(), n=1) -> Event:
    return events.event_emit(organization=tenant.organization, type=type, data={"n": n}, recipients=recipients)


def users(tenant, *roles):
    return [tenant.members[role].user for role in roles]


def test_an_event_makes_one_notice_per_recipient_who_is_a_member(tenant, other_tenant):
    # given an event for the technician and the coordinator, one of them twice, plus someone of another organization
    technician, coordinator = users(tenant, Role.TECHNICIAN, Role.COORDINATOR)
    outsider = other_tenant.members[Role.PM].user
    event = emit(tenant, recipients=[technician, coordinator, technician.pk, outsider])

    # when it is relayed (twice: a redelivered task)
    assert events.event_relay(event.pk) is True
    assert events.event_relay(event.pk) is True

    # then each member got one notice, with the sentence and the link for their role; the outsider got none
    notices = {n.user_id: n for n in Notification.objects.filter(event=event)}
    assert sorted(notices) == sorted([technician.pk, coordinator.pk])
    notice = notices[technician.pk]
    assert (notice.title, notice.body, notice.type) == ("Something to know", "Item 1 changed.", PLAIN)
    assert notice.link == f"/o/{tenant.organization.slug}/things/1/technician/"
    assert notices[coordinator.pk].link.endswith("/coordinator/")
    assert notice.organization_id == tenant.organization.pk and notice.read_at is None


def test_an_inactive_member_is_not_told(tenant):
    technician = tenant.members[Role.TECHNICIAN]
    technician.is_active = False
    technician.save()
    event = emit(tenant, recipients=[technician.user])
    events.event_relay(event.pk)
    assert not Notification.objects.filter(organization=tenant.organization).exists()


def test_preferences_are_respected_per_channel(tenant, django_capture_on_commit_callbacks):
    # given the PM switched the type off in the app, the coordinator switched it off everywhere
    pm, coordinator, admin = users(tenant, Role.PM, Role.COORDINATOR, Role.ADMIN)
    services.notification_preferences_update(
        organization=tenant.organization, actor=access(tenant, Role.PM), changes=[(PLAIN, "in_app", False)]
    )
    services.notification_preferences_update(
        organization=tenant.organization,
        actor=access(tenant, Role.COORDINATOR),
        changes=[(PLAIN, "in_app", False), (PLAIN, "email", False)],
    )

    # when an event for the three is relayed
    with django_capture_on_commit_callbacks(execute=True):
        emit(tenant, recipients=[pm, coordinator, admin])

    # then the PM has an e-mail only, the coordinator nothing, the admin both
    rows = {n.user_id: (n.in_app, n.email) for n in Notification.objects.filter(organization=tenant.organization)}
    assert rows == {pm.pk: (False, "immediate"), admin.pk: (True, "immediate")}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([pm.email, admin.email])


def test_a_mandatory_notice_cannot_be_switched_off(tenant, django_capture_on_commit_callbacks):
    # when the technician tries to switch a mandatory type off
    technician = access(tenant, Role.TECHNICIAN)
    with pytest.raises(services.MandatoryNotice) as refused:
        services.notification_preferences_update(
            organization=tenant.organization,
            actor=technician,
            changes=[(PLAIN, "email", False), (MUST, "email", False)],
        )
    # then it is refused with a stable code, as a whole (the other change was not saved either)
    assert refused.value.code == "notification_mandatory"
    assert refused.value.field == MUST
    # and even a daily digest does not delay a mandatory notice: it arrives at once, in the app and by e-mail
    services.notification_preferences_update(
        organization=tenant.organization, actor=technician, changes=[], digest="daily"
    )
    with django_capture_on_commit_callbacks(execute=True):
        emit(tenant, type=MUST, recipients=[technician.user])
    notice = Notification.objects.get(organization=tenant.organization)
    assert (notice.in_app, notice.email, notice.mandatory) == (True, "immediate", True)
    assert len(mail.outbox) == 1


def test_unknown_names_are_refused(tenant):
    with pytest.raises(events.UnknownEventType):
        services.notification_preferences_update(
            organization=tenant.organization, actor=access(tenant, Role.PM), changes=[("tests.nothing", "email", False)]
        )
    with pytest.raises(services.UnknownChannel):
        services.notification_preferences_update(
            organization=tenant.organization, actor=access(tenant, Role.PM), changes=[(PLAIN, "sms", False)]
        )


def test_the_e_mail_is_sent_once_with_text_and_html_even_when_relayed_twice(tenant, django_capture_on_commit_callbacks):
    # given an event for the PM, relayed after commit
    pm = tenant.members[Role.PM].user
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = emit(tenant, recipients=[pm])

    # when it is relayed again and the e-mail task is delivered twice
    events.event_relay(event.pk)
    notice = Notification.objects.get(event=event)
    notification_email_task(organization_id=tenant.organization.pk, notification_id=notice.pk)
    notification_email_task(organization_id=tenant.organization.pk, notification_id=notice.pk)

    # then one e-mail went, with a text body and an HTML alternative, and the notice says so
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [pm.email] and message.subject == "Something to know"
    assert "Item 1 changed." in message.body and "/things/1/pm/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and "Item 1 changed." in html and "<a href=" in html
    notice.refresh_from_db()
    assert notice.emailed_at is not None


def test_the_sweep_finds_an_e_mail_whose_task_never_ran(tenant):
    # given a notice whose after-commit e-mail task never ran (the broker was away)
    event = emit(tenant, recipients=users(tenant, Role.PM))
    events.event_relay(event.pk)  # on_commit callbacks do not run here: no task was enqueued
    notice = Notification.objects.get(organization=tenant.organization)
    Notification.objects.filter(pk=notice.pk).update(created_at=notice.created_at - timedelta(minutes=5))
    # then the sweep lists it, and sending it twice sends one e-mail
    assert (tenant.organization.pk, notice.pk) in services.notifications_email_overdue()
    for _ in range(2):
        services.notification_email_send(organization=tenant.organization, notification_id=notice.pk)
    assert len(mail.outbox) == 1
    assert (tenant.organization.pk, notice.pk) not in services.notifications_email_overdue()


def test_the_daily_digest_goes_once_per_day(tenant, django_capture_on_commit_callbacks):
    # given the PM chose the daily digest, and two notices came in
    pm = access(tenant, Role.PM)
    services.notification_preferences_update(organization=tenant.organization, actor=pm, changes=[], digest="daily")
    with django_capture_on_commit_callbacks(execute=True):
        emit(tenant, recipients=[pm.user], n=1)
        emit(tenant, recipients=[pm.user], n=2)
    assert mail.outbox == []  # nothing at once
    zone = ZoneInfo(tenant.organization.timezone)
    morning = datetime(2030, 3, 4, 8, 0, tzinfo=zone)
    assert (tenant.organization.pk, pm.user.pk) in services.notification_digests_due(now=morning)

    # when the digest runs before the digest hour, then in the morning, then again the same day
    assert (
        services.notification_digest_send(
            organization=tenant.organization, user_id=pm.user.pk, now=morning - timedelta(hours=3)
        )
        == 0
    )
    assert services.notification_digest_send(organization=tenant.organization, user_id=pm.user.pk, now=morning) == 2
    emit_late = emit(tenant, recipients=[pm.user], n=3)
    events.event_relay(emit_late.pk)
    assert (
        services.notification_digest_send(
            organization=tenant.organization, user_id=pm.user.pk, now=morning + timedelta(hours=2)
        )
        == 0
    )

    # then one digest went that day, listing both, in text and HTML
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [pm.user.email] and "2 notices" in digest.subject
    assert "Item 1 changed." in digest.body and "Item 2 changed." in digest.body
    assert digest.alternatives[0][1] == "text/html"
    assert NotificationSettings.objects.get(user=pm.user).last_digest_on == morning.date()

    # and the next day the third one goes
    assert (
        services.notification_digest_send(
            organization=tenant.organization, user_id=pm.user.pk, now=morning + timedelta(days=1)
        )
        == 1
    )
    assert len(mail.outbox) == 2


def test_a_change_that_rolls_back_notifies_nobody(tenant, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        emit(tenant, recipients=users(tenant, Role.PM, Role.TECHNICIAN))
        1 / 0  # noqa: B018
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.filter(organization=tenant.organization).exists()


def test_mark_read_and_mark_all_read_touch_the_callers_own_notices_only(tenant, other_tenant):
    # given notices for the PM (two) and for the coordinator, and a PM notice in another organization
    pm = tenant.members[Role.PM].user
    for n in (1, 2):
        events.event_relay(emit(tenant, recipients=[pm, tenant.members[Role.COORDINATOR].user], n=n).pk)
    shared = MembershipFactory(organization=other_tenant.organization, role=Role.PM, user=pm)
    foreign = events.event_emit(organization=other_tenant.organization, type=PLAIN, data={"n": 9}, recipients=[pm])
    events.event_relay(foreign.pk)
    mine = list(Notification.objects.filter(user=pm, organization=tenant.organization))
    theirs = Notification.objects.get(user=tenant.members[Role.COORDINATOR].user, event=mine[0].event)
    elsewhere = Notification.objects.get(organization=other_tenant.organization)
    assert shared.user == pm

    # when the PM marks one read, then all
    services.notification_mark_read(
        organization=tenant.organization, actor=access(tenant, Role.PM), notification_id=mine[0].pk
    )
    with pytest.raises(services.NotFound):
        services.notification_mark_read(
            organization=tenant.organization, actor=access(tenant, Role.PM), notification_id=theirs.pk
        )
    with pytest.raises(services.NotFound):
        services.notification_mark_read(
            organization=tenant.organization, actor=access(tenant, Role.PM), notification_id=elsewhere.pk
        )
    assert services.notifications_mark_all_read(organization=tenant.organization, actor=access(tenant, Role.PM)) == 1

    # then only the PM's notices of this organization are read
    assert not Notification.objects.filter(user=pm, organization=tenant.organization, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.read_at is None and elsewhere.read_at is None
