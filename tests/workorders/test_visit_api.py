"""Visits REST API: role matrix, technician and client scoping, cross-organization 404s, a technician reaching
another technician's visit (404), a full visit driven through the API, exactly-once replays (client action id and
Idempotency-Key), photo uploads and files, evidence listed on check-out, booking refusals, query budgets."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from programs.models import Program
from rollout.choices import Role
from tests.factories import ClientFactory
from tests.workorders.builders.visits import (
    FAR,
    NEAR,
    VISIT_DAY,
    acknowledge,
    action_id,
    book,
    booked_visit,
    build_field_world,
    check_in,
    jpeg_bytes,
    other_technician,
    photo,
    ready_work_order,
    signature_data_url,
)
from workorders.choices import VisitStatus, WorkOrderStatus
from workorders.models import Packet, TaskResult, Visit, VisitAction, VisitPhoto

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
EVERYONE_SIGNED_IN = {Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"}
SCHEDULERS = {Role.COORDINATOR, Role.PM, Role.ADMIN}
FIELD = {Role.TECHNICIAN, Role.INTEGRATOR, "token"}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


@pytest.fixture
def visits(world, tenant, other_tenant):
    """Ours: Tomás's visit (the technician member), Rosa's visit; another client's program's visit in the same
    organization; another organization's visit."""
    mine = booked_visit(world)
    rosa = other_technician(world)
    rosas = book(world, ready_work_order(world, site_code="ROSA-1"), technician=rosa, start=(13, 0), end=(15, 0))
    other_client = ClientFactory(organization=tenant.organization, code="other-client")
    other_program = build_field_world(tenant, code="other-prog")
    Program.objects.filter(pk=other_program.program.pk).update(client=other_client)
    other_program.program.refresh_from_db()
    other_clients = book(
        other_program, ready_work_order(other_program, site_code="OC-1"), technician=rosa, start=(16, 0), end=(17, 0)
    )
    foreign_world = build_field_world(other_tenant, code="foreign")
    foreign = booked_visit(foreign_world)
    return {"mine": mine, "rosas": rosas, "other_client": other_clients, "foreign": foreign, "world": world}


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("caller", CALLERS)
def test_list_role_matrix_and_scoping(tenant, visits, caller):
    # when
    response = tenant.api(caller).get("/api/v1/visits/")
    # then
    if caller is None:
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    ours = {visits["mine"].pk, visits["rosas"].pk, visits["other_client"].pk}
    expected = {
        Role.TECHNICIAN: {visits["mine"].pk},
        Role.CLIENT: {visits["mine"].pk, visits["rosas"].pk},
    }.get(caller, ours)
    assert ids(response) == expected
    assert visits["foreign"].pk not in ids(response)


@pytest.mark.parametrize("caller", CALLERS)
def test_detail_role_matrix(tenant, visits, caller):
    api = tenant.api(caller)
    mine, rosas, foreign = visits["mine"], visits["rosas"], visits["foreign"]
    response = api.get(f"/api/v1/visits/{mine.pk}/")
    if caller is None:
        assert response.status_code in (401, 403)
        return
    assert response.status_code == 200
    body = response.json()
    assert body["number"] == mine.work_order.number and body["sequence"] == 1
    assert body["site"]["contacts"][0]["name"] == "Dana Store-Manager"
    assert [task["key"] for task in body["tasks"]] == ["survey", "mount", "cable", "test", "tidy"]
    assert body["packet"]["acknowledged"] is True and body["check_in"] is None
    assert "America/Chicago" in body["window_local"]
    assert api.get(f"/api/v1/visits/{foreign.pk}/").status_code == 404
    assert api.get(f"/api/v1/visits/{rosas.pk}/").status_code == (404 if caller == Role.TECHNICIAN else 200)


