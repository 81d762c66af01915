"""What the browser tests share: the viewports, the screenshot folder, and the helpers that drive the field app
on a phone (tests/browser/test_field.py, test_field_offline.py)."""

from pathlib import Path

from tests.factories import DEFAULT_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}


def shoot(page, name: str, *, at: str | None = None) -> None:
    """Screenshot of the phone's screen as the technician sees it (scrolled to `at` when given)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    if at:
        page.locator(at).scroll_into_view_if_needed()
    # A focused field pans mobile Chromium's visual viewport; the technician's screen would not stay like that.
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.screenshot(path=str(SCREENSHOTS / f"phone-field-{name}.png"))


def phone_context(browser, world, *, geolocation: bool):
    options = dict(VIEWPORTS["phone"])
    if geolocation:
        options.update(
            geolocation={
                "latitude": float(world.site.latitude),
                "longitude": float(world.site.longitude),
                "accuracy": 12,
            },
            permissions=["geolocation"],
        )
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


def watch_errors(page) -> list:
    """Uncaught JavaScript errors of the page (the app must have none)."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def sign_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def indicator(page):
    return page.locator("#outbox-indicator")
