"""Private helpers shared by the workorders write modules (workorders.services, workorders.shipments,
workorders.gate_overrides and the visit services): a status's label, the work-order row lock and the versioned
save. Imports no services, so any write module may build on it. Who acted is `rollout.tenancy.actor_user` /
`actor_label`; a refusal tied to one input field is `ApplicationError(…, field=…)`."""

from __future__ import annotations

from django.db.models import Model

from rollout.errors import NotFound
from workorders.choices import WorkOrderStatus
from workorders.errors import StaleVersion
from workorders.models import WorkOrder


def _label(status: str) -> str:
    return WorkOrderStatus(status).label


def _lock_work_order(organization, work_order_id: int, *, expected_version: int | None = None) -> WorkOrder:
    """The work order row, locked, within the organization; with `expected_version`, refused as stale when
    somebody changed it since the caller read it."""
    work_order = (
        WorkOrder.objects.for_organization(organization)
        # Lock the work order row only: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join.
        .select_for_update(of=("self",))
        .select_related("program", "site", "technician")
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise NotFound()
    if expected_version is not None and expected_version != work_order.version:
        raise StaleVersion(
            f"Work order {work_order.number} changed since you opened it (version {expected_version}, now "
            f"{work_order.version}); reload it and try again."
        )
    return work_order


def _touch(row: Model, *fields: str) -> None:
    """Save the changed fields of a work order or a visit with its version bumped (every change is a new
    version)."""
    row.version += 1
    row.save(update_fields=[*fields, "version", "updated_at"])
