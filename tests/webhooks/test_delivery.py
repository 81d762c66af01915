"""Webhook deliveries: one per subscribed endpoint and event, signed per Standard Webhooks (checked with the
standardwebhooks library's own verifier on what a local receiver got), retried on the schedule until dead, never
following a redirect, bounded in time, recovered by the sweep after a dead worker, never sent twice once succeeded;
endpoints that keep failing are disabled with an event for the admins."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from rollout.choices import Role
from rollout.models import Event
from tests.webhooks.builders import OTHER, THING, admin_access, emit, endpoint_for
from webhooks import services
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookAttempt, WebhookDelivery


def emit_committed(tenant, capture, **data) -> Event:
    """Emit an event as a service would and let its commit run: relay, consumer, sending (tasks run inline)."""
    with capture(execute=True), transaction.atomic():
        return emit(tenant, **data)


def send_due_again(delivery: WebhookDelivery):
    """Make the delivery's next attempt due now and send it (what the sweep does when its time comes)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk)


def test_a_delivery_is_signed_per_standard_webhooks_and_verifies_with_the_library(
    tenant, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint subscribed to the event type
    endpoint = endpoint_for(tenant, receiver.url)
    assert endpoint.secret.startswith("whsec_")

    # when an event of that type is committed
    event = emit_committed(tenant, django_capture_on_commit_callbacks, serial="SN-42")

    # then the receiver got one POST, which the library's own verifier accepts with the endpoint's secret
    assert len(receiver.received) == 1
    got = receiver.received[0]
    payload = Webhook(endpoint.secret).verify(got.body, got.headers)
    assert payload["type"] == THING.name and payload["version"] == 1
    assert payload["data"] == {"widget_id": 7, "serial": "SN-42"}
    assert got.headers["webhook-id"] == event.uid and got.path == "/hooks"
    assert got.headers["content-type"] == "application/json"
    # and a wrong secret does not verify
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(services.secret_generate()).verify(got.body, got.headers)
    # and the delivery and its attempt are recorded
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.last_latency_ms is not None
    attempt = delivery.attempt_rows.get()
    assert attempt.succeeded and attempt.address == "127.0.0.1" and attempt.request_headers["webhook-id"] == event.uid
    assert attempt.request_headers["webhook-signature"].endswith("…")  # the log never keeps a whole signature


def test_one_delivery_per_active_subscribed_endpoint(tenant, receiver, django_capture_on_commit_callbacks):
    # given endpoints subscribed to the type, to another type, to every type, and an inactive one
    subscribed = endpoint_for(tenant, receiver.url)
    endpoint_for(tenant, receiver.url, event_types=[OTHER.name])
    every = endpoint_for(tenant, receiver.url, event_types=[])
    endpoint_for(tenant, receiver.url, is_active=False)

    # when an event is committed and relayed, and the consumer runs again for it (a redelivered relay)
    event = emit_committed(tenant, django_capture_on_commit_callbacks)
    services.deliveries_record(event)

    # then the subscribed and the catch-all endpoints got one delivery each
    assert sorted(WebhookDelivery.objects.filter(event=event).values_list("endpoint_id", flat=True)) == sorted(
        [subscribed.pk, every.pk]
    )
    assert sorted(receiver.ids()) == [event.uid, event.uid]
    # and the database refuses a second delivery of one event to one endpoint
    with pytest.raises(IntegrityError), transaction.atomic():
        WebhookDelivery.objects.create(
            organization=tenant.organization, endpoint=subscribed, event=event, event_type=event.type
        )


def test_failures_are_retried_on_the_schedule_until_dead(tenant, receiver, django_capture_on_commit_callbacks):
    # given a receiver that answers 500
    receiver.status = 500
    endpoint = endpoint_for(tenant, receiver.url)

    # when the event is committed: attempt 1 fails at once
    event = emit_committed(tenant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)

    # then each failed attempt schedules the next after the spec's delay, until the eighth gives up
    delays = []
    for attempt in range(1, len(services.RETRY_SCHEDULE) + 1):
        delivery.refresh_from_db()
        assert delivery.attempts == attempt
        if attempt < len(services.RETRY_SCHEDULE):
            assert delivery.status == DeliveryStatus.FAILED
            delays.append(delivery.next_attempt_at - delivery.last_attempt_at)
            send_due_again(delivery)
    assert delivery.status == DeliveryStatus.DEAD and delivery.next_attempt_at is None
    expected = [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2)]
    expected += [timedelta(hours=5), timedelta(hours=10), timedelta(hours=10)]
    assert [round(d.total_seconds()) for d in delays] == [round(d.total_seconds()) for d in expected]
    assert sum(services.RETRY_SCHEDULE, timedelta()) > timedelta(hours=24)  # about a day
    # and every attempt carried the same webhook-id; the response excerpt is bounded
    assert receiver.ids() == [event.uid] * 8
    assert all(len(a.response_excerpt) <= 2048 for a in WebhookAttempt.objects.filter(delivery=delivery))
    assert delivery.last_error == "HTTP 500"
    # and a dead delivery is never sent again by a worker
    assert send_due_again(delivery) is None and len(receiver.received) == 8


