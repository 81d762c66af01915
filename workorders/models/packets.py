"""Packets (a work order's frozen, versioned instructions), their acknowledgements by the technician, and
bulk packet generation jobs.

A packet version is immutable content: its snapshot and checksum never change once written; only its
rendering state moves (compiled → rendering → rendered | failed) and, when a newer version renders, the
pointer to the version that superseded it. The current packet of a work order is its latest rendered
version that nothing superseded. PDFs and ZIPs live in private storage (MEDIA_ROOT/private), which has no
URL: views stream them after checking access.

Visibility: staff and integrators read every row of their organization; a client viewer the packets of
their own client's programs; a technician the packets of the work orders assigned to them. Generation
jobs are staff and integrator business only.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet
from sites.models import private_storage
from workorders.choices import PacketJobStatus, PacketStatus


class WorkOrderScopedQuerySet(TenantQuerySet):
    """Opens rows to clients (their client's programs) and technicians (their assigned work orders)."""

    work_order_path = "work_order"

    def visible_to(self, access):
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            if not access.client_id:
                return scoped.none()
            return scoped.filter(**{f"{self.work_order_path}__program__client_id": access.client_id})
        if access.role == Role.TECHNICIAN:
            scoped = self.for_organization(access.organization)
            if access.user is None:
                return scoped.none()
            return scoped.filter(**{f"{self.work_order_path}__technician__user_id": access.user.pk})
        return super().visible_to(access)


class PacketQuerySet(WorkOrderScopedQuerySet):
    def current(self) -> PacketQuerySet:
        """Versions that are the current packet of their work order (rendered, superseded by nothing)."""
        return self.filter(status=PacketStatus.RENDERED, superseded_by__isnull=True)

    def with_summary(self) -> PacketQuerySet:
        """Work order, program, site and SOW in the same query (for lists)."""
        return self.select_related("work_order", "work_order__program", "work_order__site", "sow")


class PacketAcknowledgementQuerySet(WorkOrderScopedQuerySet):
    work_order_path = "packet__work_order"


def packet_pdf_upload_to(instance: Packet, filename: str) -> str:
    # A random name: nothing about the path can be guessed, and no URL serves it anyway.
    return f"packets/{instance.organization_id}/{instance.work_order_id}/{uuid.uuid4().hex}.pdf"


def packet_zip_upload_to(instance: PacketGenerationJob, filename: str) -> str:
    return f"packet-jobs/{instance.organization_id}/{uuid.uuid4().hex}.zip"


class Packet(TenantModel):
    """One version of a work order's packet: the compiled snapshot (SOW with the site's variations applied),
    its checksum, and the PDF rendered from it in the background."""

    Status = PacketStatus

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="packets")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField(help_text="The compiled packet (workorders.packets.compiler), checksum included.")
    checksum = models.CharField(max_length=64, help_text="sha256 of the snapshot's canonical JSON.")
    sow = models.ForeignKey("programs.Sow", on_delete=models.PROTECT, related_name="packets")
    variation_ids = models.JSONField(default=list, blank=True, help_text="The approved variations applied.")
    pdf = models.FileField(upload_to=packet_pdf_upload_to, storage=private_storage, max_length=255, blank=True)
    pdf_size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=PacketStatus.choices, default=PacketStatus.COMPILED)
    render_error = models.TextField(blank=True)
    render_started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last render attempt started (the sweep's clock)."
    )
    render_attempts = models.PositiveSmallIntegerField(default=0, help_text="Render attempts started.")
    rendered_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_by_label = models.CharField(max_length=200, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )

    objects = PacketQuerySet.as_manager()

    class Meta:
        ordering = ["work_order_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "work_order", "version"], name="packet_version_unique"),
        ]
        indexes = [
            models.Index(fields=["organization", "work_order", "status"]),
            models.Index(fields=["organization", "status"]),
        ]

    def __str__(self) -> str:
        return f"packet v{self.version} of work order {self.work_order_id}"

    @property
    def is_current(self) -> bool:
        return self.status == PacketStatus.RENDERED and self.superseded_by_id is None

    @property
    def download_name(self) -> str:
        number = self.snapshot.get("work_order_number") or f"work-order-{self.work_order_id}"
        return f"{number}-packet-v{self.version}.pdf"


class PacketAcknowledgement(TenantModel):
    """A technician's confirmation that they read one packet version. One per (packet, technician)."""

    packet = models.ForeignKey(Packet, on_delete=models.CASCADE, related_name="acknowledgements")
    technician = models.ForeignKey(
        "technicians.Technician", on_delete=models.PROTECT, related_name="packet_acknowledgements"
    )
    acknowledged_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PacketAcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["packet_id", "acknowledged_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "packet", "technician"], name="packet_acknowledged_once_per_technician"
            ),
        ]

    def __str__(self) -> str:
        return f"packet {self.packet_id} acknowledged by technician {self.technician_id}"


class PacketGenerationJob(TenantModel):
    """Packets issued for a whole program (or one of its waves) in the background, one work order per item of a
    durable job (rollout.jobs), with progress; one site's failure is recorded and the rest go on; a ZIP of the
    PDFs is built at the end. Status and counters move in the same transactions as the job's."""

    Status = PacketJobStatus

    job = models.OneToOneField(
        "rollout.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="packet_generation"
    )
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="packet_jobs")
    wave = models.ForeignKey("programs.Wave", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=PacketJobStatus.choices, default=PacketJobStatus.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0, help_text="Work orders processed, failed ones included.")
    failed_count = models.PositiveIntegerField(default=0)
    issued_count = models.PositiveIntegerField(default=0, help_text="New packet versions issued.")
    unchanged_count = models.PositiveIntegerField(default=0, help_text="Current packet already up to date.")
    failures = models.JSONField(default=list, blank=True, help_text="[{work_order, site_code, message}].")
    work_order_ids = models.JSONField(default=list, blank=True, help_text="The work orders in scope, in order.")
    zip = models.FileField(upload_to=packet_zip_upload_to, storage=private_storage, max_length=255, blank=True)
    zip_size = models.PositiveBigIntegerField(default=0)
    failure_message = models.TextField(blank=True, help_text="Why the whole job stopped, if it did.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "program", "-created_at"])]

    def __str__(self) -> str:
        return f"packet generation {self.pk} for program {self.program_id}"

    @property
    def is_running(self) -> bool:
        return self.status in (PacketJobStatus.QUEUED, PacketJobStatus.RUNNING)

    @property
    def download_name(self) -> str:
        return f"packets-{self.program.code}-job{self.pk}.zip"

    @property
    def progress_percent(self) -> int:
        if self.status == PacketJobStatus.DONE:
            return 100
        return min(100, int(self.done * 100 / self.total)) if self.total else 0
