"""Packets REST API: role matrix, cross-organization 404s (PDF and ZIP included), client and technician
scoping, actions, query budgets."""

import io
import zipfile

import pytest

from programs.choices import VariationKind
from rollout.choices import Role
from tests.factories import ClientFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory, WaveFactory
from tests.workorders.builders.packets import (
    access_for,
    approved_variation,
    build_plan,
    build_sow,
    enroll_site,
    technician_of,
    work_order_for,
)
from tests.workorders.factories import WorkOrderFactory
from workorders.packets import services

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]
STAFF_AND_INTEGRATORS = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token"}
WRITERS = {Role.ADMIN, Role.PM, Role.COORDINATOR}


def issue(organization, work_order, capture):
    with capture(execute=True):
        result = services.packet_issue(organization=organization, actor=None, work_order_id=work_order.pk)
    result.packet.refresh_from_db()
    return result.packet


@pytest.fixture
def world(tenant, other_tenant, django_capture_on_commit_callbacks):
    """Our program: work order A assigned to the tenant's technician, B unassigned, each with packet v1; another
    client's program in the same organization with a packet; another organization's packet and job."""
    capture = django_capture_on_commit_callbacks
    plan = build_plan(tenant)
    assigned = work_order_for(plan, technician=technician_of(tenant))
    unassigned = work_order_for(plan, site=enroll_site(plan, code="HF-0043"))
    other_client = ClientFactory(organization=tenant.organization, code="other-client")
    other_program = ProgramFactory(organization=tenant.organization, client=other_client, code="other-prog")
    build_sow(other_program)
    other_client_wo = WorkOrderFactory(enrollment=EnrollmentFactory(program=other_program, site__code="OC-0001"))
    foreign_plan = build_plan(other_tenant, code="foreign")
    foreign_wo = work_order_for(foreign_plan)
    with capture(execute=True):
        foreign_job = services.packet_generation_start(
            organization=other_tenant.organization,
            actor=access_for(other_tenant, Role.PM),
            program_id=foreign_plan.program.pk,
        )
    return {
        "plan": plan,
        "assigned": issue(tenant.organization, assigned, capture),
        "unassigned": issue(tenant.organization, unassigned, capture),
        "other_client": issue(tenant.organization, other_client_wo, capture),
        "foreign": issue(other_tenant.organization, foreign_wo, capture),
        "foreign_job": foreign_job,
        "foreign_plan": foreign_plan,
    }


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize("caller", CALLERS)
def test_list_role_matrix_and_scoping(tenant, world, caller):
    # when
    response = tenant.api(caller).get("/api/v1/packets/")

    # then
    ours = {world["assigned"].pk, world["unassigned"].pk, world["other_client"].pk}
    if caller is None:
        assert response.status_code == 401
        return
    assert response.status_code == 200
    seen = ids(response)
    assert world["foreign"].pk not in seen
    if caller in STAFF_AND_INTEGRATORS:
        assert seen == ours
    elif caller == Role.CLIENT:
        assert seen == {world["assigned"].pk, world["unassigned"].pk}  # not the other client's program
    else:  # the technician: the work order assigned to them only
        assert seen == {world["assigned"].pk}


@pytest.mark.parametrize("caller", CALLERS)
def test_pdf_download_only_after_the_access_check(tenant, world, caller):
    # given
    api = tenant.api(caller)

    # when
    mine = api.get(f"/api/v1/packets/{world['assigned'].pk}/pdf/")
    unassigned = api.get(f"/api/v1/packets/{world['unassigned'].pk}/pdf/")
    other_client = api.get(f"/api/v1/packets/{world['other_client'].pk}/pdf/")
    foreign = api.get(f"/api/v1/packets/{world['foreign'].pk}/pdf/")

    # then
    if caller is None:
        assert {r.status_code for r in (mine, unassigned, other_client, foreign)} == {401}
        return
    assert mine.status_code == 200
    assert mine["Content-Type"] == "application/pdf"
    assert b"".join(mine.streaming_content).startswith(b"%PDF-")
    assert foreign.status_code == 404
    expected = {
        Role.TECHNICIAN: (404, 404),
        Role.CLIENT: (200, 404),
    }.get(caller, (200, 200))
    assert (unassigned.status_code, other_client.status_code) == expected


