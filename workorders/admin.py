"""Admin for work orders and shipments: a read-only support view, plus status moves through the services.

The status field is protected (django-fsm): no form can set it. The admin's actions move work orders
through `work_order_bulk_transition`, like the pages and the API, so every move is checked against the
state table, audited, and refused with the same message when illegal. Work orders are created from
enrollments (services), never added here; nothing is deleted (they are history).
"""

from django.contrib import admin, messages

from workorders.choices import WorkOrderStatus
from workorders.models import Shipment, WorkOrder
from workorders.services import work_order_bulk_transition

# Cancelling needs a written reason, which an admin action cannot ask for: cancel from the work order page.
ADMIN_MOVES = [status for status in WorkOrderStatus if status != WorkOrderStatus.CANCELLED]


def _move_action(to_status: WorkOrderStatus):
    def move(modeladmin, request, queryset):
        by_organization: dict = {}
        for work_order in queryset.select_related("organization"):
            by_organization.setdefault(work_order.organization, []).append(work_order.pk)
        for organization, ids in by_organization.items():
            result = work_order_bulk_transition(
                organization=organization, actor=request.user, work_order_ids=ids, to_status=to_status
            )
            if result.moved:
                modeladmin.message_user(request, f"{result.moved} moved to {to_status.label}.", messages.SUCCESS)
            for item in result.refused_items:
                modeladmin.message_user(request, f"{item.number}: {item.message}", messages.ERROR)

    move.__name__ = f"move_to_{to_status.value}"
    move.short_description = f"Move to {to_status.label}"
    return move


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]


class ShipmentInline(admin.TabularInline):
    model = Shipment
    extra = 0
    fields = ["carrier", "tracking_number", "status", "shipped_on", "expected_delivery", "delivered_on"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ["number", "status", "program", "site", "technician", "planned_start", "organization"]
    list_filter = ["status", "organization"]
    search_fields = ["number", "site__code", "site__name"]
    list_select_related = ["program", "site", "technician", "organization"]
    inlines = [ShipmentInline]
    actions = [_move_action(status) for status in ADMIN_MOVES]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["work_order", "carrier", "tracking_number", "status", "expected_delivery", "delivered_on"]
    list_filter = ["status", "organization"]
    search_fields = ["tracking_number", "work_order__number"]
    list_select_related = ["work_order"]
