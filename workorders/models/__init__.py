"""Models of the workorders app: work orders and their numbering in `work_orders`, material shipments in
`shipments`; packets (built by the packet compiler) in `packets`."""

from workorders.models.shipments import Shipment, ShipmentQuerySet
from workorders.models.work_orders import WorkOrder, WorkOrderNumberSequence, WorkOrderQuerySet

__all__ = [
    "Shipment",
    "ShipmentQuerySet",
    "WorkOrder",
    "WorkOrderNumberSequence",
    "WorkOrderQuerySet",
]
from workorders.models.packets import Packet, PacketAcknowledgement, PacketGenerationJob  # noqa: F401
from workorders.models.visits import TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff  # noqa: F401