def test_detail_carries_the_snapshot_and_a_pdf_link(tenant, world):
    # when
    response = tenant.api(Role.PM).get(f"/api/v1/packets/{world['assigned'].pk}/")

    # then
    body = response.json()
    assert response.status_code == 200
    assert body["version"] == 1 and body["is_current"] is True and body["status"] == "rendered"
    assert body["snapshot"]["site"]["code"] == "HF-0042"
    assert body["snapshot"]["checksum"] == body["checksum"]
    assert body["pdf"].endswith(f"/api/v1/packets/{world['assigned'].pk}/pdf/")
    assert tenant.api(Role.PM).get(f"/api/v1/packets/{world['foreign'].pk}/").status_code == 404


def test_diff_against_another_version(tenant, world, django_capture_on_commit_callbacks):
    # given v2 of work order A, with an access note
    plan = world["plan"]
    approved_variation(plan.program, plan.site, VariationKind.ACCESS_NOTE, note="Rear door.")
    second = issue(tenant.organization, world["assigned"].work_order, django_capture_on_commit_callbacks)
    api = tenant.api(Role.PM)

    # when
    response = api.get(f"/api/v1/packets/{second.pk}/diff/?against={world['assigned'].pk}")

    # then
    assert response.status_code == 200
    body = response.json()
    assert body["base"]["version"] == 1 and body["target"]["version"] == 2
    assert [change["field"] for change in body["other"]] == ["access_notes"]
    assert api.get(f"/api/v1/packets/{second.pk}/diff/?against={world['foreign'].pk}").status_code == 400


def test_acknowledge_is_for_the_assigned_technician(tenant, world):
    # when
    ok = tenant.api(Role.TECHNICIAN).post(f"/api/v1/packets/{world['assigned'].pk}/acknowledge/")
    not_theirs = tenant.api(Role.TECHNICIAN).post(f"/api/v1/packets/{world['unassigned'].pk}/acknowledge/")
    by_pm = tenant.api(Role.PM).post(f"/api/v1/packets/{world['assigned'].pk}/acknowledge/")

    # then
    assert ok.status_code == 200
    assert [ack["technician_name"] for ack in ok.json()["acknowledgements"]] == ["Tomás Alvarez"]
    assert not_theirs.status_code == 404
    assert by_pm.status_code == 403


@pytest.mark.parametrize("caller", CALLERS)
def test_issue_role_matrix(tenant, world, caller, django_capture_on_commit_callbacks):
    # given a change at site A
    plan = world["plan"]
    approved_variation(plan.program, plan.site, VariationKind.ACCESS_NOTE, note="Rear door.")
    api = tenant.api(caller)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/packets/issue/", {"work_order": world["assigned"].work_order_id})
        again = api.post("/api/v1/packets/issue/", {"work_order": world["assigned"].work_order_id})

    # then
    if caller in WRITERS:
        assert (first.status_code, again.status_code) == (201, 200)
        assert first.json()["issued"] is True and first.json()["packet"]["version"] == 2
        assert again.json()["issued"] is False
    else:
        assert first.status_code == (401 if caller is None else 403)


def test_issue_refusals_and_foreign_ids(tenant, world):
    # given
    api = tenant.api(Role.PM)
    foreign_work_order = world["foreign"].work_order_id
    cancelled = work_order_for(world["plan"], site=enroll_site(world["plan"], code="HF-0044"), status="cancelled")

    # when
    foreign = api.post("/api/v1/packets/issue/", {"work_order": foreign_work_order})
    refused = api.post("/api/v1/packets/issue/", {"work_order": cancelled.pk})

    # then
    assert foreign.status_code == 400
    assert foreign.json()["errors"][0]["attr"] == "work_order"
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["code"] == "work_order_cancelled"