def _post(api, visit, action, **body):
    body.setdefault("client_action_id", action_id())
    body.setdefault("device_time", timezone.now().isoformat())
    return api.post(f"/api/v1/visits/{visit.pk}/{action}/", body, format="json")


@pytest.mark.parametrize("caller", CALLERS)
def test_field_action_role_matrix(tenant, visits, caller):
    # when
    response = _post(tenant.api(caller), visits["mine"], "confirm")
    # then
    if caller is None:
        assert response.status_code in (401, 403)
    elif caller in FIELD:
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == VisitStatus.CONFIRMED
    else:
        assert response.status_code == 403


def test_a_technician_reaching_another_technicians_visit_gets_404(tenant, visits):
    api = tenant.api(Role.TECHNICIAN)
    for action, body in [
        ("check-in", {"location_status": "denied"}),
        ("confirm", {}),
        ("task-results", {"task_key": "tidy", "status": "done"}),
    ]:
        assert _post(api, visits["rosas"], action, **body).status_code == 404
    assert Visit.objects.get(pk=visits["rosas"].pk).status == VisitStatus.SCHEDULED


@pytest.mark.parametrize("caller", [Role.ADMIN, "token"])
def test_another_organizations_visit_is_a_404_for_every_action(tenant, visits, caller):
    api = tenant.api(caller)
    foreign = visits["foreign"]
    if caller == "token":
        for action in ("check-in", "confirm", "photos", "check-out"):
            assert _post(api, foreign, action).status_code == 404
        assert api.get(f"/api/v1/visits/{foreign.pk}/signature/").status_code == 404
    else:
        for action in ("reschedule", "reassign", "cancel", "no-show"):
            assert api.post(f"/api/v1/visits/{foreign.pk}/{action}/", {}, format="json").status_code == 404


def test_a_full_visit_driven_through_the_api(tenant, visits):
    # given
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    # when
    assert _post(api, visit, "confirm").status_code == 200
    assert _post(api, visit, "on-my-way").status_code == 200
    checked_in = _post(
        api, visit, "check-in", location_status="ok", latitude=str(NEAR[0]), longitude=str(NEAR[1]), accuracy_m=9
    )
    for n in range(2):
        upload = SimpleUploadedFile(f"p{n}.jpg", jpeg_bytes(color=(n * 90, 20, 20)), content_type="image/jpeg")
        response = api.post(
            f"/api/v1/visits/{visit.pk}/photos/",
            {"client_action_id": action_id(), "device_time": timezone.now().isoformat(), "task_key": "survey",
             "file": upload},
            format="multipart",
        )  # fmt: skip
        assert response.status_code == 200, response.json()
    for task_key, extra in [
        ("survey", {}),
        ("mount", {"serial": "SCO654321"}),
        ("cable", {"measurement": "7.5"}),
        ("test", {}),
        ("tidy", {"status": "not_applicable"}),
    ]:
        body = {"task_key": task_key, "status": "done", **extra}
        assert _post(api, visit, "task-results", **body).status_code == 200
    signed = _post(api, visit, "sign-off", name="Dana Store-Manager", signature=signature_data_url())
    checked_out = _post(api, visit, "check-out", outcome="complete", note="Done")
    # then
    assert checked_in.status_code == 200, checked_in.json()
    check = checked_in.json()["check_in"]
    assert check["location_status"] == "ok" and check["flagged"] is False and check["distance_m"] < 100
    assert signed.status_code == 200 and signed.json()["sign_off"]["name"] == "Dana Store-Manager"
    assert checked_out.status_code == 200, checked_out.json()
    body = checked_out.json()
    assert body["status"] == "checked_out" and body["work_order"]["status"] == "submitted"
    assert body["missing_evidence"] == [] and body["check_out"]["outcome"] == "complete"
    survey = body["tasks"][0]
    assert len(survey["photos"]) == 2 and survey["result"]["status"] == "done"
    thumbnail = survey["photos"][0]["thumbnail_url"]
    assert f"/o/{tenant.organization.slug}/visits/photos/" in thumbnail
    assert api.get(thumbnail).status_code == 200


