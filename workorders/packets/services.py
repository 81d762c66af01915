"""Writes of packets: issue (compile, version, render in the background), render, acknowledge, controlled
re-issue, and bulk generation jobs.

Rules:
- A packet is issued only for a work order that is neither cancelled nor closed, from the program's latest
  approved SOW, once every variation of the site is decided. The refusal says what to fix.
- Issuing is idempotent: when a fresh compile has the checksum of the latest version (rendered or still
  rendering), nothing happens. Otherwise version N+1 is written (its snapshot never changes again) and
  rendered after commit by `packet_render_task`.
- A version becomes current when its PDF renders; the previous one is then superseded. A render that fails
  marks only that version failed, with the error: the previous version stays intact and current.
- Re-issue gives new versions to affected work orders that were not visited yet, never to visited ones;
  the assigned technician is e-mailed and must acknowledge the new version (the readiness gate).
- Bulk generation is a durable job (rollout.jobs), one item per work order, marked done in the transaction
  that settles its packet: a worker killed half-way loses nothing and a re-run issues nothing twice. It
  records one site's failure and goes on, and ends with a ZIP of the PDFs.
- A render whose worker died (a version stuck compiled or rendering) is re-queued by the jobs sweep, and
  failed with the reason after three attempts.
Every service takes the organization explicitly and looks every object up inside it; each state change
records an audit event.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, Wave
from rollout import jobs
from rollout.audit import audit_record
from rollout.choices import Role
from rollout.errors import ApplicationError, Conflict, NotFound
from rollout.models import Job, JobItem, JobItemStatus, JobStatus, Organization, User
from rollout.tenancy import Access, actor_label, actor_user, organization_id_of
from technicians.models import Technician
from workorders.choices import NOT_VISITED, PacketJobStatus, PacketStatus, WorkOrderStatus
from workorders.events import packet_issued_emit
from workorders.models import Packet, PacketAcknowledgement, PacketGenerationJob, WorkOrder
from workorders.packets import selectors
from workorders.packets.errors import (
    NoApprovedSow,
    NotYourWorkOrder,
    PacketNotCurrent,
    PacketRenderError,
    PendingVariations,
    WorkOrderClosedForPackets,
)
from workorders.packets.render import packet_render_pdf
from workorders.packets.tasks import packet_render_task
from workorders.readiness import describe_window

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PacketIssue:
    """What packet_issue did: the packet (new, or the latest one when nothing changed) and whether it is new."""

    packet: Packet
    issued: bool


@dataclass(frozen=True)
class ReissueResult:
    reissued: tuple[Packet, ...]
    left_untouched: tuple[dict, ...]  # [{work_order, number, message}]
    failed: tuple[dict, ...]  # [{work_order, number, message}]
    unchanged_count: int


def visit_url(work_order: WorkOrder) -> str:
    """What the cover's QR code opens: the technician's page for this work order's current packet."""
    path = reverse(
        "packets:packet-work-order", kwargs={"org": work_order.organization.slug, "work_order_id": work_order.pk}
    )
    return settings.TUTTI_BASE_URL.rstrip("/") + path


# --- Issue ----------------------------------------------------------------------------------------------


def _lock_work_order(organization, work_order_id: int) -> WorkOrder:
    work_order = WorkOrder.objects.for_organization(organization).select_for_update().filter(pk=work_order_id).first()
    if work_order is None:
        raise NotFound()
    return work_order


def _check_issuable(organization, work_order: WorkOrder, program: Program) -> None:
    if work_order.status == WorkOrderStatus.CANCELLED:
        raise WorkOrderClosedForPackets(
            f"Work order {work_order.number} is cancelled; packets are issued for open work orders only."
        )
    if work_order.status == WorkOrderStatus.CLOSED:
        raise WorkOrderClosedForPackets(
            f"Work order {work_order.number} is closed; its last packet stays as the record.",
            code="work_order_closed",
        )
    pending = selectors.pending_variation_counts(
        organization=organization, program_id=program.pk, site_ids=[work_order.site_id]
    ).get(work_order.site_id, 0)
    if pending:
        raise PendingVariations(
            f"Site {work_order.site.code} has {pending} undecided variation{'s' if pending != 1 else ''} in program "
            f"{program.code}: approve or reject {'them' if pending != 1 else 'it'} before issuing its packet."
        )