def test_a_redirect_is_not_followed_and_counts_as_a_failure(tenant, receiver, django_capture_on_commit_callbacks):
    # given a receiver that redirects elsewhere (another receiver that must never be reached)
    receiver.status = 302
    receiver.location = "http://127.0.0.1:9/elsewhere"
    endpoint = endpoint_for(tenant, receiver.url)

    event = emit_committed(tenant, django_capture_on_commit_callbacks)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    attempt = delivery.attempt_rows.get()
    assert attempt.status_code == 302 and not attempt.succeeded
    assert attempt.error.startswith("redirect to http://127.0.0.1:9/elsewhere not followed")
    assert delivery.status == DeliveryStatus.FAILED and len(receiver.received) == 1


def test_a_slow_receiver_is_cut_off_by_the_timeout(tenant, receiver, settings, django_capture_on_commit_callbacks):
    # given a receiver that takes 3 s to answer, and a 0.5 s read timeout
    settings.TUTTI_WEBHOOKS_READ_TIMEOUT = 0.5
    receiver.delay = 3
    endpoint = endpoint_for(tenant, receiver.url)

    # when the event is delivered
    started = timezone.now()
    event = emit_committed(tenant, django_capture_on_commit_callbacks)
    took = timezone.now() - started

    # then the attempt gave up after the timeout, not after the receiver's 3 s
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint, delivery__event=event)
    assert attempt.error.startswith("timeout") and attempt.status_code is None
    assert attempt.latency_ms < 2000 and took < timedelta(seconds=2.5)


def test_a_manual_redelivery_sends_once_more_with_the_same_id(tenant, receiver, django_capture_on_commit_callbacks):
    # given a delivered event
    endpoint = endpoint_for(tenant, receiver.url)
    event = emit_committed(tenant, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)

    # when an admin redelivers it
    with django_capture_on_commit_callbacks(execute=True):
        services.webhook_delivery_redeliver(
            organization=tenant.organization, actor=admin_access(tenant), webhook_delivery_id=delivery.pk
        )

    # then the receiver got it again with the same webhook-id, signed again, and the log has a manual attempt
    assert receiver.ids() == [event.uid, event.uid]
    Webhook(endpoint.secret).verify(receiver.received[1].body, receiver.received[1].headers)
    assert receiver.received[0].body == receiver.received[1].body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SUCCEEDED and delivery.attempts == 2
    assert [a.manual for a in delivery.attempt_rows.all()] == [False, True]


def test_send_test_event_reaches_that_endpoint_only(tenant, receiver, django_capture_on_commit_callbacks):
    # given two endpoints, one of them catching every event type
    endpoint = endpoint_for(tenant, receiver.url)
    endpoint_for(tenant, receiver.url, event_types=[])

    # when a test event is sent to the first
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.webhook_endpoint_send_test(
            organization=tenant.organization, actor=admin_access(tenant), webhook_endpoint_id=endpoint.pk
        )

    # then only it received a `webhook.test` event
    assert len(receiver.received) == 1
    payload = Webhook(endpoint.secret).verify(receiver.received[0].body, receiver.received[0].headers)
    assert payload["type"] == "webhook.test" and payload["data"]["endpoint_id"] == endpoint.pk
    assert WebhookDelivery.objects.filter(event=delivery.event).count() == 1