def test_the_same_action_sent_three_times_is_recorded_once(tenant, visits):
    # given
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    body = {"client_action_id": "6f1c2b9e-4d55-4b8e-9d55-0c9a1e1f0001", "device_time": timezone.now().isoformat()}
    check = {**body, "location_status": "denied"}
    # when: the same client action id three times (no Idempotency-Key: a phone's outbox resending)
    answers = [api.post(f"/api/v1/visits/{visit.pk}/check-in/", check, format="json") for _ in range(3)]
    # and: the same Idempotency-Key three times, with a new client action id
    keyed = {**body, "client_action_id": "6f1c2b9e-4d55-4b8e-9d55-0c9a1e1f0002"}
    key = {"HTTP_IDEMPOTENCY_KEY": "confirm-key-1"}
    keyed_answers = [
        api.post(f"/api/v1/visits/{visit.pk}/task-results/", {**keyed, "task_key": "tidy", "status": "done"},
                 format="json", **key)
        for _ in range(3)
    ]  # fmt: skip
    # then
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.get("Visit-Action-Replayed") for answer in answers] == [None, "true", "true"]
    assert VisitAction.objects.filter(visit=visit, kind="check_in").count() == 1
    assert [answer.status_code for answer in keyed_answers] == [200, 200, 200]
    assert [answer.get("Idempotent-Replayed") for answer in keyed_answers] == [None, "true", "true"]
    assert VisitAction.objects.filter(visit=visit, kind="task_result").count() == 1
    assert TaskResult.objects.filter(visit=visit).count() == 1


def test_a_second_check_in_with_a_new_id_is_refused_clearly(tenant, visits):
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    assert _post(api, visit, "check-in", location_status="unavailable").status_code == 200
    response = _post(api, visit, "check-in", location_status="unavailable")
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "already_checked_in" and "already checked in" in error["detail"]


def test_the_geofence_refusal_is_a_409_when_enforced(tenant, visits):
    Program.objects.filter(pk=visits["world"].program.pk).update(geofence_enforced=True)
    response = _post(
        tenant.api(Role.TECHNICIAN), visits["mine"], "check-in", location_status="ok", latitude=str(FAR[0]),
        longitude=str(FAR[1]), accuracy_m=10,
    )  # fmt: skip
    assert response.status_code == 409 and response.json()["errors"][0]["code"] == "outside_geofence"


def test_check_out_lists_the_missing_evidence_one_error_per_task(tenant, visits):
    # given
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    _post(api, visit, "check-in", location_status="denied")
    _post(api, visit, "task-results", task_key="mount", status="done", serial="SCO000777")
    # when
    response = _post(api, visit, "check-out", outcome="complete")
    # then
    assert response.status_code == 409
    errors = response.json()["errors"]
    assert {error["attr"] for error in errors} == {"survey", "cable", "test", "tidy"}
    assert {error["code"] for error in errors} == {"evidence_missing"}
    detail = api.get(f"/api/v1/visits/{visit.pk}/").json()
    assert {item["task_key"] for item in detail["missing_evidence"]} == {"survey", "cable", "test", "tidy"}


def test_a_bad_photo_is_a_400_and_nothing_is_kept(tenant, visits):
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    _post(api, visit, "check-in", location_status="denied")
    upload = SimpleUploadedFile("notes.jpg", b"just text pretending to be a photo", content_type="image/jpeg")
    response = api.post(
        f"/api/v1/visits/{visit.pk}/photos/",
        {"client_action_id": action_id(), "device_time": timezone.now().isoformat(), "task_key": "survey",
         "file": upload},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0] == {
        "code": "invalid_photo",
        "detail": "The photo is not a JPEG, PNG or WebP image.",
        "attr": "file",
    }
    assert not VisitPhoto.objects.filter(visit=visit).exists()
    assert not VisitAction.objects.filter(visit=visit, kind="photo").exists()


