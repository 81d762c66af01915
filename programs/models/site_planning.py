"""What joins a program to its sites: enrollments (in a wave), the attributes the program expects of its
sites, and site variations (location-specific deviations from the SOW, approved before packets are built).

Every model is tenant-owned and reads through the program's client: a client-role member sees their own
client's enrollments, attribute schemas and variations only. Sites come from the sites app (programs →
sites, never the other way); a site in a program cannot be deleted (PROTECT), only deactivated.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from programs.choices import AttributeType, EvidenceKind, VariationKind, VariationStatus
from programs.models.plan import Program, ProgramChildQuerySet, Wave
from rollout.tenancy import TenantModel


class EnrollmentQuerySet(ProgramChildQuerySet):
    def with_summary(self) -> EnrollmentQuerySet:
        """Site, wave, program and the site's variation count in the program, in the same query (for lists)."""
        variations = (
            SiteVariation.objects.for_outer_organization()
            .filter(program_id=models.OuterRef("program_id"), site_id=models.OuterRef("site_id"))
            .order_by()
            .values("site_id")
            .annotate(count=models.Count("id"))
            .values("count")
        )
        return self.select_related("program", "site", "site__client", "wave", "enrolled_by").annotate(
            variation_count=Coalesce(models.Subquery(variations), 0)
        )


class Enrollment(TenantModel):
    """A site taking part in a program, optionally in one of its waves. One row per (program, site)."""

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="enrollments")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="enrollments")
    wave = models.ForeignKey(Wave, null=True, blank=True, on_delete=models.PROTECT, related_name="enrollments")
    enrolled_at = models.DateTimeField(default=timezone.now)
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enrolled_by_label = models.CharField(max_length=200, blank=True, help_text="Who enrolled (user or API token).")

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "site_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "site"], name="enrollment_unique_per_program"),
        ]
        indexes = [
            models.Index(fields=["organization", "program", "wave"]),
            models.Index(fields=["organization", "site"]),
        ]

    def __str__(self) -> str:
        return f"site {self.site_id} in program {self.program_id}"


class ProgramAttribute(TenantModel):
    """One site attribute a program expects: its name, type, allowed values (for a choice) and whether it
    is required. The set of them is the program's attribute schema, checked against enrolled sites and
    usable by the site import (see programs.selectors.program_attribute_schema)."""

    Type = AttributeType

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="attribute_specs")
    name = models.CharField(
        max_length=64, help_text="The attribute's identifier on sites and in conditions, e.g. store_format."
    )
    label = models.CharField(max_length=120, blank=True)
    type = models.CharField(max_length=10, choices=AttributeType.choices, default=AttributeType.STR)
    allowed_values = models.JSONField(default=list, blank=True, help_text="For a choice: the values allowed.")
    required = models.BooleanField(default=False)
    help_text = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProgramChildQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "program", "name"], name="program_attribute_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class SiteVariationQuerySet(ProgramChildQuerySet):
    def with_summary(self) -> SiteVariationQuerySet:
        return self.select_related("program", "site", "created_by", "decided_by")


class SiteVariation(TenantModel):
    """A location-specific deviation from the SOW for one enrolled site: add, skip or change a task, an
    extra material, or an access note, with a reason. Pending until a PM approves or rejects it; only
    pending ones can change, and only approved ones shape the site's packet."""

    Kind = VariationKind
    Status = VariationStatus

    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="variations")
    site = models.ForeignKey("sites.Site", on_delete=models.PROTECT, related_name="program_variations")
    kind = models.CharField(max_length=20, choices=VariationKind.choices)
    status = models.CharField(max_length=10, choices=VariationStatus.choices, default=VariationStatus.PENDING)
    reason = models.TextField(help_text="Why this site differs.")
    # Skip or change: the SOW task it applies to. Add: the new task's own key.
    task_key = models.SlugField(max_length=60, blank=True)
    # Add a task: a full task definition, placed after `after_task_key` (blank: at the end).
    after_task_key = models.SlugField(max_length=60, blank=True)
    title = models.CharField(max_length=200, blank=True)
    instructions = models.TextField(blank=True, help_text="Markdown.")
    required_skill = models.SlugField(max_length=60, blank=True)
    estimated_minutes = models.PositiveIntegerField(null=True, blank=True)
    evidence_kind = models.CharField(max_length=20, choices=EvidenceKind.choices, blank=True)
    photo_min_count = models.PositiveSmallIntegerField(null=True, blank=True)
    serial_pattern = models.CharField(max_length=200, blank=True)
    measurement_unit = models.CharField(max_length=20, blank=True)
    measurement_min = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    measurement_max = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    # Extra material.
    part_number = models.CharField(max_length=80, blank=True)
    description = models.CharField(max_length=255, blank=True)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    # Access note.
    note = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SiteVariationQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "site_id", "created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "program", "status"]),
            models.Index(fields=["organization", "program", "site"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.summary}"

    @property
    def is_pending(self) -> bool:
        return self.status == VariationStatus.PENDING

    @property
    def summary(self) -> str:
        """One line saying what the variation does, for lists and audit labels."""
        if self.kind == VariationKind.ADD_TASK:
            return f"add “{self.title}”" + (f" after {self.after_task_key}" if self.after_task_key else "")
        if self.kind == VariationKind.SKIP_TASK:
            return f"skip {self.task_key}"
        if self.kind == VariationKind.MODIFY_TASK:
            return f"change {self.task_key}"
        if self.kind == VariationKind.EXTRA_MATERIAL:
            quantity = "" if self.quantity is None else f"{self.quantity.normalize():f} {self.unit} × "
            return f"{quantity}{self.part_number}"
        first_line = (self.note or "").strip().splitlines()[0] if (self.note or "").strip() else ""
        return first_line[:80]
