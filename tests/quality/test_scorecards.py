"""Technician scorecards: each figure computed from the technician's closed jobs and ended visits, the formula shown,
the technician's own on the phone, staff reading anyone's, another technician's or organization's a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from quality.scorecards import FORMULA, technician_scorecard
from rollout.choices import Role
from tests.quality.support import accept, browser, close, expect, reject, return_visit, submitted_work_order, work_visit
from tests.workorders.builders.visits import build_field_world, other_technician
from workorders.models import Visit, WorkOrder

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


@pytest.fixture
def history(world, django_capture_on_commit_callbacks):
    """Two closed jobs of Tomás's: one right first time, one rejected (a major defect) then fixed;
    one of his visits marked late, one no-show."""
    with django_capture_on_commit_callbacks(execute=True):
        good = submitted_work_order(world)
        accept(world, good)
        close(world, good)
        bad = submitted_work_order(world)
        reject(world, bad)
    second = return_visit(world, WorkOrder.objects.get(pk=bad.pk))
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, second)
        accept(world, WorkOrder.objects.get(pk=bad.pk))
        close(world, WorkOrder.objects.get(pk=bad.pk))
    late = Visit.objects.get(work_order=good)
    Visit.objects.filter(pk=late.pk).update(checkin_due_by=late.checked_in_at - timedelta(minutes=5))
    from tests.quality.support import first_visit

    missed = first_visit(world)
    Visit.objects.filter(pk=missed.pk).update(status="no_show", no_show_at=timezone.now())
    return {"good": good, "bad": bad}


def test_the_scorecard_counts_jobs_and_visits_with_its_formula(world, history):
    card = technician_scorecard(organization=world.organization, technician_id=world.technician.pk)
    assert (card.jobs, card.drft, card.reviewed, card.qa_passed) == (2, 1, 2, 1)
    assert (card.visits, card.worked, card.on_time, card.no_shows) == (4, 3, 2, 1)
    assert card.defects == {"minor": 0, "major": 1, "critical": 0}
    assert sorted(card.failed_job_ids) == [history["bad"].pk]
    # 40 × 1/2 + 25 × 1/2 + 25 × 2/3 + 10 × (1 − 1/4)
    assert str(card.score) == "56.7" and card.formula == FORMULA


@pytest.mark.parametrize("caller", CALLERS)
def test_api_role_matrix_and_own_scorecard(tenant, world, caller):
    rosa = other_technician(world)
    api = tenant.api(caller)
    mine = api.get(f"/api/v1/scorecards/{world.technician.pk}/")
    expect(caller, mine, {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token", Role.TECHNICIAN}, 200)
    theirs = api.get(f"/api/v1/scorecards/{rosa.pk}/")
    if caller == Role.TECHNICIAN:
        assert theirs.status_code == 404  # someone else's scorecard is not theirs to read
    if mine.status_code == 200:
        assert mine.json()["formula"].startswith("score = 40")


def test_another_organizations_technician_is_404(tenant, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    assert tenant.api(Role.PM).get(f"/api/v1/scorecards/{foreign.technician.pk}/").status_code == 404
    page = reverse("quality:scorecard", kwargs={"org": tenant.organization.slug, "pk": foreign.technician.pk})
    assert browser(tenant, Role.PM).get(page).status_code == 404


def test_the_technician_sees_their_own_scorecard_on_the_phone_and_staff_see_the_jobs(tenant, world, history):
    org = tenant.organization.slug
    phone = browser(tenant, Role.TECHNICIAN).get(reverse("quality:my-scorecard", kwargs={"org": org}))
    body = phone.content.decode()
    assert phone.status_code == 200 and "My scorecard" in body and 'data-testid="score">56.7' in body
    assert "score = 40 × DRFT" in body
    # and the defects QA found on their rejected job, to fix on the return visit
    assert history["bad"].number in body and "Photo missing (major) · task survey" in body
    staff = browser(tenant, Role.COORDINATOR).get(
        reverse("quality:scorecard", kwargs={"org": org, "pk": world.technician.pk})
    )
    assert history["bad"].number in staff.content.decode()
    assert browser(tenant, Role.CLIENT).get(reverse("quality:my-scorecard", kwargs={"org": org})).status_code == 403
