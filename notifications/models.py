"""The notifications app's tables: one inbox entry per (event, user), and each user's preferences.

An entry is written by the event consumer (notifications.services.notifications_from_event) in the transaction
that marks the event relayed to it, so an event makes at most one entry per recipient whatever the relay does."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from notifications.choices import Channel, Digest
from rollout.tenancy import TenantModel, TenantQuerySet


class NotificationQuerySet(TenantQuerySet):
    def visible_to(self, access):
        """A user's own notices only, whatever their role (an API token without a user sees none)."""
        scoped = self.for_organization(access.organization)
        return scoped.filter(user_id=access.user.pk) if access.user is not None else scoped.none()

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(TenantModel):
    """One notice for one user about one event: the inbox entry (title, body, link), and its e-mail's state."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # A person without an account yet (a technician not signed up): e-mailed there, never in an inbox.
    email_to = models.EmailField(blank=True)
    event = models.ForeignKey("rollout.Event", on_delete=models.CASCADE, related_name="notifications")
    type = models.CharField(max_length=80, help_text="The event type (kept here for filtering without a join).")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True, help_text="The page it opens (a path), if any.")
    mandatory = models.BooleanField(default=False)
    in_app = models.BooleanField(default=True, help_text="Shown in the inbox (off: e-mail only).")
    # "immediate": sent on its own after commit; "digest": waiting for the user's daily digest; "" no e-mail.
    email = models.CharField(max_length=10, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="notification_once_per_event_and_user"),
            models.UniqueConstraint(
                fields=["event", "email_to"],
                condition=models.Q(user__isnull=True),
                name="notification_once_per_event_and_address",
            ),
        ]
        indexes = [
            # The bell (unread count) and the inbox: one user's entries in one organization.
            models.Index(
                fields=["organization", "user", "created_at"],
                condition=models.Q(read_at__isnull=True, in_app=True),
                name="notification_unread",
            ),
            models.Index(fields=["organization", "user", "-created_at"], name="notification_inbox"),
            models.Index(
                fields=["user", "created_at"], condition=models.Q(email="digest"), name="notification_digest_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} → {f'user {self.user_id}' if self.user_id else self.email_to}"

    @property
    def address(self) -> str:
        return self.user.email if self.user_id else self.email_to

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreferenceQuerySet(TenantQuerySet):
    def visible_to(self, access):
        scoped = self.for_organization(access.organization)
        return scoped.filter(user_id=access.user.pk) if access.user is not None else scoped.none()


class NotificationPreference(TenantModel):
    """A user's choice for one event type and channel in one organization. No row means on (the default);
    a mandatory type is always on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(max_length=80)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        ordering = ["event_type", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "event_type", "channel"], name="notification_preference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type}/{self.channel}: {'on' if self.enabled else 'off'}"


class NotificationSettings(TenantModel):
    """A user's e-mail rhythm in one organization (immediate or a daily digest) and the last digest sent."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=10, choices=Digest.choices, default=Digest.IMMEDIATE)
    last_digest_on = models.DateField(null=True, blank=True, help_text="The day (user's zone) of the last digest.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = NotificationPreferenceQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="notification_settings_unique"),
        ]

    def __str__(self) -> str:
        return f"user {self.user_id}: {self.digest}"