def test_serial_format_and_duplicates_through_the_api(tenant, visits):
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    _post(api, visit, "check-in", location_status="denied")
    bad = _post(api, visit, "task-results", task_key="mount", status="done", serial="12-AB")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "serial_format" and bad.json()["errors"][0]["attr"] == "serial"


def test_photo_files_are_served_after_the_access_check(tenant, other_tenant, visits, world):
    # given
    visit = visits["mine"]
    check_in(world, visit)
    photo(world, visit)
    stored = VisitPhoto.objects.get(visit=visit)
    # when / then
    token = tenant.api("token")
    meta = token.get(f"/api/v1/visit-photos/{stored.pk}/").json()
    assert meta["url"].endswith(f"/api/v1/visit-photos/{stored.pk}/file/")
    file_response = token.get(meta["url"])
    assert file_response.status_code == 200 and file_response["Content-Type"] == "image/jpeg"
    assert token.get(meta["thumbnail_url"]).status_code == 200
    assert other_tenant.api("token").get(f"/api/v1/visit-photos/{stored.pk}/file/").status_code == 404
    assert tenant.api(Role.CLIENT).get(f"/api/v1/visit-photos/{stored.pk}/file/").status_code == 200


@pytest.mark.parametrize("caller", [Role.COORDINATOR, "token"], ids=str)  # an integrator's system books too
def test_booking_through_the_api_and_its_refusals(tenant, world, caller):
    # given
    work_order = ready_work_order(world)
    busy = ready_work_order(world, site_code="BUSY-1")
    book(world, busy, start=(8, 0), end=(10, 0))
    api = tenant.api(caller)
    body = {"work_order": work_order.pk, "technician": world.technician.pk, "date": VISIT_DAY.isoformat()}
    # when
    clash = api.post("/api/v1/visits/", {**body, "start_time": "09:00", "end_time": "11:00"}, format="json")
    created = api.post("/api/v1/visits/", {**body, "start_time": "10:00", "end_time": "12:00"}, format="json")
    again = api.post("/api/v1/visits/", {**body, "start_time": "13:00", "end_time": "14:00"}, format="json")
    # then
    assert clash.status_code == 400
    assert clash.json()["errors"][0]["code"] == "double_booking" and clash.json()["errors"][0]["attr"] == "start_time"
    assert created.status_code == 201, created.json()
    assert created.json()["work_order"]["status"] == "scheduled" and created.json()["window_local"].startswith("Wed")
    assert again.status_code == 409 and again.json()["errors"][0]["code"] == "visit_exists"
    assert tenant.api(Role.TECHNICIAN).post("/api/v1/visits/", body, format="json").status_code == 403


