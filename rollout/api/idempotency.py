"""`Idempotency-Key` on POST: the same key and body replay the first response, exactly once recorded.

The key is reserved in its own transaction before the view runs, so two concurrent retries cannot
both execute; a 5xx releases the key so the client may retry. Keys are scoped by organization and
caller, so two integrators cannot collide.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import nullcontext
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from rollout.errors import ApplicationError, Conflict
from rollout.models import IdempotencyRecord
from rollout.tenancy import Access

HEADER = "Idempotency-Key"
KEY_TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 200


class IdempotencyKeyReused(ApplicationError):
    code = "idempotency_key_reused"
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_message = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInProgress(Conflict):
    code = "idempotency_key_in_progress"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotentReplay(Exception):
    """Raised inside the view's `initial()` to short-circuit to the stored response."""

    def __init__(self, record: IdempotencyRecord):
        self.record = record

    def response(self) -> Response:
        response = Response(self.record.response_body, status=self.record.response_status)
        response["Idempotent-Replayed"] = "true"
        return response


def request_fingerprint(request) -> str:
    """SHA-256 of method, path and body. Multipart bodies are hashed from their parsed parts, file by file."""
    digest = hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n")
    if not request.content_type.startswith("multipart/"):
        digest.update(request._request.body)  # raw bytes, cached by Django before DRF parses them
        return digest.hexdigest()
    for name in sorted(request.data):
        for value in request.data.getlist(name):
            digest.update(name.encode() + b"=")
            if hasattr(value, "chunks"):
                for chunk in value.chunks():
                    digest.update(chunk)
                value.seek(0)
            else:
                digest.update(str(value).encode())
            digest.update(b"\n")
    return digest.hexdigest()


def idempotency_begin(request, access: Access) -> IdempotencyRecord | None:
    """Reserve the request's key, or raise IdempotentReplay / a conflict. None when there is no key."""
    key = request.headers.get(HEADER, "").strip()
    if request.method != "POST" or not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ApplicationError(
            f"Idempotency-Key is longer than {MAX_KEY_LENGTH} characters.", code="idempotency_key_invalid"
        )
    fingerprint = request_fingerprint(request)
    scope = {"organization": access.organization, "principal": access.principal, "key": key}
    records = IdempotencyRecord.objects.for_organization(access.organization)
    # The first use of a key (the usual case) is one INSERT; a key already taken is read after its conflict.
    # Outside a transaction (a request, as served) the INSERT is its own; inside one, a savepoint keeps the
    # transaction usable when the key is taken.
    for attempt in range(2):
        reserve = transaction.atomic() if transaction.get_connection().in_atomic_block else nullcontext()
        try:
            with reserve:
                return IdempotencyRecord.objects.create(
                    **scope, method=request.method, path=request.path[:500], request_hash=fingerprint
                )
        except IntegrityError:
            existing = records.filter(principal=access.principal, key=key).first()
        if existing is None:  # pragma: no cover - released between our insert and read
            raise IdempotencyKeyInProgress() from None
        if existing.created_at >= timezone.now() - KEY_TTL or attempt:
            break
        existing.delete()  # an expired key is used afresh
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused()
    if existing.response_status is None:
        raise IdempotencyKeyInProgress()
    raise IdempotentReplay(existing)


def idempotency_finish(record: IdempotencyRecord, response: Response, secret_fields=()) -> None:
    """Keep the response for replays; release the key after a server error so a retry can run.

    Secrets shown once (an API key, an invitation link) are never stored: a replay returns them as null.
    """
    if response.status_code >= 500 or response.status_code in (409, 429):
        idempotency_release(record)
        return
    # Through DRF's encoder, as the response itself is rendered (datetimes, decimals, UUIDs).
    body = json.loads(json.dumps(response.data, cls=JSONEncoder))
    if secret_fields and isinstance(body, dict):
        body = {name: (None if name in secret_fields else value) for name, value in body.items()}
    record.response_status = response.status_code
    record.response_body = body
    record.save(update_fields=["response_status", "response_body"])


def idempotency_release(record: IdempotencyRecord) -> None:
    """Forget a reserved key so that the client's retry runs again."""
    IdempotencyRecord.objects.for_organization(record.organization_id).filter(pk=record.pk).delete()
