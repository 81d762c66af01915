"""Quality: the organization's defect catalogue, QA reviews of submitted work orders with their defects, PM
exclusions from DRFT, and Done Right First Time — one stored fact per work order and aggregate snapshots that
pages and the API read.

Visibility: staff and integrators read every row of their organization; a client viewer what the one policy of
quality.visibility allows (their own client's programs, no internal comments); a technician the reviews of the work
orders assigned to them. Facts and snapshots are derived data: only quality.services.drft writes them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from quality.choices import (
    Dimension,
    DrftReason,
    DrftStatus,
    ExclusionCause,
    ReviewDecision,
    RootCause,
    SamplingMode,
    Severity,
)
from quality.visibility import CLIENT
from rollout.choices import Role
from rollout.tenancy import TenantModel, TenantQuerySet


class WorkOrderScopedQuerySet(TenantQuerySet):
    """Opens rows to client viewers (their client's programs) and technicians (work orders assigned to them),
    through `work_order_path` (from the row to its work order)."""

    work_order_path = "work_order__"

    def visible_to(self, access):
        if CLIENT.applies(access):
            scoped = self.for_organization(access.organization)
            return CLIENT.rows(scoped, access, program_path=f"{self.work_order_path}program__")
        if access.role == Role.TECHNICIAN:
            scoped = self.for_organization(access.organization)
            if access.user is None:
                return scoped.none()
            return scoped.filter(**{f"{self.work_order_path}technician__user_id": access.user.pk})
        return super().visible_to(access)


class DefectCode(TenantModel):
    """One entry of the organization's defect catalogue: a short code, a title and the severity a defect of this
    kind usually has (a reviewer may choose another). Retired codes stay for history but are not offered."""

    code = models.SlugField(max_length=40)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    default_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MAJOR)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    class Meta:
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="defect_code_unique_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.title}"


class QaReviewQuerySet(WorkOrderScopedQuerySet):
    def with_summary(self) -> QaReviewQuerySet:
        # The defects with their codes in one query (a prefetch of "defects__code" adds a query only when a page
        # has defects, so a page's query count would depend on its rows).
        defects = models.Prefetch("defects", queryset=Defect.objects.select_related("code"))
        return self.select_related("work_order", "work_order__program", "work_order__site", "visit").prefetch_related(
            defects
        )


class QaReview(TenantModel):
    """One QA decision on a submitted work order: accepted, or rejected with at least one defect.

    `sequence` 1 is the work order's first review (the one DRFT looks at); a review after a return visit takes
    the next number. `visit` is the visit whose work was reviewed (the last one checked out)."""

    Decision = ReviewDecision

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.PROTECT, related_name="qa_reviews")
    visit = models.ForeignKey("workorders.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField(default=1)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True, help_text="Internal: not shown to client viewers.")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewer_label = models.CharField(max_length=200, blank=True)
    decided_at = models.DateTimeField()
    by_policy = models.BooleanField(
        default=False, help_text="Accepted by the program's sampling policy (not drawn for review), not by a person."
    )

    objects = QaReviewQuerySet.as_manager()

    class Meta:
        ordering = ["work_order_id", "sequence", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "work_order", "sequence"], name="qa_review_sequence_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "decided_at"])]

    def __str__(self) -> str:
        return f"review {self.sequence} of work order {self.work_order_id}: {self.decision}"


class DefectQuerySet(WorkOrderScopedQuerySet):
    work_order_path = "review__work_order__"


class Defect(TenantModel):
    """One defect found by a rejecting review: a catalogue code, a severity, a root cause, the task (and, when
    given, the photo or recorded result) it concerns, and a comment."""

    review = models.ForeignKey(QaReview, on_delete=models.CASCADE, related_name="defects")
    code = models.ForeignKey(DefectCode, on_delete=models.PROTECT, related_name="defects")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    root_cause = models.CharField(max_length=20, choices=RootCause.choices)
    task_key = models.CharField(max_length=80, blank=True)
    photo = models.ForeignKey(
        "workorders.VisitPhoto", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    task_result = models.ForeignKey(
        "workorders.TaskResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    comment = models.TextField(blank=True)

    objects = DefectQuerySet.as_manager()

    class Meta:
        ordering = ["review_id", "id"]
        indexes = [models.Index(fields=["organization", "root_cause"])]

    def __str__(self) -> str:
        return f"{self.code_id} ({self.severity}) on review {self.review_id}"


class DrftExclusion(TenantModel):
    """A PM's classification of a work order's return or incomplete visit as caused by the client or by the site
    not being ready (with the reason): the work order then counts in neither part of DRFT."""

    Cause = ExclusionCause

    work_order = models.OneToOneField("workorders.WorkOrder", on_delete=models.CASCADE, related_name="drft_exclusion")
    cause = models.CharField(max_length=20, choices=ExclusionCause.choices)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_by_label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkOrderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"work order {self.work_order_id} excluded: {self.cause}"


class WarrantyReport(TenantModel):
    """A problem reported on accepted work within its program's warranty window (by a PM, an admin or the client's
    viewer): the work order goes back to rework for a warranty return visit, and it is not DRFT (unless a PM
    excludes it as client-caused or site not ready)."""

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="warranty_reports")
    description = models.TextField()
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reported_by_label = models.CharField(max_length=200, blank=True)
    reported_by_role = models.CharField(max_length=20, blank=True)
    window_ends_at = models.DateTimeField(help_text="When the warranty window of the accepted work ended.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkOrderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["organization", "work_order"])]

    def __str__(self) -> str:
        return f"warranty report on work order {self.work_order_id}"


class DrftFactQuerySet(WorkOrderScopedQuerySet):
    def counted(self) -> DrftFactQuerySet:
        """Facts that count in DRFT (closed, or accepted and provisional), exclusions apart."""
        return self.filter(status__in=[DrftStatus.FINAL, DrftStatus.PROVISIONAL, DrftStatus.EXCLUDED])


class DrftFact(TenantModel):
    """A work order's Done Right First Time outcome, recomputed from its visits and reviews by
    quality.services.drft.drft_fact_refresh (idempotent): DRFT or not, the first reason it is not, and the
    dimensions it is counted under (program, wave, region, vendor and technician of the first visit, ISO week)."""

    work_order = models.OneToOneField("workorders.WorkOrder", on_delete=models.CASCADE, related_name="drft_fact")
    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    wave = models.ForeignKey("programs.Wave", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region = models.CharField(max_length=100, blank=True, help_text="The site's state.")
    vendor = models.ForeignKey("technicians.Vendor", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    technician = models.ForeignKey(
        "technicians.Technician", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=12, choices=DrftStatus.choices)
    is_drft = models.BooleanField(default=False)
    reason = models.CharField(max_length=30, choices=DrftReason.choices, blank=True)
    reason_detail = models.CharField(max_length=300, blank=True)
    excluded_cause = models.CharField(max_length=20, choices=ExclusionCause.choices, blank=True)
    week = models.CharField(max_length=8, blank=True, help_text="ISO week of acceptance, e.g. 2026-W10.")
    accepted_on = models.DateField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    objects = DrftFactQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "work_order_id"]
        indexes = [
            models.Index(fields=["organization", "program", "status"]),
            models.Index(fields=["organization", "status", "is_drft"]),
        ]

    def __str__(self) -> str:
        return f"work order {self.work_order_id}: {self.status}{' DRFT' if self.is_drft else ''}"


class DrftSnapshotQuerySet(TenantQuerySet):
    def visible_to(self, access):
        if CLIENT.applies(access):
            return CLIENT.rows(self.for_organization(access.organization), access)
        return super().visible_to(access)


class DrftSnapshot(TenantModel):
    """DRFT counted for one program along one dimension (program, wave, region, vendor, technician) and one ISO
    week (`week` empty = all time). Rebuilt from the facts by quality.services.drft; pages and the API read these.

    final_*: closed work orders (DRFT % = final_drft / final_total); provisional_*: accepted, warranty window
    open; excluded: work orders a PM excluded (in neither part)."""

    program = models.ForeignKey("programs.Program", on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField(max_length=12, choices=Dimension.choices)
    key = models.CharField(max_length=100, blank=True, help_text="The id (or region name) grouped by; empty = none.")
    label = models.CharField(max_length=200, blank=True)
    week = models.CharField(max_length=8, blank=True)
    final_drft = models.PositiveIntegerField(default=0)
    final_total = models.PositiveIntegerField(default=0)
    provisional_drft = models.PositiveIntegerField(default=0)
    provisional_total = models.PositiveIntegerField(default=0)
    excluded = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DrftSnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["program_id", "dimension", "key", "week"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "program", "dimension", "key", "week"], name="drft_snapshot_unique"
            ),
        ]
        indexes = [models.Index(fields=["organization", "dimension", "week"])]

    def __str__(self) -> str:
        return f"{self.dimension} {self.key or '—'} {self.week or 'all'}: {self.final_drft}/{self.final_total}"


class SamplingPolicy(TenantModel):
    """Which of a program's submitted work orders QA reviews. `all` (the default, also without a policy row): every
    one. `sample`: always a technician's first `first_jobs` reviews in the program, anything after the technician's
    last review rejected, a return visit's work, a technician whose score is below `score_threshold`; otherwise a
    reproducible draw of `percent` %. Work not drawn is accepted by the policy `auto_accept_hours` after submission
    (a coordinator may still review it before)."""

    Mode = SamplingMode

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="sampling_policy")
    mode = models.CharField(max_length=10, choices=SamplingMode.choices, default=SamplingMode.ALL)
    percent = models.PositiveSmallIntegerField(default=100, help_text="Share of eligible work drawn for review.")
    score_threshold = models.DecimalField(
        max_digits=4, decimal_places=1, default=90, help_text="Technicians scoring below this are always reviewed."
    )
    first_jobs = models.PositiveSmallIntegerField(
        default=5, help_text="A technician's first reviews in the program are never skipped."
    )
    auto_accept_hours = models.PositiveSmallIntegerField(default=24)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantQuerySet.as_manager()

    def __str__(self) -> str:
        return f"sampling of program {self.program_id}: {self.mode} {self.percent}%"


class SamplingDraw(TenantModel):
    """The sampling decision for one submission of a work order (`round`: its checked-out visits then), recorded
    with the reason: drawn for review, or accepted by the policy at `auto_accept_at`. One row per (work order,
    round), so drawing twice changes nothing; `draw` is a hash of the ids, so the same submission draws the same."""

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="sampling_draws")
    round = models.PositiveSmallIntegerField()
    review_required = models.BooleanField()
    reason = models.CharField(max_length=200)
    draw = models.FloatField(null=True, blank=True, help_text="The reproducible draw in [0, 1), when one was made.")
    auto_accept_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkOrderScopedQuerySet.as_manager()

    class Meta:
        ordering = ["work_order_id", "round"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "work_order", "round"], name="sampling_draw_unique"),
        ]
        indexes = [models.Index(fields=["organization", "review_required", "auto_accept_at"])]

    def __str__(self) -> str:
        return f"work order {self.work_order_id} round {self.round}: {'review' if self.review_required else 'skip'}"
