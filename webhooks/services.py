"""Webhook services: endpoints (create, update, delete, rotate the secret, send a test event), the event consumer
that records one delivery per subscribed endpoint, and the sending of a delivery with its retry schedule.

Durability: deliveries are rows. A worker **claims** a due delivery with a lease (`claim_token`, `claimed_until`:
one conditional UPDATE), sends it outside any transaction, then records the attempt in one transaction that checks
it still holds the claim. A worker killed mid-send leaves a claimed row whose lease expires; the minute sweep
(`deliveries_sweep`) re-enqueues every due delivery whose lease has expired. A succeeded delivery is never
claimable again, so a re-run never sends it twice; a receiver may still see an event twice (a worker killed after
the receiver answered and before the row was written), always with the same `webhook-id`.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
    (45 s), so a live worker never loses its delivery to another; a dead worker's claim is free again after it."""
    return timedelta(seconds=settings.TUTTI_WEBHOOKS_LEASE_SECONDS)


# Retries due sooner than this are enqueued with a countdown; later ones are left to the minute sweep (a long ETA on
# Redis would outlive the visibility timeout and come back twice).
COUNTDOWN_LIMIT = timedelta(seconds=60)
# The sweep leaves a fresh delivery this long to the task its commit enqueued.
SWEEP_GRACE = timedelta(seconds=20)
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
    _enqueue_on_commit([delivery.pk], endpoint.organization_id)
    return delivery


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    """Switch the endpoint off (the caller saves it) and give up its waiting deliveries."""
    now = timezone.now()
    endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = False, reason[:300], now
    WebhookDelivery.objects.filter(endpoint=endpoint, status__in=SENDABLE).update(
        status=DeliveryStatus.DEAD, next_attempt_at=None, last_error="endpoint disabled", claimed_until=None
    )


# --- The consumer: one delivery per subscribed endpoint ------------------------------------------------------


def deliveries_record(event: Event) -> list[int]:
    """The webhooks consumer of the event outbox: record a delivery of `event` for every active endpoint of its
    organization subscribed to its type (rows only, under the event's lock), and enqueue their sending after
    commit. A test event's one delivery is recorded by `webhook_endpoint_send_test` itself."""
    if event.type == TEST_EVENT.name:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.for_organization(event.organization_id)
        .filter(is_active=True)
        .only("pk", "event_types")
        if endpoint.subscribes_to(event.type)
    ]
    if not endpoints:
        return []
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                organization_id=event.organization_id,
                endpoint_id=endpoint.pk,
                event_id=event.pk,
                event_type=event.type,
                next_attempt_at=event.occurred_at,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,  # the (endpoint, event) constraint: never two deliveries of one event
    )
    ids = list(
        WebhookDelivery.objects.for_organization(event.organization_id)
        .filter(event_id=event.pk, status=DeliveryStatus.PENDING, attempts=0)
        .values_list("pk", flat=True)
    )
    _enqueue_on_commit(ids, event.organization_id)
    return ids


def _enqueue_on_commit(ids: list[int], organization_id: int, countdown: float | None = None) -> None:
    if ids:
        transaction.on_commit(lambda: deliveries_enqueue(ids, organization_id, countdown=countdown))


def deliveries_enqueue(ids, organization_id: int, *, countdown: float | None = None) -> None:
    from webhooks.tasks import webhook_delivery_send_task

    try:
        for delivery_id in ids:
            webhook_delivery_send_task.apply_async(
                kwargs={"organization_id": organization_id, "delivery_id": delivery_id}, countdown=countdown
            )
    except (OSError, KombuOperationalError):  # the broker is away: the rows are there, the sweep sends them
        logger.warning("webhook deliveries %s: not enqueued, the sweep will send them", ids, exc_info=True)


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


def delivery_claim(*, delivery_id: int, token: str, now: datetime | None = None) -> bool:
    """Take the lease of a due delivery (or take it back: a redelivered task carries the same token)."""
    now = now or timezone.now()
    sendable = WebhookDelivery.objects.filter(pk=delivery_id, status__in=SENDABLE, endpoint__is_active=True)
    mine = Q(claim_token=token)
    free = Q(next_attempt_at__lte=now) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
    return bool(sendable.filter(mine | free).update(claim_token=token, claimed_until=now + lease()))


def delivery_send(*, organization_id: int, delivery_id: int, token: str | None = None) -> WebhookAttempt | None:
    """Send one due delivery once: claim it, POST it through the guard, record the attempt. Returns the attempt,
    or None when the delivery was not this caller's to send (done, not due, or claimed by a live worker)."""
    token = token or uuid.uuid4().hex
    if not delivery_claim(delivery_id=delivery_id, token=token):
        return None
    delivery = (
        WebhookDelivery.objects.for_organization(organization_id)
        .select_related("endpoint", "event")
        .get(pk=delivery_id)
    )
    endpoint, event = delivery.endpoint, delivery.event
    body = delivery_body(event)
    started = timezone.now()
    headers = delivery_headers(secrets=endpoint.signing_secrets(started), msg_id=event.uid, body=body, at=started)
    answer = transport.post(endpoint.url, body, headers)
    return delivery_record(delivery=delivery, token=token, started=started, headers=headers, body=body, answer=answer)


