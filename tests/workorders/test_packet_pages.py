"""Packet pages: a program's packets and generation, the job page (progress, ZIP), a packet version (phone
page, PDF, acknowledgement), the QR landing page and the re-issue page; roles and cross-organization 404s."""

import pytest
from django.test import Client

from rollout.choices import Role
from tests.programs.factories import WaveFactory
from tests.workorders.builders.packets import (
    access_for,
    build_plan,
    build_sow,
    enroll_site,
    technician_of,
    work_order_for,
)
from workorders.models import PacketGenerationJob
from workorders.packets import selectors, services

STAFF = [Role.ADMIN, Role.PM, Role.COORDINATOR]


def browser(tenant, role) -> Client:
    client = Client()
    client.force_login(tenant.members[role].user)
    return client


def issue(organization, work_order, capture):
    with capture(execute=True):
        packet = services.packet_issue(organization=organization, actor=None, work_order_id=work_order.pk).packet
    packet.refresh_from_db()
    return packet


@pytest.fixture
def world(tenant, other_tenant, django_capture_on_commit_callbacks):
    plan = build_plan(tenant)
    assigned = work_order_for(plan, technician=technician_of(tenant))
    unassigned = work_order_for(plan, site=enroll_site(plan, code="HF-0043"))
    foreign_plan = build_plan(other_tenant, code="foreign")
    return {
        "plan": plan,
        "org": tenant.organization.slug,
        "assigned": issue(tenant.organization, assigned, django_capture_on_commit_callbacks),
        "unassigned": issue(tenant.organization, unassigned, django_capture_on_commit_callbacks),
        "foreign": issue(other_tenant.organization, work_order_for(foreign_plan), django_capture_on_commit_callbacks),
        "foreign_plan": foreign_plan,
    }


@pytest.mark.parametrize("role", [*STAFF, Role.INTEGRATOR, Role.CLIENT, Role.TECHNICIAN])
def test_program_packets_page_roles(tenant, world, role):
    # when
    response = browser(tenant, role).get(f"/o/{world['org']}/packets/programs/{world['plan'].program.pk}/")

    # then
    if role in (Role.CLIENT, Role.TECHNICIAN):
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert b"Generate packets" in response.content
        assert (b'name="wave"' in response.content) is (role in STAFF)


def test_program_packets_page_of_another_organization_is_404(tenant, world):
    url = f"/o/{world['org']}/packets/programs/{world['foreign_plan'].program.pk}/"
    assert browser(tenant, Role.PM).get(url).status_code == 404


