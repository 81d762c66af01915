"""Webhook pages: role matrix (admins and integrators), cross-organization 404s, the secret shown once with a copy
button, create / edit / delete / rotate / send test / redeliver from the pages, the delivery log's filter and its
query budget."""

import pytest
from django.db import transaction
from django.test import Client as BrowserClient
from django.urls import reverse

from rollout.choices import Role
from tests.webhooks.builders import THING, emit, endpoint_for
from webhooks.models import WebhookDelivery, WebhookEndpoint

ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]
ALLOWED = {Role.ADMIN, Role.INTEGRATOR}


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(f"webhooks:{name}", kwargs={"org": tenant.organization.slug, **kwargs})


def delivered(tenant, receiver, capture) -> WebhookDelivery:
    endpoint = endpoint_for(tenant, receiver.url, description="ERP sync")
    with capture(execute=True), transaction.atomic():
        event = emit(tenant)
    return WebhookDelivery.objects.get(endpoint=endpoint, event=event)


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, receiver, role, django_capture_on_commit_callbacks):
    delivery = delivered(tenant, receiver, django_capture_on_commit_callbacks)
    pk = delivery.endpoint_id
    client = browser(tenant, role)
    pages = [
        ("webhook-endpoints", {}),
        ("webhook-endpoint-create", {}),
        ("webhook-endpoint-detail", {"pk": pk}),
        ("webhook-endpoint-edit", {"pk": pk}),
        ("webhook-endpoint-delete", {"pk": pk}),
        ("webhook-endpoint-rotate-secret", {"pk": pk}),
        ("webhook-delivery-detail", {"pk": delivery.pk}),
    ]
    for name, kwargs in pages:
        response = client.get(url(tenant, name, **kwargs))
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"]
        elif role in ALLOWED:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)
    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(url(tenant, "webhook-endpoint-send-test", pk=pk))
        redelivered = client.post(url(tenant, "webhook-delivery-redeliver", pk=delivery.pk))
    if role in ALLOWED:
        assert tested.status_code == redelivered.status_code == 302
        assert len(receiver.received) == 3
    else:
        assert tested.status_code in (302, 403) and redelivered.status_code in (302, 403)
        assert len(receiver.received) == 1


def test_another_organizations_pages_are_404(tenant, other_tenant, receiver, django_capture_on_commit_callbacks):
    foreign = delivered(other_tenant, receiver, django_capture_on_commit_callbacks)
    client = browser(tenant, Role.ADMIN)
    for name in [
        "webhook-endpoint-detail",
        "webhook-endpoint-edit",
        "webhook-endpoint-delete",
        "webhook-endpoint-rotate-secret",
    ]:
        assert client.get(url(tenant, name, pk=foreign.endpoint_id)).status_code == 404, name
    assert client.post(url(tenant, "webhook-endpoint-delete", pk=foreign.endpoint_id)).status_code == 404
    assert client.post(url(tenant, "webhook-endpoint-send-test", pk=foreign.endpoint_id)).status_code == 404
    assert client.get(url(tenant, "webhook-delivery-detail", pk=foreign.pk)).status_code == 404
    assert client.post(url(tenant, "webhook-delivery-redeliver", pk=foreign.pk)).status_code == 404
    assert foreign.endpoint.url not in client.get(url(tenant, "webhook-endpoints")).content.decode()
    assert WebhookEndpoint.objects.filter(pk=foreign.endpoint_id).exists() and len(receiver.received) == 1


def test_create_shows_the_secret_once_then_edit_rotate_and_delete(tenant, receiver):
    client = browser(tenant, Role.ADMIN)
    # when an admin creates an endpoint
    created = client.post(
        url(tenant, "webhook-endpoint-create"),
        {"url": receiver.url, "description": "ERP sync", "event_types": [THING.name]},
    )
    # then the answer shows the secret with a copy button, and is not cached
    endpoint = WebhookEndpoint.objects.get(description="ERP sync")
    page = created.content.decode()
    assert created.status_code == 200 and endpoint.secret in page and "data-copy-target" in page
    assert "no-cache" in created["Cache-Control"] or "no-store" in created["Cache-Control"]
    # and no other page shows it
    detail = client.get(url(tenant, "webhook-endpoint-detail", pk=endpoint.pk)).content.decode()
    assert endpoint.secret not in detail and endpoint.url in detail
    # an unknown-type-free edit; a private URL is refused on the field
    edited = client.post(
        url(tenant, "webhook-endpoint-edit", pk=endpoint.pk),
        {"url": receiver.url, "description": "ERP", "event_types": [], "is_active": "on"},
    )
    assert edited.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.description == "ERP" and endpoint.event_types == []
    refused = client.post(url(tenant, "webhook-endpoint-edit", pk=endpoint.pk), {"url": "https://10.0.0.1/x"})
    assert refused.status_code == 200 and "public addresses only" in refused.content.decode()
    # rotating asks first, then shows the new secret once
    old = endpoint.secret
    rotated = client.post(url(tenant, "webhook-endpoint-rotate-secret", pk=endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.secret != old and endpoint.secret in rotated.content.decode()
    # deleting asks first, then deletes
    assert "Delete endpoint" in client.get(url(tenant, "webhook-endpoint-delete", pk=endpoint.pk)).content.decode()
    assert client.post(url(tenant, "webhook-endpoint-delete", pk=endpoint.pk)).status_code == 302
    assert not WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_delivery_log_filters_and_keeps_its_query_budget(
    tenant, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    from webhooks import services

    delivery = delivered(tenant, receiver, django_capture_on_commit_callbacks)
    endpoint = delivery.endpoint
    client = browser(tenant, Role.ADMIN)
    page = url(tenant, "webhook-endpoint-detail", pk=endpoint.pk)
    with django_assert_max_num_queries(25) as small:
        shown = client.get(page).content.decode()
    assert delivery.event.uid in shown and "Succeeded" in shown
    for _ in range(30):
        services.deliveries_record(emit(tenant))  # rows only
    with django_assert_max_num_queries(len(small.captured_queries)):
        shown = client.get(page).content.decode()
    assert "Showing" in shown or "of 31" in shown
    failed = client.get(page + "?status=dead").content.decode()
    assert "No deliveries match these filters" in failed
    detail = client.get(url(tenant, "webhook-delivery-detail", pk=delivery.pk)).content.decode()
    assert "Attempt 1" in detail and "webhook-id" in detail


@pytest.mark.parametrize("role", [Role.ADMIN, Role.INTEGRATOR, Role.PM])
def test_the_sidebar_links_webhooks_for_admins_and_integrators(tenant, role):
    page = browser(tenant, role).get(reverse("core:org-home", kwargs={"org": tenant.organization.slug}))
    assert (url(tenant, "webhook-endpoints") in page.content.decode()) == (role in ALLOWED)