@transaction.atomic
def delivery_record(*, delivery, token: str, started: datetime, headers: dict, body: bytes, answer) -> WebhookAttempt:
    """Write the attempt and move the delivery on (succeeded, retry scheduled, or dead) in one transaction; the
    delivery changes only while the claim is still ours (a conditional UPDATE), and the endpoint's failure counters
    move with it. A success costs two statements: the attempt's INSERT and the delivery's UPDATE."""
    now = timezone.now()
    # The log never keeps a whole signature: the first characters of each are enough to tell them apart.
    shown_headers = {
        k: (v if k != "webhook-signature" else " ".join(sig[:12] + "…" for sig in v.split(" ")))
        for k, v in headers.items()
    }
    number = delivery.attempts + 1  # we hold the claim: nobody else moved `attempts` since we read it
    attempt = WebhookAttempt.objects.create(
        organization_id=delivery.organization_id,
        delivery_id=delivery.pk,
        number=number,
        manual=not delivery.auto_retry,
        started_at=started,
        url=delivery.endpoint.url,
        address=answer.address,
        request_headers=shown_headers,
        request_body_excerpt=body[:BODY_EXCERPT].decode("utf-8", errors="replace"),
        status_code=answer.status_code,
        response_excerpt=answer.excerpt,
        latency_ms=answer.latency_ms,
        error=answer.error,
        succeeded=answer.succeeded,
    )
    retry_in = None
    if answer.succeeded:
        status, next_attempt_at = DeliveryStatus.SUCCEEDED, None
    elif delivery.auto_retry and number < len(RETRY_SCHEDULE):
        retry_in = RETRY_SCHEDULE[number]
        status, next_attempt_at = DeliveryStatus.FAILED, now + retry_in
    else:
        status, next_attempt_at = DeliveryStatus.DEAD, None
    moved = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token, status__in=SENDABLE).update(
        status=status,
        attempts=number,
        next_attempt_at=next_attempt_at,
        last_attempt_at=started,
        last_status_code=answer.status_code,
        last_response_excerpt=answer.excerpt,
        last_latency_ms=answer.latency_ms,
        last_error=answer.error,
        succeeded_at=now if answer.succeeded else None,
        claim_token="",
        claimed_until=None,
    )
    if not moved:
        # Our lease ran out and another worker took over (or the endpoint was disabled): the attempt is logged,
        # the delivery is theirs.
        return attempt
    _endpoint_count(delivery.endpoint, succeeded=answer.succeeded, dead=status == DeliveryStatus.DEAD, now=now)
    if retry_in is not None and retry_in <= COUNTDOWN_LIMIT:
        _enqueue_on_commit([delivery.pk], delivery.organization_id, countdown=retry_in.total_seconds())
    return attempt


def _endpoint_count(seen: WebhookEndpoint, *, succeeded: bool, dead: bool, now: datetime) -> None:
    """Move the endpoint's failure counters; disable it after too many dead deliveries in a row or too long a run
    of failures, and tell the organization's admins (an event they are the recipients of). `seen` is the endpoint
    as the sender read it: a success writes to its row only when that shows a failure run to end or a stale
    `last_success_at`, so a busy endpoint's successes do not queue up on its row lock."""
    endpoints = WebhookEndpoint.objects.filter(pk=seen.pk)
    if succeeded:
        if seen.consecutive_dead or seen.failing_since:
            endpoints.update(consecutive_dead=0, failing_since=None, last_success_at=now)
        elif seen.last_success_at is None or seen.last_success_at < now - timedelta(seconds=60):
            endpoints.update(last_success_at=now)
        return
    endpoint = endpoints.select_for_update().get()
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
    endpoint.save()


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
    _enqueue_on_commit([delivery.pk], delivery.organization_id)
    return delivery


def deliveries_due(now: datetime | None = None, limit: int = 2000) -> list[tuple[int, int]]:
    """(organization id, delivery id) of the deliveries the sweep should enqueue: due a little while ago (a fresh
    one is left to its own task), active endpoint, no live lease."""
    now = now or timezone.now()
    return list(
        WebhookDelivery.objects.due(now - SWEEP_GRACE)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now), endpoint__is_active=True)
        .order_by("next_attempt_at", "id")
        .values_list("organization_id", "pk")[:limit]
    )


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """Enqueue every overdue delivery (a retry whose time came, a worker that died mid-send). Returns how many."""
    due = deliveries_due(now)
    by_org: dict[int, list[int]] = {}
    for organization_id, delivery_id in due:
        by_org.setdefault(organization_id, []).append(delivery_id)
    for organization_id, ids in by_org.items():
        deliveries_enqueue(ids, organization_id)
    return len(due)
