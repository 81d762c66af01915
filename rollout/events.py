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
   `AppConfig.ready()`. `handle(event)` — or `handle_many(events)`, one set of statements for a batch — runs inside
   a transaction holding the events' row locks and must only write rows (enqueue side effects with
   `transaction.on_commit`); it runs once per event and consumer.

The relay works in batches: the events a transaction emits are relayed by one task after its commit, which locks
them (`FOR UPDATE SKIP LOCKED`: events another relay holds are its to finish), hands the batch to each consumer in
a savepoint, and marks them relayed in the same transaction. A consumer that fails on a batch takes its events one
by one, so one bad event holds back only itself (its error is recorded and the sweep retries it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
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
# Events one relay task takes at most (one transaction, one set of statements per consumer).
RELAY_BATCH = 500


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
    """A consumer of the outbox: `handle(event)`, or `handle_many(events)` when it can treat a batch at once."""

    key: str
    handle: Callable[[Event], None] | None = None
    handle_many: Callable[[list[Event]], object] | None = None

    def consume(self, batch: list[Event]) -> None:
        if self.handle_many is not None:
            self.handle_many(batch)
            return
        for event in batch:
            self.handle(event)


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
    events_relay_on_commit([event.pk])
    return event


# Ids of events emitted in this thread whose relay is not enqueued yet (see events_relay_on_commit).
_pending = threading.local()


@dataclass(eq=False)
class _PendingRelay:
    hooks: list  # the connection's on-commit list when these ids were registered: it names their transaction
    ids: list
    done: bool = False


def events_relay_on_commit(event_ids: Iterable[int]) -> None:
    """Relay these events once the current transaction commits, with the other events it emitted: the first of the
    transaction's callbacks to run enqueues its ids and those registered after it in the same transaction, in one
    task (RELAY_BATCH at most per task); the later callbacks find theirs done. Each callback runs if and only if its
    rows committed, so none is missed; ids registered in a savepoint that rolled back may ride along, and the relay
    finds no row for them. (Callbacks a caller never runs — a test that executes only some — hold back only their
    own ids.)"""
    pending = _pending.__dict__.setdefault("relays", [])
    relay = _PendingRelay(hooks=transaction.get_connection().run_on_commit, ids=list(event_ids))
    pending.append(relay)
    transaction.on_commit(lambda: _enqueue_pending(relay))


def _enqueue_pending(first: _PendingRelay) -> None:
    if first.done:
        return
    pending = _pending.__dict__.get("relays", [])
    start = next((n for n, relay in enumerate(pending) if relay is first), len(pending))
    group = [first, *(r for r in pending[start + 1 :] if r.hooks is first.hooks and not r.done)]
    for relay in group:
        relay.done = True
    # Keep only what the connection's current transaction may still run.
    current = transaction.get_connection().run_on_commit
    _pending.relays = [relay for relay in pending if not relay.done and relay.hooks is current]
    events_enqueue([event_id for relay in group for event_id in relay.ids])


def events_enqueue(event_ids: list[int]) -> None:
    """Enqueue the relay of these committed events (RELAY_BATCH per task)."""
    from rollout.tasks import event_relay_task

    for start in range(0, len(event_ids), RELAY_BATCH):
        chunk = event_ids[start : start + RELAY_BATCH]
        try:
            event_relay_task.delay(event_ids=chunk)
        except (OSError, KombuOperationalError):  # the broker is away: the changes are committed, the sweep relays
            logger.warning("events %s…: relay not enqueued, the sweep will relay them", chunk[:5], exc_info=True)
            return


def events_relay(event_ids: Iterable[int]) -> list[int]:
    """Hand a batch of events to every consumer that has not handled them yet. Returns the ids this call relayed
    fully.

    One transaction locks the events still to relay (`SKIP LOCKED`: an event another relay holds is left to it,
    never handed over twice), gives them to each consumer in a savepoint (one by one if the batch fails), and
    records who handled what with the events' moves: `relayed_to` and `relayed_at`, or, for an event a consumer
    failed on, the consumers that succeeded, `relay_attempts` and `relay_error` (the sweep tries it again)."""
    ids = sorted(set(event_ids))
    if not ids:
        return []
    with transaction.atomic():
        batch = list(
            Event.objects.select_for_update(skip_locked=True).filter(pk__in=ids, relayed_at__isnull=True).order_by("pk")
        )
        if not batch:
            return []
        errors: dict[int, str] = {}
        for consumer in event_consumers():
            _consume(consumer, [e for e in batch if consumer.key not in e.relayed_to], errors)
        now = timezone.now()
        relayed: dict[tuple[str, ...], list[int]] = {}
        for event in batch:
            if event.pk in errors:
                Event.objects.filter(pk=event.pk).update(
                    relayed_to=event.relayed_to, relay_attempts=F("relay_attempts") + 1, relay_error=errors[event.pk]
                )
            else:
                relayed.setdefault(tuple(event.relayed_to), []).append(event.pk)
        for keys, done in relayed.items():
            Event.objects.filter(pk__in=done).update(relayed_to=list(keys), relayed_at=now)
    return [pk for done in relayed.values() for pk in done]


def _consume(consumer: EventConsumer, batch: list[Event], errors: dict[int, str]) -> None:
    """Give `batch` to one consumer in a savepoint; if it fails, give each event alone, recording the failures."""
    batch = [event for event in batch if event.pk not in errors]
    if not batch:
        return
    try:
        with transaction.atomic():
            consumer.consume(batch)
    except Exception as error:
        if len(batch) > 1:
            for event in batch:
                _consume(consumer, [event], errors)
            return
        logger.exception("event %s: consumer %s failed", batch[0].pk, consumer.key)
        errors[batch[0].pk] = f"{consumer.key}: {error}"[:2000]
        return
    for event in batch:
        event.relayed_to = [*event.relayed_to, consumer.key]


def event_relay(event_id: int) -> bool:
    """Relay one event (`events_relay` of one). Returns whether it is fully relayed, by this call or before."""
    events_relay([event_id])
    return Event.objects.filter(pk=event_id, relayed_at__isnull=False).exists()


def events_unrelayed(now: datetime | None = None):
    """Events whose relay is overdue (older than the grace, not given up on), oldest first."""
    now = now or timezone.now()
    return Event.objects.filter(
        relayed_at__isnull=True, occurred_at__lt=now - RELAY_GRACE, relay_attempts__lt=RELAY_MAX_ATTEMPTS
    ).order_by("occurred_at", "id")


def events_sweep(*, now: datetime | None = None, limit: int = 5000) -> int:
    """Relay the overdue events (the on-commit relay did not happen: broker away, worker killed), RELAY_BATCH at a
    time. Returns how many were fully relayed."""
    ids = list(events_unrelayed(now).values_list("id", flat=True)[:limit])
    return sum(len(events_relay(ids[start : start + RELAY_BATCH])) for start in range(0, len(ids), RELAY_BATCH))
