"""The escalation timeline panel of the work-order and visit pages, contributed through workorders.panels."""

from __future__ import annotations

from escalations.selectors import escalation_timeline_for
from rollout.choices import Role

TEMPLATE = "escalations/_panel.html"


def _work_order_panel(access, work_order) -> dict | None:
    if access.role == Role.TECHNICIAN:
        return None
    return {"breaches": escalation_timeline_for(access=access, work_order_id=work_order.pk), "subject": "work order"}


def _visit_panel(access, visit) -> dict | None:
    if access.role == Role.TECHNICIAN:
        return None
    return {
        "breaches": escalation_timeline_for(access=access, work_order_id=visit.work_order_id, visit_id=visit.pk),
        "subject": "visit",
    }


def register_panels() -> None:
    from workorders.panels import panel_register

    panel_register(key="escalations.work_order", subject="work_order", template=TEMPLATE, context=_work_order_panel)
    panel_register(key="escalations.visit", subject="visit", template=TEMPLATE, context=_visit_panel)
