"""Writes of the notifications app: turning an event into notices (the event consumer), marking them read, the
preferences, and sending the e-mails (one notice, or a user's daily digest).

Rules:
- The consumer runs once per event (rollout.events holds the event's row lock and records the consumer in the same
  transaction) and writes one Notification per recipient at most (unique (event, user)); it writes rows only and
  enqueues the e-mails after commit. Recipients are the event's `recipients` who are active members of its
  organization; each gets the notice in the inbox and by e-mail unless they switched that channel off for the
  type — a mandatory type is always on, and its e-mail never waits for a digest. A `mailto:` recipient (a technician
  without an account yet) is e-mailed the notice, with no inbox entry.
- An e-mail is sent at most once per notice (rollout.notices.mail_once), with a text and an HTML body; a digest
  at most once per user, organization and day (the day in the organization's zone).
- Preferences refuse to switch off a mandatory type (`notification_mandatory`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from notifications.choices import Channel, Digest
from notifications.errors import MandatoryNotice, NoPerson, UnknownChannel
from notifications.models import Notification, NotificationPreference, NotificationSettings
from rollout.choices import Role
from rollout.errors import NotFound
from rollout.events import EventConsumer, UnknownEventType, event_type_get
from rollout.models import Event, Membership, Organization, User
from rollout.notices import mail_once
from rollout.tenancy import Access, organization_id_of

CONSUMER_KEY = "notifications"
MAILTO = "mailto:"
EMAIL_IMMEDIATE = "immediate"
EMAIL_DIGEST = "digest"
# The sweep e-mails a notice whose after-commit task never ran (broker away) once it is this old.
EMAIL_GRACE = timedelta(minutes=2)
DIGEST_MAX_ITEMS = 100
# The daily digest goes out from this hour of the organization's day (the beat asks every hour).
DIGEST_HOUR = 7


# --- From events --------------------------------------------------------------------------------------


def _enabled(preferences: dict, user_id: int, event_type: str, channel: str) -> bool:
    return preferences.get((user_id, event_type, channel), True)


def notifications_from_event(event: Event) -> list[int]:
    """The event consumer: one notice per recipient (see the module's rules). Returns the users notified.

    Runs inside the relay's transaction under the event's row lock: rows only, e-mails after commit."""
    try:
        spec = event_type_get(event.type)
    except UnknownEventType:  # a type no longer declared (an old event): nothing to say to people
        return []
    user_ids = [user_id for user_id in event.recipients if isinstance(user_id, int)]
    addresses = sorted({r[len(MAILTO) :] for r in event.recipients if isinstance(r, str) and r.startswith(MAILTO)})
    if not user_ids and not addresses:
        return []
    if addresses:
        _notify_addresses(event, spec, addresses)
    members = (
        dict(
            Membership.objects.for_organization(event.organization_id)
            .active()
            .filter(user_id__in=user_ids, user__is_active=True)
            .values_list("user_id", "role")
        )
        if user_ids
        else {}
    )
    notified = _notify_members(event, spec, members) if members else []
    immediate = list(
        Notification.objects.filter(event=event, email=EMAIL_IMMEDIATE, emailed_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    if immediate:
        organization_id = event.organization_id
        transaction.on_commit(lambda: _enqueue_emails(organization_id, immediate))
    return notified


def _notify_members(event: Event, spec, members: dict[int, str]) -> list[int]:
    """One notice per member (user id → role), as their preferences for this type say. Returns who got one."""
    preferences = {
        (row.user_id, row.event_type, row.channel): row.enabled
        for row in NotificationPreference.objects.for_organization(event.organization_id).filter(
            user_id__in=members, event_type=spec.name
        )
    }
    digest_users = set(
        NotificationSettings.objects.for_organization(event.organization_id)
        .filter(user_id__in=members, digest=Digest.DAILY)
        .values_list("user_id", flat=True)
    )
    emails = dict(User.objects.filter(pk__in=members).values_list("pk", "email"))
    body = spec.sentence(event.data)
    rows = []
    for user_id, role in members.items():
        in_app = spec.mandatory or _enabled(preferences, user_id, spec.name, Channel.IN_APP)
        by_email = bool(emails.get(user_id)) and (
            spec.mandatory or _enabled(preferences, user_id, spec.name, Channel.EMAIL)
        )
        if not in_app and not by_email:
            continue
        email = ""
        if by_email:
            email = EMAIL_DIGEST if user_id in digest_users and not spec.mandatory else EMAIL_IMMEDIATE
        rows.append(
            Notification(
                organization_id=event.organization_id,
                user_id=user_id,
                event=event,
                type=spec.name,
                title=spec.title[:200],
                body=body,
                link=spec.path(event, role)[:500],
                mandatory=spec.mandatory,
                in_app=in_app,
                email=email,
                created_at=event.occurred_at,
            )
        )
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return [row.user_id for row in rows]


def _notify_addresses(event: Event, spec, addresses: list[str]) -> None:
    """People without an account yet (a technician not signed up): the notice by e-mail only, whatever the type
    (they have no preferences), linking to the page they will open once signed up."""
    Notification.objects.bulk_create(
        [
            Notification(
                organization_id=event.organization_id,
                user=None,
                email_to=address[:254],
                event=event,
                type=spec.name,
                title=spec.title[:200],
                body=spec.sentence(event.data),
                link=spec.path(event, Role.TECHNICIAN)[:500],
                mandatory=spec.mandatory,
                in_app=False,
                email=EMAIL_IMMEDIATE,
                created_at=event.occurred_at,
            )
            for address in addresses
        ],
        ignore_conflicts=True,
    )


def _enqueue_emails(organization_id: int, notification_ids: list[int]) -> None:
    from notifications.tasks import notification_email_task

    for notification_id in notification_ids:
        try:
            notification_email_task.delay(organization_id=organization_id, notification_id=notification_id)
        except (OSError, KombuOperationalError):  # the broker is away: the e-mail sweep sends it
            return


notifications_consumer = EventConsumer(key=CONSUMER_KEY, handle=notifications_from_event)


# --- Reading --------------------------------------------------------------------------------------------


def notification_mark_read(*, organization, actor: Access, notification_id: int) -> Notification:
    """Mark one of the caller's own notices read (again: nothing changes). Another user's, or another
    organization's, is a 404."""
    notification = Notification.objects.visible_to(actor).filter(pk=notification_id).first()
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, organization, actor: Access) -> int:
    """Mark every unread notice of the caller in this organization read. Returns how many were unread."""
    return Notification.objects.visible_to(actor).unread().update(read_at=timezone.now())


