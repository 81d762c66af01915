"""Choices of packets and packet generation jobs, shared by models, filters and serializers."""

from django.db import models

from workorders.choices import WorkOrderStatus


class PacketStatus(models.TextChoices):
    COMPILED = "compiled", "Compiled"
    RENDERING = "rendering", "Rendering"
    RENDERED = "rendered", "Rendered"
    FAILED = "failed", "Failed"


class PacketJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# A packet is (re-)issued only before the first visit starts: a visited work order keeps the packet
# version its visit worked from. Cancelled and closed work orders get no packet at all.
NOT_VISITED = frozenset(
    {WorkOrderStatus.DRAFT, WorkOrderStatus.READY, WorkOrderStatus.SCHEDULED, WorkOrderStatus.DISPATCHED}
)
NO_PACKET_STATUSES = frozenset({WorkOrderStatus.CANCELLED, WorkOrderStatus.CLOSED})
