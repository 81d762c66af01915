"""The admin cannot set a work order's status: its form has no status field, and its move actions go
through the same service (and the same state table) as the pages and the API."""

import itertools

import pytest
from django.test import Client as BrowserClient

from rollout.models import AuditEvent, User
from tests.workorders.builders.work_orders import prepared
from workorders.admin import ADMIN_MOVES
from workorders.choices import REASON_REQUIRED, REVIEW_ONLY_MOVES, WORK_ORDER_TRANSITIONS, WorkOrderStatus
from workorders.models import WorkOrder

S = WorkOrderStatus


@pytest.fixture
def admin_browser(db) -> BrowserClient:
    superuser = User.objects.create_superuser(email="root@example.com", password="x-long-password-1")
    browser = BrowserClient()
    browser.force_login(superuser)
    return browser


def test_the_change_form_cannot_set_the_status(admin_browser, world):
    # given a draft work order
    work_order = prepared(world, "draft")
    # when the admin opens its page and posts a new status
    page = admin_browser.get(f"/admin/workorders/workorder/{work_order.pk}/change/")
    posted = admin_browser.post(f"/admin/workorders/workorder/{work_order.pk}/change/", {"status": "closed"})
    # then the page shows the status read-only and the post changes nothing
    assert page.status_code == 200
    assert 'name="status"' not in page.content.decode()
    assert posted.status_code in (200, 302, 403)
    assert WorkOrder.objects.get(pk=work_order.pk).status == "draft"
    # and nothing can be added or deleted here
    assert admin_browser.get("/admin/workorders/workorder/add/").status_code == 403
    assert (
        admin_browser.post(f"/admin/workorders/workorder/{work_order.pk}/delete/", {"post": "yes"}).status_code == 403
    )


@pytest.mark.parametrize(
    ("from_status", "to_status"), list(itertools.product(S.values, [s.value for s in ADMIN_MOVES]))
)
def test_state_table_through_the_admin_actions(admin_browser, world, from_status, to_status):
    # given a work order in `from_status` with every precondition met
    work_order = prepared(world, from_status)
    # when the admin runs "Move to <to_status>" on it
    response = admin_browser.post(
        "/admin/workorders/workorder/",
        {"action": f"move_to_{to_status}", "_selected_action": [work_order.pk]},
        follow=True,
    )
    # then it moves exactly when the table allows, audited; otherwise the refusal is shown and nothing changes
    # (moves that need a written reason cannot be made from an admin action: they are refused, saying why; nor can
    # accepting or rejecting submitted work, which only a QA review does)
    stored = WorkOrder.objects.get(pk=work_order.pk).status
    page = response.content.decode()
    if (from_status, to_status) in REVIEW_ONLY_MOVES:
        assert stored == from_status
        assert "only by a QA review" in page
    elif (from_status, to_status) in REASON_REQUIRED:
        assert stored == from_status
        assert "Say why" in page
    elif to_status in WORK_ORDER_TRANSITIONS[from_status]:
        assert stored == to_status, page
        assert AuditEvent.objects.filter(verb="work_order.transitioned", target_id=str(work_order.pk)).exists()
    else:
        assert stored == from_status
        assert f"cannot move from {S(from_status).label} to {S(to_status).label}" in page
