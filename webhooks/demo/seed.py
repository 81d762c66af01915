"""Demo webhooks for `seed_demo`: Northwind has one endpoint, disabled, with a delivery log.

Honest data: the endpoint points at a `.example` host (RFC 2606: it never resolves), so every attempt really ran
through the sending service and really failed at the SSRF guard's lookup ("does not resolve"), without connecting
anywhere. The endpoint row itself is written here rather than through `webhook_endpoint_create`, whose URL check
would (rightly) refuse a host that does not resolve. Its deliveries are the organization's latest events (what the
other seeders' services emitted) and a test event, recorded by the outbox consumer and sent once each; then the
endpoint is disabled through the service, which gives up the deliveries still waiting for a retry.

Idempotent: an endpoint that already exists is left as it is."""

from __future__ import annotations

from django.db import transaction

from rollout.demo.seed import DemoContext
from rollout.models import Event
from webhooks import services
from webhooks.models import WebhookEndpoint

DEMO_URL = "https://erp.harborfoods.example/tutti/webhooks"
DEMO_DESCRIPTION = "Harbor Foods ERP (demo: the host does not exist, so every attempt fails)"
EVENTS = 5


def seed(demo: DemoContext) -> None:
    organization = demo.organizations.get("northwind")
    if organization is None or WebhookEndpoint.objects.for_organization(organization).filter(url=DEMO_URL).exists():
        return
    admin = demo.users.get("admin@northwind.example")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=DEMO_URL,
            description=DEMO_DESCRIPTION,
            event_types=[],
            secret=services.secret_generate(),
            created_by=admin,
        )
        latest = (
            Event.objects.for_organization(organization).exclude(type__startswith="webhook").order_by("-occurred_at")
        )
        ids = [pk for event in latest[:EVENTS] for pk in services.deliveries_record(event)]
        test = services.webhook_endpoint_send_test(
            organization=organization, actor=admin, webhook_endpoint_id=endpoint.pk
        )
        ids.append(test.pk)
    for delivery_id in ids:  # each attempt fails at the lookup: nothing leaves the machine
        services.delivery_send(organization_id=organization.pk, delivery_id=delivery_id)
    services.webhook_endpoint_update(
        organization=organization, actor=admin, webhook_endpoint_id=endpoint.pk, is_active=False
    )