@pytest.mark.parametrize("caller", [Role.COORDINATOR, "token"], ids=str)
def test_rescheduling_reassigning_and_cancelling_through_the_api(tenant, visits, world, caller):
    api = tenant.api(caller)
    visit = visits["mine"]
    next_day = (VISIT_DAY + timedelta(days=1)).isoformat()
    moved = api.post(
        f"/api/v1/visits/{visit.pk}/reschedule/", {"date": next_day, "start_time": "09:00", "end_time": "10:30"}
    )
    assert moved.status_code == 200 and moved.json()["local_date"] == next_day
    rosa = Visit.objects.get(pk=visits["rosas"].pk).technician
    reassigned = api.post(f"/api/v1/visits/{visit.pk}/reassign/", {"technician": rosa.pk}, format="json")
    assert reassigned.status_code == 200 and reassigned.json()["technician"]["id"] == rosa.pk
    missing_reason = api.post(f"/api/v1/visits/{visit.pk}/cancel/", {}, format="json")
    assert missing_reason.status_code == 400
    cancelled = api.post(f"/api/v1/visits/{visit.pk}/cancel/", {"reason": "Store remodel"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["work_order"]["status"] == "ready"


def test_an_integrator_books_visits_but_does_not_record_no_shows(tenant, visits):
    # when the integrator token records that nobody came
    response = tenant.api("token").post(f"/api/v1/visits/{visits['mine'].pk}/no-show/")
    # then it is refused: a no-show is the coordinator's call
    assert response.status_code == 403


def test_filters_by_date_state_and_technician(tenant, visits, world):
    api = tenant.api(Role.COORDINATOR)
    Visit.objects.filter(pk=visits["rosas"].pk).update(
        window_start=timezone.now() - timedelta(hours=2), checkin_due_by=timezone.now() - timedelta(hours=1)
    )
    assert ids(api.get(f"/api/v1/visits/?date={VISIT_DAY.isoformat()}")) == {
        visits["mine"].pk,
        visits["other_client"].pk,
        visits["rosas"].pk,
    }
    assert ids(api.get("/api/v1/visits/?state=late")) == {visits["rosas"].pk}
    assert visits["rosas"].pk not in ids(api.get("/api/v1/visits/?state=scheduled"))
    assert ids(api.get(f"/api/v1/visits/?technician={world.technician.pk}")) == {visits["mine"].pk}
    foreign_technician = visits["foreign"].technician_id
    assert api.get(f"/api/v1/visits/?technician={foreign_technician}").status_code == 400


def test_list_and_detail_query_budgets(tenant, world, django_assert_max_num_queries):
    # given: 12 visits on different days
    for n in range(12):
        work_order = ready_work_order(world, site_code=f"QB-{n}")
        visit = book(world, work_order, day=VISIT_DAY + timedelta(days=7 * n))
        acknowledge(world, work_order)
    check_in(world, visit)
    photo(world, visit)
    api = tenant.api(Role.COORDINATOR)
    # when / then
    with django_assert_max_num_queries(12):
        assert len(api.get("/api/v1/visits/").json()["results"]) == 12
    with django_assert_max_num_queries(14):
        assert api.get(f"/api/v1/visits/{visit.pk}/").status_code == 200


def test_the_phones_visit_read_and_check_in_query_budgets(tenant, visits, django_assert_num_queries):
    # given: the technician's phone (a session, an Idempotency-Key), a visit booked, its packet acknowledged and
    # its work order dispatched
    from workorders.services import work_order_transition

    work_order_transition(
        organization=tenant.organization,
        actor=tenant.members[Role.COORDINATOR].user,
        work_order_id=visits["mine"].work_order_id,
        to_status=WorkOrderStatus.DISPATCHED,
    )
    api = tenant.api(Role.TECHNICIAN)
    url = f"/api/v1/visits/{visits['mine'].pk}/"
    body = {
        "client_action_id": action_id(),
        "device_time": timezone.now().isoformat(),
        "location_status": "ok",
        "latitude": NEAR[0],
        "longitude": NEAR[1],
        "accuracy_m": 12,
    }
    # when / then: the visit page reads session, user, membership, the visit (acknowledgements in the same
    # query), contacts, results, photos and the packet (the row-level-security binding is not a data query)
    with django_assert_num_queries(8):
        read = api.get(url)
    assert read.status_code == 200 and read.json()["packet"]["acknowledged"] is True
    # the check-in: the idempotency record (written in a savepoint), the scope check, then in a savepoint
    # the locked visit, its previous action, the packet, the work order's move (savepoint, lock, update, audit,
    # event), the visit's update, audit, event and action; then the answer as the page reads it (without the
    # packet query: it is the visit's now) and the idempotency record's answer
    with django_assert_num_queries(27):
        checked_in = api.post(f"{url}check-in/", body, format="json", HTTP_IDEMPOTENCY_KEY="budget-1")
    assert checked_in.status_code == 200, checked_in.content
    assert checked_in.json()["status"] == VisitStatus.CHECKED_IN and checked_in.json()["packet"]["acknowledged"]


def test_a_phone_session_with_csrf_and_an_idempotency_key_is_served(tenant, visits):
    # given: a browser session as the phone has it (CSRF enforced, token in the cookie and the header)
    from rest_framework.test import APIClient

    api = APIClient(enforce_csrf_checks=True)
    api.force_login(tenant.members[Role.TECHNICIAN].user)
    token = "a" * 32
    api.cookies["csrftoken"] = token
    headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_X_ORGANIZATION": tenant.organization.slug}
    body = {"client_action_id": action_id(), "device_time": timezone.now().isoformat(), "location_status": "denied"}
    url = f"/api/v1/visits/{visits['mine'].pk}/check-in/"
    # when
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="phone-key-1", **headers)
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="phone-key-1", **headers)
    # then
    assert first.status_code == 200, first.content
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"


