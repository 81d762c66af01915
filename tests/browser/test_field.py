"""The technician's phone app in a real browser (phone viewport, 390×844).

First the JavaScript modules on their own, in Chromium (static/js/field/*: the optimistic view, the checks,
the outbox in IndexedDB, the sender's answers to network failures, 5xx and 4xx, against routed responses).
Then whole visits against the real API: geolocation granted with the network cut mid-way, geolocation
denied, and a coordinator's dispatch board changing when the technician checks in. Screenshots go to
var/screenshots/phone-field-*.png.
"""

import io
import json
import math
from collections import Counter
from datetime import time, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import SCREENSHOTS, VIEWPORTS, indicator, phone_context, shoot, sign_in, watch_errors
from tests.workorders.builders.field import (
    PLACES,
    field_work_order,
    schedule,
    serial_recorded_elsewhere,
)
from workorders.models import PacketAcknowledgement, TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    return "phone"


def on_app_origin(page, live_server):
    """A page of the app's origin, so that modules import from /static/ and IndexedDB belongs to it."""
    page.goto(f"{live_server.url}/login/")


def run_module_test(page, body: str):
    """Run an async JS function body with the field modules imported as `m` (a dict by file name)."""
    # The body is part of the evaluated source (evaluated by the browser's devtools): `new Function` would be an
    # eval, which the app's Content Security Policy refuses.
    return page.evaluate(
        """async () => {
          const names = ["util", "outbox", "sender", "visit-state", "indicator", "geo"];
          const m = {};
          for (const name of names) m[name] = await import(`/static/js/field/${name}.js`);
          return (async () => { BODY })();
        }""".replace("BODY", body)
    )


# --- The modules on their own --------------------------------------------------------------------------

