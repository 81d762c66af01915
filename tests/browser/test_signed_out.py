"""The sign-in page forgets what the field app kept on the device for offline use (shared phones)."""

import pytest

pytestmark = pytest.mark.browser


def test_the_sign_in_page_clears_offline_copies_of_visit_pages(live_server, browser):
    # given a phone on which the field app cached pages and the last visit data
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.evaluate(
        """async () => {
            const cache = await caches.open("tutti-field-v1");
            await cache.put("/o/acme/field/visits/1/", new Response("visit page"));
            localStorage.setItem("tutti-field:visit:7:1", "{}");
            localStorage.setItem("unrelated", "kept");
        }"""
    )
    # when the sign-in page is shown (after signing out)
    page.goto(f"{live_server.url}/login/")
    page.wait_for_function("async () => !(await caches.keys()).includes('tutti-field-v1')")
    # then the field app's copies are gone, and nothing else was touched
    assert page.evaluate("() => localStorage.getItem('tutti-field:visit:7:1')") is None
    assert page.evaluate("() => localStorage.getItem('unrelated')") == "kept"
    context.close()
