"""Admin for programs. An approved SOW (and its tasks and materials) is read-only here as everywhere.

The admin is a support tool for superusers; planning work goes through the pages and the API, whose
services audit every change. The models refuse writes to an approved SOW whatever the admin allows.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied

from programs.choices import SowStatus
from programs.conditions import ConditionError, validate_condition
from programs.errors import SowApproved
from programs.models import (
    Enrollment,
    Program,
    ProgramAttribute,
    ProgramCourseRequirement,
    SiteVariation,
    Sow,
    SowMaterial,
    SowTask,
    Wave,
)


class SowLineAdminForm(forms.ModelForm):
    """Checks the condition when the line is saved, as the services do."""

    def clean_condition(self):
        try:
            return validate_condition(self.cleaned_data.get("condition"))
        except ConditionError as error:
            raise forms.ValidationError(error.message, code=error.code) from error

    def clean(self):
        cleaned = super().clean()
        sow = cleaned.get("sow") or (self.instance.sow if self.instance.sow_id else None)
        if sow is not None and sow.status == SowStatus.APPROVED:
            raise forms.ValidationError(SowApproved.default_message, code=SowApproved.code)
        return cleaned


class WaveInline(admin.TabularInline):
    model = Wave
    extra = 0
    fields = ["name", "order", "start_date", "end_date"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "client", "status", "start_date", "end_date", "organization"]
    list_filter = ["status", "organization"]
    search_fields = ["code", "name", "client__name"]
    list_select_related = ["client", "organization"]
    raw_id_fields = ["client", "responsible_pm"]
    readonly_fields = ["status", "created_at", "updated_at"]
    inlines = [WaveInline]


def _approved(obj) -> bool:
    return obj is not None and obj.status == SowStatus.APPROVED


class SowLineInline(admin.TabularInline):
    extra = 0
    form = SowLineAdminForm

    def has_add_permission(self, request, obj=None):
        return not _approved(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _approved(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _approved(obj) and super().has_delete_permission(request, obj)


class SowTaskInline(SowLineInline):
    model = SowTask
    fields = ["position", "key", "title", "required_skill", "estimated_minutes", "evidence_kind", "condition"]


class SowMaterialInline(SowLineInline):
    model = SowMaterial
    fields = ["position", "key", "part_number", "description", "quantity", "unit", "condition"]


@admin.register(Sow)
class SowAdmin(admin.ModelAdmin):
    list_display = ["__str__", "program", "status", "approved_by_label", "approved_at", "organization"]
    list_filter = ["status", "organization"]
    search_fields = ["program__code", "program__name"]
    list_select_related = ["program", "organization"]
    readonly_fields = ["status", "approved_by", "approved_by_label", "approved_at", "based_on", "created_at"]
    raw_id_fields = ["program", "created_by"]
    inlines = [SowTaskInline, SowMaterialInline]

    def has_change_permission(self, request, obj=None):
        return not _approved(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _approved(obj) and super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        if queryset.filter(status=SowStatus.APPROVED).exists():
            raise PermissionDenied("Approved SOW versions cannot be deleted.")
        super().delete_queryset(request, queryset)


class SowLineAdmin(admin.ModelAdmin):
    form = SowLineAdminForm
    list_select_related = ["sow", "sow__program"]
    raw_id_fields = ["sow"]

    def delete_queryset(self, request, queryset):
        if queryset.filter(sow__status=SowStatus.APPROVED).exists():
            raise PermissionDenied("Lines of an approved SOW version cannot be deleted.")
        super().delete_queryset(request, queryset)

    def has_change_permission(self, request, obj=None):
        return not (obj is not None and _approved(obj.sow)) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not (obj is not None and _approved(obj.sow)) and super().has_delete_permission(request, obj)


@admin.register(SowTask)
class SowTaskAdmin(SowLineAdmin):
    list_display = ["title", "key", "sow", "position", "evidence_kind"]
    search_fields = ["title", "key"]


@admin.register(SowMaterial)
class SowMaterialAdmin(SowLineAdmin):
    list_display = ["part_number", "key", "sow", "quantity", "unit"]
    search_fields = ["part_number", "description"]


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ["site", "program", "wave", "enrolled_at", "enrolled_by_label", "organization"]
    list_filter = ["organization"]
    search_fields = ["site__code", "site__name", "program__code"]
    list_select_related = ["site", "program", "wave", "organization"]
    raw_id_fields = ["program", "site", "wave", "enrolled_by"]


@admin.register(ProgramAttribute)
class ProgramAttributeAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "type", "required", "organization"]
    list_filter = ["type", "required", "organization"]
    search_fields = ["name", "label", "program__code"]
    list_select_related = ["program", "organization"]
    raw_id_fields = ["program"]


@admin.register(SiteVariation)
class SiteVariationAdmin(admin.ModelAdmin):
    """Decisions are made through the pages and the API (audited); here they are read-only."""

    list_display = ["__str__", "site", "program", "kind", "status", "decided_by_label", "organization"]
    list_filter = ["kind", "status", "organization"]
    search_fields = ["site__code", "program__code", "reason"]
    list_select_related = ["site", "program", "organization"]
    raw_id_fields = ["program", "site", "created_by", "decided_by"]
    readonly_fields = ["status", "decided_by", "decided_by_label", "decided_at", "decision_note", "created_at"]

    def has_change_permission(self, request, obj=None):
        return (obj is None or obj.is_pending) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return (obj is None or obj.is_pending) and super().has_delete_permission(request, obj)


@admin.register(ProgramCourseRequirement)
class ProgramCourseRequirementAdmin(admin.ModelAdmin):
    list_display = ["program", "course", "role", "organization"]
    list_filter = ["role", "organization"]
    list_select_related = ["program", "course", "organization"]
    raw_id_fields = ["program", "course", "created_by"]
    readonly_fields = ["created_at"]
