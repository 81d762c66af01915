"""Events: what happened in an organization, written in the same transaction as the change (an outbox), and relayed
after commit to the consumers that act on it (the in-app inbox and e-mail, webhooks).

How an app takes part (docs/architecture.md tells the whole story):

1. **Declare** each event type it emits, once, at import time of its services: `event_type_register(EventType(
   name="visit.checked_in", title=..., subject="visit", ...))`. The catalogue (`event_types()`) is what webhook
   endpoints subscribe to, what notification preferences list, and what the schema documents.
2. **Emit** inside the transaction of the change: `event_emit(organization=..., type="visit.checked_in",
   subject=visit, data={...}, actor=..., recipients=[user ids])`. Nothing is sent for a change that rolls back;
   a committed change's event is always relayed (on commit, and by the minute sweep if the broker was away).
3. **Consume**: a higher app registers `event_consumer_register(EventConsumer(key=..., handle=...))` in its
   `AppConfig.ready()`. `handle(event)` runs inside a transaction holding the event's row lock and must only write
   rows (enqueue side effects with `transaction.on_commit`); it runs once per event and consumer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import NoReverseMatch
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError

from rollout.errors import ApplicationError
from rollout.models import Event
from rollout.tenancy import Access, organization_id_of

logger = logging.getLogger(__name__)

# A relay that fails this many times stops being retried by the sweep (its error stays on the row).
RELAY_MAX_ATTEMPTS = 20
# The sweep leaves events younger than this to their on-commit relay.
RELAY_GRACE = timedelta(seconds=30)


class UnknownEventType(ApplicationError):
    code = "unknown_event_type"
    status_code = 400


@dataclass(frozen=True)
class EventType:
    """One entry of the event catalogue.

    `mandatory`: a notice its recipients cannot switch off (a changed packet, a cancelled visit).
    `example`: the `data` of a typical event, for the catalogue, the schema and "send test event".
    `describe(data)`: one sentence for people (an inbox entry, an e-mail), from the payload; without it the
    notice shows the title alone (or `data["summary"]`).
    `link(event, role)`: the path of the page a recipient with `role` opens for it (e.g. the technician's visit
    page, or the coordinator's), or None.
    `audience`: the roles whose members may be told (what their notification preferences list); None: any role,
    (): nobody (an event for webhooks only)."""

    name: str
    title: str
    subject: str
    description: str = ""
    version: int = 1
    mandatory: bool = False
    example: dict = field(default_factory=dict)
    audience: tuple[str, ...] | None = None
    describe: Callable[[dict], str] | None = field(default=None, compare=False, repr=False)
    link: Callable[[Event, str], str | None] | None = field(default=None, compare=False, repr=False)

    def sentence(self, data: dict) -> str:
        """The event in one sentence for people; never raises (a payload of an older version may lack a key)."""
        if self.describe is not None:
            try:
                return self.describe(data)
            except (KeyError, TypeError, ValueError):
                pass
        return str(data.get("summary") or "")

    def concerns(self, role: str) -> bool:
        """Whether a member with `role` may be told of this type."""
        return self.audience is None or role in self.audience

    def path(self, event: Event, role: str) -> str:
        """The page this event links to for a recipient with `role` ("" when none)."""
        if self.link is None:
            return ""
        try:
            return self.link(event, role) or ""
        except (KeyError, LookupError, ValueError, NoReverseMatch):  # a link is a convenience, never lose the notice
            logger.warning("event %s: no link", event.pk, exc_info=True)
            return ""


@dataclass(frozen=True)
class EventConsumer:
    key: str
    handle: Callable[[Event], None]


_TYPES: dict[str, EventType] = {}
_CONSUMERS: dict[str, EventConsumer] = {}


def event_type_register(event_type: EventType) -> EventType:
    _TYPES[event_type.name] = event_type
    return event_type


def event_types() -> list[EventType]:
    """The catalogue, by name."""
    return [_TYPES[name] for name in sorted(_TYPES)]


def event_type_get(name: str) -> EventType:
    try:
        return _TYPES[name]
    except KeyError:
        raise UnknownEventType(f"Unknown event type “{name}”.", field="type") from None


def event_consumer_register(consumer: EventConsumer) -> EventConsumer:
    _CONSUMERS[consumer.key] = consumer
    return consumer


def event_consumers() -> list[EventConsumer]:
    return list(_CONSUMERS.values())


def _actor(actor) -> tuple[object | None, str]:
    if actor is None:
        return None, "system"
    if isinstance(actor, Access):
        return actor.user, actor.actor_label
    return actor, getattr(actor, "email", str(actor))


def event_emit(
    *,
    organization,
    type: str,
    subject=None,
    subject_type: str | None = None,
    data: dict | None = None,
    actor=None,
    recipients=(),
) -> Event:
    """Write an event in the current transaction and relay it once the transaction commits.

    `subject` is the model instance it is about (or give `subject_type` and no subject for an
    organization-wide event); `recipients` are user ids (or users) who must hear of it, or, for a person without
    an account yet (a technician not signed up), `"mailto:<address>"` (e-mailed, no inbox)."""
    spec = event_type_get(type)
    user, label = _actor(actor)
    event = Event.objects.create(
        organization_id=organization_id_of(organization),
        type=spec.name,
        version=spec.version,
        subject_type=subject_type or spec.subject,
        subject_id=getattr(subject, "pk", None),
        data=data or {},
        actor_user=user,
        actor_label=label,
        recipients=sorted({getattr(r, "pk", r) for r in recipients if r is not None}, key=str),
    )
    transaction.on_commit(lambda: _enqueue_relay(event.pk))
    return event


def _enqueue_relay(event_id: int) -> None:
    from rollout.tasks import event_relay_task

    try:
        event_relay_task.delay(event_id=event_id)
    except (OSError, KombuOperationalError):  # the broker is away: the change is committed, the sweep relays the event
        logger.warning("event %s: relay not enqueued, the sweep will relay it", event_id, exc_info=True)


def event_relay(event_id: int) -> bool:
    """Hand one event to every consumer that has not handled it yet. Returns whether it is fully relayed.

    Each consumer runs in its own transaction under the event's row lock, which also marks it done: two relays
    of the same event (a redelivered task, the sweep) wait for each other and never hand it over twice."""
    for consumer in event_consumers():
        try:
            with transaction.atomic():
                event = Event.objects.select_for_update().filter(pk=event_id).first()
                if event is None or event.relayed_at is not None:
                    return event is not None
                if consumer.key in event.relayed_to:
                    continue
                consumer.handle(event)
                event.relayed_to = [*event.relayed_to, consumer.key]
                event.save(update_fields=["relayed_to"])
        except Exception as error:
            logger.exception("event %s: consumer %s failed", event_id, consumer.key)
            Event.objects.filter(pk=event_id).update(
                relay_attempts=F("relay_attempts") + 1, relay_error=f"{consumer.key}: {error}"[:2000]
            )
            return False
    return bool(Event.objects.filter(pk=event_id, relayed_at__isnull=True).update(relayed_at=timezone.now()))


def events_unrelayed(now: datetime | None = None):
    """Events whose relay is overdue (older than the grace, not given up on), oldest first."""
    now = now or timezone.now()
    return Event.objects.filter(
        relayed_at__isnull=True, occurred_at__lt=now - RELAY_GRACE, relay_attempts__lt=RELAY_MAX_ATTEMPTS
    ).order_by("occurred_at", "id")


def events_sweep(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Relay the overdue events (the on-commit relay did not happen: broker away, worker killed). Returns how
    many were fully relayed."""
    ids = list(events_unrelayed(now).values_list("id", flat=True)[:limit])
    return sum(1 for event_id in ids if event_relay(event_id))
