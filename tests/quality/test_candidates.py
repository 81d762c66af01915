"""The technician's score beside the distance in a work order's candidate list: quality contributes it through
workorders.contributions (workorders never imports quality), on the API and on the booking page."""

import pytest
from django.urls import reverse

from quality.scorecards import technician_scorecard
from rollout.choices import Role
from tests.quality.support import accept, browser, close, first_visit, work_visit
from tests.workorders.builders.visits import VISIT_DAY, build_field_world, ready_work_order
from workorders import contributions
from workorders.models import WorkOrder


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def closed_job(world, capture):
    with capture(execute=True):
        visit = work_visit(world, first_visit(world))
        accept(world, WorkOrder.objects.get(pk=visit.work_order_id))
        close(world, WorkOrder.objects.get(pk=visit.work_order_id))


def test_the_candidate_list_shows_the_score_beside_the_distance(tenant, world, django_capture_on_commit_callbacks):
    # given a technician with a closed DRFT job, and a new work order to book
    closed_job(world, django_capture_on_commit_callbacks)
    card = technician_scorecard(organization=world.organization, technician_id=world.technician.pk)
    work_order = ready_work_order(world)
    # when the coordinator lists the candidates through the API
    response = tenant.api(Role.COORDINATOR).get(
        f"/api/v1/work-orders/{work_order.pk}/technician-candidates/?date={VISIT_DAY.isoformat()}&time=09:00"
    )
    # then each carries its distance and quality's score, with what it is made of
    row = next(row for row in response.json()["results"] if row["id"] == world.technician.pk)
    assert row["distance_km"] is not None
    [score] = row["scores"]
    assert (score["key"], score["score"], score["label"]) == ("quality", float(card.score), f"Score {card.score}")
    assert "DRFT 1/1" in score["detail"]
    # and the booking page shows it beside the distance
    page = browser(tenant, Role.COORDINATOR).get(
        reverse("visits:visit-schedule", kwargs={"org": tenant.organization.slug, "pk": work_order.pk})
        + f"?day={VISIT_DAY.isoformat()}"
    )
    assert f"Score {card.score}" in page.content.decode()


def test_the_extension_point_asks_once_for_the_whole_list_and_merges(monkeypatch):
    calls = []

    def extra(organization, ids):
        calls.append(list(ids))
        return {ids[0]: {"score": None, "label": "No score yet", "detail": ""}, 999: {"score": 1}}

    monkeypatch.setattr(contributions, "_candidate_scores", {"extra": extra})
    merged = contributions.candidate_scores(None, [1, 2])
    assert calls == [[1, 2]]
    assert merged == {1: {"extra": {"score": None, "label": "No score yet", "detail": ""}}, 2: {}}
    assert contributions.candidate_scores(None, []) == {}
