"""Programs, their waves, and versioned statements of work (SOW) with ordered tasks and materials.

Every model is tenant-owned. Client-role members see the programs of their own client only, and
everything under them (waves, SOWs, tasks, materials) through the program's client. An approved SOW
is immutable: the models refuse to save or delete it (or its tasks and materials), so that no route —
service, API, admin or shell — can change what was approved.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from programs.choices import EvidenceKind, ProgramStatus, SowStatus
from programs.errors import SowApproved
from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class ClientScopedQuerySet(TenantQuerySet):
    """Opens rows to client-role members whose client owns them (through `client_path`)."""

    client_path = "client_id"

    def visible_to(self, access):
        if access.role == Role.CLIENT:
            scoped = self.for_organization(access.organization)
            return scoped.filter(**{self.client_path: access.client_id}) if access.client_id else scoped.none()
        return super().visible_to(access)


class ProgramQuerySet(ClientScopedQuerySet):
    client_path = "client_id"

    def with_summary(self) -> ProgramQuerySet:
        """Client, responsible PM, wave count and SOW versions, in the same query (for lists)."""
        return self.select_related("client", "responsible_pm").annotate(
            wave_count=models.Count("waves", distinct=True),
            latest_sow_version=models.Max("sows__version"),
            approved_sow_version=models.Max("sows__version", filter=models.Q(sows__status=SowStatus.APPROVED)),
        )


class ProgramChildQuerySet(ClientScopedQuerySet):
    client_path = "program__client_id"


class SowQuerySet(ProgramChildQuerySet):
    def with_summary(self) -> SowQuerySet:
        """Program, authors and line counts, in the same query (for lists)."""
        return self.select_related("program", "approved_by", "created_by").annotate(
            task_count=models.Count("tasks", distinct=True),
            material_count=models.Count("materials", distinct=True),
        )


class SowChildQuerySet(ClientScopedQuerySet):
    client_path = "sow__program__client_id"


class Program(TenantModel):
    """One rollout for one client: dates, status, target DRFT, responsible PM and SLA policy values."""

    Status = ProgramStatus

    client = models.ForeignKey("rollout.Client", on_delete=models.PROTECT, related_name="programs")
    code = models.SlugField(max_length=40, help_text="Short code, unique in the organization (e.g. sco-2026).")
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField()
    status = models.CharField(max_length=20, choices=ProgramStatus.choices, default=ProgramStatus.PLANNING)
    target_drft_percent = models.DecimalField(
        "target DRFT %",
        max_digits=5,
        decimal_places=2,
        default=Decimal("99.70"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    responsible_pm = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # SLA policy values read by later issues (check-in escalation, DRFT warranty, geofencing).
    checkin_grace_minutes = models.PositiveSmallIntegerField(default=30)
    warranty_window_days = models.PositiveSmallIntegerField(default=30)
    geofence_radius_m = models.PositiveIntegerField(default=300)
    geofence_enforced = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgramQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="program_code_unique_per_org"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="program_dates"),
        ]
        indexes = [models.Index(fields=["organization", "status"]), models.Index(fields=["organization", "client"])]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"


class Wave(TenantModel):
    """A slice of a program's rollout (pilot, wave 1, …) with a date range inside the program's dates."""

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(max_length=80)
    order = models.PositiveSmallIntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProgramChildQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "order", "start_date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "name"], name="wave_name_unique_per_program"),
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="wave_dates"),
        ]

    def __str__(self) -> str:
        return self.name


class Sow(TenantModel):
    """One version of a program's statement of work. Drafts are editable; an approved version is frozen."""

    Status = SowStatus

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="sows")
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=SowStatus.choices, default=SowStatus.DRAFT)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by_label = models.CharField(max_length=200, blank=True, help_text="Who approved (user or API token).")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SowQuerySet.as_manager()

    class Meta:
        verbose_name = "SOW"
        verbose_name_plural = "SOWs"
        ordering = ["program_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "version"], name="sow_version_unique"),
            models.UniqueConstraint(
                fields=["organization", "program"],
                condition=models.Q(status=SowStatus.DRAFT),
                name="sow_one_draft_per_program",
            ),
        ]

    def __str__(self) -> str:
        return f"SOW v{self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == SowStatus.DRAFT

    def _stored_status(self) -> str | None:
        if self.pk is None:
            return None
        return Sow.objects.filter(pk=self.pk).values_list("status", flat=True).first()

    def save(self, *args, **kwargs):
        if self._stored_status() == SowStatus.APPROVED:
            raise SowApproved()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == SowStatus.APPROVED:
            raise SowApproved()
        return super().delete(*args, **kwargs)


class SowLine(TenantModel):
    """What tasks and materials share: a place in one SOW, a stable key, and an optional condition."""

    key = models.SlugField(
        max_length=60, help_text="Stable across versions: the same line in v1 and v2 has the same key."
    )
    position = models.PositiveIntegerField(default=1)
    condition = models.TextField(
        blank=True, max_length=2000, help_text="Applies only to sites whose attributes match (blank: every site)."
    )

    objects = SowChildQuerySet.as_manager()

    class Meta:
        abstract = True

    def _guard(self):
        if Sow.objects.filter(pk=self.sow_id, status=SowStatus.APPROVED).exists():
            raise SowApproved()

    def save(self, *args, **kwargs):
        self._guard()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self._guard()
        return super().delete(*args, **kwargs)


class SowTask(SowLine):
    """One ordered task of a SOW: instructions (Markdown), skill, time, evidence required, condition."""

    EvidenceKind = EvidenceKind

    sow = models.ForeignKey(Sow, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    instructions = models.TextField(blank=True, help_text="Markdown.")
    required_skill = models.SlugField(max_length=60, blank=True)
    estimated_minutes = models.PositiveIntegerField(default=0)
    evidence_kind = models.CharField(max_length=20, choices=EvidenceKind.choices, default=EvidenceKind.NONE)
    photo_min_count = models.PositiveSmallIntegerField(null=True, blank=True)
    serial_pattern = models.CharField(
        max_length=200, blank=True, help_text="A regular expression the whole serial number must match."
    )
    measurement_unit = models.CharField(max_length=20, blank=True)
    measurement_min = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    measurement_max = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)

    class Meta:
        verbose_name = "SOW task"
        ordering = ["sow_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sow", "key"], name="sow_task_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class SowMaterial(SowLine):
    """One line of a SOW's bill of materials (per site), with an optional condition."""

    sow = models.ForeignKey(Sow, on_delete=models.CASCADE, related_name="materials")
    part_number = models.CharField(max_length=80)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("1"))
    unit = models.CharField(max_length=20, default="ea")

    class Meta:
        verbose_name = "SOW material"
        ordering = ["sow_id", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "sow", "key"], name="sow_material_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.unit} × {self.part_number}"
