"""Admin for technicians: a support tool for superusers. Day-to-day changes go through the pages and the
API, whose services audit every change and check the rules (insurance, certification dates, overlaps)."""

from django.contrib import admin

from technicians.models import (
    Certification,
    Course,
    Skill,
    Technician,
    TechnicianSkill,
    TimeOff,
    TrainingRecord,
    Vendor,
)


@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "insurance_expires_on", "active", "organization"]
    list_filter = ["active", "organization"]
    search_fields = ["name", "code", "contact_name", "contact_email"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "requires_certification", "active", "organization"]
    list_filter = ["requires_certification", "active", "organization"]
    search_fields = ["name", "slug"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


class TechnicianSkillInline(admin.TabularInline):
    model = TechnicianSkill
    extra = 0
    raw_id_fields = ["skill"]
    fields = ["skill", "organization"]


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0
    raw_id_fields = ["skill"]
    fields = ["name", "skill", "issued_on", "expires_on", "reference", "organization"]


class TimeOffInline(admin.TabularInline):
    model = TimeOff
    extra = 0
    fields = ["start_date", "end_date", "reason", "organization"]


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "vendor", "service_radius_km", "active", "organization"]
    list_filter = ["active", "organization"]
    search_fields = ["full_name", "email", "home_address"]
    list_select_related = ["vendor", "organization"]
    raw_id_fields = ["user", "vendor"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [TechnicianSkillInline, CertificationInline, TimeOffInline]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "technician", "skill", "issued_on", "expires_on", "organization"]
    list_filter = ["organization"]
    search_fields = ["name", "reference", "technician__full_name"]
    list_select_related = ["technician", "skill", "organization"]
    raw_id_fields = ["technician", "skill"]


@admin.register(TimeOff)
class TimeOffAdmin(admin.ModelAdmin):
    list_display = ["technician", "start_date", "end_date", "reason", "organization"]
    list_filter = ["organization"]
    search_fields = ["technician__full_name", "reason"]
    list_select_related = ["technician", "organization"]
    raw_id_fields = ["technician", "created_by"]


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "roles", "validity_months", "active", "organization"]
    list_filter = ["active", "organization"]
    search_fields = ["name"]
    list_select_related = ["organization"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(TrainingRecord)
class TrainingRecordAdmin(admin.ModelAdmin):
    """Read-mostly: records are written through technicians.training (person and course checked in the
    organization, the certificate checked by content)."""

    list_display = ["course", "technician", "member", "completed_on", "expires_on", "organization"]
    list_filter = ["organization", "course"]
    search_fields = ["course__name", "technician__full_name", "member__user__email"]
    list_select_related = ["organization", "course", "technician", "member__user"]
    raw_id_fields = ["course", "technician", "member", "created_by"]
    exclude = ["certificate"]  # never a link to the private file (the pages stream it after the access check)
    readonly_fields = ["certificate_name", "created_at", "updated_at"]
