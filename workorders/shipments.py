"""Writes of material shipments of a work order: record, change and remove them while the work order is open.

Each is one transaction that locks the work order row (and the shipment's), checks the shipment's values together
(the status follows the dates unless given) and records an audit event."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from rollout.audit import audit_record, audit_snapshot
from rollout.errors import ApplicationError, InvalidTransition, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access
from workorders._common import _label, _lock_work_order
from workorders.choices import OPEN_STATUSES, ShipmentStatus
from workorders.models import Shipment, WorkOrder

SHIPMENT_EDITABLE = OPEN_STATUSES
SHIPMENT_FIELDS = ["carrier", "tracking_number", "status", "shipped_on", "expected_delivery", "delivered_on", "notes"]


def _shipment_values(values: dict, current: Shipment | None = None) -> dict:
    """Check one shipment's values together; derive the status from the dates when it is not given."""
    merged = {name: getattr(current, name) for name in SHIPMENT_FIELDS} if current else {}
    merged.update(values)
    carrier = (merged.get("carrier") or "").strip()
    if not carrier:
        raise ApplicationError("Name the carrier.", field="carrier", code="required")
    merged["carrier"] = carrier
    merged["tracking_number"] = (merged.get("tracking_number") or "").strip()
    shipped_on: date | None = merged.get("shipped_on")
    delivered_on: date | None = merged.get("delivered_on")
    if shipped_on and delivered_on and delivered_on < shipped_on:
        raise ApplicationError(
            "It cannot be delivered before it was shipped.", field="delivered_on", code="invalid_dates"
        )
    expected = merged.get("expected_delivery")
    if shipped_on and expected and expected < shipped_on:
        raise ApplicationError(
            "The expected delivery cannot be before the ship date.", field="expected_delivery", code="invalid_dates"
        )
    dates_changed = "delivered_on" in values or "shipped_on" in values
    manual = current is not None and current.status in (ShipmentStatus.EXCEPTION, ShipmentStatus.CANCELLED)
    if not values.get("status") and (current is None or (dates_changed and not manual)):
        merged["status"] = (
            ShipmentStatus.DELIVERED
            if delivered_on
            else ShipmentStatus.IN_TRANSIT
            if shipped_on
            else ShipmentStatus.PENDING
        )
    status = merged.get("status") or ShipmentStatus.PENDING
    if status == ShipmentStatus.DELIVERED and not delivered_on:
        raise ApplicationError("Give the delivery date of a delivered shipment.", field="delivered_on", code="required")
    if delivered_on and status in (ShipmentStatus.PENDING, ShipmentStatus.IN_TRANSIT):
        status = ShipmentStatus.DELIVERED
    merged["status"] = status
    merged["notes"] = merged.get("notes") or ""
    return {name: merged.get(name) for name in SHIPMENT_FIELDS}


def _check_shipments_editable(work_order: WorkOrder) -> None:
    if work_order.status not in SHIPMENT_EDITABLE:
        raise InvalidTransition(
            f"Work order {work_order.number} is {_label(work_order.status)}; its shipments can no longer change.",
            code="not_open",
        )


@transaction.atomic
def shipment_create(
    *, organization: Organization, actor: Access | User | None, work_order_id: int, **values
) -> Shipment:
    """Record a shipment of materials for an open work order (status from the dates unless given)."""
    work_order = _lock_work_order(organization, work_order_id)
    _check_shipments_editable(work_order)
    cleaned = _shipment_values(values)
    shipment = Shipment.objects.create(organization_id=organization.pk, work_order=work_order, **cleaned)
    audit_record(
        organization=organization,
        actor=actor,
        verb="shipment.created",
        target=shipment,
        after={"work_order": work_order.pk, **audit_snapshot(shipment, SHIPMENT_FIELDS)},
    )
    return shipment


def _lock_shipment(organization, shipment_id: int) -> Shipment:
    shipment = Shipment.objects.for_organization(organization).select_for_update().filter(pk=shipment_id).first()
    if shipment is None:
        raise NotFound()
    return shipment


@transaction.atomic
def shipment_update(
    *, organization: Organization, actor: Access | User | None, shipment_id: int, **changes
) -> Shipment:
    """Change a shipment (e.g. record its delivery); the whole shipment is checked again."""
    shipment = _lock_shipment(organization, shipment_id)
    _check_shipments_editable(_lock_work_order(organization, shipment.work_order_id))
    before = audit_snapshot(shipment, SHIPMENT_FIELDS)
    for name, value in _shipment_values(changes, current=shipment).items():
        setattr(shipment, name, value)
    shipment.save()
    after = audit_snapshot(shipment, SHIPMENT_FIELDS)
    if before != after:
        audit_record(
            organization=organization, actor=actor, verb="shipment.updated", target=shipment, before=before, after=after
        )
    return shipment


@transaction.atomic
def shipment_delete(*, organization: Organization, actor: Access | User | None, shipment_id: int) -> None:
    """Remove a shipment recorded by mistake (cancel it instead when it really was sent)."""
    shipment = _lock_shipment(organization, shipment_id)
    _check_shipments_editable(_lock_work_order(organization, shipment.work_order_id))
    audit_record(
        organization=organization,
        actor=actor,
        verb="shipment.deleted",
        target=shipment,
        before={"work_order": shipment.work_order_id, **audit_snapshot(shipment, SHIPMENT_FIELDS)},
    )
    shipment.delete()
