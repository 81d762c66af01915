"""Packet services: issue (refusals, idempotency, versions), rendering (failure keeps the previous version),
acknowledgement and the readiness gate, controlled re-issue, and bulk generation jobs."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction
from django.utils import timezone

from programs.choices import EvidenceKind, VariationKind
from rollout import jobs
from rollout.choices import Role
from rollout.events import event_relay
from rollout.models import AuditEvent, Event
from tests.programs.factories import WaveFactory
from tests.technicians.factories import TechnicianFactory
from tests.workorders.builders.packets import (
    TASKS,
    access_for,
    approved_variation,
    build_plan,
    build_sow,
    enroll_site,
    pdf_text,
    pending_variation,
    technician_of,
    work_order_for,
)
from workorders.choices import PacketJobStatus, PacketStatus, WorkOrderStatus
from workorders.models import Packet
from workorders.packets import selectors, services

BROKEN_IMAGE = "See ![wiring](/static/img/packets/no-such-diagram.png)"


@pytest.fixture
def plan(tenant):
    return build_plan(tenant)


@pytest.fixture
def pm(tenant):
    return access_for(tenant, Role.PM)


def issue(plan, pm, work_order, capture):
    """Issue and run what the service enqueued after commit (the render), as a worker would."""
    with capture(execute=True):
        result = services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=work_order.pk)
    result.packet.refresh_from_db()
    return result


# --- Issue ------------------------------------------------------------------------------------------------


def test_issue_compiles_versions_and_renders_after_commit(plan, pm, django_capture_on_commit_callbacks):
    # given
    work_order = work_order_for(plan)

    # when
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=work_order.pk)

    # then version 1 is written now and rendered after commit
    packet = result.packet
    assert result.issued is True
    assert (packet.version, packet.status, packet.sow_id) == (1, PacketStatus.COMPILED, plan.sow.pk)
    assert packet.checksum == packet.snapshot["checksum"]
    assert packet.snapshot["work_order_number"] == work_order.number
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(verb="packet.issued", target_id=str(packet.pk)).exists()

    # when the render runs
    callbacks[0]()
    packet.refresh_from_db()

    # then the PDF is stored privately and the version is current
    assert packet.status == PacketStatus.RENDERED
    assert packet.is_current
    assert Path(packet.pdf.path).is_relative_to(Path(settings.MEDIA_ROOT) / "private")
    with pytest.raises(ValueError):
        packet.pdf.url  # noqa: B018 - no URL may exist for a private file
    assert work_order.site.code in pdf_text(packet.pdf.read())


def test_issuing_unchanged_content_does_nothing(plan, pm, django_capture_on_commit_callbacks):
    # given
    work_order = work_order_for(plan)
    first = issue(plan, pm, work_order, django_capture_on_commit_callbacks)

    # when
    with django_capture_on_commit_callbacks() as callbacks:
        again = services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=work_order.pk)

    # then
    assert again.issued is False
    assert again.packet.pk == first.packet.pk
    assert callbacks == []
    assert Packet.objects.filter(work_order=work_order).count() == 1


def test_changed_content_issues_the_next_version_which_supersedes_the_previous(
    plan, pm, django_capture_on_commit_callbacks
):
    # given
    work_order = work_order_for(plan)
    first = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet
    approved_variation(plan.program, plan.site, VariationKind.ACCESS_NOTE, note="Rear door only.")

    # when
    second = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet

    # then
    first.refresh_from_db()
    assert second.version == 2
    assert second.checksum != first.checksum
    assert second.is_current
    assert first.superseded_by_id == second.pk
    assert selectors.packet_current(organization=plan.program.organization, work_order_id=work_order.pk) == second


REFUSALS = [
    ("no approved SOW", "no_approved_sow", "no approved SOW yet"),
    ("cancelled", "work_order_cancelled", "is cancelled"),
    ("pending variation", "pending_variations", "undecided variation"),
]


@pytest.mark.parametrize(("case", "code", "says"), REFUSALS, ids=[case[0] for case in REFUSALS])
def test_issue_is_refused_with_what_to_fix(tenant, pm, case, code, says):
    # given
    plan = build_plan(tenant)
    work_order = work_order_for(plan, status=WorkOrderStatus.CANCELLED if case == "cancelled" else "ready")
    if case == "no approved SOW":
        other = build_plan(tenant, code="no-sow", site_code="HF-0099")
        plan, work_order = other, work_order_for(other)
        plan.sow.__class__.objects.filter(pk=plan.sow.pk).update(status="draft")
    if case == "pending variation":
        pending_variation(plan.program, plan.site)

    # when
    with pytest.raises(services.ApplicationError) as raised:
        services.packet_issue(organization=tenant.organization, actor=pm, work_order_id=work_order.pk)

    # then
    assert raised.value.code == code
    assert says in raised.value.message
    if case == "pending variation":
        assert plan.site.code in raised.value.message
    assert not Packet.objects.filter(work_order=work_order).exists()


def test_another_organizations_work_order_is_not_found(plan, pm, other_tenant):
    # given
    foreign = work_order_for(build_plan(other_tenant, code="foreign"))

    # when / then
    with pytest.raises(services.NotFound):
        services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=foreign.pk)


# --- Render failure --------------------------------------------------------------------------------------


def test_a_render_failure_keeps_the_previous_version_current(plan, pm, django_capture_on_commit_callbacks):
    # given a rendered v1, then a variation whose instructions carry an image that cannot load
    work_order = work_order_for(plan)
    first = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet
    approved_variation(
        plan.program, plan.site, VariationKind.ADD_TASK, task_key="ups", title="Fit UPS", instructions=BROKEN_IMAGE
    )

    # when
    second = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet

    # then v2 failed with the error; v1 is intact and still current
    first.refresh_from_db()
    assert second.version == 2
    assert second.status == PacketStatus.FAILED
    assert "no-such-diagram.png" in second.render_error
    assert not second.pdf
    assert first.is_current and first.superseded_by_id is None
    assert first.pdf and Path(first.pdf.path).exists()
    assert selectors.packet_current(organization=plan.program.organization, work_order_id=work_order.pk) == first
    assert AuditEvent.objects.filter(verb="packet.render_failed", target_id=str(second.pk)).exists()


def test_rendering_twice_does_nothing_more(plan, pm, django_capture_on_commit_callbacks):
    # given
    packet = issue(plan, pm, work_order_for(plan), django_capture_on_commit_callbacks).packet
    name = packet.pdf.name

    # when the task is delivered again
    again = services.packet_render(organization=plan.program.organization, packet_id=packet.pk)

    # then
    assert again.pdf.name == name
    assert AuditEvent.objects.filter(verb="packet.rendered", target_id=str(packet.pk)).count() == 1


# --- Acknowledgement and the readiness gate ---------------------------------------------------------------


def test_assigned_technician_acknowledges_the_current_version(tenant, plan, pm, django_capture_on_commit_callbacks):
    # given
    technician = technician_of(tenant)
    work_order = work_order_for(plan, technician=technician)
    assert selectors.packet_acknowledged(work_order) == (False, "No packet issued yet.")
    packet = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet
    assert selectors.packet_acknowledged(work_order) == (False, "Tomás Alvarez has not acknowledged packet v1 yet.")

    # when
    services.packet_acknowledge(
        organization=tenant.organization, actor=access_for(tenant, Role.TECHNICIAN), packet_id=packet.pk
    )
    services.packet_acknowledge(  # twice is harmless
        organization=tenant.organization, actor=access_for(tenant, Role.TECHNICIAN), packet_id=packet.pk
    )

    # then
    acknowledged, reason = selectors.packet_acknowledged(work_order)
    assert acknowledged is True
    assert reason.startswith("Tomás Alvarez acknowledged packet v1 on ")
    assert packet.acknowledgements.count() == 1


def test_a_new_version_needs_a_new_acknowledgement(tenant, plan, pm, django_capture_on_commit_callbacks):
    # given v1 acknowledged
    work_order = work_order_for(plan, technician=technician_of(tenant))
    first = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet
    technician = access_for(tenant, Role.TECHNICIAN)
    services.packet_acknowledge(organization=tenant.organization, actor=technician, packet_id=first.pk)

    # when v2 is issued
    approved_variation(plan.program, plan.site, VariationKind.ACCESS_NOTE, note="Rear door only.")
    second = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet

    # then the gate is red again, and the old version can no longer be acknowledged
    assert selectors.packet_acknowledged(work_order) == (False, "Tomás Alvarez has not acknowledged packet v2 yet.")
    with pytest.raises(services.PacketNotCurrent) as raised:
        services.packet_acknowledge(organization=tenant.organization, actor=technician, packet_id=first.pk)
    assert "Version 2 is current" in raised.value.message
    services.packet_acknowledge(organization=tenant.organization, actor=technician, packet_id=second.pk)
    assert selectors.packet_acknowledged(work_order)[0] is True


def test_only_the_assigned_technician_can_acknowledge(tenant, plan, pm, django_capture_on_commit_callbacks):
    # given a work order assigned to somebody else
    someone_else = TechnicianFactory(organization=tenant.organization)
    technician_of(tenant)
    packet = issue(plan, pm, work_order_for(plan, technician=someone_else), django_capture_on_commit_callbacks).packet

    # when / then
    for role in (Role.TECHNICIAN, Role.PM):
        with pytest.raises(services.NotYourWorkOrder):
            services.packet_acknowledge(
                organization=tenant.organization, actor=access_for(tenant, role), packet_id=packet.pk
            )


def test_gate_batch_answers_many_work_orders_in_three_queries(
    tenant, plan, pm, django_capture_on_commit_callbacks, django_assert_num_queries
):
    # given
    technician = technician_of(tenant)
    work_orders = [work_order_for(plan, technician=technician)]
    for n in range(4):
        site = enroll_site(plan, code=f"HF-1{n:03d}")
        work_orders.append(work_order_for(plan, site=site, technician=technician))
    for work_order in work_orders[:3]:
        issue(plan, pm, work_order, django_capture_on_commit_callbacks)

    # when / then
    with django_assert_num_queries(3):
        answers = selectors.packets_acknowledged(work_orders)
    assert [answer[0] for answer in answers.values()] == [False] * 5
    assert answers[work_orders[4].pk] == (False, "No packet issued yet.")


def test_the_technician_is_asked_to_acknowledge_once(tenant, plan, pm, django_capture_on_commit_callbacks):
    # given
    work_order = work_order_for(plan, technician=technician_of(tenant))

    # when
    packet = issue(plan, pm, work_order, django_capture_on_commit_callbacks).packet
    event = Event.objects.get(type="packet.issued", subject_id=packet.pk)
    event_relay(event.pk)  # a duplicate relay

    # then
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == f"Packet to acknowledge: {work_order.number} at HF-0042"
    assert "Packet v1" in message.body and "please acknowledge" in message.body
    assert f"/packets/work-orders/{work_order.pk}/" in message.body
    assert message.alternatives and message.alternatives[0][1] == "text/html"


# --- Controlled re-issue ----------------------------------------------------------------------------------


@pytest.fixture
def issued(tenant, plan, pm, django_capture_on_commit_callbacks):
    """Three work orders with packet v1 (scheduled, dispatched, in progress) and one without a packet."""
    technician = technician_of(tenant)
    orders = {}
    for name, status in (("scheduled", "scheduled"), ("dispatched", "dispatched"), ("visited", "in_progress")):
        site = enroll_site(plan, code=f"HF-{name.upper()}")
        orders[name] = work_order_for(plan, site=site, technician=technician, status=status)
        issue(plan, pm, orders[name], django_capture_on_commit_callbacks)
    orders["no_packet"] = work_order_for(plan, site=enroll_site(plan, code="HF-NEW"))
    mail.outbox.clear()
    return orders


def approve_new_sow(plan):
    """SOW v2: one more task (with photo evidence) after "mount"."""
    tasks = [*TASKS[:2], ("label", "Label the terminal", "", EvidenceKind.PHOTO), *TASKS[2:]]
    return build_sow(plan.program, version=2, tasks=tasks)


def test_reissue_preview_lists_exactly_the_changed_packets_with_their_diff(tenant, plan, issued):
    # given a new SOW version is approved
    approve_new_sow(plan)

    # when
    preview = selectors.packet_reissue_preview(organization=tenant.organization, program_id=plan.program.pk)

    # then
    by_name = {item.work_order.pk: item for item in preview.affected}
    assert set(by_name) == {issued[name].pk for name in ("scheduled", "dispatched", "visited")}
    assert preview.sow.version == 2
    item = by_name[issued["scheduled"].pk]
    assert [line.key for line in item.diff.tasks.added] == ["label"]
    assert item.diff.tasks.removed == () and item.diff.tasks.changed == ()
    assert [change.field for change in item.diff.other] == ["sow_version"]
    assert item.will_reissue is True
    visited = by_name[issued["visited"].pk]
    assert visited.will_reissue is False
    assert visited.note.startswith("Visited (in progress)")


def test_reissue_gives_new_versions_only_to_work_orders_not_visited(
    tenant, plan, pm, issued, django_capture_on_commit_callbacks
):
    # given
    approve_new_sow(plan)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = services.packet_reissue(organization=tenant.organization, actor=pm, program_id=plan.program.pk)

    # then
    assert sorted(packet.work_order_id for packet in result.reissued) == sorted(
        [issued["scheduled"].pk, issued["dispatched"].pk]
    )
    assert [item["work_order"] for item in result.left_untouched] == [issued["visited"].pk]
    for name in ("scheduled", "dispatched"):
        current = selectors.packet_current(organization=tenant.organization, work_order_id=issued[name].pk)
        assert (current.version, current.snapshot["sow"]["version"]) == (2, 2)
    visited = Packet.objects.filter(work_order=issued["visited"])
    assert [(packet.version, packet.is_current) for packet in visited] == [(1, True)]
    assert not Packet.objects.filter(work_order=issued["no_packet"]).exists()
    # the assigned technician is told, and must acknowledge
    assert len(mail.outbox) == 2
    assert all("Packet v2" in message.body and "changed" in message.body for message in mail.outbox)
    assert selectors.packet_acknowledged(issued["scheduled"])[0] is False
    # and a second run finds nothing left to do
    again = services.packet_reissue(organization=tenant.organization, actor=pm, program_id=plan.program.pk)
    assert again.reissued == ()
    assert [item["work_order"] for item in again.left_untouched] == [issued["visited"].pk]


def test_reissue_follows_a_changed_variation_and_respects_the_confirmed_selection(
    tenant, plan, pm, issued, django_capture_on_commit_callbacks
):
    # given variations change at two sites
    for name in ("scheduled", "dispatched"):
        approved_variation(plan.program, issued[name].site, VariationKind.SKIP_TASK, task_key="upstairs")

    # when the PM confirms one of them only
    with django_capture_on_commit_callbacks(execute=True):
        result = services.packet_reissue(
            organization=tenant.organization,
            actor=pm,
            program_id=plan.program.pk,
            work_order_ids=[issued["scheduled"].pk],
        )

    # then
    assert [packet.work_order_id for packet in result.reissued] == [issued["scheduled"].pk]
    assert Packet.objects.filter(work_order=issued["dispatched"]).count() == 1


# --- Bulk generation ------------------------------------------------------------------------------------


def test_bulk_generation_continues_past_a_failed_site_and_zips_the_rest(
    tenant, plan, pm, django_capture_on_commit_callbacks
):
    # given five work orders in one wave: one site has an undecided variation, one a broken image
    wave = WaveFactory(program=plan.program, name="Wave 1")
    sites = [enroll_site(plan, code=f"HF-2{n:03d}", wave=wave) for n in range(5)]
    work_orders = [work_order_for(plan, site=site, status="ready") for site in sites]
    work_order_for(plan)  # not in the wave
    pending_variation(plan.program, sites[1])
    approved_variation(
        plan.program, sites[3], VariationKind.ADD_TASK, task_key="ups", title="Fit UPS", instructions=BROKEN_IMAGE
    )

    # when
    with django_capture_on_commit_callbacks(execute=True):
        job = services.packet_generation_start(
            organization=tenant.organization, actor=pm, program_id=plan.program.pk, wave_id=wave.pk
        )
    job.refresh_from_db()

    # then every work order was processed and the two failures are reported by site
    assert (job.status, job.total, job.done, job.failed_count, job.issued_count) == (PacketJobStatus.DONE, 5, 5, 2, 3)
    assert job.progress_percent == 100
    failures = {failure["site_code"]: failure for failure in job.failures}
    assert set(failures) == {"HF-2001", "HF-2003"}
    assert "undecided variation" in failures["HF-2001"]["message"]
    assert "no-such-diagram.png" in failures["HF-2003"]["message"]
    assert failures["HF-2001"]["work_order"] == work_orders[1].pk
    # the ZIP holds the three PDFs and the list of failures
    with job.zip.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = sorted(archive.namelist())
    assert names == sorted([f"{work_orders[n].number}-HF-2{n:03d}-v1.pdf" for n in (0, 2, 4)] + ["failures.txt"])
    assert "HF-2002" in pdf_text(archive.read(f"{work_orders[2].number}-HF-2002-v1.pdf"))
    assert "HF-2001" in archive.read("failures.txt").decode()
    assert Path(job.zip.path).is_relative_to(Path(settings.MEDIA_ROOT) / "private")


def test_bulk_generation_item_by_item_is_idempotent(tenant, plan, pm, django_capture_on_commit_callbacks):
    # given packets already issued for one of three work orders
    first = work_order_for(plan, status="ready")
    others = [work_order_for(plan, site=enroll_site(plan, code=f"HF-3{n:03d}"), status="ready") for n in range(2)]
    issue(plan, pm, first, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        generation = services.packet_generation_start(
            organization=tenant.organization, actor=pm, program_id=plan.program.pk
        )

    # when the runner works one item per delivery (no time budget)
    def run(token):
        return jobs.job_run(
            organization_id=tenant.organization.pk, job_id=generation.job_id, token=token, budget_seconds=0
        )

    more = [run("delivery-1")]
    generation.refresh_from_db()
    # then progress counts the finished work order only
    assert (generation.status, generation.done, generation.total) == (PacketJobStatus.RUNNING, 1, 3)
    assert generation.job.done_count == 1
    while more[-1]:
        more.append(run(f"delivery-{len(more) + 1}"))

    # then
    generation.refresh_from_db()
    assert more == [True, True, True, False]  # the last delivery finds nothing left and finishes the job
    assert (generation.status, generation.issued_count, generation.unchanged_count, generation.failed_count) == (
        PacketJobStatus.DONE,
        2,
        1,
        0,
    )
    assert generation.job.status == "done" and generation.job.done_count == 3
    assert sorted(generation.job.items.values_list("outcome", flat=True)) == ["issued", "issued", "unchanged"]
    assert all(Packet.objects.filter(work_order=wo).count() == 1 for wo in [first, *others])
    assert run("re-delivery") is False  # a re-delivery after the end does nothing
    assert AuditEvent.objects.filter(verb="packet_job.finished", target_id=str(generation.pk)).count() == 1


def test_bulk_generation_is_refused_up_front_when_it_cannot_work(tenant, plan, pm):
    # given a program without any work order
    # when / then
    with pytest.raises(services.ApplicationError) as raised:
        services.packet_generation_start(organization=tenant.organization, actor=pm, program_id=plan.program.pk)
    assert raised.value.code == "no_work_orders"

    # given a program without approved SOW
    other = build_plan(tenant, code="no-sow-2", site_code="X-2")
    other.sow.__class__.objects.filter(pk=other.sow.pk).update(status="draft")
    work_order_for(other)
    with pytest.raises(services.ApplicationError) as raised:
        services.packet_generation_start(organization=tenant.organization, actor=pm, program_id=other.program.pk)
    assert raised.value.code == "no_approved_sow"


# --- Recovery of stuck renders -------------------------------------------------------------------------


def test_the_sweep_rerenders_a_packet_stuck_rendering_and_fails_it_after_three_attempts(
    client, plan, pm, django_capture_on_commit_callbacks
):
    # given a version whose render started and whose worker died (never rendered, no PDF)
    work_order = work_order_for(plan, status="ready")
    with django_capture_on_commit_callbacks(execute=False):
        packet = services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=work_order.pk)
    packet = packet.packet
    long_ago = timezone.now() - services.RENDER_STALE_AFTER - timedelta(seconds=1)
    Packet.objects.filter(pk=packet.pk).update(
        status=PacketStatus.RENDERING, render_started_at=long_ago, render_attempts=1
    )
    assert jobs.jobs_stuck_count() == 1

    # when the jobs sweep runs, and the worker runs what it re-queued
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs.jobs_sweep()

    # then the version rendered and is current
    packet.refresh_from_db()
    assert report.sweepers["packet_renders"] == {"renders_requeued": [packet.pk], "renders_failed": []}
    assert (packet.status, packet.is_current, packet.render_attempts) == (PacketStatus.RENDERED, True, 2)
    assert jobs.jobs_stuck_count() == 0

    # given another version stuck after its third attempt
    second = work_order_for(plan, site=enroll_site(plan, code="HF-4001"), status="ready")
    with django_capture_on_commit_callbacks(execute=False):
        stuck = services.packet_issue(organization=plan.program.organization, actor=pm, work_order_id=second.pk)
    Packet.objects.filter(pk=stuck.packet.pk).update(
        status=PacketStatus.RENDERING, render_started_at=long_ago, render_attempts=services.RENDER_ATTEMPTS
    )
    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = jobs.jobs_sweep()
    # then it is failed with the reason, nothing re-queued
    failed = Packet.objects.get(pk=stuck.packet.pk)
    assert (failed.status, len(callbacks)) == (PacketStatus.FAILED, 0)
    assert "did not render after 3 attempts" in failed.render_error
    assert AuditEvent.objects.filter(verb="packet.render_failed", target_id=str(failed.pk)).exists()


def test_a_generation_job_resumes_after_a_dead_worker_without_issuing_twice(
    tenant, plan, pm, django_capture_on_commit_callbacks
):
    # given a generation whose worker died while rendering the second work order (issued, not rendered)
    work_orders = [work_order_for(plan, site=enroll_site(plan, code=f"HF-5{n:03d}"), status="ready") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        generation = services.packet_generation_start(
            organization=tenant.organization, actor=pm, program_id=plan.program.pk
        )
    job = generation.job
    assert jobs.job_run(organization_id=tenant.organization.pk, job_id=job.pk, token="dead", budget_seconds=0)
    item = job.items.get(ref=work_orders[1].pk)
    jobs.JobItem.objects.filter(pk=item.pk).update(claimed_by="dead", attempts=1)
    with transaction.atomic():
        issued = services._issue(tenant.organization.pk, pm, work_orders[1].pk)
        jobs.job_item_note(item, {"packet": issued.packet.pk, "issued": True})
    Packet.objects.filter(pk=issued.packet.pk).update(status=PacketStatus.RENDERING, render_attempts=1)
    generation.refresh_from_db()
    assert (generation.done, generation.issued_count) == (1, 1)  # progress: only the finished one

    # when the broker redelivers the dead task (same task id), to the end
    while jobs.job_run(organization_id=tenant.organization.pk, job_id=job.pk, token="dead"):
        pass

    # then every work order has exactly one version, rendered, counted once, as issued by the job
    generation.refresh_from_db()
    assert (generation.status, generation.done, generation.issued_count, generation.unchanged_count) == (
        PacketJobStatus.DONE,
        3,
        3,
        0,
    )
    for work_order in work_orders:
        versions = Packet.objects.filter(work_order=work_order)
        assert [(p.version, p.status) for p in versions] == [(1, PacketStatus.RENDERED)]
        assert AuditEvent.objects.filter(verb="packet.issued", target_id=str(versions[0].pk)).count() == 1
        assert AuditEvent.objects.filter(verb="packet.rendered", target_id=str(versions[0].pk)).count() == 1
