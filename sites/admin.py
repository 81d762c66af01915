"""Read-only admin for support staff: every change goes through sites.services (checks and audit)."""

from django.contrib import admin

from sites.models import Site, SiteContact, SiteImport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SiteContactInline(admin.TabularInline):
    model = SiteContact
    extra = 0
    fields = ["name", "role", "phone", "email", "is_primary"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "client", "organization", "city", "state", "timezone", "status"]
    list_filter = ["status"]
    search_fields = ["code", "name", "city"]
    list_select_related = ["client", "organization"]
    inlines = [SiteContactInline]


@admin.register(SiteImport)
class SiteImportAdmin(ReadOnlyAdmin):
    list_display = ["original_filename", "client", "organization", "status", "rows_total", "error_count", "created_at"]
    list_filter = ["status", "format"]
    list_select_related = ["client", "organization"]
    exclude = ["file"]  # never a link to the private upload
