"""Fixtures of the webhooks tests: a local receiver, and the development settings that let it be reached (loopback
and plain http allowed; the SSRF tests switch them off)."""

import pytest

from tests.webhooks.builders import Receiver


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.TUTTI_WEBHOOKS_ALLOW_LOOPBACK = True
    settings.TUTTI_WEBHOOKS_ALLOW_HTTP = True
    return settings


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.close()
