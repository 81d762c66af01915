"""Reads of the notifications app: the caller's inbox, the bell's unread count, and their preferences over the
event catalogue. Everything is the caller's own (Notification.objects.visible_to: their user, this organization)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BooleanField, Case, Value, When

from notifications.choices import Channel, Digest, InboxOrder, ReadState
from notifications.models import Notification, NotificationPreference, NotificationSettings
from rollout.events import EventType, event_types
from rollout.tenancy import Access


def notification_list(*, access: Access, state: str = "", type: str = "", order: str = InboxOrder.UNREAD_FIRST):
    """The caller's inbox entries (not the e-mail-only ones), filtered by read state and event type; unread first
    (then newest) or newest first."""
    queryset = Notification.objects.visible_to(access).filter(in_app=True)
    if state == ReadState.UNREAD:
        queryset = queryset.filter(read_at__isnull=True)
    elif state == ReadState.READ:
        queryset = queryset.filter(read_at__isnull=False)
    if type:
        queryset = queryset.filter(type=type)
    if order == InboxOrder.NEWEST:
        return queryset.order_by("-created_at", "-id")
    unread = Case(When(read_at__isnull=True, then=Value(True)), default=Value(False), output_field=BooleanField())
    return queryset.annotate(unread=unread).order_by("-unread", "-created_at", "-id")


def notification_unread_count(*, organization_id: int, user_id: int) -> int:
    """The bell: one COUNT over the partial index of unread inbox entries."""
    return Notification.objects.filter(
        organization_id=organization_id, user_id=user_id, read_at__isnull=True, in_app=True
    ).count()


def notification_types_present(*, access: Access) -> list[str]:
    """The event types of the caller's inbox entries (the type filter's choices)."""
    return sorted(
        set(Notification.objects.visible_to(access).filter(in_app=True).values_list("type", flat=True).distinct())
    )


@dataclass(frozen=True)
class PreferenceRow:
    """One event type of the catalogue with the caller's channels (mandatory ones always on)."""

    event_type: EventType
    in_app: bool
    email: bool

    @property
    def mandatory(self) -> bool:
        return self.event_type.mandatory


def notification_preferences_get(*, access: Access) -> tuple[list[PreferenceRow], str]:
    """Every event type of the catalogue with the caller's choice per channel (default on), and their digest."""
    chosen = {(row.event_type, row.channel): row.enabled for row in NotificationPreference.objects.visible_to(access)}
    rows = [
        PreferenceRow(
            event_type=spec,
            in_app=spec.mandatory or chosen.get((spec.name, Channel.IN_APP), True),
            email=spec.mandatory or chosen.get((spec.name, Channel.EMAIL), True),
        )
        for spec in event_types()
        if spec.concerns(access.role)
    ]
    rows.sort(key=lambda row: (not row.mandatory, row.event_type.title))
    settings = NotificationSettings.objects.visible_to(access).first()
    return rows, settings.digest if settings else Digest.IMMEDIATE