def test_an_oversized_upload_is_refused_before_it_is_read(tenant, visits):
    api = tenant.api(Role.TECHNICIAN)
    visit = visits["mine"]
    _post(api, visit, "check-in", location_status="denied")
    upload = SimpleUploadedFile("huge.jpg", b"\xff\xd8\xff" + b"\x00" * (15 * 2**20 + 10), content_type="image/jpeg")
    response = api.post(
        f"/api/v1/visits/{visit.pk}/photos/",
        {"client_action_id": action_id(), "device_time": timezone.now().isoformat(), "task_key": "survey",
         "file": upload},
        format="multipart",
    )  # fmt: skip
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["code"] == "invalid_photo"
        and "limit is 15 MB" in response.json()["errors"][0]["detail"]
    )


def test_assigning_a_work_order_with_a_booked_visit_is_refused_and_cancelling_it_calls_off_the_visit(world, tenant):
    # given a work order with a booked visit
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    api = tenant.api(Role.COORDINATOR)
    base = f"/api/v1/work-orders/{work_order.pk}/"
    # when an integrator re-plans the work order itself, then cancels it
    assigned = api.post(
        f"{base}assign/",
        {"technician": world.technician.pk, "planned_start": "2027-03-03T13:00:00-06:00",
         "planned_end": "2027-03-03T15:00:00-06:00"},
        format="json",
    )  # fmt: skip
    cancelled = api.post(f"{base}transition/", {"to_status": "cancelled", "reason": "Store sold"}, format="json")
    # then the plan is refused with a pointer to the visit, and the cancel takes the visit with it
    assert assigned.status_code == 409
    assert assigned.json()["errors"][0]["code"] == "visit_open"
    assert cancelled.status_code == 200, cancelled.content
    shown = api.get(f"/api/v1/visits/{visit.pk}/").json()
    assert shown["status"] == "cancelled"


def test_the_technician_acknowledges_the_packet_through_the_visit(world, tenant, other_tenant):
    # given a booked visit, packet not acknowledged
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    version = Packet.objects.current().get(work_order=work_order).version
    url = f"/api/v1/visits/{visit.pk}/acknowledge-packet/"
    body = {"client_action_id": "ack-api-1", "device_time": timezone.now().isoformat(), "packet_version": version}
    # when the phone sends it twice, a coordinator tries, and another organization's technician tries
    first = tenant.api(Role.TECHNICIAN).post(url, body, format="json")
    again = tenant.api(Role.TECHNICIAN).post(url, body, format="json")
    coordinator = tenant.api(Role.COORDINATOR).post(url, {**body, "client_action_id": "ack-api-2"}, format="json")
    foreign = other_tenant.api(Role.TECHNICIAN).post(url, {**body, "client_action_id": "ack-api-3"}, format="json")
    # then
    assert first.status_code == again.status_code == 200, first.content
    assert first.json()["packet"]["acknowledged"] is True
    assert again["Visit-Action-Replayed"] == "true"
    assert coordinator.status_code == 403
    assert foreign.status_code == 404
    assert VisitAction.objects.filter(visit=visit, kind="acknowledge_packet").count() == 1