def _issue(organization, actor, work_order_id: int, *, sow=None) -> PacketIssue:
    """Compile and, when the content changed, write the next version (inside the caller's transaction)."""
    work_order = _lock_work_order(organization, work_order_id)
    program = Program.objects.for_organization(organization).select_related("client").get(pk=work_order.program_id)
    work_order.program = program
    _check_issuable(organization, work_order, program)
    sow = sow or selectors.packet_sow_for_compile(organization=organization, program_id=program.pk)
    if sow is None:
        raise NoApprovedSow(f"Program {program.code} has no approved SOW yet: approve a SOW version first.")
    snapshot = selectors.packet_compile_many(
        organization=organization, program=program, sow=sow, work_orders=[work_order]
    )[work_order.pk]
    latest = selectors.packet_latest(organization=organization, work_order_id=work_order.pk)
    if latest is not None and latest.checksum == snapshot.checksum:
        return PacketIssue(packet=latest, issued=False)
    last_version = (
        Packet.objects.for_organization(organization)
        .filter(work_order=work_order)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    packet = Packet.objects.create(
        organization_id=organization_id_of(organization),
        work_order=work_order,
        version=(last_version or 0) + 1,
        snapshot=snapshot.to_json(),
        checksum=snapshot.checksum,
        sow=sow,
        variation_ids=snapshot.content["variations_applied"],
        issued_by=actor_user(actor),
        issued_by_label=actor_label(actor)[:200],
    )
    audit_record(
        organization=work_order.organization,
        actor=actor,
        verb="packet.issued",
        target=packet,
        after={
            "work_order": work_order.number,
            "version": packet.version,
            "checksum": packet.checksum,
            "sow_version": sow.version,
            "variations": packet.variation_ids,
            "replaces_version": latest.version if latest else None,
        },
    )
    return PacketIssue(packet=packet, issued=True)


@transaction.atomic
def packet_issue(*, organization: Organization, actor: Access | User | None, work_order_id: int) -> PacketIssue:
    """Issue the work order's packet: refused (with what to fix) without an approved SOW, for a cancelled or
    closed work order, or while the site has undecided variations. Idempotent: unchanged content returns
    the latest version untouched; new content writes version N+1 and renders it after commit."""
    result = _issue(organization, actor, work_order_id)
    if result.issued:
        packet_render_task.delay_on_commit(organization_id=result.packet.organization_id, packet_id=result.packet.pk)
    return result


# --- Render ---------------------------------------------------------------------------------------------


def _lock_packet(organization, packet_id: int) -> Packet | None:
    return Packet.objects.for_organization(organization).select_for_update().filter(pk=packet_id).first()


def packet_render(*, organization, packet_id: int, on_settled: Callable[[Packet], None] | None = None) -> Packet | None:
    """Render one packet version's PDF (not one transaction: the render itself holds no lock).

    Idempotent: a rendered or failed version is returned as it is. Success stores the PDF, makes the version
    current (superseding older ones; a newer rendered version supersedes it instead) and e-mails the
    assigned technician to acknowledge it. A PacketRenderError marks only this version failed, with the error.
    `on_settled(packet)` runs inside the transaction that records the outcome (a job marks its item there).
    Each attempt is counted and timed, so the sweep can tell a render whose worker died.
    """
    with transaction.atomic():
        packet = _lock_packet(organization, packet_id)
        if packet is None or packet.status in (PacketStatus.RENDERED, PacketStatus.FAILED):
            return packet
        packet.status = PacketStatus.RENDERING
        packet.render_started_at = timezone.now()
        packet.render_attempts += 1
        packet.save(update_fields=["status", "render_started_at", "render_attempts"])
    work_order = (
        WorkOrder.objects.for_organization(organization)
        .select_related("site", "organization", "program", "technician")
        .get(pk=packet.work_order_id)
    )
    try:
        pdf = packet_render_pdf(
            packet.snapshot,
            visit_url=visit_url(work_order),
            version=packet.version,
            visit_window=describe_window(work_order) or None,
        )
    except PacketRenderError as error:
        with transaction.atomic():
            packet = _lock_packet(organization, packet_id)
            if packet.status == PacketStatus.RENDERED:
                return packet
            packet.status = PacketStatus.FAILED
            packet.render_error = error.message
            packet.save(update_fields=["status", "render_error"])
            audit_record(
                organization=work_order.organization,
                actor=None,
                verb="packet.render_failed",
                target=packet,
                after={"version": packet.version, "error": error.message[:2000]},
            )
            if on_settled:
                on_settled(packet)
        return packet
    with transaction.atomic():
        packet = _lock_packet(organization, packet_id)
        if packet.status == PacketStatus.RENDERED:
            return packet
        packet.pdf.save(packet.download_name, ContentFile(pdf), save=False)
        packet.pdf_size = len(pdf)
        packet.status = PacketStatus.RENDERED
        packet.render_error = ""
        packet.rendered_at = timezone.now()
        others = Packet.objects.for_organization(organization).filter(
            work_order_id=packet.work_order_id, status=PacketStatus.RENDERED
        )
        newer = others.filter(version__gt=packet.version).order_by("version").first()
        packet.superseded_by = newer
        packet.save(update_fields=["pdf", "pdf_size", "status", "render_error", "rendered_at", "superseded_by"])
        if newer is None:
            others.filter(version__lt=packet.version, superseded_by__isnull=True).update(superseded_by=packet)
        audit_record(
            organization=work_order.organization,
            actor=None,
            verb="packet.rendered",
            target=packet,
            after={"version": packet.version, "pdf_size": packet.pdf_size, "current": newer is None},
        )
        if newer is None:  # the current version: the technician must read and acknowledge it
            packet_issued_emit(organization=work_order.organization, packet=packet, work_order=work_order)
        if on_settled:
            on_settled(packet)
    return packet


# --- Acknowledge ----------------------------------------------------------------------------------------


@transaction.atomic
def packet_acknowledge(*, organization: Organization, actor: Access, packet_id: int) -> PacketAcknowledgement:
    """The assigned technician confirms they read the current packet version. Safe to call twice."""
    packet = _lock_packet(organization, packet_id)
    if packet is None:
        raise NotFound()
    work_order = (
        WorkOrder.objects.for_organization(organization).select_related("technician").get(pk=packet.work_order_id)
    )
    user = actor_user(actor)
    technician = (
        Technician.objects.for_organization(organization).filter(user=user).first() if user is not None else None
    )
    role_ok = not isinstance(actor, Access) or actor.role == Role.TECHNICIAN
    if technician is None or not role_ok or work_order.technician_id != technician.pk:
        raise NotYourWorkOrder()
    if not packet.is_current:
        current = selectors.packet_current(organization=organization, work_order_id=work_order.pk)
        hint = f" Version {current.version} is current: acknowledge that one." if current else ""
        raise PacketNotCurrent(f"Packet v{packet.version} is not the current version of {work_order.number}.{hint}")
    acknowledgement, created = PacketAcknowledgement.objects.get_or_create(
        organization_id=organization_id_of(organization),
        packet=packet,
        technician=technician,
        defaults={"user": user},
    )
    if created:
        audit_record(
            organization=work_order.organization,
            actor=actor,
            verb="packet.acknowledged",
            target=packet,
            after={"work_order": work_order.number, "version": packet.version, "technician": technician.full_name},
        )
    return acknowledgement


# --- Controlled re-issue --------------------------------------------------------------------------------


@transaction.atomic
def packet_reissue(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    work_order_ids: list[int] | None = None,
) -> ReissueResult:
    """Give a new packet version to every affected work order not yet visited (or only to `work_order_ids`,
    the ones the PM confirmed), each rendered after commit; visited ones keep theirs. Each work order is
    re-checked here (it may have changed since the preview); one refusal does not stop the others."""
    preview = selectors.packet_reissue_preview(
        organization=organization, program_id=program_id, work_order_ids=work_order_ids
    )
    reissued, failed = [], []
    for item in preview.to_reissue:
        try:
            with transaction.atomic():
                result = _issue(organization, actor, item.work_order.pk, sow=preview.sow)
        except ApplicationError as error:
            failed.append(
                {"work_order": item.work_order.pk, "number": item.work_order.number, "message": error.message}
            )
            continue
        if result.issued:
            reissued.append(result.packet)
            packet_render_task.delay_on_commit(
                organization_id=result.packet.organization_id, packet_id=result.packet.pk
            )
    untouched = tuple(
        {"work_order": item.work_order.pk, "number": item.work_order.number, "message": item.note}
        for item in preview.left_untouched
    )
    if reissued or failed:
        audit_record(
            organization=preview.program.organization,
            actor=actor,
            verb="packet.reissued",
            target=preview.program,
            after={
                "reissued": [packet.work_order_id for packet in reissued],
                "left_untouched": [item["work_order"] for item in untouched],
                "failed": [item["work_order"] for item in failed],
            },
        )
    return ReissueResult(tuple(reissued), untouched, tuple(failed), preview.unchanged_count)


# --- Bulk generation ------------------------------------------------------------------------------------

PACKET_GENERATION = "workorders.packet_generation"


def _generation_scope(organization, program: Program, wave: Wave | None):
    work_orders = WorkOrder.objects.for_organization(organization).filter(program_id=program.pk, status__in=NOT_VISITED)
    if wave is not None:
        work_orders = work_orders.filter(enrollment__wave_id=wave.pk)
    return work_orders.order_by("sequence", "id")


@transaction.atomic
def packet_generation_start(
    *, organization: Organization, actor: Access | User | None, program_id: int, wave_id: int | None = None
) -> PacketGenerationJob:
    """Start issuing packets for every work order of the program (or wave) not yet visited, in the
    background (a durable job, one item per work order). Refused up front without an approved SOW or without
    any such work order."""
    program = Program.objects.for_organization(organization).filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    wave = None
    if wave_id is not None:
        wave = Wave.objects.for_organization(organization).filter(pk=wave_id, program_id=program.pk).first()
        if wave is None:
            raise ApplicationError(f"Program {program.code} has no such wave.", code="does_not_exist", field="wave")
    if selectors.packet_sow_for_compile(organization=organization, program_id=program.pk) is None:
        raise NoApprovedSow(f"Program {program.code} has no approved SOW yet: approve a SOW version first.")
    ids = list(_generation_scope(organization, program, wave).values_list("pk", flat=True))
    if not ids:
        where = f"wave {wave.name} of program {program.code}" if wave else f"program {program.code}"
        raise Conflict(
            f"No work order of {where} is waiting for a visit: create work orders first.", code="no_work_orders"
        )
    generation = PacketGenerationJob.objects.create(
        organization=organization,
        program=program,
        wave=wave,
        total=len(ids),
        work_order_ids=ids,
        requested_by=actor_user(actor),
        requested_by_label=actor_label(actor)[:200],
        job=jobs.job_create(organization=organization, kind=PACKET_GENERATION, refs=ids),
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="packet_job.created",
        target=generation,
        after={"program": program.code, "wave": wave.name if wave else None, "total": len(ids)},
    )
    return generation


def _generation_of(job: Job, *, lock: bool = False) -> PacketGenerationJob:
    generations = PacketGenerationJob.objects.for_organization(job.organization_id).filter(job_id=job.pk)
    if lock:
        generations = generations.select_for_update(of=("self",))
    return generations.select_related("program", "program__organization", "wave", "requested_by").get()


def _count(job: Job, *, outcome: str, failure: dict | None = None) -> None:
    """Count one finished work order on the generation row (inside the item's transaction, like the job's)."""
    counters: dict[str, Any] = {"done": F("done") + 1}
    if outcome == "issued":
        counters["issued_count"] = F("issued_count") + 1
    elif outcome == "unchanged":
        counters["unchanged_count"] = F("unchanged_count") + 1
    generations = PacketGenerationJob.objects.for_organization(job.organization_id).filter(job_id=job.pk)
    if failure is not None:
        generation = generations.select_for_update().get()
        generations.update(failed_count=F("failed_count") + 1, failures=[*generation.failures, failure], **counters)
    else:
        generations.update(**counters)


def _failure(item: JobItem, message: str) -> dict:
    work_order = WorkOrder.objects.filter(pk=item.ref, organization_id=item.organization_id).select_related("site")
    work_order = work_order.first()
    return {
        "work_order": item.ref,
        "number": work_order.number if work_order else str(item.ref),
        "site_code": work_order.site.code if work_order else "",
        "message": message,
    }


def _generation_item(job: Job, item: JobItem) -> None:
    """Issue and render one work order's packet for a generation job; its outcome (issued, unchanged,
    skipped or failed with the reason) is recorded in the transaction that settles the packet."""
    organization = job.organization_id
    generation = _generation_of(job)

    def finish(outcome: str, message: str = "") -> None:
        failed = outcome == "failed"
        jobs.job_item_finish(item, outcome=outcome, failed=failed, message=message)
        _count(job, outcome=outcome, failure=_failure(item, message) if failed else None)

    def fail(message: str) -> None:
        with transaction.atomic():
            finish("failed", message)

    sow = selectors.packet_sow_for_compile(organization=organization, program_id=generation.program_id)
    if sow is None:
        return fail("The program has no approved SOW any more.")
    work_order = WorkOrder.objects.for_organization(organization).filter(pk=item.ref).first()
    if work_order is None:
        return fail("The work order no longer exists.")
    if work_order.status not in NOT_VISITED:
        with transaction.atomic():
            return finish("skipped")
    try:
        with transaction.atomic():
            result = _issue(organization, generation.requested_by, item.ref, sow=sow)
            # Remembered with the item: after a crash between issue and render, the re-run sees the content
            # unchanged, yet this job did issue the version.
            issued = result.issued or bool(item.result.get("issued"))
            jobs.job_item_note(item, {"packet": result.packet.pk, "issued": issued})
    except ApplicationError as error:
        return fail(error.message)

    def settle(packet: Packet) -> None:
        if packet.status == PacketStatus.FAILED:
            finish("failed", packet.render_error)
        else:
            finish("issued" if issued else "unchanged")

    packet = result.packet
    if packet.status not in (PacketStatus.RENDERED, PacketStatus.FAILED):
        packet = packet_render(organization=organization, packet_id=packet.pk, on_settled=settle)
    if item.status == JobItemStatus.PENDING:  # settled earlier, by another render of the same version
        with transaction.atomic():
            settle(packet)


def _generation_started(job: Job) -> None:
    PacketGenerationJob.objects.for_organization(job.organization_id).filter(
        job_id=job.pk, status=PacketJobStatus.QUEUED
    ).update(status=PacketJobStatus.RUNNING, started_at=job.started_at)


def _generation_item_failed(job: Job, item: JobItem, message: str) -> None:
    _count(job, outcome="failed", failure=_failure(item, message))


def _write_zip(organization, job: PacketGenerationJob) -> None:
    """The job's ZIP: each work order's current PDF, plus failures.txt when some failed."""
    packets = (
        Packet.objects.for_organization(organization)
        .current()
        .filter(work_order_id__in=job.work_order_ids)
        .select_related("work_order", "work_order__site")
        .order_by("work_order__sequence", "work_order_id")
    )
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            for packet in packets.iterator(chunk_size=200):
                name = f"{packet.work_order.number}-{packet.work_order.site.code}-v{packet.version}.pdf"
                with packet.pdf.open("rb") as pdf:
                    archive.writestr(name, pdf.read())
            if job.failures:
                lines = [f"{item['number']}\t{item['site_code']}\t{item['message']}" for item in job.failures]
                archive.writestr("failures.txt", "work order\tsite\tproblem\n" + "\n".join(lines) + "\n")
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(0)
        wave = f"-{job.wave.name}" if job.wave_id else ""
        job.zip.save(f"packets-{job.program.code}{wave}.zip", File(handle), save=False)
    job.zip_size = size


def _generation_finish(job: Job) -> str | None:
    """Write the ZIP once every work order is done (again, if a finisher died half-way)."""
    generation = _generation_of(job)
    try:
        _write_zip(job.organization_id, generation)
    except OSError as error:
        return f"The ZIP could not be written: {error}"
    generation.save(update_fields=["zip", "zip_size"])
    return None


def _generation_settle(job: Job) -> None:
    generation = _generation_of(job, lock=True)
    generation.status = PacketJobStatus.DONE if job.status == JobStatus.DONE else PacketJobStatus.FAILED
    generation.failure_message = job.failure_reason
    generation.finished_at = job.finished_at
    generation.save(update_fields=["status", "failure_message", "finished_at"])
    audit_record(
        organization=generation.program.organization,
        actor=None,
        verb="packet_job.finished",
        target=generation,
        after={
            "status": generation.status,
            "total": generation.total,
            "issued": generation.issued_count,
            "unchanged": generation.unchanged_count,
            "failed": generation.failed_count,
            "reason": job.failure_reason,
        },
    )


jobs.job_kind_register(
    jobs.JobKind(
        name=PACKET_GENERATION,
        run_item=_generation_item,
        # One render's limit (packet_render_task's time limit): a claim older than that belongs to a dead worker.
        time_limit=150,
        # Chains side by side, one per worker process (Celery's default concurrency here is 2).
        chains=2,
        started=_generation_started,
        item_failed=_generation_item_failed,
        finish=_generation_finish,
        settle=_generation_settle,
    )
)


# --- Recovery of single renders (the jobs sweep runs it) ------------------------------------------------

RENDER_STALE_AFTER = timedelta(seconds=150 + 30)  # packet_render_task's time limit, plus a grace
RENDER_ATTEMPTS = 3


def _renders_stuck(now: datetime):
    """Versions whose render never started, or started and never ended, longer ago than a render may take."""
    before = now - RENDER_STALE_AFTER
    return Packet.objects.filter(
        Q(status=PacketStatus.COMPILED, issued_at__lt=before, render_started_at__isnull=True)
        | Q(status__in=[PacketStatus.COMPILED, PacketStatus.RENDERING], render_started_at__lt=before)
    )


def packet_renders_sweep(now: datetime) -> dict:
    """Re-queue the render of every packet version stuck compiled or rendering (its worker died or its
    message was lost); after RENDER_ATTEMPTS attempts, mark it failed with the reason. Platform-wide: each
    packet carries its organization, and the task scopes by it."""
    requeued, failed = [], []
    for packet in _renders_stuck(now).order_by("issued_at")[:500]:
        same = Packet.objects.filter(
            pk=packet.pk, status=packet.status, render_started_at=packet.render_started_at
        )  # nobody moved it since we read it
        if packet.render_attempts >= RENDER_ATTEMPTS:
            message = (
                f"The PDF did not render after {packet.render_attempts} attempts: the worker stopped or ran out "
                "of time each time. Issue the packet again once the cause is fixed."
            )
            with transaction.atomic():
                if same.update(status=PacketStatus.FAILED, render_error=message):
                    failed.append(packet.pk)
                    audit_record(
                        organization=Organization.objects.get(pk=packet.organization_id),
                        actor=None,
                        verb="packet.render_failed",
                        target=packet,
                        after={"version": packet.version, "error": message},
                    )
            continue
        with transaction.atomic():
            if same.update(render_started_at=now):
                requeued.append(packet.pk)
                packet_render_task.delay_on_commit(organization_id=packet.organization_id, packet_id=packet.pk)
    return {"renders_requeued": requeued, "renders_failed": failed}


jobs.job_sweeper_register(
    jobs.JobSweeper(name="packet_renders", stuck=lambda now: _renders_stuck(now).count(), sweep=packet_renders_sweep)
)
