"""The technician's phone app in a real browser (phone viewport, 390×844).

First the JavaScript modules on their own, in Chromium (static/js/field/*: the optimistic view, the checks,
the outbox in IndexedDB, the sender's answers to network failures, 5xx and 4xx, against routed responses).
Then whole visits against the real API: geolocation granted with the network cut mid-way, geolocation
denied, and a coordinator's dispatch board changing when the technician checks in. Screenshots go to
var/screenshots/phone-field-*.png.
"""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS, VIEWPORTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    return "phone"


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-field-{name}.png"))


def on_app_origin(page, live_server):
    """A page of the app's origin, so that modules import from /static/ and IndexedDB belongs to it."""
    page.goto(f"{live_server.url}/login/")


def run_module_test(page, body: str):
    """Run an async JS function body with the field modules imported as `m` (a dict by file name)."""
    return page.evaluate(
        """async (body) => {
          const names = ["util", "outbox", "sender", "visit-state", "indicator", "geo"];
          const m = {};
          for (const name of names) m[name] = await import(`/static/js/field/${name}.js`);
          const run = new Function("m", `return (async () => { ${body} })();`);
          return run(m);
        }""",
        body,
    )


# --- The modules on their own --------------------------------------------------------------------------

VISIT = {
    "id": 7,
    "status": "scheduled",
    "packet": {"id": 3, "version": 2, "checksum": "abc", "acknowledged": False},
    "site": {"latitude": "41.9", "longitude": "-87.65", "timezone": "America/Chicago", "contacts": []},
    "tasks": [
        {"key": "survey", "number": 1, "title": "Survey", "evidence_kind": "photo", "photo_min_count": 2,
         "serial_pattern": "", "result": None, "photos": []},
        {"key": "mount", "number": 2, "title": "Mount", "evidence_kind": "serial", "photo_min_count": 0,
         "serial_pattern": r"^SCO\d{6}$", "result": None, "photos": []},
        {"key": "cable", "number": 3, "title": "Cable", "evidence_kind": "measurement", "measurement_unit": "m",
         "measurement_min": "0.5", "measurement_max": "30", "result": None, "photos": []},
    ],
    "missing_evidence": [{"task_key": "survey", "message": "from the server"}],
    "check_in": None,
    "check_out": None,
    "sign_off": None,
}


def test_optimistic_view_applies_waiting_actions_in_order(page, live_server):
    # given a scheduled visit and actions waiting in the outbox (one of them refused)
    on_app_origin(page, live_server)

    # when the page computes its view
    result = run_module_test(
        page,
        f"""
        const s = m["visit-state"];
        const visit = {json.dumps(VISIT)};
        const ctx = {{apiBase: "/api/v1/", org: "acme", user: 1}};
        const items = [
          s.makeAction({{kind: "acknowledge", visit, context: ctx, id: "a0"}}),
          s.makeAction({{kind: "check-in", visit, context: ctx, id: "a1", fields: {{location_status: "denied"}}}}),
          s.makeAction({{kind: "photo", visit, context: ctx, id: "a2", fields: {{task_key: "survey"}}, file: new Blob(["x"])}}),
          s.makeAction({{kind: "task-result", visit, context: ctx, id: "a3", fields: {{task_key: "mount", status: "done", serial: "SCO123456"}}}}),
          {{...s.makeAction({{kind: "confirm", visit, context: ctx, id: "a4"}}), state: "failed"}},
        ].map((item) => ({{state: "pending", ...item}}));
        const view = s.applyPending(visit, items);
        return {{
          status: view.status,
          acknowledged: view.packet.acknowledged,
          location: view.check_in.location_status,
          photos: view.tasks[0].photos.length,
          mount: view.tasks[1].result.serial,
          pending: view.pendingCount,
          missing: s.missingEvidenceOf(view).map((entry) => entry.task_key),
          server: s.missingEvidenceOf(visit).map((entry) => entry.message),
          untouched: visit.status,
          body: JSON.parse(items[1].body),
          url: items[3].url,
          ackUrl: items[0].url,
          photoFields: items[2].form.fields,
        }};
        """,
    )

    # then the view moved forward without touching the server's copy
    assert result["status"] == "checked_in"
    assert result["untouched"] == "scheduled"
    assert result["acknowledged"] is True
    assert result["location"] == "denied"
    assert result["photos"] == 1
    assert result["mount"] == "SCO123456"
    assert result["pending"] == 4  # the refused confirm is not applied
    # one photo of two, and the cable task has no result; the server's list is used only when nothing waits
    assert result["missing"] == ["survey", "cable"]
    assert result["server"] == ["from the server"]
    assert result["body"]["client_action_id"] == "a1"
    assert result["body"]["device_time"][-6] in "+-"
    assert result["url"] == "/api/v1/visits/7/task-results/"
    assert result["ackUrl"] == "/api/v1/packets/3/acknowledge/"
    assert result["photoFields"]["client_action_id"] == "a2"
    assert result["photoFields"]["task_key"] == "survey"


