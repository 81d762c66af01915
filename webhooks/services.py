"""Webhook services: endpoints (create, update, delete, rotate the secret, send a test event), the event consumer
that records one delivery per subscribed endpoint, and the sending of deliveries in batches with their retry schedule.

Durability: deliveries are rows. A send task **claims** a batch of one endpoint's due deliveries with a lease
(`claim_token`, `claimed_until`: one conditional UPDATE), sends them outside any transaction on one pinned
keep-alive connection, then records the attempts in one transaction that moves only the deliveries whose claim it
still holds. A worker killed mid-batch leaves claimed rows whose lease expires; the minute sweep
(`deliveries_sweep`) re-enqueues every due delivery whose lease has expired. A succeeded delivery is never
claimable again, so a re-run never sends it twice; a receiver may still see an event twice (a worker killed after
the receiver answered and before the row was written), always with the same `webhook-id`.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from kombu.exceptions import OperationalError as KombuOperationalError
from standardwebhooks.webhooks import Webhook

from rollout import events
from rollout.audit import audit_record
from rollout.choices import Role
from rollout.events import EventType, event_emit, event_type_get, event_type_register
from rollout.models import Event, Membership
from rollout.tenancy import organization_id_of
from webhooks import transport
from webhooks.choices import SENDABLE, DeliveryStatus
from webhooks.errors import DeliveryInProgress, EndpointDisabled
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# The Standard Webhooks schedule: the delay before attempt 1, 2, … 8 (about 27 hours in all); then the delivery
# is dead.
RETRY_SCHEDULE = (
    timedelta(0),
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)


def lease() -> timedelta:
    """How long a claim lasts (TUTTI_WEBHOOKS_LEASE_SECONDS, 90 s): longer than the send task's hard time limit
    (60 s), so a live worker never loses its batch to another; a dead worker's claims are free again after it."""
    return timedelta(seconds=settings.TUTTI_WEBHOOKS_LEASE_SECONDS)


# Retries due sooner than this are enqueued with a countdown; later ones are left to the minute sweep (a long ETA on
# Redis would outlive the visibility timeout and come back twice).
COUNTDOWN_LIMIT = timedelta(seconds=60)
# The sweep leaves a fresh delivery this long to the task its commit enqueued.
SWEEP_GRACE = timedelta(seconds=20)
# A send task claims at most this many due deliveries of one endpoint; a full batch enqueues its continuation, and
# up to PARALLEL_BATCHES tasks per endpoint are enqueued at once (a slow receiver gets requests side by side).
BATCH_SIZE = 50
PARALLEL_BATCHES = 4
# A batch starts no new request after this long (the rest go back to the continuation): a batch lasts at most this
# plus one request's timeouts (5 s connect, 10 s read), within the send task's time limits and far within a lease.
BATCH_SECONDS = 20
# A batch records its attempts at least this often, so a worker killed mid-batch resends little.
RECORD_SECONDS = 0.25
BODY_EXCERPT = 2000

TEST_EVENT = event_type_register(
    EventType(
        name="webhook.test",
        title="Test event",
        subject="webhook_endpoint",
        description="Sent to one endpoint by “Send test event”, to check the receiver and its signature check.",
        example={
            "organization": "northwind",
            "endpoint_id": 12,
            "message": "This is a test event from Tutti.",
        },
    )
)
DISABLED_EVENT = event_type_register(
    EventType(
        name="webhook_endpoint.disabled",
        title="Webhook endpoint disabled",
        subject="webhook_endpoint",
        description=(
            "An endpoint was disabled after repeated failed deliveries; the organization's admins are told by e-mail."
        ),
        mandatory=True,
        example={
            "organization": "northwind",
            "endpoint_id": 12,
            "url": "https://hooks.example.com/tutti",
            "reason": "20 deliveries in a row failed every attempt.",
            "disabled_at": "2026-12-05T09:30:00+00:00",
        },
    )
)


# --- Endpoints ------------------------------------------------------------------------------------------------


def secret_generate() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def event_types_check(names) -> list[str]:
    """The chosen event types, each a catalogue name (400 `unknown_event_type` otherwise), without repeats."""
    chosen = []
    for name in names or []:
        try:
            event_type_get(name)
        except events.UnknownEventType:
            raise events.UnknownEventType(f"Unknown event type “{name}”.", field="event_types") from None
        if name not in chosen:
            chosen.append(name)
    return sorted(chosen)


