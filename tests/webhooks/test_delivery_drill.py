"""Fault drill with real workers on the configured broker (Redis in CI): SIGKILL the whole worker in the middle of
a run of 200 webhook deliveries to a local receiver, start a new worker with the minute sweeps → every delivery
succeeded, the receiver saw every webhook-id at least once, and any duplicate carried the same id and body."""

import time
from collections import Counter

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from rollout.tasks import events_sweep_task
from tests.webhooks.builders import THING, Receiver, emit, endpoint_for
from tests.workers import Workers, wait_for
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery
from webhooks.tasks import deliveries_sweep_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELIVERIES = 200


def test_killing_the_worker_mid_delivery_run_loses_nothing(tenant, tmp_path):
    receiver = Receiver(delay=0.03)  # a receiver that takes a little time, so the kill lands mid-run
    endpoint = endpoint_for(tenant, receiver.url, event_types=[THING.name])
    env = {
        "TUTTI_WEBHOOKS_ALLOW_LOOPBACK": "1",
        "TUTTI_WEBHOOKS_ALLOW_HTTP": "1",
        # A short lease, so the drill need not wait the production 90 s for the dead worker's claims.
        "TUTTI_WEBHOOKS_LEASE_SECONDS": "10",
    }
    try:
        with Workers(tmp_path, **env) as workers:
            first = workers.start(pool="prefork", concurrency=2)

            # when 200 events are committed (relayed by the worker, one delivery each)
            with transaction.atomic():
                events = [emit(tenant, serial=f"SN-{n:04d}") for n in range(DELIVERIES)]
            uids = {event.uid for event in events}

            # and the whole worker is SIGKILLed mid-run
            assert wait_for(lambda: len(receiver.received) >= 40, timeout=180), "the worker did not start; see log"
            first.kill()
            killed_at = len(receiver.received)
            succeeded_at_kill = WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).count()
            assert succeeded_at_kill < DELIVERIES, "the drill came too late: every delivery had succeeded"
            killed = time.monotonic()

            # then a new worker and the minute sweeps (events, deliveries) finish the run
            workers.start(pool="prefork", concurrency=2)

            def finished() -> bool:
                events_sweep_task.delay()
                deliveries_sweep_task.delay()
                done = WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED).count()
                return done == DELIVERIES

            assert wait_for(finished, timeout=300, interval=3), "not every delivery succeeded; see the worker log"
            recovered_in = time.monotonic() - killed
    finally:
        receiver.close()

    # every event delivered once as a row, received at least once; duplicates only with the same id and body
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == DELIVERIES
    received = Counter(receiver.ids())
    assert set(received) == uids
    bodies = {}
    for item in receiver.received:
        Webhook(endpoint.secret).verify(item.body, item.headers)
        assert bodies.setdefault(item.headers["webhook-id"], item.body) == item.body
    duplicates = sum(count - 1 for count in received.values())
    attempts = WebhookAttempt.objects.filter(delivery__endpoint=endpoint).count()
    print(
        f"\nwebhook drill: {DELIVERIES} deliveries; worker SIGKILLed after {killed_at} requests received "
        f"({succeeded_at_kill} recorded succeeded); recovered in {recovered_in:.0f} s; receiver got "
        f"{len(receiver.received)} requests for {len(received)} ids ({duplicates} duplicates, same id and body); "
        f"{attempts} attempt rows"
    )
