"""Webhook pages in a real browser: an admin adds an endpoint from the sidebar, copies the secret shown once, sends a
test event and watches it in the delivery log, opens a failed delivery's attempts and redelivers it, and sees the
confirmations of rotation and deletion. Screenshots go to /work/main/var/screenshots/webhooks/ (and var/screenshots/)."""

from pathlib import Path

import pytest
from django.db import transaction
from playwright.sync_api import expect

from rollout.choices import Role
from tests.factories import DEFAULT_PASSWORD
from tests.webhooks.builders import THING, Receiver, emit
from webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = [Path("/work/main/var/screenshots/webhooks"), Path(__file__).resolve().parents[2] / "var" / "screenshots"]


@pytest.fixture
def viewport() -> str:
    return "desktop"


def shot(page, name: str) -> None:
    for folder in SHOTS:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"desktop-webhooks-{name}.png"), full_page=True)


def test_an_admin_sets_up_an_endpoint_and_reads_its_delivery_log(page, live_server, tenant, settings):
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = settings.TUTTI_WEBHOOKS_ALLOW_HTTP = True
    receiver = Receiver()
    try:
        base, org = live_server.url, tenant.organization.slug
        page.goto(f"{base}/login/")
        page.get_by_label("E-mail").fill(tenant.members[Role.ADMIN].user.email)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()

        # the sidebar leads to the (empty) webhooks page beside API tokens
        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_text("No webhook endpoints yet")).to_be_visible()
        shot(page, "empty")

        # when the admin adds an endpoint for one event type
        page.get_by_role("link", name="New endpoint").first.click()
        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("ERP sync")
        page.get_by_label(f"{THING.title} {THING.name}").check()
        shot(page, "create")
        page.get_by_role("button", name="Create endpoint").click()

        # then the secret is shown once, with a copy button and a warning
        endpoint = WebhookEndpoint.objects.get(description="ERP sync")
        expect(page.locator("#webhook-secret")).to_have_value(endpoint.secret)
        expect(page.get_by_text("Copy this secret now.")).to_be_visible()
        shot(page, "secret")
        page.get_by_role("link", name="I have copied the secret").click()

        # and a test event lands in the delivery log
        page.get_by_role("button", name="Send test event").click()
        expect(page.get_by_text("A test event is on its way")).to_be_visible()
        expect(page.locator("#deliveries-table").get_by_text("webhook.test")).to_be_visible()
        assert [r.headers["webhook-id"] for r in receiver.received] == [
            WebhookDelivery.objects.get(endpoint=endpoint).event.uid
        ]

        # when the receiver starts failing and two events happen
        receiver.status = 500
        for _ in range(2):
            with transaction.atomic():
                event = emit(tenant)
            from webhooks import services

            services.deliveries_record(event)
            delivery = WebhookDelivery.objects.get(event=event)
            services.delivery_send(organization_id=delivery.organization_id, delivery_id=delivery.pk)
        page.reload()
        expect(page.locator("#deliveries-table").get_by_text("Failed, retrying").first).to_be_visible()
        shot(page, "detail")

        # the log filters by status
        page.get_by_label("Status").select_option("failed")
        expect(page.locator("#deliveries-table tbody tr")).to_have_count(2)

        # a failed delivery shows its attempts; redelivering sends it again with the same id
        receiver.status = 200
        page.locator("#deliveries-table tbody tr").first.get_by_role("link").click()
        expect(page.get_by_text("Attempt 1")).to_be_visible()
        page.get_by_text("Request and response").click()
        shot(page, "delivery")
        page.get_by_role("button", name="Redeliver").click()
        expect(page.get_by_text("The delivery is being sent again")).to_be_visible()
        expect(page.get_by_text("Attempt 2")).to_be_visible()
        shot(page, "delivery-redelivered")

        # rotation and deletion ask first
        page.goto(f"{base}/o/{org}/webhooks/{endpoint.pk}/rotate-secret/")
        expect(page.get_by_role("button", name="Rotate secret")).to_be_visible()
        shot(page, "rotate-confirm")
        page.goto(f"{base}/o/{org}/webhooks/{endpoint.pk}/delete/")
        expect(page.get_by_role("button", name="Delete endpoint")).to_be_visible()
        page.goto(f"{base}/o/{org}/webhooks/")
        shot(page, "list")

        # a disabled endpoint says why, and how to recover
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            is_active=False,
            disabled_reason="20 deliveries in a row failed every attempt.",
            disabled_at=endpoint.created_at,
        )
        page.goto(f"{base}/o/{org}/webhooks/{endpoint.pk}/")
        expect(page.get_by_text("20 deliveries in a row failed every attempt.")).to_be_visible()
        expect(page.get_by_role("button", name="Send test event")).to_have_count(0)
        shot(page, "disabled")
    finally:
        receiver.close()


def test_the_api_reference_lists_the_event_catalogue(browser, live_server):
    # (its own page: Redoc's "powered by" logo from its CDN is refused by the CSP, which the `page` fixture fails on)
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/api/redoc/")
        expect(page.get_by_text("Webhook endpoint disabled").first).to_be_attached(timeout=30_000)
        page.locator('h2:has-text("Webhook endpoint disabled")').first.scroll_into_view_if_needed()
        for folder in SHOTS:
            page.screenshot(path=str(folder / "desktop-webhooks-api-reference.png"))
    finally:
        context.close()