def test_reissue_preview_and_reissue(tenant, world, django_capture_on_commit_callbacks):
    # given a new SOW version
    plan = world["plan"]
    build_sow(plan.program, version=2, tasks=[("only", "The only task", "", "none")], materials=[])
    api = tenant.api(Role.PM)

    # when
    preview = api.get(f"/api/v1/packets/reissue-preview/?program={plan.program.pk}")

    # then
    assert preview.status_code == 200
    body = preview.json()
    assert body["sow_version"] == 2
    assert {item["work_order"] for item in body["affected"]} == {
        world["assigned"].work_order_id,
        world["unassigned"].work_order_id,
    }
    item = body["affected"][0]
    assert item["summary"]["tasks"] == {"added": 1, "removed": 4, "changed": 0}
    assert item["will_reissue"] is True

    # when confirmed for one work order
    with django_capture_on_commit_callbacks(execute=True):
        done = api.post(
            "/api/v1/packets/reissue/",
            {"program": plan.program.pk, "work_orders": [world["assigned"].work_order_id]},
            format="json",
        )

    # then
    assert done.status_code == 200
    assert [packet["version"] for packet in done.json()["reissued"]] == [2]
    assert api.get(f"/api/v1/packets/reissue-preview/?program={world['foreign_plan'].program.pk}").status_code == 400
    assert tenant.api(Role.CLIENT).get(f"/api/v1/packets/reissue-preview/?program={plan.program.pk}").status_code == 403


@pytest.mark.parametrize("caller", CALLERS)
def test_generation_job_role_matrix(tenant, world, caller, django_capture_on_commit_callbacks):
    # given
    api = tenant.api(caller)
    program = world["plan"].program.pk

    # when
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/packet-jobs/", {"program": program})
    listed = api.get("/api/v1/packet-jobs/")

    # then
    if caller is None:
        assert (created.status_code, listed.status_code) == (401, 401)
        return
    if caller in WRITERS:
        assert created.status_code == 202
        job = created.json()
        assert job["total"] == 2
        detail = api.get(f"/api/v1/packet-jobs/{job['id']}/")
        assert detail.json()["status"] == "done"
        assert detail.json()["progress_percent"] == 100
        assert detail.json()["download"].endswith(f"/api/v1/packet-jobs/{job['id']}/download/")
        download = api.get(f"/api/v1/packet-jobs/{job['id']}/download/")
        assert download.status_code == 200
        archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
        assert len(archive.namelist()) == 2
    else:
        assert created.status_code == 403
    if caller in STAFF_AND_INTEGRATORS:
        assert listed.status_code == 200
        assert world["foreign_job"].pk not in ids(listed)
        foreign = world["foreign_job"].pk
        assert api.get(f"/api/v1/packet-jobs/{foreign}/").status_code == 404
        assert api.get(f"/api/v1/packet-jobs/{foreign}/download/").status_code == 404
    else:
        assert listed.status_code == 403


def test_generation_job_refuses_a_wave_of_another_program(tenant, world):
    # given
    wave = WaveFactory(program=ProgramFactory(organization=tenant.organization, client=tenant.client))

    # when
    response = tenant.api(Role.PM).post("/api/v1/packet-jobs/", {"program": world["plan"].program.pk, "wave": wave.pk})

    # then
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "wave"


def test_list_query_budgets(tenant, world, django_capture_on_commit_callbacks, django_assert_max_num_queries):
    # given more packets
    plan = world["plan"]
    for n in range(5):
        work_order = work_order_for(plan, site=enroll_site(plan, code=f"HF-9{n:03d}"))
        issue(tenant.organization, work_order, django_capture_on_commit_callbacks)
    api = tenant.api(Role.PM)

    # when / then: the same number of queries whatever the number of rows
    with django_assert_max_num_queries(12):
        response = api.get("/api/v1/packets/")
    assert response.json()["count"] == 8
    with django_assert_max_num_queries(12):
        assert api.get("/api/v1/packet-jobs/").status_code == 200