# --- Preferences ----------------------------------------------------------------------------------------


@transaction.atomic
def notification_preferences_update(
    *, organization, actor: Access, changes: list[tuple[str, str, bool]], digest: str | None = None
) -> None:
    """Switch channels of event types on or off for the caller (`changes`: (event type, channel, enabled)), and
    set their e-mail rhythm (`digest`). Refused as a whole with `notification_mandatory` when a change would switch
    off a mandatory type, `unknown_event_type` / `unknown_channel` for names that do not exist."""
    user = actor.user
    if user is None:
        raise NoPerson()
    organization_id = organization_id_of(organization)
    for event_type, channel, enabled in changes:
        spec = event_type_get(event_type)
        if channel not in Channel.values:
            raise UnknownChannel(field="channel")
        if spec.mandatory and not enabled:
            raise MandatoryNotice(
                f"“{spec.title}” cannot be switched off: it tells you about a change to your own work.",
                field=event_type,
            )
    for event_type, channel, enabled in changes:
        NotificationPreference.objects.update_or_create(
            organization_id=organization_id,
            user=user,
            event_type=event_type,
            channel=channel,
            defaults={"enabled": enabled},
        )
    if digest is not None:
        if digest not in Digest.values:
            raise UnknownChannel("Digest must be immediate or daily.", code="invalid_choice", field="digest")
        NotificationSettings.objects.update_or_create(
            organization_id=organization_id, user=user, defaults={"digest": digest}
        )


# --- E-mail ---------------------------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return settings.TUTTI_BASE_URL.rstrip("/") + path if path else ""


def _subject(notification: Notification) -> str:
    data = notification.event.data
    if data.get("number") and data.get("site_code"):
        return f"{notification.title}: {data['number']} at {data['site_code']}"
    return notification.title


