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
- Bulk generation runs in batches from a cursor, records one site's failure and goes on, and ends with a
  ZIP of the PDFs.
Every service takes the organization explicitly and looks every object up inside it; each state change
records an audit event.
"""

from __future__ import annotations

import logging
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from programs.models import Program, Wave
from rollout.audit import audit_record
from rollout.choices import Role
from rollout.errors import ApplicationError, Conflict, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, organization_id_of
from technicians.models import Technician
from workorders.choices import WorkOrderStatus
from workorders.models import Packet, PacketAcknowledgement, PacketGenerationJob, WorkOrder
from workorders.packets import selectors
from workorders.packets.choices import NOT_VISITED, PacketJobStatus, PacketStatus
from workorders.packets.errors import (
    NoApprovedSow,
    NotYourWorkOrder,
    PacketNotCurrent,
    PacketRenderError,
    PendingVariations,
    WorkOrderClosedForPackets,
)
from workorders.packets.render import packet_render_pdf
from workorders.packets.tasks import (
    packet_generation_run_task,
    packet_notify_technician_task,
    packet_render_task,
)
from workorders.readiness import describe_window

logger = logging.getLogger(__name__)
GENERATION_BATCH = 20
# Chains of batches run side by side, one per worker process (Celery's default concurrency here is 2); each
# chain claims its own batches, so together they render at the workers' combined rate.
GENERATION_CHAINS = 2


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


def _user_of(actor: Access | User | None) -> User | None:
    return actor.user if isinstance(actor, Access) else actor


def _label_of(actor: Access | User | None) -> str:
    if isinstance(actor, Access):
        return actor.actor_label
    return actor.email if actor else "system"


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
        issued_by=_user_of(actor),
        issued_by_label=_label_of(actor)[:200],
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


def packet_render(*, organization, packet_id: int) -> Packet | None:
    """Render one packet version's PDF (not one transaction: the render itself holds no lock).

    Idempotent: a rendered or failed version is returned as it is. Success stores the PDF, makes the version
    current (superseding older ones; a newer rendered version supersedes it instead) and e-mails the
    assigned technician to acknowledge it. A PacketRenderError marks only this version failed, with the error.
    """
    with transaction.atomic():
        packet = _lock_packet(organization, packet_id)
        if packet is None or packet.status in (PacketStatus.RENDERED, PacketStatus.FAILED):
            return packet
        if packet.status != PacketStatus.RENDERING:
            packet.status = PacketStatus.RENDERING
            packet.save(update_fields=["status"])
    work_order = (
        WorkOrder.objects.for_organization(organization)
        .select_related("site", "organization")
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
        if newer is None and work_order.technician_id:
            packet_notify_technician_task.delay_on_commit(organization_id=packet.organization_id, packet_id=packet.pk)
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
    user = _user_of(actor)
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
    background. Refused up front without an approved SOW or without any such work order."""
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
    job = PacketGenerationJob.objects.create(
        organization=organization,
        program=program,
        wave=wave,
        total=len(ids),
        work_order_ids=ids,
        requested_by=_user_of(actor),
        requested_by_label=_label_of(actor)[:200],
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="packet_job.created",
        target=job,
        after={"program": program.code, "wave": wave.name if wave else None, "total": len(ids)},
    )
    for _ in range(min(GENERATION_CHAINS, -(-len(ids) // GENERATION_BATCH))):
        packet_generation_run_task.delay_on_commit(organization_id=organization.pk, job_id=job.pk)
    return job


def _claim_batch(organization, job_id: int, size: int) -> tuple[PacketGenerationJob | None, list[int]]:
    """Take the next `size` work orders of the job (a short transaction, so two deliveries of the same
    task never process the same work order twice)."""
    with transaction.atomic():
        job = PacketGenerationJob.objects.for_organization(organization).select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (PacketJobStatus.DONE, PacketJobStatus.FAILED):
            return None, []
        batch = job.work_order_ids[job.cursor : job.cursor + size]
        job.cursor += len(batch)
        fields = ["cursor"]
        if job.status == PacketJobStatus.QUEUED:
            job.status, job.started_at = PacketJobStatus.RUNNING, timezone.now()
            fields += ["status", "started_at"]
        job.save(update_fields=fields)
        return job, batch


def _record(organization, job_id: int, *, outcome: str, failure: dict | None = None) -> None:
    """Count one processed work order on the job (progress), with its failure if it failed."""
    counters: dict[str, Any] = {"done": F("done") + 1}
    if outcome == "issued":
        counters["issued_count"] = F("issued_count") + 1
    elif outcome == "unchanged":
        counters["unchanged_count"] = F("unchanged_count") + 1
    with transaction.atomic():
        jobs = PacketGenerationJob.objects.for_organization(organization).filter(pk=job_id)
        if failure is not None:
            job = jobs.select_for_update().get()
            jobs.update(failed_count=F("failed_count") + 1, failures=[*job.failures, failure], **counters)
        else:
            jobs.update(**counters)


def _generate_one(organization, job: PacketGenerationJob, work_order_id: int, sow) -> None:
    """Issue and render one work order's packet for a job; any failure is recorded against its site."""
    work_order = (
        WorkOrder.objects.for_organization(organization).select_related("site").filter(pk=work_order_id).first()
    )
    site_code = work_order.site.code if work_order else ""
    number = work_order.number if work_order else str(work_order_id)

    def fail(message: str) -> None:
        failure = {"work_order": work_order_id, "number": number, "site_code": site_code, "message": message}
        _record(organization, job.pk, outcome="failed", failure=failure)

    if work_order is None:
        return fail("The work order no longer exists.")
    if work_order.status not in NOT_VISITED:
        return _record(organization, job.pk, outcome="skipped")
    try:
        with transaction.atomic():
            result = _issue(organization, job.requested_by, work_order_id, sow=sow)
        packet = result.packet
        if packet.status != PacketStatus.RENDERED:
            packet = packet_render(organization=organization, packet_id=packet.pk)
    except ApplicationError as error:
        return fail(error.message)
    except Exception as error:  # one site's unexpected failure must not stop the others
        logger.exception("Packet generation failed for work order %s", work_order_id)
        return fail(f"Unexpected error: {type(error).__name__}: {error}")
    if packet.status == PacketStatus.FAILED:
        return fail(packet.render_error)
    _record(organization, job.pk, outcome="issued" if result.issued else "unchanged")


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


def packet_generation_step(*, organization, job_id: int, batch_size: int = GENERATION_BATCH) -> bool:
    """Process the job's next batch of work orders; at the end, write the ZIP and finish the job.
    Returns True when more batches remain (the task then enqueues the next one). Safe to run twice."""
    job, batch = _claim_batch(organization, job_id, batch_size)
    if job is None:
        return False
    sow = selectors.packet_sow_for_compile(organization=organization, program_id=job.program_id)
    for work_order_id in batch:
        if sow is None:
            _record(
                organization,
                job.pk,
                outcome="failed",
                failure={"work_order": work_order_id, "number": str(work_order_id), "site_code": "",
                         "message": "The program has no approved SOW any more."},
            )  # fmt: skip
            continue
        _generate_one(organization, job, work_order_id, sow)
    job.refresh_from_db()
    if job.cursor < len(job.work_order_ids):
        return True
    if job.done < job.total:
        return False  # another chain still works on its last batch; it finishes the job
    _finish(organization, job)
    return False


def _finish(organization, job: PacketGenerationJob) -> None:
    """Write the ZIP and close the job, once: the first chain to claim the finish does it."""
    now = timezone.now()
    claimed = (
        PacketGenerationJob.objects.for_organization(organization)
        .filter(pk=job.pk, status=PacketJobStatus.RUNNING, finished_at__isnull=True)
        .update(finished_at=now)
    )
    if not claimed:
        return
    job.refresh_from_db()
    try:
        _write_zip(organization, job)
    except OSError as error:
        job.status, job.failure_message = PacketJobStatus.FAILED, f"The ZIP could not be written: {error}"
    else:
        job.status = PacketJobStatus.DONE
    with transaction.atomic():
        job.save(update_fields=["zip", "zip_size", "status", "failure_message"])
        audit_record(
            organization=job.program.organization,
            actor=None,
            verb="packet_job.finished",
            target=job,
            after={
                "status": job.status,
                "total": job.total,
                "issued": job.issued_count,
                "unchanged": job.unchanged_count,
                "failed": job.failed_count,
            },
        )
