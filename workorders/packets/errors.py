"""Errors of packets, each with a stable `code` (the API and pages render them alike)."""

from rollout.errors import ApplicationError, Conflict


class PacketRenderError(ApplicationError):
    """The packet's PDF could not be rendered; the message says why (kept on the packet version)."""

    code = "packet_render_failed"
    default_message = "The packet could not be rendered."


class NoApprovedSow(Conflict):
    code = "no_approved_sow"


class WorkOrderClosedForPackets(Conflict):
    code = "work_order_cancelled"


class PendingVariations(Conflict):
    code = "pending_variations"


class PacketNotCurrent(Conflict):
    code = "packet_not_current"


class NotYourWorkOrder(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only the technician assigned to this work order can acknowledge its packet."