def notification_email_send(*, organization, notification_id: int) -> bool:
    """E-mail one notice (text and HTML), at most once; nothing for a notice already e-mailed, waiting for the
    digest, or whose user lost their e-mail address. Returns whether it was sent now."""
    notification = (
        Notification.objects.for_organization(organization)
        .select_related("user", "event", "organization")
        .filter(pk=notification_id, email=EMAIL_IMMEDIATE, emailed_at__isnull=True)
        .first()
    )
    if notification is None:
        return False
    if not notification.address:  # nowhere to send it: stop the sweep from asking again
        Notification.objects.filter(pk=notification.pk).update(email="")
        return False
    context = {
        "notification": notification,
        "user": notification.user,
        "name": notification.user.display_name if notification.user_id else "",
        "organization": notification.organization,
        "url": _absolute(notification.link),
        "preferences_url": _absolute(f"/o/{notification.organization.slug}/notifications/preferences/"),
    }
    sent = mail_once(
        f"notification:{notification.pk}:{notification.created_at.timestamp():.6f}",
        subject=_subject(notification),
        template="notifications/emails/notice.txt",
        html_template="notifications/emails/notice.html",
        context=context,
        to=notification.address,
    )
    Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return sent


def notifications_email_overdue(*, now: datetime | None = None, limit: int = 500) -> list[tuple[int, int]]:
    """(organization id, notice id) of immediate e-mails whose after-commit task never ran (broker away)."""
    now = now or timezone.now()
    return list(
        Notification.objects.filter(email=EMAIL_IMMEDIATE, emailed_at__isnull=True, created_at__lt=now - EMAIL_GRACE)
        .order_by("created_at")
        .values_list("organization_id", "pk")[:limit]
    )


def _local_day(organization: Organization, now: datetime) -> date:
    return now.astimezone(ZoneInfo(organization.timezone)).date()


def notification_digest_send(*, organization, user_id: int, now: datetime | None = None) -> int:
    """Send one user's daily digest of this organization's notices waiting for it, once per day (the day in the
    organization's zone): the settings row is locked, and its `last_digest_on` says whether today's went.
    Returns how many notices it listed (0: nothing sent)."""
    now = now or timezone.now()
    organization = Organization.objects.get(pk=organization_id_of(organization))
    today = _local_day(organization, now)
    if now.astimezone(ZoneInfo(organization.timezone)).hour < DIGEST_HOUR:
        return 0
    with transaction.atomic():
        prefs = (
            NotificationSettings.objects.for_organization(organization)
            .select_for_update(of=("self",))
            .select_related("user")
            .filter(user_id=user_id, digest=Digest.DAILY)
            .first()
        )
        if prefs is None or prefs.last_digest_on == today or not prefs.user.email:
            return 0
        waiting = list(
            Notification.objects.for_organization(organization)
            .filter(user_id=user_id, email=EMAIL_DIGEST, emailed_at__isnull=True, created_at__lte=now)
            .order_by("-created_at", "-id")[:DIGEST_MAX_ITEMS]
        )
        if not waiting:
            return 0
        context = {
            "user": prefs.user,
            "organization": organization,
            "notifications": [(n, _absolute(n.link)) for n in waiting],
            "day": today,
            "inbox_url": _absolute(f"/o/{organization.slug}/notifications/"),
            "preferences_url": _absolute(f"/o/{organization.slug}/notifications/preferences/"),
        }
        # Marked first, in the transaction: a crash after the send leaves the mail_once mark, so a rerun that
        # finds the rows unmarked still sends nothing twice.
        prefs.last_digest_on = today
        prefs.save(update_fields=["last_digest_on", "updated_at"])
        Notification.objects.filter(pk__in=[n.pk for n in waiting]).update(emailed_at=now)
        mail_once(
            f"digest:{organization.pk}:{user_id}:{today.isoformat()}",
            subject=f"Your Tutti digest for {today:%a %b %-d}: {len(waiting)} notice{'s' if len(waiting) != 1 else ''}",
            template="notifications/emails/digest.txt",
            html_template="notifications/emails/digest.html",
            context=context,
            to=prefs.user.email,
        )
    return len(waiting)


def notification_digests_due(*, now: datetime | None = None) -> list[tuple[int, int]]:
    """(organization id, user id) of the users who chose a daily digest and have notices waiting for it."""
    now = now or timezone.now()
    waiting = (
        Notification.objects.filter(email=EMAIL_DIGEST, emailed_at__isnull=True, created_at__lte=now)
        .order_by()
        .values_list("organization_id", "user_id")
        .distinct()
    )
    return sorted(set(waiting))
