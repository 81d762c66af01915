"""Playwright fixtures: Debian's chromium (never a downloaded browser), headless, one per session."""

import os
import shutil
from pathlib import Path

import pytest

from rollout.choices import Role
from tests.browser.helpers import SCREENSHOTS, VIEWPORTS
from tests.factories import ClientFactory, MembershipFactory, OrganizationFactory
from tests.workorders.builders.field import build_field_world

# Playwright's sync API runs an event loop in this thread; the test itself still talks to the
# database synchronously (factories), which Django would otherwise refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not on PATH: install Debian's chromium (scripts/install-system-packages.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def page(browser, viewport):
    """A fresh page; at the end, any Content Security Policy violation it reported fails the test."""
    context = browser.new_context(**VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    page = context.new_page()
    violations = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert violations == [], "Content Security Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def screenshot(page, viewport):
    """screenshot("admin-home") saves var/screenshots/<viewport>-admin-home.png.

    Desktop pages are captured whole; phone pages as the screen shows them (a full-page capture
    would draw the fixed bottom tab bar in the middle of a long page).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{viewport}-{name}.png"
        page.screenshot(path=str(path), full_page=viewport == "desktop")
        return path

    return take


@pytest.fixture
def field(django_capture_on_commit_callbacks):
    """Northwind: a PM, a coordinator, and Tomás the technician with a visit today (see build_field_world)."""
    organization = OrganizationFactory(slug="northwind", name="Northwind Rollouts")
    client = ClientFactory(organization=organization, code="harbor", name="Harbor Foods")
    pm = MembershipFactory(
        organization=organization, role=Role.PM, user__email="priya@example.com", user__full_name="Priya Patel"
    )
    MembershipFactory(
        organization=organization, role=Role.COORDINATOR, user__email="cole@example.com", user__full_name="Cole Rivera"
    )
    tomas = MembershipFactory(
        organization=organization,
        role=Role.TECHNICIAN,
        user__email="tomas@field.example",
        user__full_name="Tomás Alvarez",
    )
    with django_capture_on_commit_callbacks(execute=True):
        return build_field_world(organization, client, technician_user=tomas.user, pm_user=pm.user)
