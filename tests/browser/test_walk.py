"""A browser walk over the demo, role by role: every page a role reaches from its navigation, and one object page
of each kind linked from those, at a laptop's 1280×800 and — for technicians and clients — a 390×844 phone.

On each page: the page answers, no console error, no failed request, nothing wider than the screen outside a
scrolling table container, no raw event code or regular expression in the visible text, and axe-core
(node_modules/axe-core) finds no serious or critical accessibility violation. A screenshot of every page is saved
in var/screenshots/walk/ — look at them."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from rollout.demo.seed import DEMO_MEMBERS, DEMO_PASSWORD
from tests.browser.helpers import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = SCREENSHOTS / "walk"
SIZES = {
    "laptop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}
# Object pages are found from the navigation's pages: one of each kind (ids replaced by N), at most this many.
MAX_PAGES = 45
# Links the walk never follows: files, signing out, the API, the admin site.
SKIP = re.compile(
    r"(/login/|/password-reset/|\.pdf|\.csv|\.xlsx|/export|/download|/logout|/api/|/admin/|/file/|/photo|/calendar\.ics)"
)
# Text that must never reach a user: an event code (packet.rendered) or a regular expression.
RAW = re.compile(
    r"\b(?:packet|visit|work_order|workorder|site|program|sow|shipment|invitation|membership)\.[a-z_]{3,}\b"
    r"|\^[^\s]{2,}\$"
)

OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => { for (let e = el.parentElement; e; e = e.parentElement) {
      const x = getComputedStyle(e).overflowX; if (x === 'auto' || x === 'scroll') return true; }
    return false; };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.position === 'fixed' || style.visibility === 'hidden') continue;
    if (el.closest('.visually-hidden, .offcanvas:not(.show):not(.offcanvas-lg), [hidden], .leaflet-container')) continue;
    if ((r.right > width + 1 || r.left < -1) && !scrolls(el)) {
      out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string'
        ? '.' + el.className.trim().split(/\\s+/).slice(0, 2).join('.') : '') + ` right=${Math.round(r.right)}`);
      if (out.length >= 3) break;
    }
  }
  return {page: document.documentElement.scrollWidth > width + 1, elements: out};
}"""

LINKS_JS = """(selector) => [...document.querySelectorAll(selector)].map((a) => a.href)"""


@dataclass
class Walk:
    role: str
    size: str
    visited: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def kind_of(path: str) -> str:
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def check_page(page, walk: Walk, url: str, errors: list) -> None:
    path = urlsplit(url).path
    errors.clear()
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    where = f"{walk.role}@{walk.size} {path}"
    if response is None or response.status >= 400:
        walk.problems.append(f"{where}: answered {response.status if response else 'nothing'}")
        return
    if "text/html" not in (response.headers.get("content-type") or ""):
        return  # a file (a packet's PDF): the browser's own viewer, not a page of ours
    walk.visited.append(path)
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "root"
    page.screenshot(path=str(SHOTS / f"{walk.role}-{walk.size}-{name}.png"), full_page=walk.size == "laptop")
    for error in errors:
        walk.problems.append(f"{where}: {error}")
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow["page"] or overflow["elements"]:
        walk.problems.append(f"{where}: wider than the screen: {overflow['elements']}")
    # Identifiers an integrator needs (an event type on the webhooks pages) are shown as code, and only there.
    text = page.evaluate(
        "(() => { const hide = document.createElement('style');"
        " hide.textContent = 'code, kbd, samp { display: none !important; }';"
        " document.head.appendChild(hide); const text = document.body.innerText; hide.remove(); return text; })()"
    )
    for raw in sorted({match.group(0) for match in RAW.finditer(text)})[:3]:
        walk.problems.append(f"{where}: raw code in the text: {raw!r}")
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter((v) => v.impact === 'serious' || v.impact === 'critical')"
        ".map((v) => `${v.impact} ${v.id}: ${v.nodes.length} × ${v.nodes[0].target.join(' ')} ${v.nodes[0].html.slice(0, 140)}`)"
    )
    for violation in result:
        walk.problems.append(f"{where}: axe {violation}")


def walk_role(browser, base_url: str, email: str, role: str, size: str) -> Walk:
    walk = Walk(role=role, size=size)
    context = browser.new_context(**SIZES[size])
    context.set_default_timeout(15_000)
    page = context.new_page()
    origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
    # This machine has no internet: a map's tiles (OpenStreetMap) are refused here, not counted as failures.
    page.route(re.compile(r"^https?://(?!localhost|127\.0\.0\.1)"), lambda route: route.abort("blockedbyclient"))
    errors: list[str] = []
    page.on(
        "console",
        lambda message: errors.append(f"console {message.type}: {message.text}")
        if message.type == "error" and "ERR_BLOCKED_BY_CLIENT" not in message.text
        else None,
    )
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "requestfailed",
        lambda request: errors.append(f"request failed: {request.url} {request.failure}")
        if request.url.startswith(origin)
        else None,
    )
    page.on(
        "response",
        lambda response: errors.append(f"{response.status} for {response.url}")
        if response.status >= 400 and response.request.resource_type != "document"
        else None,
    )
    try:
        page.goto(f"{base_url}/login/")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("networkidle")
        if "/o/northwind/" not in page.url:  # a member of several organizations chooses one first
            page.goto(f"{base_url}/o/northwind/")
        home = page.url
        navigation = [home, *page.evaluate(LINKS_JS, "nav a[href], .navbar a[href]")]
        queue, seen_kinds = [], set()

        def offer(url: str) -> None:
            parts = urlsplit(url)
            if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path) or parts.path == "/":
                return
            kind = kind_of(parts.path)
            if kind in seen_kinds or len(seen_kinds) >= MAX_PAGES:
                return
            seen_kinds.add(kind)
            queue.append(f"{origin}{parts.path}" + (f"?{parts.query}" if parts.query else ""))

        for url in navigation:
            offer(url)
        position = 0
        while position < len(queue):
            url = queue[position]
            position += 1
            check_page(page, walk, url, errors)
            if position <= len(navigation):  # from the navigation's pages, one page of each kind they link to
                for link in page.evaluate(LINKS_JS, "main a[href]"):
                    offer(link)
    finally:
        context.close()
    return walk


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", verbosity=0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    return live_server.url


WALKS = [(role, "laptop") for role in ("admin", "pm", "coordinator", "technician", "client")] + [
    ("technician", "phone"),
    ("client", "phone"),
]


@pytest.mark.parametrize(("role", "size"), WALKS)
def test_every_page_of_the_role_holds_up(browser, demo, role, size):
    email = next(member[1] for member in DEMO_MEMBERS if member[0] == "northwind" and member[3] == role)
    walk = walk_role(browser, demo, email, role, size)
    print(f"{role}@{size}: {len(walk.visited)} pages walked, {len(walk.problems)} problems")
    (SHOTS / f"problems-{role}-{size}.txt").write_text("\n".join(walk.problems))
    assert len(walk.visited) >= 3, walk.visited
    assert walk.problems == [], "\n".join(walk.problems)
