"""The SSRF guard: webhook URLs must be https (unless development allows http) and reach public addresses only —
checked when an endpoint is saved and again, pinned, when each attempt is sent (DNS rebinding cannot move the
connection to a private address between the check and the connection)."""

import socket

import pytest
from django.db import transaction

from tests.webhooks.builders import Receiver, certificate_for, emit, endpoint_for
from webhooks import transport
from webhooks.errors import UrlRefused
from webhooks.models import WebhookAttempt, WebhookDelivery


@pytest.fixture
def production(settings):
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = False
    settings.TUTTI_WEBHOOKS_ALLOW_HTTP = False
    return settings


def refused(url: str) -> str:
    with pytest.raises(UrlRefused) as error:
        transport.url_check(url)
    assert error.value.field == "url"
    return error.value.code


@pytest.mark.parametrize(
    "url",
    [
        "https://10.1.2.3/hooks",  # 10/8
        "https://172.16.0.9/hooks",
        "https://192.168.1.20/hooks",
        "https://127.0.0.1/hooks",  # 127/8, loopback not allowed
        "https://127.8.9.10:8443/hooks",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata
        "https://[::1]/hooks",
        "https://[fc00::1]/hooks",  # fc00::/7
        "https://[fd12:3456::1]/hooks",
        "https://[fe80::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",  # IPv4-mapped private
        "https://100.64.0.1/hooks",  # shared address space
        "https://224.0.0.1/hooks",  # multicast
        "https://0.0.0.0/hooks",
        "https://240.0.0.1/hooks",  # reserved
    ],
)
def test_non_public_addresses_are_refused(production, url):
    assert refused(url) == "url_address_not_allowed"


def test_a_name_resolving_to_a_private_address_is_refused(production, monkeypatch):
    monkeypatch.setattr(transport, "resolve_host", lambda host, port: ["93.184.216.34", "10.0.0.7"])
    assert refused("https://hooks.example.com/tutti") == "url_address_not_allowed"


def test_scheme_name_and_shape(production, monkeypatch):
    monkeypatch.setattr(transport, "resolve_host", lambda host, port: [])
    assert refused("http://93.184.216.34/hooks") == "url_scheme_not_allowed"
    assert refused("ftp://93.184.216.34/hooks") == "url_invalid"
    assert refused("https://user:pw@93.184.216.34/hooks") == "url_invalid"
    assert refused("not a url") == "url_invalid"
    assert refused("https://nowhere.invalid/hooks") == "url_unresolvable"
    # a public address passes
    assert transport.url_check("https://93.184.216.34/hooks").port == 443


def test_the_loopback_setting_opens_loopback_only(settings):
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = True
    assert transport.url_check("https://127.0.0.1:8443/x").host == "127.0.0.1"
    assert transport.url_check("https://[::1]/x").host == "::1"
    assert refused("https://10.0.0.1/x") == "url_address_not_allowed"
    assert refused("https://169.254.169.254/x") == "url_address_not_allowed"


def test_the_service_refuses_the_url_with_a_stable_code(tenant, production):
    with pytest.raises(UrlRefused) as error:
        endpoint_for(tenant, "https://169.254.169.254/latest/meta-data/")
    assert error.value.code == "url_address_not_allowed"


def test_a_name_that_turned_private_after_the_check_is_refused_at_send(
    tenant, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    # given an endpoint saved while its name resolved to a public address (here loopback, allowed in tests)
    port = receiver.server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.0.0.7"]])
    monkeypatch.setattr(transport, "resolve_host", lambda host, port: next(answers))
    endpoint = endpoint_for(tenant, f"http://hooks.example.test:{port}/hooks")

    # when an event is sent after the name moved to a private address
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = emit(tenant)

    # then nothing was sent; the attempt says why
    assert receiver.received == []
    attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint, delivery__event=event)
    assert attempt.error.startswith("refused:") and "10.0.0.7" in attempt.error and attempt.address == ""


def test_rebinding_between_check_and_connection_cannot_move_the_connection(
    tenant, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    # given a resolver that answers the receiver's (allowed) address once, then a private address to every later
    # lookup — a rebinding attacker's DNS with a zero TTL
    port = receiver.server.server_address[1]
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, *args, **kwargs):
        if host != "rebind.example.test":
            return real(host, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "10.255.255.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    with monkeypatch.context() as saving:
        saving.setattr(transport, "resolve_host", lambda host, port: ["127.0.0.1"])
        endpoint = endpoint_for(tenant, f"http://rebind.example.test:{port}/hooks")
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    # when an event is sent
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        event = emit(tenant)

    # then the name was resolved once, by the send's check, and the connection went to the checked address
    assert lookups == ["rebind.example.test"]
    assert receiver.ids() == [event.uid]
    assert receiver.received[0].headers["host"] == f"rebind.example.test:{port}"  # Host names the URL's host
    delivery = WebhookDelivery.objects.get(endpoint=endpoint, event=event)
    assert delivery.status == "succeeded" and delivery.attempt_rows.get().address == "127.0.0.1"


@pytest.mark.parametrize("certified", ["hooks.example.test", "someone-else.example.test"])
def test_https_to_the_pinned_address_keeps_sni_host_and_certificate_checks(
    tenant, tmp_path, monkeypatch, settings, certified, django_capture_on_commit_callbacks
):
    # given an https receiver on the pinned (loopback) address, with a certificate for `certified`
    ca, certificate, key = certificate_for(tmp_path, certified)
    settings.TUTTI_WEBHOOKS_CA_BUNDLE = ca
    receiver = Receiver(tls=(certificate, key))
    try:
        monkeypatch.setattr(transport, "resolve_host", lambda host, port: ["127.0.0.1"])
        endpoint = endpoint_for(tenant, f"https://hooks.example.test:{receiver.port}/hooks")

        # when an event is sent
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            emit(tenant)

        # then TLS asked for the URL's host (SNI), not the address
        attempt = WebhookAttempt.objects.get(delivery__endpoint=endpoint)
        assert receiver.sni == ["hooks.example.test"] and attempt.address == "127.0.0.1"
        if certified == "hooks.example.test":
            # and the certificate for that name verified; Host names it too
            assert attempt.succeeded and receiver.received[0].headers["host"] == f"hooks.example.test:{receiver.port}"
        else:
            # a certificate for another name is refused: nothing is sent
            assert not attempt.succeeded and attempt.error.startswith(("TLS", "connection")) and not receiver.received
    finally:
        receiver.close()