def test_generate_from_the_page_then_watch_the_job(tenant, world, django_capture_on_commit_callbacks):
    # given
    client = browser(tenant, Role.PM)
    program = world["plan"].program

    # when the PM starts a generation (the worker has not run yet)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/o/{world['org']}/packets/programs/{program.pk}/", {"wave": ""})
    job = PacketGenerationJob.objects.get(program=program)

    # then the job page shows a progress bar that polls every second
    assert response.status_code == 302
    assert response["Location"] == f"/o/{world['org']}/packets/jobs/{job.pk}/"
    page = client.get(response["Location"])
    assert b'hx-trigger="every 1s"' in page.content
    assert b'role="progressbar"' in page.content

    # when the worker runs it
    for callback in callbacks:
        callback()

    # then the status panel stops polling and offers the ZIP
    status = client.get(f"/o/{world['org']}/packets/jobs/{job.pk}/status/")
    assert b"every 1s" not in status.content
    assert b"Download the PDFs" in status.content
    download = client.get(f"/o/{world['org']}/packets/jobs/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"


def test_generate_refusal_is_shown_on_the_form(tenant, world):
    # given a wave with no work order
    wave = WaveFactory(program=world["plan"].program, name="Empty wave")

    # when
    response = browser(tenant, Role.PM).post(
        f"/o/{world['org']}/packets/programs/{world['plan'].program.pk}/", {"wave": wave.pk}
    )

    # then
    assert response.status_code == 400
    assert b"No work order of wave Empty wave" in response.content


def test_jobs_of_another_organization_are_404(tenant, other_tenant, world, django_capture_on_commit_callbacks):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        job = services.packet_generation_start(
            organization=other_tenant.organization,
            actor=access_for(other_tenant, Role.PM),
            program_id=world["foreign_plan"].program.pk,
        )
    client = browser(tenant, Role.PM)

    # when / then
    for suffix in ("", "status/", "download/"):
        assert client.get(f"/o/{world['org']}/packets/jobs/{job.pk}/{suffix}").status_code == 404


def test_technician_reads_and_acknowledges_their_packet_on_the_phone(tenant, world):
    # given
    client = browser(tenant, Role.TECHNICIAN)
    packet = world["assigned"]
    url = f"/o/{world['org']}/packets/{packet.pk}/"

    # when
    page = client.get(url)

    # then
    assert page.status_code == 200
    assert b"phone-shell" in page.content
    assert b"HF-0042" in page.content
    assert b"I have read version 1" in page.content
    assert client.get(f"{url}pdf/")["Content-Type"] == "application/pdf"

    # when
    response = client.post(f"{url}acknowledge/")

    # then
    assert response.status_code == 302
    assert selectors.packet_acknowledged(packet.work_order)[0] is True
    assert b"I have read version 1" not in client.get(url).content


def test_technician_cannot_open_packets_of_other_work_orders(tenant, world):
    client = browser(tenant, Role.TECHNICIAN)
    for packet in (world["unassigned"], world["foreign"]):
        assert client.get(f"/o/{world['org']}/packets/{packet.pk}/").status_code == 404
        assert client.get(f"/o/{world['org']}/packets/{packet.pk}/pdf/").status_code == 404


@pytest.mark.parametrize("role", [Role.PM, Role.CLIENT, Role.INTEGRATOR])
def test_packet_page_for_readers_and_foreign_packets(tenant, world, role):
    # given
    client = browser(tenant, role)

    # when / then
    page = client.get(f"/o/{world['org']}/packets/{world['unassigned'].pk}/")
    assert page.status_code == 200
    assert b"I have read" not in page.content
    assert client.get(f"/o/{world['org']}/packets/{world['foreign'].pk}/").status_code == 404
    assert client.get(f"/o/{world['org']}/packets/{world['foreign'].pk}/pdf/").status_code == 404
    assert client.post(f"/o/{world['org']}/packets/{world['unassigned'].pk}/acknowledge/").status_code == 403


def test_the_qr_code_lands_on_the_current_packet(tenant, world):
    # given
    work_order_id = world["assigned"].work_order_id

    # when
    response = browser(tenant, Role.TECHNICIAN).get(f"/o/{world['org']}/packets/work-orders/{work_order_id}/")

    # then
    assert response.status_code == 302
    assert response["Location"] == f"/o/{world['org']}/packets/{world['assigned'].pk}/"
    foreign = f"/o/{world['org']}/packets/work-orders/{world['foreign'].work_order_id}/"
    assert browser(tenant, Role.PM).get(foreign).status_code == 404


def test_reissue_page_previews_confirms_and_reports(tenant, world, django_capture_on_commit_callbacks):
    # given a new SOW version
    plan = world["plan"]
    build_sow(plan.program, version=2, tasks=[("only", "The only task", "", "none")], materials=[])
    client = browser(tenant, Role.PM)
    url = f"/o/{world['org']}/packets/programs/{plan.program.pk}/reissue/"

    # when
    preview = client.get(url)

    # then
    assert preview.status_code == 200
    content = preview.content.decode()
    assert "Task added: 1. The only task" in content
    assert content.count('name="work_orders"') == 2

    # when the PM confirms one of them
    with django_capture_on_commit_callbacks(execute=True):
        result = client.post(url, {"work_orders": [world["assigned"].work_order_id]})

    # then
    assert result.status_code == 200
    assert b"Re-issue done" in result.content
    assert b"1</strong> new packet version issued" in result.content
    assert browser(tenant, Role.CLIENT).get(url).status_code == 403
    foreign = f"/o/{world['org']}/packets/programs/{world['foreign_plan'].program.pk}/reissue/"
    assert client.get(foreign).status_code == 404


def test_program_packets_page_query_budget(tenant, world, django_assert_max_num_queries):
    client = browser(tenant, Role.PM)
    client.get(f"/o/{world['org']}/packets/programs/{world['plan'].program.pk}/")  # warm the session
    with django_assert_max_num_queries(25):
        assert client.get(f"/o/{world['org']}/packets/programs/{world['plan'].program.pk}/").status_code == 200
