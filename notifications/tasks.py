"""Background work of the notifications app: one notice's e-mail, the sweep of e-mails whose task never ran, and
the daily digests. Tasks take ids, are idempotent (rollout.notices.mail_once) and bounded in time."""

from __future__ import annotations

from celery import shared_task

from rollout.notices import MAIL_TASK_OPTIONS


@shared_task(name="notifications.notification_email", **MAIL_TASK_OPTIONS)
def notification_email_task(*, organization_id: int, notification_id: int) -> None:
    """E-mail one notice (text and HTML) at most once; a second delivery sends nothing."""
    from notifications.services import notification_email_send

    notification_email_send(organization=organization_id, notification_id=notification_id)


@shared_task(name="notifications.notifications_email_sweep", acks_late=True, soft_time_limit=60, time_limit=120)
def notifications_email_sweep_task() -> int:
    """Enqueue the notices' e-mails whose after-commit task never ran (the broker was away)."""
    from notifications.services import notifications_email_overdue

    overdue = notifications_email_overdue()
    for organization_id, notification_id in overdue:
        notification_email_task.delay(organization_id=organization_id, notification_id=notification_id)
    return len(overdue)


@shared_task(name="notifications.notification_digests", acks_late=True, soft_time_limit=60, time_limit=120)
def notification_digests_task() -> int:
    """Fan out one digest task per (organization, user) with notices waiting for their daily digest (hourly beat
    entry; each user's is sent once a day, from DIGEST_HOUR in the organization's zone)."""
    from notifications.services import notification_digests_due

    due = notification_digests_due()
    for organization_id, user_id in due:
        notification_digest_task.delay(organization_id=organization_id, user_id=user_id)
    return len(due)


@shared_task(name="notifications.notification_digest", **MAIL_TASK_OPTIONS)
def notification_digest_task(*, organization_id: int, user_id: int) -> int:
    """Send one user's digest of one organization, once per day."""
    from notifications.services import notification_digest_send

    return notification_digest_send(organization=organization_id, user_id=user_id)
