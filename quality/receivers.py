"""What quality does when the work-order services announce a change (connected in QualityConfig.ready)."""

from __future__ import annotations

from quality.drft import RELEVANT_MOVES
from quality.tasks import drft_fact_refresh_task, sampling_draw_task
from workorders.choices import WorkOrderStatus


def drft_on_work_order_transition(sender, *, organization_id: int, work_order_id: int, to_status: str, **kwargs):
    """Recompute the work order's DRFT fact, and draw a submission for review by the sampling policy, in the
    background (the move is committed already)."""
    if to_status in RELEVANT_MOVES:
        drft_fact_refresh_task.delay(organization_id=organization_id, work_order_id=work_order_id)
    if to_status == WorkOrderStatus.SUBMITTED:
        sampling_draw_task.delay(organization_id=organization_id, work_order_id=work_order_id)