def test_checks_labels_and_clock(page, live_server):
    on_app_origin(page, live_server)

    result = run_module_test(
        page,
        f"""
        const s = m["visit-state"], u = m.util, snd = m.sender, ind = m.indicator;
        const [survey, mount, cable] = {json.dumps(VISIT)}.tasks;
        return {{
          serialOk: s.serialProblem(mount, " SCO123456 "),
          serialBad: s.serialProblem(mount, "SCO12"),
          serialEmpty: s.serialProblem(mount, ""),
          serialPython: s.serialProblem({{serial_pattern: "(?P<n>\\\\d+)"}}, "12"),
          low: s.measurementProblem(cable, "0.2"),
          comma: s.measurementProblem(cable, "2,5"),
          high: s.measurementProblem(cable, "31"),
          text: s.measurementProblem(cable, "abc"),
          labels: [s.evidenceLabel(survey), s.evidenceLabel(mount), s.evidenceLabel(cable)],
          time: u.deviceTime(new Date(2026, 2, 4, 9, 5, 7, 12)),
          plural: [u.plural(1, "change"), u.plural(3, "change")],
          distance: Math.round(u.distanceMetres(41.9, -87.65, 41.9, -87.64)),
          km: u.formatDistance(1234),
          uuid: /^[0-9a-f-]{{36}}$/.test(u.newActionId()),
          classify: [
            snd.classify(0, null), snd.classify(200, {{}}), snd.classify(503, null), snd.classify(429, null),
            snd.classify(400, {{errors: [{{code: "serial_format"}}]}}),
            snd.classify(409, {{errors: [{{code: "already_checked_in"}}]}}),
            snd.classify(409, {{errors: [{{code: "idempotency_key_in_progress"}}]}}),
            snd.classify(403, {{errors: [{{code: "not_authenticated"}}]}}),
            snd.classify(403, {{errors: [{{code: "permission_denied", detail: "CSRF Failed: token missing."}}]}}),
            snd.classify(403, {{errors: [{{code: "permission_denied", detail: "Your role may not."}}]}}),
            snd.classify(404, null),
          ],
          backoff: [snd.backoff(1, () => 0.5), snd.backoff(3, () => 0.5), snd.backoff(30, () => 0.5)],
          message: snd.errorMessage({{errors: [{{code: "x", detail: "Bad serial.", attr: "serial"}}]}}, 400),
          indicator: [
            ind.indicatorState({{pending: 0}}).text,
            ind.indicatorState({{pending: 2}}).text,
            ind.indicatorState({{pending: 1, online: false}}).text,
            ind.indicatorState({{pending: 0, failed: 1}}).text,
            ind.indicatorState({{pending: 2, auth: true}}).text,
          ],
        }};
        """,
    )

    assert result["serialOk"] == ""
    assert "expected format" in result["serialBad"]
    assert result["serialEmpty"] == "Enter the serial number."
    assert result["serialPython"] == ""  # JS cannot read this pattern: the server checks it
    assert result["low"] == "Expected at least 0.5 m."
    assert result["comma"] == ""
    assert result["high"] == "Expected at most 30 m."
    assert result["text"] == "Enter a number."
    assert result["labels"] == ["At least 2 photos", r"Serial number (format ^SCO\d{6}$)", "Measurement in m, 0.5–30"]
    assert result["time"].startswith("2026-03-04T09:05:07.012")
    assert result["time"][-6] in "+-"
    assert result["plural"] == ["1 change", "3 changes"]
    assert 800 < result["distance"] < 850
    assert result["km"] == "1.2 km"
    assert result["uuid"] is True
    assert result["classify"] == [
        "retry", "sent", "retry", "retry", "failed", "failed", "retry", "auth", "auth", "failed", "failed",
    ]
    assert result["backoff"] == [1000, 4000, 60000]
    assert result["message"] == "serial: Bad serial."
    assert result["indicator"] == [
        "All changes saved",
        "2 changes waiting to send",
        "Offline — 1 change saved on this phone",
        "1 change refused — see below",
        "Sign in again to send 2 changes",
    ]


def test_outbox_keeps_items_and_photos_in_order_across_reloads(page, live_server):
    on_app_origin(page, live_server)

    # when three items (one with a photo Blob) are added, one updated and one removed
    run_module_test(
        page,
        """
        const box = new m.outbox.Outbox({name: "test-outbox"});
        await box.clear();
        await box.add({id: "one", user: 1, kind: "check-in", body: "{}"});
        await box.add({id: "two", user: 1, kind: "photo", form: {fields: {task_key: "survey"}, file: new Blob([new Uint8Array([255, 216, 255])], {type: "image/jpeg"})}});
        await box.add({id: "three", user: 2, kind: "confirm", body: "{}"});
        await box.update("one", {attempts: 2});
        await box.remove("three");
        """,
    )
    page.reload()  # the outbox lives in IndexedDB: a reload (or a dead battery) keeps it

    # then they come back in order, the photo still a Blob
    result = run_module_test(
        page,
        """
        const box = new m.outbox.Outbox({name: "test-outbox"});
        const items = await box.all();
        const blob = items[1].form.file;
        const retried = await box.retry("two", "two-b", (item, id) => ({...item, form: {...item.form, fields: {...item.form.fields, client_action_id: id}}}));
        return {
          ids: items.map((item) => item.id),
          attempts: items[0].attempts,
          blobSize: blob.size, blobType: blob.type,
          counts: m.outbox.summarize(items, {user: 1}),
          retried: [retried.id, retried.form.fields.client_action_id, retried.state, (await box.all()).length],
        };
        """,
    )
    assert result["ids"] == ["one", "two"]
    assert result["attempts"] == 2
    assert result["blobSize"] == 3
    assert result["blobType"] == "image/jpeg"
    assert result["counts"] == {"pending": 2, "failed": 0, "total": 2}
    assert result["retried"] == ["two-b", "two-b", "pending", 2]