# --- A technician's personal token (an app on their phone) -----------------------------------------------------


def personal_token(tenant, name="Pixel field app") -> tuple[int, str]:
    """A technician creates their own token, signed in by session; (id, key)."""
    created = tenant.api(Role.TECHNICIAN).post("/api/v1/api-tokens/personal/", {"name": name}, format="json")
    assert created.status_code == 201, created.content
    return created.json()["id"], created.json()["key"]


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return api


def test_a_technicians_personal_token_sees_and_drives_only_their_own_visits(visits, tenant):
    # given Tomás's personal token
    token_id, key = personal_token(tenant)
    api = bearer(key)
    # when his app lists visits, opens Rosa's, and confirms his own
    listed = api.get("/api/v1/visits/").json()["results"]
    rosas = api.get(f"/api/v1/visits/{visits['rosas'].pk}/")
    foreign = api.get(f"/api/v1/visits/{visits['foreign'].pk}/")
    body = {"client_action_id": "app-confirm-1", "device_time": timezone.now().isoformat()}
    confirmed = api.post(f"/api/v1/visits/{visits['mine'].pk}/confirm/", body, format="json")
    # then he sees only his own visit, the others are 404, and the action is his (user and audit label)
    assert [row["id"] for row in listed] == [visits["mine"].pk]
    assert rosas.status_code == foreign.status_code == 404
    assert confirmed.status_code == 200, confirmed.content
    action = VisitAction.objects.get(client_action_id="app-confirm-1")
    technician_user = tenant.members[Role.TECHNICIAN].user
    assert action.user == technician_user
    assert action.actor_label == f"{technician_user.email} via API token Pixel field app"
    # and his token list holds only his own tokens; the admin sees it among the organization's
    assert [row["id"] for row in api.get("/api/v1/api-tokens/").json()["results"]] == [token_id]
    admin_view = tenant.api(Role.ADMIN).get("/api/v1/api-tokens/").json()["results"]
    assert {row["id"]: row["user"] for row in admin_view}[token_id] == technician_user.email


def test_a_personal_token_stops_with_its_revocation_or_the_membership(tenant, world):
    # given two personal tokens
    first_id, first = personal_token(tenant, "old phone")
    _, second = personal_token(tenant, "new phone")
    # when he revokes the first from his app
    revoked = bearer(second).post(f"/api/v1/api-tokens/{first_id}/revoke/")
    # then the first no longer works, the second does
    assert revoked.status_code == 200
    assert bearer(first).get("/api/v1/visits/").status_code == 401
    assert bearer(second).get("/api/v1/visits/").status_code == 200
    # and once he is no longer a member, no token of his works
    membership = tenant.members[Role.TECHNICIAN]
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert bearer(second).get("/api/v1/visits/").status_code == 401


@pytest.mark.parametrize("caller", [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, "token"])
def test_only_technicians_create_personal_tokens(tenant, caller):
    response = tenant.api(caller).post("/api/v1/api-tokens/personal/", {"name": "x"}, format="json")
    assert response.status_code == 403


def test_a_technician_cannot_reach_another_ones_token_nor_another_organizations(tenant, other_tenant):
    # given a token of another organization's technician, and an admin's system token here
    foreign_id, _ = personal_token(other_tenant)
    system = tenant.api(Role.ADMIN).post("/api/v1/api-tokens/", {"name": "ERP"}, format="json").json()["id"]
    technician = tenant.api(Role.TECHNICIAN)
    # when / then: neither is his to read or revoke
    for token_id in (foreign_id, system):
        assert technician.get(f"/api/v1/api-tokens/{token_id}/").status_code == 404
        assert technician.post(f"/api/v1/api-tokens/{token_id}/revoke/").status_code == 404