def test_the_sweep_sends_what_a_dead_worker_held_and_never_resends_a_success(tenant, receiver):
    # given a delivery claimed by a worker that died mid-send (its lease expired), and one held by a live worker
    endpoint = endpoint_for(tenant, receiver.url)
    orphan, held = emit(tenant), emit(tenant)
    services.deliveries_record(orphan)  # the consumer, without the commit that would send them
    services.deliveries_record(held)
    past, future = timezone.now() - timedelta(minutes=5), timezone.now() + timedelta(seconds=60)
    WebhookDelivery.objects.filter(event=orphan).update(claim_token="dead", claimed_until=past, next_attempt_at=past)
    WebhookDelivery.objects.filter(event=held).update(claim_token="live", claimed_until=future, next_attempt_at=past)

    # when the sweep runs (tasks inline)
    assert services.deliveries_sweep() == 1

    # then the orphan was sent, the live one left to its worker
    assert receiver.ids() == [orphan.uid]
    assert WebhookDelivery.objects.get(event=orphan, endpoint=endpoint).status == DeliveryStatus.SUCCEEDED
    assert WebhookDelivery.objects.get(event=held, endpoint=endpoint).status == DeliveryStatus.PENDING
    # and a second sweep, or the orphan's old task coming back, sends nothing again
    assert services.deliveries_sweep() == 0
    delivery = WebhookDelivery.objects.get(event=orphan, endpoint=endpoint)
    assert services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk) is None
    assert (
        services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk, token="dead") is None
    )
    assert receiver.ids() == [orphan.uid]


def test_a_redelivered_task_takes_its_own_claim_back(tenant, receiver):
    # given a delivery whose worker claimed it (token t1) and died before sending
    endpoint_for(tenant, receiver.url)
    event = emit(tenant)
    services.deliveries_record(event)
    delivery = WebhookDelivery.objects.get(event=event)
    assert [
        d.pk
        for d in services.deliveries_claim(
            organization_id=delivery.organization_id, endpoint_id=delivery.endpoint_id, token="t1"
        )
    ] == [delivery.pk]
    # when another task comes for it while the lease runs, nothing happens; the same task (broker redelivery) sends
    assert services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk, token="t2") is None
    assert services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk, token="t1")
    assert receiver.ids() == [event.uid]


def test_an_endpoint_that_keeps_failing_is_disabled_and_the_admins_are_told(
    tenant, receiver, settings, django_capture_on_commit_callbacks
):
    # given an endpoint whose receiver answers 500, disabled after 2 dead deliveries in a row
    settings.TUTTI_WEBHOOKS_DISABLE_AFTER_DEAD = 2
    receiver.status = 500
    endpoint = endpoint_for(tenant, receiver.url)
    first = emit_committed(tenant, django_capture_on_commit_callbacks)
    second = emit_committed(tenant, django_capture_on_commit_callbacks)
    waiting = emit_committed(tenant, django_capture_on_commit_callbacks)

    # when the first two exhaust their attempts
    for event in (first, second):
        delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
        while delivery.status != DeliveryStatus.DEAD:
            send_due_again(delivery)
            delivery.refresh_from_db()

    # then the endpoint is disabled with the reason, its waiting delivery given up
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "2 deliveries in a row failed every attempt."
    assert WebhookDelivery.objects.get(endpoint=endpoint, event=waiting).status == DeliveryStatus.DEAD
    # and an event tells the organization's admins (the notifications consumer e-mails its recipients)
    notice = Event.objects.get(type="webhook_endpoint.disabled")
    assert notice.recipients == [tenant.members[Role.ADMIN].user.pk]
    assert notice.data["endpoint_id"] == endpoint.pk and notice.data["reason"] == endpoint.disabled_reason
    # and a success resets nothing any more: nothing is sent to a disabled endpoint
    sent = len(receiver.received)
    emit_committed(tenant, django_capture_on_commit_callbacks)
    assert len(receiver.received) == sent


def test_an_endpoint_failing_for_more_than_five_days_is_disabled(tenant, receiver, django_capture_on_commit_callbacks):
    # given an endpoint that has failed every delivery since six days ago
    receiver.status = 503
    endpoint = endpoint_for(tenant, receiver.url)
    type(endpoint).objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(days=6))

    # when one more attempt fails
    emit_committed(tenant, django_capture_on_commit_callbacks)

    # then it is disabled
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "more than 5 days" in endpoint.disabled_reason