def test_sender_sends_in_order_retries_5xx_and_moves_past_a_refusal(page, live_server):
    # given an API that first fails with a 503, then answers; refuses the serial with a 400
    on_app_origin(page, live_server)
    seen = []
    answers = {"check-in": [503, 200], "task-results": [400], "sign-off": [200]}

    def answer(route):
        request = route.request
        kind = request.url.rstrip("/").rsplit("/", 1)[-1]
        status = answers[kind].pop(0)
        seen.append((kind, status, request.headers.get("idempotency-key"), request.headers.get("x-csrftoken")))
        if status == 200:
            body = {"id": 7, "status": "checked_in"}
        elif status == 400:
            body = {
                "type": "validation_error",
                "errors": [{"code": "serial_format", "detail": "Does not match SCO + 6 digits.", "attr": "serial"}],
            }
        else:
            body = {"type": "server_error", "errors": [{"code": "error", "detail": "Down.", "attr": None}]}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/visits/7/**", answer)

    # when three actions are queued and the sender runs (its backoff shortened for the test)
    result = run_module_test(
        page,
        """
        const box = new m.outbox.Outbox({name: "test-sender"});
        await box.clear();
        for (const [id, path] of [["k1", "check-in"], ["k2", "task-results"], ["k3", "sign-off"]]) {
          await box.add({id, user: 1, org: "acme", visitId: 7, kind: path, url: `/api/v1/visits/7/${path}/`,
                         body: JSON.stringify({client_action_id: id})});
        }
        let clock = 0;
        const sender = new m.sender.Sender({outbox: box, user: 1, now: () => clock});
        const events = [];
        for (const name of ["sent", "failed", "retry"]) sender.addEventListener(name, (e) => events.push([name, e.detail.item.id]));
        await sender.kick();          // 503: k1 stays, nothing else is sent (order)
        const afterFirst = (await box.all()).map((item) => [item.id, item.state, item.attempts]);
        clock = 10 ** 9;               // the backoff has passed
        await sender.kick();
        sender.stop();
        const left = (await box.all()).map((item) => [item.id, item.state, item.error && item.error.message]);
        return {events, afterFirst, left};
        """,
    )

    # then the first attempt waited, the retry went through, the refusal was kept with its message and the
    # queue moved on; every request carried its key and the CSRF token header
    assert result["afterFirst"] == [["k1", "pending", 1], ["k2", "pending", 0], ["k3", "pending", 0]]
    assert result["events"] == [["retry", "k1"], ["sent", "k1"], ["failed", "k2"], ["sent", "k3"]]
    assert result["left"] == [["k2", "failed", "serial: Does not match SCO + 6 digits."]]
    assert [(kind, status, key) for kind, status, key, _ in seen] == [
        ("check-in", 503, "k1"),
        ("check-in", 200, "k1"),
        ("task-results", 400, "k2"),
        ("sign-off", 200, "k3"),
    ]
    assert all(token for *_, token in seen)


def test_sender_waits_offline_and_sends_when_the_network_returns(browser, live_server):
    # given a phone that is offline with an action waiting
    context = browser.new_context(**VIEWPORTS["phone"])
    page = context.new_page()
    try:
        on_app_origin(page, live_server)
        calls = []
        page.route(
            "**/api/v1/visits/7/confirm/",
            lambda route: (
                calls.append(route.request.headers.get("idempotency-key")),
                route.fulfill(status=200, content_type="application/json", body='{"id": 7}'),
            ),
        )
        run_module_test(page, "return 1;")  # the modules load while online
        context.set_offline(True)
        run_module_test(
            page,
            """
            const box = new m.outbox.Outbox({name: "test-offline"});
            await box.clear();
            await box.add({id: "c1", user: 1, visitId: 7, kind: "confirm", url: "/api/v1/visits/7/confirm/", body: "{}"});
            window.testSender = new m.sender.Sender({outbox: box, user: 1}).start();
            window.testBox = box;
            """,
        )
        page.wait_for_timeout(300)
        assert calls == []

        # when the network comes back ("online" fires)
        context.set_offline(False)

        # then the waiting action is sent once and leaves the outbox
        page.wait_for_function("async () => (await window.testBox.all()).length === 0")
        assert calls == ["c1"]
    finally:
        context.close()
