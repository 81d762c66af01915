"""The OpenAPI schema's `webhooks` section, built from the event catalogue (rollout.events) each time the schema is:
one entry per event type, with its payload (the envelope and an example `data`), so a new event type appears by
itself. Named in SPECTACULAR_SETTINGS["WEBHOOKS"]."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiWebhook

from rollout.events import EventType, event_types

HEADERS = [
    ("webhook-id", "The event's id (`evt_…`), the same on every attempt: deduplicate on it."),
    ("webhook-timestamp", "When this attempt was signed, in seconds since the epoch."),
    (
        "webhook-signature",
        "`v1,<base64 HMAC-SHA256>` of `<webhook-id>.<webhook-timestamp>.<body>` (Standard Webhooks).",
    ),
]


def _schema_of(value) -> dict:
    """A JSON schema of an example value (the catalogue gives examples, not schemas)."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, dict):
        return {"type": "object", "properties": {key: _schema_of(item) for key, item in value.items()}}
    if isinstance(value, list):
        return {"type": "array", "items": _schema_of(value[0]) if value else {}}
    if value is None:
        return {"nullable": True}
    return {"type": "string"}


def webhook_operation(spec: EventType) -> dict:
    body = {
        "type": "object",
        "required": ["type", "version", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": [spec.name]},
            "version": {"type": "integer", "enum": [spec.version]},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the event happened."},
            "data": {**_schema_of(spec.example), "description": f"The `{spec.subject}` it is about."},
        },
    }
    example = {"type": spec.name, "version": spec.version, "timestamp": "2026-12-05T09:30:00Z", "data": spec.example}
    description = spec.description or spec.title
    if spec.mandatory:
        description += " (A mandatory notice for its recipients.)"
    return {
        "summary": spec.title,
        "description": f"{description}\n\nSigned per the Standard Webhooks specification; verify the signature "
        "before trusting the body. Answer 2xx within 10 seconds; anything else (a redirect too) is retried.",
        "tags": ["webhook events"],
        "parameters": [
            {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": text}
            for name, text in HEADERS
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body, "example": example}},
        },
        "responses": {
            "2XX": {"description": "Received: the delivery succeeded."},
            "default": {"description": "Any other answer, a timeout or a refused connection: retried later."},
        },
    }


# Types the test suite and the benchmarks register for themselves: never part of the product's schema (the
# committed snapshot would otherwise depend on which test modules ran first).
TEST_PREFIXES = frozenset({"tests", "bench"})


class CatalogueWebhooks:
    """An iterable of OpenApiWebhook read from the catalogue when the schema is generated (not when settings load,
    before the apps have declared their types)."""

    def __iter__(self):
        for spec in event_types():
            if spec.name.split(".", 1)[0] in TEST_PREFIXES:
                continue
            yield OpenApiWebhook(name=spec.name, decorator={"post": webhook_operation(spec)})


CATALOGUE_WEBHOOKS = CatalogueWebhooks()


def webhooks_for_openapi_30(result, generator, request, public):
    """Postprocessing hook: the schema is OpenAPI 3.0.3, where a top-level `webhooks` (a 3.1 field) is invalid; there
    the section goes under `x-webhooks`, the extension Redoc renders for 3.0 documents. Under OAS_VERSION 3.1 it
    stays `webhooks`."""
    if str(result.get("openapi", "")).startswith("3.0") and "webhooks" in result:
        result["x-webhooks"] = result.pop("webhooks")
    return result