VISIT = {
    "id": 7,
    "status": "scheduled",
    "packet": {"id": 3, "version": 2, "checksum": "abc", "acknowledged": False},
    "site": {"latitude": "41.9", "longitude": "-87.65", "timezone": "America/Chicago", "contacts": []},
    "tasks": [
        {
            "key": "survey",
            "number": 1,
            "title": "Survey",
            "evidence_kind": "photo",
            "photo_min_count": 2,
            "serial_pattern": "",
            "result": None,
            "photos": [],
        },
        {
            "key": "mount",
            "number": 2,
            "title": "Mount",
            "evidence_kind": "serial",
            "photo_min_count": 0,
            "serial_pattern": r"^SCO\d{6}$",
            "result": None,
            "photos": [],
        },
        {
            "key": "cable",
            "number": 3,
            "title": "Cable",
            "evidence_kind": "measurement",
            "measurement_unit": "m",
            "measurement_min": "0.5",
            "measurement_max": "30",
            "result": None,
            "photos": [],
        },
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
          s.makeAction({{kind: "photo", visit, context: ctx, id: "a2", fields: {{task_key: "survey"}},
                        file: new Blob(["x"])}}),
          s.makeAction({{kind: "task-result", visit, context: ctx, id: "a3",
                        fields: {{task_key: "mount", status: "done", serial: "SCO123456"}}}}),
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
          body: items[1].payload,
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
    assert result["ackUrl"] == "/api/v1/visits/7/acknowledge-packet/"
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
          hints: [
            s.patternHint(String.raw`^SCO\\d{{6}}$`),
            s.patternHint(String.raw`[A-Z]{{2}}-\\d{{4}}`),
            s.patternHint(String.raw`(?P<n>\\d+)x`),
          ],
          serialHints: [
            s.serialHint({{serial_pattern: "^SCO-[0-9]{{6}}$", serial_example: "SCO-123456"}}),
            s.serialHint({{serial_pattern: String.raw`^SCO\\d{{6}}$`, serial_example: "SCO123456"}}),
            s.serialHint({{serial_pattern: String.raw`(?P<n>\\d+)x`, serial_example: ""}}),
          ],
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
            ind.indicatorState({{pending: 2, unreachable: true}}).text,
            ind.indicatorState({{pending: 0, unsaved: 2}}).text,
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
    assert result["labels"] == [
        "At least 2 photos",
        "Serial number: SCO + 6 digits (e.g. SCO123456)",
        "Measurement in m, 0.5–30",
    ]
    # the phone never shows a regular expression: words, else the server's example, else a plain request
    assert result["serialHints"] == [
        "like SCO-123456",
        "SCO + 6 digits (e.g. SCO123456)",
        "as printed on the device's label",
    ]
    assert result["hints"] == [
        "SCO + 6 digits (e.g. SCO123456)",
        "2 capital letters + - + 4 digits (e.g. AB-1234)",
        "(?P<n>\\d+)x",
    ]
    assert result["time"].startswith("2026-03-04T09:05:07.012")
    assert result["time"][-6] in "+-"
    assert result["plural"] == ["1 change", "3 changes"]
    assert 800 < result["distance"] < 850
    assert result["km"] == "1.2 km"
    assert result["uuid"] is True
    assert result["classify"] == [
        "retry",
        "sent",
        "retry",
        "retry",
        "failed",
        "failed",
        "retry",
        "auth",
        "auth",
        "failed",
        "failed",
    ]
    assert result["backoff"] == [1000, 4000, 60000]
    assert result["message"] == "Bad serial."
    assert result["indicator"] == [
        "All changes saved",
        "2 changes waiting to send",
        "Offline — 1 change saved on this phone",
        "1 change refused — see below",
        "Sign in again to send 2 changes",
        "No connection — 2 changes saved on this phone",
        "2 tasks not saved — fix what is marked",
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
        const file = new Blob([new Uint8Array([255, 216, 255])], {type: "image/jpeg"});
        await box.add({id: "two", user: 1, kind: "photo", form: {fields: {task_key: "survey"}, file}});
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
        const rekey = (item, id) => ({...item, form: {...item.form, fields: {client_action_id: id}}});
        const retried = await box.retry("two", "two-b", rekey);
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
    assert result["counts"] == {"pending": 2, "failed": 0, "total": 2, "unreachable": False}
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
        for (const name of ["sent", "failed", "retry"]) {
          sender.addEventListener(name, (e) => events.push([name, e.detail.item.id]));
        }
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
    assert result["left"] == [["k2", "failed", "Does not match SCO + 6 digits."]]
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
            await box.add({id: "c1", user: 1, visitId: 7, kind: "confirm", url: "/api/v1/visits/7/confirm/",
                           body: "{}"});
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


# --- Whole visits against the real API -------------------------------------------------------------------


def jpeg(color: tuple[int, int, int], size=(640, 480)) -> bytes:
    """A small real JPEG (the server validates and re-encodes photos)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle([size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4], outline=(255, 255, 255), width=8)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def all_saved(page) -> None:
    expect(indicator(page)).to_have_text("All changes saved", timeout=20_000)


def open_todays_visit(page, live_server, world) -> None:
    sign_in(page, live_server.url, world.technician.user.email)
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    row = page.locator(f'a.visit-row[data-visit="{world.visit.pk}"]')
    expect(row).to_contain_text(world.site.name)
    shoot(page, "today")
    row.click()
    expect(page.get_by_role("heading", name=world.site.name)).to_be_visible()
    all_saved(page)


def acknowledge_and_check_in(page, world) -> None:
    page.get_by_role("button", name=f"Acknowledge packet v{world.packet.version}").click()
    expect(page.locator("#packet-acknowledged")).to_contain_text(f"Packet v{world.packet.version} acknowledged")
    all_saved(page)
    page.get_by_role("button", name="Check in").click()
    expect(page.locator("#checked-in")).to_contain_text("Checked in at")
    all_saved(page)


def draw_signature(page) -> None:
    canvas = page.locator("#signature-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] * 0.65
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 24):
        page.mouse.move(x + step * 12, y - 40 * math.sin(step / 3.0), steps=2)
    page.mouse.up()


def test_a_visit_on_a_phone_that_loses_the_network_is_recorded_exactly_once(browser, live_server, field):
    # given Tomás's phone, with location permission, standing at the site
    world = field
    context = phone_context(browser, world, geolocation=True)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        # he signs in, opens today's visit, acknowledges the packet and checks in
        open_todays_visit(page, live_server, world)
        expect(page.locator('#field-visit[data-offline-ready="true"]')).to_have_count(1)  # kept on the phone
        shoot(page, "visit")
        acknowledge_and_check_in(page, world)
        expect(page.locator("#check-in-location")).to_contain_text("location recorded")
        expect(page.locator("#check-in-location")).to_have_attribute("data-location-status", "ok")
        shoot(page, "checked-in")

        # the photo task: two photos from the camera, thumbnails first from the phone, then from the server
        survey = page.locator("#task-survey")
        survey.scroll_into_view_if_needed()
        survey.locator('input[data-task-photo="survey"]').set_input_files(
            [
                {"name": "checkout-1.jpg", "mimeType": "image/jpeg", "buffer": jpeg((40, 90, 160))},
                {"name": "checkout-2.jpg", "mimeType": "image/jpeg", "buffer": jpeg((160, 70, 40))},
            ]
        )
        expect(survey.locator("figure.thumb")).to_have_count(2)
        all_saved(page)
        expect(survey.locator('figure.thumb[data-photo="saved"]')).to_have_count(2)
        # the same picture chosen again is not added a third time, and the phone says why
        survey.locator('input[data-task-photo="survey"]').set_input_files(
            [{"name": "again.jpg", "mimeType": "image/jpeg", "buffer": jpeg((40, 90, 160))}]
        )
        expect(page.locator("#visit-notice")).to_contain_text("That photo is already on task 1")
        expect(survey.locator("figure.thumb")).to_have_count(2)
        survey.get_by_text("Done", exact=True).click()
        survey.get_by_role("button", name="Save task 1").click()
        expect(survey.locator(".result-chip")).to_have_text("Done")

        # the serial task: a wrong format is caught on the phone, then the right one is saved
        mount = page.locator("#task-mount")
        mount.scroll_into_view_if_needed()
        mount.get_by_text("Done", exact=True).click()
        mount.get_by_label("Serial number").fill("SCO12")
        mount.get_by_role("button", name="Save task 2").click()
        expect(mount.locator(".result-done .invalid-feedback")).to_contain_text("does not match the expected format")
        expect(indicator(page)).to_have_text("1 task not saved — fix what is marked")  # never "All changes saved"
        shoot(page, "serial-format")
        mount.get_by_label("Serial number").fill("SCO123456")
        mount.get_by_role("button", name="Save task 2").click()
        expect(mount.locator("[data-serial]")).to_have_text("SCO123456")
        all_saved(page)
        shoot(page, "checklist")

        # when the network drops, he still collects the sign-off and checks out
        context.set_offline(True)
        expect(indicator(page)).to_contain_text("Offline")
        page.get_by_label("Site contact's name").fill("Dana Store-Manager")
        draw_signature(page)
        page.get_by_role("button", name="Save sign-off").click()
        expect(page.locator("#signed-off")).to_contain_text("Signed off by Dana Store-Manager")
        expect(indicator(page)).to_have_text("Offline — 1 change saved on this phone")
        page.get_by_label("Complete — all work done").check()
        page.get_by_role("button", name="Check out").click()
        expect(page.locator("#checked-out")).to_contain_text("complete")
        expect(indicator(page)).to_have_text("Offline — 2 changes saved on this phone")
        shoot(page, "offline", at="#visit-signoff")
        assert VisitAction.objects.filter(visit=world.visit, kind="sign_off").count() == 0

        # the tab is reloaded without signal (the camera app killed it, say): the phone's copy of the page comes
        # back, with the checklist as the server last said and both changes still waiting
        page.reload()
        expect(indicator(page)).to_have_text("Offline — 2 changes saved on this phone")
        expect(page.locator("#checked-out")).to_contain_text("complete")
        expect(page.locator("#task-mount [data-serial]")).to_have_text("SCO123456")
        shoot(page, "offline-reloaded", at="#visit-checklist")

        # and when it comes back, the first answer is lost on the way (the server recorded the sign-off, the
        # phone never heard): the phone sends again with the same key
        lost = []

        def lose_first_answer(route):
            if not lost:
                lost.append(route.request.headers.get("idempotency-key"))
                route.fetch()
                route.abort("connectionreset")
            else:
                route.continue_()

        page.route("**/api/v1/visits/*/sign-off/", lose_first_answer)
        context.set_offline(False)

        # then everything is sent, and the page says so
        all_saved(page)
        expect(page.locator("#checked-out")).not_to_contain_text("waiting")
        shoot(page, "saved", at="#visit-signoff")
        assert len(lost) == 1

        # and the server recorded every action exactly once
        visit = Visit.objects.get(pk=world.visit.pk)
        kinds = Counter(VisitAction.objects.filter(visit=visit).values_list("kind", flat=True))
        assert kinds == {
            "acknowledge_packet": 1,
            "check_in": 1,
            "photo": 2,
            "task_result": 2,
            "sign_off": 1,
            "check_out": 1,
        }
        assert TaskResult.objects.filter(visit=visit).count() == 2
        assert dict(TaskResult.objects.filter(visit=visit).values_list("task_key", "status")) == {
            "survey": "done",
            "mount": "done",
        }
        assert VisitPhoto.objects.filter(visit=visit).count() == 2
        assert VisitSignOff.objects.filter(visit=visit).count() == 1
        assert PacketAcknowledgement.objects.filter(packet=world.packet).count() == 1
        assert visit.status == "checked_out"
        assert visit.outcome == "complete"
        assert visit.location_status == "ok"
        assert visit.check_in_distance_m is not None and visit.check_in_distance_m < 50
        sign_off = VisitAction.objects.get(visit=visit, kind="sign_off")
        assert sign_off.client_action_id == lost[0]
        assert sign_off.device_time is not None
        visit.work_order.refresh_from_db()
        assert visit.work_order.status == "submitted"
        assert page.evaluate("async () => (await window.tuttiVisitPage.outbox.all()).length") == 0
        assert errors == []
    finally:
        context.close()


def test_a_check_in_without_location_permission_is_recorded_as_denied(browser, live_server, field):
    # given a phone whose owner refused location access; Tomás also has a visit in two days, and the serial he
    # is about to record was already recorded at another site of the program
    world = field
    place = next(place for place in PLACES if place[0] == world.zone.key)
    later = field_work_order(world.organization, world.program, world.work_order.sow, place, code="HF-0077")
    schedule(
        world.organization, world.pm, later, world.technician, world.today() + timedelta(days=2), time(9), time(11)
    )
    serial_recorded_elsewhere(world, "SCO777777")
    context = phone_context(browser, world, geolocation=False)
    page = context.new_page()
    errors = watch_errors(page)
    try:
        sign_in(page, live_server.url, world.technician.user.email)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Upcoming").click()
        expect(page.locator(f'a.visit-row[data-visit="{later.visits.get().pk}"]')).to_contain_text("HF-0077")
        shoot(page, "upcoming")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Today").click()
        page.locator(f'a.visit-row[data-visit="{world.visit.pk}"]').click()
        all_saved(page)

        # when he checks in
        acknowledge_and_check_in(page, world)

        # then the check-in stands, without a location, and the page says why
        expect(page.locator("#check-in-location")).to_have_attribute("data-location-status", "denied")
        expect(page.locator("#visit-notice")).to_contain_text("Location permission is off")
        shoot(page, "denied")
        visit = Visit.objects.get(pk=world.visit.pk)
        assert visit.status == "checked_in"
        assert visit.location_status == "denied"
        assert visit.check_in_latitude is None
        assert VisitAction.objects.filter(visit=visit, kind="check_in").count() == 1

        # when a "photo" that is not an image is refused by the server, the refusal is shown and the rest goes on
        survey = page.locator("#task-survey")
        survey.locator('input[data-task-photo="survey"]').set_input_files(
            [{"name": "receipt.jpg", "mimeType": "image/jpeg", "buffer": b"this is not a picture"}]
        )
        refused = page.locator("#visit-failed .failed-item")
        expect(refused).to_have_count(1)
        expect(refused.locator(".failed-message")).not_to_be_empty()
        expect(indicator(page)).to_contain_text("refused")
        shoot(page, "refused", at="#visit-failed")
        refused.get_by_role("button", name="Dismiss").click()
        expect(refused).to_have_count(0)
        all_saved(page)
        assert VisitPhoto.objects.filter(visit=visit).count() == 0

        # and a serial already recorded elsewhere in the program is kept, flagged on the phone
        mount = page.locator("#task-mount")
        mount.get_by_text("Done", exact=True).click()
        mount.get_by_label("Serial number").fill("SCO777777")
        mount.get_by_role("button", name="Save task 2").click()
        all_saved(page)
        expect(mount.locator(".serial-duplicate")).to_contain_text("already recorded elsewhere")
        shoot(page, "serial-duplicate", at="#task-mount")
        assert TaskResult.objects.get(visit=visit, task_key="mount").serial_duplicate is True
        assert errors == []
    finally:
        context.close()


def test_the_dispatch_board_follows_the_technicians_check_in(browser, live_server, field):
    # given the coordinator watching today's board on a desktop, and Tomás's phone at the site
    world = field
    desk = browser.new_context(**VIEWPORTS["desktop"])
    phone = phone_context(browser, world, geolocation=True)
    try:
        board = desk.new_page()
        board.set_default_timeout(15_000)
        sign_in(board, live_server.url, "cole@example.com")
        board.goto(f"{live_server.url}/o/northwind/dispatch/?date={world.visit.local_date:%Y-%m-%d}")
        row = board.locator(f'#board-table tr[data-visit="{world.visit.pk}"]')
        expect(row).to_have_attribute("data-state", "scheduled")
        expect(row).to_contain_text("Tomás Alvarez")

        # when Tomás acknowledges his packet and checks in
        page = phone.new_page()
        open_todays_visit(page, live_server, world)
        acknowledge_and_check_in(page, world)

        # then the board changes by itself (htmx refresh, no reload)
        expect(row).to_have_attribute("data-state", "checked_in", timeout=30_000)
        expect(row).to_contain_text("Checked in")
        board.screenshot(path=str(SCREENSHOTS / "phone-field-dispatch-board.png"), full_page=True)

        # and the coordinator may read the technician's page, without any action on it
        board.goto(f"{live_server.url}/o/northwind/field/visits/{world.visit.pk}/")
        expect(board.locator("#checked-in")).to_contain_text("Checked in at")
        expect(board.locator("#field-visit")).to_have_attribute("data-readonly", "true")
        expect(board.get_by_role("button", name="Check in")).to_have_count(0)
        expect(board.locator("#outbox-indicator")).to_have_count(0)
        board.screenshot(path=str(SCREENSHOTS / "phone-field-read-only-desktop.png"), full_page=True)
    finally:
        phone.close()
        desk.close()
