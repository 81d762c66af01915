"""Admin for quality: a support tool for superusers. The defect catalogue is editable here; reviews, facts and
snapshots, sampling policies and draws are read-only here (they are written by the services, which check the rules and
audit every change)."""

from django.contrib import admin

from quality.models import (
    Defect,
    DefectCode,
    DrftExclusion,
    DrftFact,
    DrftSnapshot,
    QaReview,
    SamplingDraw,
    SamplingPolicy,
)


@admin.register(DefectCode)
class DefectCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "default_severity", "active", "organization"]
    list_filter = ["active", "default_severity", "organization"]
    search_fields = ["code", "title"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DefectInline(admin.TabularInline):
    model = Defect
    extra = 0
    fields = ["code", "severity", "root_cause", "task_key", "comment"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(QaReview)
class QaReviewAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "sequence", "decision", "reviewer_label", "decided_at", "organization"]
    list_filter = ["decision", "organization"]
    search_fields = ["work_order__number", "reviewer_label"]
    list_select_related = ["work_order", "organization"]
    inlines = [DefectInline]


@admin.register(DrftExclusion)
class DrftExclusionAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "cause", "created_by_label", "created_at", "organization"]
    list_filter = ["cause", "organization"]
    list_select_related = ["work_order", "organization"]


@admin.register(DrftFact)
class DrftFactAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "program", "status", "is_drft", "reason", "week", "organization"]
    list_filter = ["status", "is_drft", "reason", "organization"]
    list_select_related = ["work_order", "program", "organization"]


@admin.register(DrftSnapshot)
class DrftSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["program", "dimension", "label", "week", "final_drft", "final_total", "excluded", "organization"]
    list_filter = ["dimension", "organization"]
    list_select_related = ["program", "organization"]


@admin.register(SamplingPolicy)
class SamplingPolicyAdmin(ReadOnlyAdmin):
    list_display = ["program", "mode", "percent", "first_jobs", "score_threshold", "auto_accept_hours", "organization"]
    list_filter = ["mode", "organization"]
    list_select_related = ["program", "organization"]


@admin.register(SamplingDraw)
class SamplingDrawAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "round", "review_required", "reason", "auto_accept_at", "organization"]
    list_filter = ["review_required", "organization"]
    list_select_related = ["work_order", "organization"]
