"""The event outbox (rollout.events): an event is written with the change that causes it, relayed after commit to
each consumer exactly once, never for a change that rolled back, and recovered by the sweep when the on-commit
relay never ran."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from rollout import events
from rollout.models import Event, Heartbeat

TYPE = "tests.thing_happened"
HANDLED: list[tuple[str, int]] = []
FAIL_ONCE: set[str] = set()

events.event_type_register(events.EventType(name=TYPE, title="A thing happened", subject="organization"))


def _consumer(key: str):
    def handle(event: Event) -> None:
        # A consumer writes rows only; this one writes a row that would collide if it ran twice for one event.
        Heartbeat.objects.create(name=f"{key}-{event.uid}", seen_at=timezone.now())
        if key in FAIL_ONCE:
            FAIL_ONCE.discard(key)
            raise RuntimeError("receiver table locked")
        HANDLED.append((key, event.pk))

    return events.EventConsumer(key=key, handle=handle)


@pytest.fixture(autouse=True)
def consumers(monkeypatch):
    """Two consumers for these tests only (the apps' own are set aside)."""
    HANDLED.clear()
    FAIL_ONCE.clear()
    monkeypatch.setattr(events, "_CONSUMERS", {})
    events.event_consumer_register(_consumer("inbox"))
    events.event_consumer_register(_consumer("hooks"))


def emit(tenant, **kwargs) -> Event:
    return events.event_emit(organization=tenant.organization, type=TYPE, data={"n": 1}, **kwargs)


def test_an_event_is_relayed_to_each_consumer_once_after_commit(tenant, django_capture_on_commit_callbacks):
    # when a change emits an event and commits
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = emit(tenant, recipients=[tenant.members["pm"].user, tenant.members["pm"].user.pk, None])
        assert HANDLED == []  # nothing is relayed before commit

    # then each consumer handled it once, and the row says so
    event.refresh_from_db()
    assert sorted(HANDLED) == [("hooks", event.pk), ("inbox", event.pk)]
    assert event.relayed_at is not None and sorted(event.relayed_to) == ["hooks", "inbox"]
    assert event.recipients == [tenant.members["pm"].user.pk]
    assert event.uid.startswith("evt_") and event.actor_label == "system"

    # and relaying it again (a redelivered task, the sweep) hands it to nobody
    assert events.event_relay(event.pk) is True
    assert len(HANDLED) == 2


def test_a_change_that_rolls_back_sends_nothing(tenant, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        emit(tenant)
        1 / 0  # noqa: B018
    assert callbacks == [] and HANDLED == [] and not Event.objects.exists()


def test_a_failing_consumer_is_retried_without_repeating_the_others(tenant):
    event = emit(tenant)
    FAIL_ONCE.add("hooks")

    assert events.event_relay(event.pk) is False
    event.refresh_from_db()
    assert event.relayed_to == ["inbox"] and event.relayed_at is None
    assert event.relay_attempts == 1 and event.relay_error.startswith("hooks: receiver table locked")

    assert events.event_relay(event.pk) is True
    assert sorted(key for key, _ in HANDLED) == ["hooks", "inbox"]
    assert Heartbeat.objects.filter(name=f"inbox-{event.uid}").count() == 1


def test_the_sweep_relays_what_the_broker_never_got(tenant, other_tenant):
    # given events whose on-commit relay never ran (the broker was away), one recent, two overdue
    now = timezone.now()
    overdue = [emit(tenant), emit(other_tenant)]
    Event.objects.filter(pk__in=[e.pk for e in overdue]).update(occurred_at=now - timedelta(minutes=2))
    recent = emit(tenant)

    # when the sweep runs
    assert events.events_sweep(now=now) == 2

    # then the overdue ones were relayed once each; the recent one is left to its own relay
    assert sorted(pk for _, pk in HANDLED) == sorted([e.pk for e in overdue for _ in range(2)])
    assert Event.objects.get(pk=recent.pk).relayed_at is None
    assert events.events_sweep(now=now) == 0


def test_the_sweep_gives_up_on_an_event_that_always_fails(tenant):
    event = emit(tenant)
    Event.objects.filter(pk=event.pk).update(
        occurred_at=timezone.now() - timedelta(hours=1), relay_attempts=events.RELAY_MAX_ATTEMPTS
    )
    assert events.events_sweep() == 0 and HANDLED == []


def test_an_unknown_event_type_is_refused(tenant):
    with pytest.raises(events.UnknownEventType) as refused:
        events.event_emit(organization=tenant.organization, type="tests.nothing")
    assert refused.value.code == "unknown_event_type" and refused.value.field == "type"


def test_the_actor_is_recorded(tenant):
    user = tenant.members["pm"].user
    assert emit(tenant, actor=user).actor_label == user.email
    assert TYPE in [spec.name for spec in events.event_types()]


def test_a_transactions_events_are_relayed_together_and_a_bad_one_holds_back_only_itself(
    tenant, monkeypatch, django_capture_on_commit_callbacks
):
    # given a consumer that takes batches, and fails on any batch holding a "bad" event
    batches: list[list[int]] = []

    def handle_many(batch):
        batches.append([event.pk for event in batch])
        for event in batch:
            Heartbeat.objects.create(name=f"batch-{event.uid}", seen_at=timezone.now())
        if any(event.data.get("bad") for event in batch):
            raise RuntimeError("cannot take this one")

    monkeypatch.setattr(events, "_CONSUMERS", {})
    events.event_consumer_register(events.EventConsumer(key="batch", handle_many=handle_many))

    # when one transaction emits three events, the middle one bad
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emitted = [emit(tenant), events.event_emit(organization=tenant.organization, type=TYPE, data={"bad": 1})]
        emitted.append(emit(tenant))
    good, bad = [emitted[0].pk, emitted[2].pk], emitted[1].pk

    # then one relay handed the three over at once; the failed batch was rolled back and retried one by one
    assert batches[0] == sorted(e.pk for e in emitted)
    assert batches[1:] == [[good[0]], [bad], [good[1]]]
    assert set(Event.objects.filter(relayed_at__isnull=False).values_list("pk", flat=True)) == set(good)
    failed = Event.objects.get(pk=bad)
    assert failed.relayed_to == [] and failed.relay_attempts == 1 and "cannot take this one" in failed.relay_error
    assert Heartbeat.objects.filter(name__startswith="batch-").count() == 2  # the bad one's rows rolled back


@pytest.mark.django_db(transaction=True)
def test_an_event_another_relay_holds_is_left_to_it(tenant):
    import psycopg2

    from tests.workers import database_url

    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    # an event written without its on-commit relay (this test commits as it goes)
    event = Event.objects.create(organization=tenant.organization, type=TYPE, subject_type="organization")
    holder = psycopg2.connect(database_url())
    try:
        with holder.cursor() as cursor:  # another relay, in the middle of its transaction
            cursor.execute("SELECT id FROM rollout_event WHERE id = %s FOR UPDATE", [event.pk])
        # a second relay neither waits for it nor hands the event over
        assert events.events_relay([event.pk]) == [] and HANDLED == []
    finally:
        holder.rollback()
        holder.close()
    # once the holder is gone (its worker died: nothing was committed), the next relay hands it over once
    assert events.events_relay([event.pk]) == [event.pk]
    assert sorted(key for key, _ in HANDLED) == ["hooks", "inbox"]
