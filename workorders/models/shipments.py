"""Shipments of a work order's materials to its site: carrier, tracking, and expected and actual delivery."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from programs.models import ClientScopedQuerySet
from rollout.tenancy import TenantModel
from workorders.choices import ShipmentStatus


class ShipmentQuerySet(ClientScopedQuerySet):
    client_path = "work_order__program__client_id"


class Shipment(TenantModel):
    """One consignment of materials for a work order. The materials gate is green when every shipment that
    is not cancelled has been delivered. Client-role members read their own client's shipments."""

    Status = ShipmentStatus

    work_order = models.ForeignKey("workorders.WorkOrder", on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(max_length=80)
    tracking_number = models.CharField(max_length=120, blank=True)
    status = models.CharField(max_length=12, choices=ShipmentStatus.choices, default=ShipmentStatus.PENDING)
    shipped_on = models.DateField(null=True, blank=True)
    expected_delivery = models.DateField(null=True, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["work_order_id", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(shipped_on__isnull=True)
                | Q(delivered_on__isnull=True)
                | Q(delivered_on__gte=models.F("shipped_on")),
                name="shipment_delivered_after_shipped",
            ),
            models.CheckConstraint(
                condition=~Q(status=ShipmentStatus.DELIVERED) | Q(delivered_on__isnull=False),
                name="shipment_delivered_has_date",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "work_order"]),
            models.Index(fields=["organization", "tracking_number"]),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}".strip()