def _endpoint_locked(organization, endpoint_id: int) -> WebhookEndpoint:
    return WebhookEndpoint.objects.for_organization(organization).select_for_update().get(pk=endpoint_id)


AUDITED = ["url", "description", "event_types", "is_active"]


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {name: getattr(endpoint, name) for name in AUDITED}


@transaction.atomic
def webhook_endpoint_create(
    *, organization, actor, url: str, event_types=(), description: str = "", is_active: bool = True
) -> WebhookEndpoint:
    """Add an endpoint. The URL passes the SSRF guard (400 `url_*`), the event types are the catalogue's (400
    `unknown_event_type`); a new secret is generated, shown once by the caller."""
    transport.url_check(url)
    endpoint = WebhookEndpoint.objects.create(
        organization_id=organization_id_of(organization),
        url=url.strip(),
        description=description,
        event_types=event_types_check(event_types),
        secret=secret_generate(),
        is_active=is_active,
        created_by=getattr(actor, "user", actor),
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="webhook_endpoint.created",
        target=endpoint,
        after=_snapshot(endpoint),
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(*, organization, actor, webhook_endpoint_id: int, **changes) -> WebhookEndpoint:
    """Change an endpoint's URL (checked again), description, event types or active flag. Enabling a disabled
    endpoint clears its failure counters; its dead deliveries stay dead (redeliver them one by one)."""
    endpoint = _endpoint_locked(organization, webhook_endpoint_id)
    before = _snapshot(endpoint)
    if "url" in changes:
        transport.url_check(changes["url"])
        endpoint.url = changes["url"].strip()
    if "event_types" in changes:
        endpoint.event_types = event_types_check(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "is_active" in changes and changes["is_active"] != endpoint.is_active:
        if changes["is_active"]:
            endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
            endpoint.consecutive_dead, endpoint.failing_since = 0, None
        else:
            _disable(endpoint, "Disabled by hand.")
    endpoint.save()
    after = _snapshot(endpoint)
    if after != before:
        audit_record(
            organization=organization,
            actor=actor,
            verb="webhook_endpoint.updated",
            target=endpoint,
            before=before,
            after=after,
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, organization, actor, webhook_endpoint_id: int) -> None:
    """Remove an endpoint with its delivery log."""
    endpoint = _endpoint_locked(organization, webhook_endpoint_id)
    audit_record(
        organization=organization,
        actor=actor,
        verb="webhook_endpoint.deleted",
        target=endpoint,
        before=_snapshot(endpoint),
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, organization, actor, webhook_endpoint_id: int) -> WebhookEndpoint:
    """Replace the signing secret (shown once). For TUTTI_WEBHOOKS_SECRET_OVERLAP_HOURS the old secret signs too,
    as a second signature in `webhook-signature`, so a receiver still holding it keeps verifying while it
    switches over."""
    endpoint = _endpoint_locked(organization, webhook_endpoint_id)
    now = timezone.now()
    endpoint.previous_secret, endpoint.secret = endpoint.secret, secret_generate()
    endpoint.previous_secret_until = now + timedelta(hours=settings.TUTTI_WEBHOOKS_SECRET_OVERLAP_HOURS)
    endpoint.secret_rotated_at = now
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_until", "secret_rotated_at", "updated_at"]
    )
    audit_record(organization=organization, actor=actor, verb="webhook_endpoint.secret_rotated", target=endpoint)
    return endpoint


@transaction.atomic
def webhook_endpoint_send_test(*, organization, actor, webhook_endpoint_id: int) -> WebhookDelivery:
    """Send a `webhook.test` event to this endpoint only (whatever it subscribes to). 409 `endpoint_disabled`."""
    endpoint = _endpoint_locked(organization, webhook_endpoint_id)
    if not endpoint.is_active:
        raise EndpointDisabled()
    event = event_emit(
        organization=organization,
        type=TEST_EVENT.name,
        subject=endpoint,
        data={
            "organization": endpoint.organization.slug,
            "endpoint_id": endpoint.pk,
            "message": "This is a test event from Tutti.",
        },
        actor=actor,
    )
    delivery = WebhookDelivery.objects.create(
        organization_id=endpoint.organization_id, endpoint=endpoint, event=event, event_type=event.type
    )
    _enqueue_on_commit(Counter({(endpoint.organization_id, endpoint.pk): 1}))
    return delivery


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Switch the endpoint off (the caller saves it) and give up its waiting deliveries."""
    now = timezone.now()
    endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = False, reason[:300], now
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=SENDABLE).update(
        status=DeliveryStatus.DEAD, next_attempt_at=None, last_error="endpoint disabled", claimed_until=None
    )


# --- The consumer: one delivery per subscribed endpoint ------------------------------------------------------


def deliveries_record_many(events: list[Event]) -> Counter:
    """The webhooks consumer of the event outbox, for a batch of events: record a delivery of each event for every
    active endpoint of its organization subscribed to its type (one SELECT, one INSERT: rows only, under the
    events' locks), and enqueue batch send tasks per endpoint after commit. A test event's one delivery is recorded
    by `webhook_endpoint_send_test` itself. Returns how many deliveries each (organization, endpoint) got."""
    events = [event for event in events if event.type != TEST_EVENT.name]
    if not events:
        return Counter()
    endpoints: dict[int, list[WebhookEndpoint]] = {}
    for endpoint in WebhookEndpoint.objects.filter(
        organization_id__in={event.organization_id for event in events}, is_active=True
    ).only("pk", "organization_id", "event_types"):
        endpoints.setdefault(endpoint.organization_id, []).append(endpoint)
    rows = [
        WebhookDelivery(
            organization_id=event.organization_id,
            endpoint_id=endpoint.pk,
            event_id=event.pk,
            event_type=event.type,
            next_attempt_at=event.occurred_at,
        )
        for event in events
        for endpoint in endpoints.get(event.organization_id, ())
        if endpoint.subscribes_to(event.type)
    ]
    # The (endpoint, event) constraint: never two deliveries of one event, whoever relays it again.
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    batches = Counter((row.organization_id, row.endpoint_id) for row in rows)
    _enqueue_on_commit(batches)
    return batches


def deliveries_record(event: Event) -> list[int]:
    """`deliveries_record_many` for one event. Returns the ids of its deliveries waiting for their first attempt."""
    deliveries_record_many([event])
    return list(
        WebhookDelivery.objects.for_organization(event.organization_id)
        .filter(event_id=event.pk, status=DeliveryStatus.PENDING, attempts=0)
        .values_list("pk", flat=True)
    )


def _enqueue_on_commit(batches: Counter, countdown: float | None = None) -> None:
    if batches:
        transaction.on_commit(lambda: deliveries_enqueue(batches, countdown=countdown))


def deliveries_enqueue(batches: Counter, *, countdown: float | None = None) -> None:
    """Enqueue send tasks for `batches` ((organization, endpoint) → deliveries waiting): one per BATCH_SIZE, at most
    PARALLEL_BATCHES per endpoint (a full batch enqueues its own continuation)."""
    from webhooks.tasks import webhook_deliveries_send_task

    try:
        for (organization_id, endpoint_id), count in batches.items():
            for _ in range(min(PARALLEL_BATCHES, max(1, -(-count // BATCH_SIZE)))):
                webhook_deliveries_send_task.apply_async(
                    kwargs={"organization_id": organization_id, "endpoint_id": endpoint_id}, countdown=countdown
                )
    except (OSError, KombuOperationalError):  # the broker is away: the rows are there, the sweep sends them
        logger.warning("webhook deliveries %s: not enqueued, the sweep will send them", dict(batches), exc_info=True)


# --- Sending ------------------------------------------------------------------------------------------------


def delivery_body(event: Event) -> bytes:
    """The request body, the same bytes on every attempt: the event's type, version, time and data."""
    payload = {
        "type": event.type,
        "version": event.version,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()


def delivery_headers(*, secrets: list[str], msg_id: str, body: bytes, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers, signed by the standardwebhooks library: one signature per secret, separated
    by spaces as the specification has it (a receiver accepts any one that verifies)."""
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(
            Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body) for secret in secrets
        ),
    }


def deliveries_claim(
    *,
    organization_id: int,
    endpoint_id: int,
    token: str,
    now: datetime | None = None,
    limit: int = BATCH_SIZE,
    delivery_ids=None,
) -> list[WebhookDelivery]:
    """Take the lease of up to `limit` due deliveries of one active endpoint, oldest first — and take back this
    token's own (a redelivered task carries the same token) — in one short transaction: the rows are read with
    their events and endpoint and locked (`SKIP LOCKED`: rows another worker is claiming at that moment are left
    to it, not waited for), then marked with one UPDATE that repeats every condition. Returns the claimed
    deliveries.

    (Not one UPDATE … WHERE id IN (SELECT … LIMIT … FOR UPDATE SKIP LOCKED): PostgreSQL may run that subquery once
    per row, each run skipping the rows the UPDATE already took, and claim past the limit.)"""
    now = now or timezone.now()
    mine = Q(claim_token=token)
    free = Q(next_attempt_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    claimable = WebhookDelivery.objects.for_organization(organization_id).filter(
        mine | free, endpoint_id=endpoint_id, endpoint__is_active=True, status__in=SENDABLE
    )
    if delivery_ids is not None:
        claimable = claimable.filter(pk__in=delivery_ids)
    until = now + lease()
    with transaction.atomic():
        chosen = list(
            claimable.select_related("event", "endpoint")
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "pk")[:limit]
        )
        if chosen:
            claimable.filter(pk__in=[delivery.pk for delivery in chosen]).update(claim_token=token, claimed_until=until)
    for delivery in chosen:  # locked since they were read: every one of them is ours now
        delivery.claim_token, delivery.claimed_until = token, until
    return chosen


@dataclass
class Sent:
    """One request of a batch, waiting to be recorded."""

    delivery: WebhookDelivery
    started: datetime
    headers: dict
    body: bytes
    answer: transport.Answer


def deliveries_send(
    *, organization_id: int, endpoint_id: int, token: str | None = None, delivery_ids=None
) -> list[WebhookAttempt]:
    """Send a batch of one endpoint's due deliveries, each once: claim them (`deliveries_claim`), check the URL and
    pin its address once (`transport.Sender`), POST each on one keep-alive connection, and record the attempts
    with the deliveries' moves (`deliveries_record_attempts`, at least every RECORD_SECONDS). The batch starts no
    request after BATCH_SECONDS: the rest are released. A full or cut-short batch enqueues its continuation (unless
    `delivery_ids` restricts it). Returns the attempts; none when nothing was this caller's to send (done, not due,
    claimed by a live worker, or the endpoint inactive)."""
    token = token or uuid.uuid4().hex
    deliveries = deliveries_claim(
        organization_id=organization_id, endpoint_id=endpoint_id, token=token, delivery_ids=delivery_ids
    )
    if not deliveries:
        return []
    endpoint = deliveries[0].endpoint  # one instance for the batch: its counters move as the batch is recorded
    attempts: list[WebhookAttempt] = []
    sent: list[Sent] = []
    began = recorded = time.monotonic()
    more = len(deliveries) >= BATCH_SIZE
    with transport.Sender(endpoint.url) as sender:
        for index, delivery in enumerate(deliveries):
            if index and time.monotonic() - began > BATCH_SECONDS:  # at least one request per batch
                WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries[index:]], claim_token=token).update(
                    claim_token="", claimed_until=None
                )
                more = True
                break
            body = delivery_body(delivery.event)
            started = timezone.now()
            secrets_now = endpoint.signing_secrets(started)
            headers = delivery_headers(secrets=secrets_now, msg_id=delivery.event.uid, body=body, at=started)
            sent.append(Sent(delivery, started, headers, body, sender.post(body, headers)))
            if time.monotonic() - recorded >= RECORD_SECONDS:
                attempts += deliveries_record_attempts(endpoint=endpoint, token=token, sent=sent)
                sent, recorded = [], time.monotonic()
                if not endpoint.is_active:  # disabled by these failures: its waiting deliveries were given up
                    more = False
                    break
    attempts += deliveries_record_attempts(endpoint=endpoint, token=token, sent=sent)
    if more and endpoint.is_active and delivery_ids is None:
        deliveries_enqueue(Counter({(organization_id, endpoint.pk): 1}))
    return attempts


def delivery_send(*, organization_id: int, delivery_id: int, token: str | None = None) -> WebhookAttempt | None:
    """Send one due delivery once (`deliveries_send` restricted to it). Returns the attempt, or None when the
    delivery was not this caller's to send."""
    endpoint_id = (
        WebhookDelivery.objects.for_organization(organization_id)
        .filter(pk=delivery_id)
        .values_list("endpoint_id", flat=True)
        .first()
    )
    if endpoint_id is None:
        return None
    attempts = deliveries_send(
        organization_id=organization_id, endpoint_id=endpoint_id, token=token, delivery_ids=[delivery_id]
    )
    return attempts[0] if attempts else None


@transaction.atomic
def deliveries_record_attempts(*, endpoint: WebhookEndpoint, token: str, sent: list[Sent]) -> list[WebhookAttempt]:
    """Write the attempts of (part of) a batch and move their deliveries on — succeeded, retry scheduled, or dead —
    in one transaction: one INSERT of the attempts; the deliveries still claimed by `token` and still sendable
    locked; then one UPDATE per outcome (usually one), which copies each delivery's `last_*` from its new attempt
    row. A delivery whose lease ran out and was taken over, or whose endpoint was disabled, keeps its attempt in the
    log and is left to its new owner. The endpoint's counters move with them."""
    if not sent:
        return []
    now = timezone.now()
    attempts = WebhookAttempt.objects.bulk_create(
        [
            WebhookAttempt(
                organization_id=item.delivery.organization_id,
                delivery_id=item.delivery.pk,
                number=item.delivery.attempts + 1,  # we hold the claim: nobody else moved `attempts`
                manual=not item.delivery.auto_retry,
                started_at=item.started,
                url=endpoint.url,
                address=item.answer.address,
                request_headers=_shown(item.headers),
                request_body_excerpt=item.body[:BODY_EXCERPT].decode("utf-8", errors="replace"),
                status_code=item.answer.status_code,
                response_excerpt=item.answer.excerpt,
                latency_ms=item.answer.latency_ms,
                error=item.answer.error,
                succeeded=item.answer.succeeded,
            )
            for item in sent
        ]
    )
    ours = set(
        WebhookDelivery.objects.select_for_update()
        .filter(pk__in=[item.delivery.pk for item in sent], claim_token=token, status__in=SENDABLE)
        .values_list("pk", flat=True)
    )
    moves: dict[tuple, list[int]] = {}
    outcomes, retry_in = [], None
    for item in sent:
        delivery, answer = item.delivery, item.answer
        if delivery.pk not in ours:
            continue
        number = delivery.attempts + 1
        if answer.succeeded:
            move = (DeliveryStatus.SUCCEEDED, None, now)
        elif delivery.auto_retry and number < len(RETRY_SCHEDULE):
            delay = RETRY_SCHEDULE[number]
            move = (DeliveryStatus.FAILED, now + delay, None)
            retry_in = delay if retry_in is None else min(retry_in, delay)
        else:
            move = (DeliveryStatus.DEAD, None, None)
        moves.setdefault(move, []).append(delivery.pk)
        outcomes.append((answer.succeeded, move[0] == DeliveryStatus.DEAD))
    latest = WebhookAttempt.objects.filter(pk__in=[a.pk for a in attempts], delivery_id=OuterRef("pk"))

    def last(field: str):
        return Subquery(latest.values(field)[:1])

    for (status, next_attempt_at, succeeded_at), ids in moves.items():
        WebhookDelivery.objects.filter(pk__in=ids).update(
            status=status,
            attempts=F("attempts") + 1,
            next_attempt_at=next_attempt_at,
            succeeded_at=succeeded_at,
            last_attempt_at=last("started_at"),
            last_status_code=last("status_code"),
            last_response_excerpt=last("response_excerpt"),
            last_latency_ms=last("latency_ms"),
            last_error=last("error"),
            claim_token="",
            claimed_until=None,
        )
    if outcomes:
        _endpoint_count(endpoint, outcomes, now=now)
    if retry_in is not None and retry_in <= COUNTDOWN_LIMIT and endpoint.is_active:
        _enqueue_on_commit(Counter({(endpoint.organization_id, endpoint.pk): 1}), countdown=retry_in.total_seconds())
    return attempts


def _shown(headers: dict) -> dict:
    """The request headers as the log keeps them: the first characters of each signature, never a whole one."""
    return {
        k: (v if k != "webhook-signature" else " ".join(sig[:12] + "…" for sig in v.split(" ")))
        for k, v in headers.items()
    }


def _endpoint_count(seen: WebhookEndpoint, outcomes: list[tuple[bool, bool]], *, now: datetime) -> None:
    """Move the endpoint's failure counters by the batch's outcomes ((succeeded, dead), in order); disable it after
    too many dead deliveries in a row or too long a run of failures, and tell the organization's admins (an event
    they are the recipients of). `seen` is the endpoint as the sender holds it (kept up to date here): a batch of
    successes writes to its row only when that shows a failure run to end or a stale `last_success_at`, so a busy
    endpoint's successes do not queue up on its row lock."""
    endpoints = WebhookEndpoint.objects.filter(pk=seen.pk)
    if all(succeeded for succeeded, _ in outcomes):
        if seen.consecutive_dead or seen.failing_since:
            endpoints.update(consecutive_dead=0, failing_since=None, last_success_at=now)
        elif seen.last_success_at is None or seen.last_success_at < now - timedelta(seconds=60):
            endpoints.update(last_success_at=now)
        else:
            return
        seen.consecutive_dead, seen.failing_since, seen.last_success_at = 0, None, now
        return
    endpoint = endpoints.select_for_update().get()
    for succeeded, dead in outcomes:
        if succeeded:
            endpoint.consecutive_dead, endpoint.failing_since, endpoint.last_success_at = 0, None, now
            continue
        endpoint.failing_since = endpoint.failing_since or now
        endpoint.last_failure_at = now
        if dead:
            endpoint.consecutive_dead += 1
        reason = ""
        if endpoint.consecutive_dead >= settings.TUTTI_WEBHOOKS_DISABLE_AFTER_DEAD:
            reason = f"{endpoint.consecutive_dead} deliveries in a row failed every attempt."
        elif now - endpoint.failing_since > timedelta(days=settings.TUTTI_WEBHOOKS_DISABLE_AFTER_DAYS):
            reason = f"Every delivery failed for more than {settings.TUTTI_WEBHOOKS_DISABLE_AFTER_DAYS} days."
        if reason and endpoint.is_active:
            _disable(endpoint, reason)
            _tell_admins(endpoint)
            break
    endpoint.save()
    for name in ("is_active", "consecutive_dead", "failing_since", "last_success_at", "last_failure_at"):
        setattr(seen, name, getattr(endpoint, name))


def _tell_admins(endpoint: WebhookEndpoint) -> None:
    admins = (
        Membership.objects.for_organization(endpoint.organization_id)
        .filter(role=Role.ADMIN, is_active=True)
        .values_list("user_id", flat=True)
    )
    event_emit(
        organization=endpoint.organization_id,
        type=DISABLED_EVENT.name,
        subject=endpoint,
        data={
            "organization": endpoint.organization.slug,
            "endpoint_id": endpoint.pk,
            "url": endpoint.url,
            "reason": endpoint.disabled_reason,
            "disabled_at": endpoint.disabled_at.isoformat(),
        },
        recipients=list(admins),
    )


# --- Manual redelivery and the sweep --------------------------------------------------------------------------


@transaction.atomic
def webhook_delivery_redeliver(*, organization, actor, webhook_delivery_id: int) -> WebhookDelivery:
    """Send a delivery again now, once (no retry schedule), with the same `webhook-id`. 409 `endpoint_disabled`,
    `delivery_in_progress` (a worker holds it)."""
    delivery = (
        WebhookDelivery.objects.for_organization(organization)
        .select_for_update()
        .select_related("endpoint")
        .get(pk=webhook_delivery_id)
    )
    if not delivery.endpoint.is_active:
        raise EndpointDisabled()
    now = timezone.now()
    if delivery.claimed_until and delivery.claimed_until > now:
        raise DeliveryInProgress()
    delivery.status, delivery.auto_retry, delivery.next_attempt_at = DeliveryStatus.PENDING, False, now
    delivery.claim_token, delivery.claimed_until = "", None
    delivery.save()
    audit_record(organization=organization, actor=actor, verb="webhook_delivery.redelivered", target=delivery)
    _enqueue_on_commit(Counter({(delivery.organization_id, delivery.endpoint_id): 1}))
    return delivery


def deliveries_due(now: datetime | None = None) -> Counter:
    """(organization id, endpoint id) → how many deliveries the sweep should send: due a little while ago (a fresh
    one is left to its own task), active endpoint, no live lease."""
    now = now or timezone.now()
    rows = (
        WebhookDelivery.objects.due(now - SWEEP_GRACE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), endpoint__is_active=True)
        .values_list("organization_id", "endpoint_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return Counter({(organization_id, endpoint_id): count for organization_id, endpoint_id, count in rows})


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Enqueue batch send tasks for every overdue delivery (a retry whose time came, a worker that died mid-send).
    Returns how many deliveries were due."""
    due = deliveries_due(now)
    deliveries_enqueue(due)
    return sum(due.values())
