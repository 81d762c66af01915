"""The webhooks demo: Northwind's disabled endpoint with a delivery log of real, failed attempts (a `.example` host
never resolves: nothing leaves the machine), and a second run that changes nothing."""

import pytest
from django.core.management import call_command

from webhooks.choices import DeliveryStatus
from webhooks.demo.seed import DEMO_URL
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_a_disabled_endpoint_with_a_delivery_log_once():
    call_command("seed_demo", stdout=None)
    endpoint = WebhookEndpoint.objects.get(url=DEMO_URL)
    assert not endpoint.is_active and endpoint.disabled_reason
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    assert deliveries.filter(event_type="webhook.test").exists()
    assert set(deliveries.values_list("status", flat=True)) == {DeliveryStatus.DEAD}
    attempts = WebhookAttempt.objects.filter(delivery__endpoint=endpoint)
    assert attempts.count() == deliveries.count()
    assert all("does not resolve" in a.error and a.address == "" for a in attempts)
    before = (deliveries.count(), attempts.count())
    call_command("seed_demo", stdout=None)
    assert WebhookEndpoint.objects.filter(url=DEMO_URL).count() == 1
    assert (deliveries.count(), attempts.count()) == before