def test_a_success_resets_the_failure_run(tenant, receiver, django_capture_on_commit_callbacks):
    endpoint = endpoint_for(tenant, receiver.url)
    type(endpoint).objects.filter(pk=endpoint.pk).update(consecutive_dead=3, failing_since=timezone.now())
    emit_committed(tenant, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.consecutive_dead == 0 and endpoint.failing_since is None and endpoint.last_success_at


def test_a_claim_outlives_the_send_tasks_time_limit(settings):
    from webhooks.tasks import webhook_deliveries_send_task as task

    assert services.lease().total_seconds() > task.time_limit
    assert task.time_limit <= settings.CELERY_TASK_TIME_LIMIT
    # and a batch stops starting requests in time to finish its last one (connect and read timeouts) within the
    # soft limit
    last_request = settings.TUTTI_WEBHOOKS_CONNECT_TIMEOUT + settings.TUTTI_WEBHOOKS_READ_TIMEOUT
    assert services.BATCH_SECONDS + last_request < task.soft_time_limit


def test_after_a_rotation_the_old_secret_verifies_for_the_overlap_only(
    tenant, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint whose secret was just rotated
    endpoint = endpoint_for(tenant, receiver.url)
    old = endpoint.secret
    rotated = services.webhook_endpoint_rotate_secret(
        organization=tenant.organization, actor=admin_access(tenant), webhook_endpoint_id=endpoint.pk
    )
    assert rotated.secret != old

    # when an event is delivered during the overlap: two signatures, each verifies with its secret
    emit_committed(tenant, django_capture_on_commit_callbacks)
    got = receiver.received[-1]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(rotated.secret).verify(got.body, got.headers)
    Webhook(old).verify(got.body, got.headers)

    # and after the overlap only the new secret signs
    type(endpoint).objects.filter(pk=endpoint.pk).update(previous_secret_until=timezone.now() - timedelta(seconds=1))
    emit_committed(tenant, django_capture_on_commit_callbacks)
    got = receiver.received[-1]
    Webhook(rotated.secret).verify(got.body, got.headers)
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(old).verify(got.body, got.headers)


def test_a_transactions_events_go_out_in_batches_on_one_connection_each(
    tenant, receiver, django_capture_on_commit_callbacks
):
    # given an endpoint, and more events committed at once than one batch takes
    endpoint = endpoint_for(tenant, receiver.url)
    count = services.BATCH_SIZE + 10
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events = [emit(tenant, n=n) for n in range(count)]

    # then every one was delivered once, signed, oldest first, in two batches of one kept-alive connection each
    assert receiver.ids() == [event.uid for event in events]
    assert len({item.client for item in receiver.received}) == 2
    for item in receiver.received:
        Webhook(endpoint.secret).verify(item.body, item.headers)
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert deliveries.filter(status=DeliveryStatus.SUCCEEDED, attempts=1, claim_token="").count() == count
    assert WebhookAttempt.objects.filter(delivery__endpoint=endpoint, succeeded=True, number=1).count() == count
    # and each delivery's last answer is its own attempt's
    attempt = WebhookAttempt.objects.filter(delivery__endpoint=endpoint).order_by("-id").first()
    delivery = attempt.delivery
    assert (delivery.last_attempt_at, delivery.last_status_code, delivery.last_latency_ms) == (
        attempt.started_at,
        attempt.status_code,
        attempt.latency_ms,
    )


def test_two_claims_of_one_endpoint_take_disjoint_batches_within_their_limit(tenant, receiver):
    # given five due deliveries of one endpoint
    endpoint = endpoint_for(tenant, receiver.url)
    services.deliveries_record_many([emit(tenant, n=n) for n in range(5)])

    # when two workers claim batches of at most two, and a third claims what is left
    claim = {"organization_id": tenant.organization.pk, "endpoint_id": endpoint.pk, "limit": 2}
    first = services.deliveries_claim(token="w1", **claim)
    second = services.deliveries_claim(token="w2", **claim)
    third = services.deliveries_claim(token="w3", **claim)

    # then each got its own rows, never more than the limit, and nothing is claimed twice
    assert [len(first), len(second), len(third)] == [2, 2, 1]
    assert len({d.pk for d in first + second + third}) == 5
    assert services.deliveries_claim(token="w4", **claim) == []
    # and a claim taken again by its own token (a redelivered task) is the same batch
    assert [d.pk for d in services.deliveries_claim(token="w1", **claim)] == [d.pk for d in first]


def test_a_batch_out_of_time_releases_the_rest_to_its_continuation(
    tenant, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    # given batches that may start no request after the first (their time is up at once)
    monkeypatch.setattr(services, "BATCH_SECONDS", 0)
    endpoint = endpoint_for(tenant, receiver.url)

    # when three events are committed
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        events = [emit(tenant, n=n) for n in range(3)]

    # then each batch sent one and released the others to the next (tasks inline): all delivered once, in order
    assert receiver.ids() == [event.uid for event in events]
    assert len({item.client for item in receiver.received}) == 3
    assert WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.SUCCEEDED).count() == 3
