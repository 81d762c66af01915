"""Builders shared by the quality tests (no tests here): work orders driven through the real visit and review
services to submitted, accepted, rejected, closed — on the field world of tests.workorders.builders.visits."""

from __future__ import annotations

from datetime import time, timedelta

from django.test import Client as BrowserClient

from quality import services
from quality.models import DefectCode
from tests.workorders.builders.visits import (
    VISIT_DAY,
    FieldWorld,
    acknowledge,
    book,
    check_in,
    check_out,
    complete_evidence,
    ready_work_order,
)
from workorders.choices import WorkOrderStatus
from workorders.models import Visit, WorkOrder
from workorders.services import work_order_confirm_site_contact, work_order_transition

S = WorkOrderStatus


def defect_code(world: FieldWorld, code: str = "photo-missing", **values) -> DefectCode:
    values.setdefault("title", code.replace("-", " ").capitalize())
    existing = DefectCode.objects.for_organization(world.organization).filter(code=code).first()
    return existing or DefectCode.objects.create(organization=world.organization, code=code, **values)


def work_visit(world: FieldWorld, visit: Visit, *, outcome: str = "complete", **values) -> Visit:
    """Check in, record every task's evidence, check out."""
    check_in(world, visit)
    if outcome == "complete":
        complete_evidence(world, visit)
        check_out(world, visit)
    else:
        check_out(world, visit, outcome=outcome, incomplete_reason=values.get("incomplete_reason", "parts_missing"))
    visit.refresh_from_db()
    return visit


def first_visit(world: FieldWorld, *, technician=None, **site_values) -> Visit:
    """A visit booked on a day of its own (so that many can be worked by one technician), packet acknowledged."""
    work_order = ready_work_order(world, **site_values)
    day = VISIT_DAY + timedelta(days=7 * WorkOrder.objects.filter(organization=world.organization).count())
    visit = book(world, work_order, technician=technician, day=day)
    acknowledge(world, work_order)
    return visit


def submitted_work_order(world: FieldWorld, **site_values) -> WorkOrder:
    """A work order whose first visit completed it: submitted, waiting for review."""
    visit = work_visit(world, first_visit(world, **site_values))
    return WorkOrder.objects.get(pk=visit.work_order_id)


def prepare_return(world: FieldWorld, work_order: WorkOrder) -> None:
    """What a coordinator does before a return visit can start: confirm it with the site contact again (rework
    clears the confirmation) and have the technician acknowledge the packet."""
    work_order_confirm_site_contact(
        organization=world.organization, actor=world.coordinator, work_order_id=work_order.pk, note="Return visit"
    )
    acknowledge(world, work_order)


def return_visit(world: FieldWorld, work_order: WorkOrder, *, days: int = 1) -> Visit:
    """Book the work order's return visit (it is in rework) `days` after its last visit (first visits are on
    Wednesdays: keep it within the working week), ready to be worked."""
    last = Visit.objects.filter(work_order=work_order).order_by("-sequence").first()
    visit = book(world, work_order, day=last.local_date + timedelta(days=days), start=(9, 0), end=(12, 0))
    prepare_return(world, work_order)
    return visit


def accept(world: FieldWorld, work_order: WorkOrder, **values):
    return services.qa_review_accept(
        organization=world.organization, actor=world.coordinator, work_order_id=work_order.pk, **values
    )


def reject(world: FieldWorld, work_order: WorkOrder, defects=None, **values):
    if defects is None:
        defects = [
            services.DefectInput(code_id=defect_code(world).pk, root_cause="technician_error", task_key="survey")
        ]
    return services.qa_review_reject(
        organization=world.organization, actor=world.coordinator, work_order_id=work_order.pk, defects=defects, **values
    )


def close(world: FieldWorld, work_order: WorkOrder) -> WorkOrder:
    return work_order_transition(
        organization=world.organization, actor=world.coordinator, work_order_id=work_order.pk, to_status=S.CLOSED
    )


RETURN_WINDOW = (time(9, 0), time(12, 0))


def expect(caller, response, ok_roles, ok_status):
    if caller in ok_roles:
        assert response.status_code == ok_status, (caller, response.content)
    elif caller is None:
        assert response.status_code == 401, response.status_code
    else:
        assert response.status_code == 403, (caller, response.status_code, response.content)


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client
