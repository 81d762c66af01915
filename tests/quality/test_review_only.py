"""Submitted work is accepted or sent back only by a QA review: the generic transition refuses it (page, API,
bulk) with `review_required` naming the review, the work-order page links to the review instead, and the review
services still move it."""

import pytest
from django.urls import reverse

from quality.models import QaReview
from rollout.choices import Role
from tests.quality.support import accept, browser, submitted_work_order
from tests.workorders.builders.visits import build_field_world
from workorders.models import WorkOrder


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_the_generic_transition_refuses_and_points_to_the_review(tenant, world):
    work_order = submitted_work_order(world)
    api = tenant.api(Role.PM)
    response = api.post(f"/api/v1/work-orders/{work_order.pk}/transition/", {"to_status": "accepted"}, format="json")
    assert response.status_code == 409
    error = response.json()["errors"][0]
    assert error["code"] == "review_required"
    assert f"/api/v1/qa-queue/{work_order.pk}/accept/" in error["detail"]
    bulk = api.post(
        "/api/v1/work-orders/bulk-transition/",
        {"work_order_ids": [work_order.pk], "to_status": "rework", "reason": "Looks wrong"},
        format="json",
    ).json()
    assert bulk["items"][0]["code"] == "review_required"
    org = tenant.organization.slug
    page = browser(tenant, Role.PM)
    refused = page.get(
        reverse("workorders:work-order-transition", kwargs={"org": org, "pk": work_order.pk}) + "?to=accepted"
    )
    assert refused.status_code == 404  # the move is not offered on the page
    detail = page.get(reverse("workorders:work-order-detail", kwargs={"org": org, "pk": work_order.pk}))
    review_url = reverse("quality:review", kwargs={"org": org, "pk": work_order.pk})
    assert review_url in detail.content.decode() and "?to=accepted" not in detail.content.decode()
    assert WorkOrder.objects.get(pk=work_order.pk).status == "submitted" and not QaReview.objects.exists()
    # and the review itself still accepts
    accept(world, work_order)
    assert WorkOrder.objects.get(pk=work_order.pk).status == "accepted"
