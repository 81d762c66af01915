"""The sampling policy: which submitted work QA reviews. Every work order without a policy; with one, a technician's
first jobs, work after a rejection, return visits and low scores always, the rest by a reproducible draw; work not
drawn is accepted by the policy after the wait (audited as such, counted for DRFT as an acceptance without defect),
unless a coordinator reviews it first."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quality import sampling
from quality.models import DrftFact, QaReview, SamplingDraw
from quality.tasks import sampling_auto_accept_sweep_task
from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.models import AuditEvent
from tests.quality.support import accept, close, first_visit, reject, return_visit, submitted_work_order, work_visit
from tests.workorders.builders.visits import access_for, build_field_world
from workorders.models import WorkOrder


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def policy(world, tenant, **values):
    values = {"mode": "sample", "percent": 0, "score_threshold": 0, "first_jobs": 0, "auto_accept_hours": 4, **values}
    return sampling.sampling_policy_set(
        organization=world.organization, actor=access_for(tenant, Role.PM), program_id=world.program.pk, **values
    )


def submit(world, capture) -> WorkOrder:
    with capture(execute=True):
        work_order = submitted_work_order(world)
    return WorkOrder.objects.get(pk=work_order.pk)


def draw_of(work_order) -> SamplingDraw | None:
    return SamplingDraw.objects.filter(work_order=work_order).order_by("-round").first()


def test_without_a_policy_every_work_order_is_reviewed(world, django_capture_on_commit_callbacks):
    work_order = submit(world, django_capture_on_commit_callbacks)
    assert draw_of(work_order) is None
    assert (
        sampling.sampling_auto_accept_due(organization=world.organization, now=timezone.now() + timedelta(days=9)) == 0
    )
    assert WorkOrder.objects.get(pk=work_order.pk).status == "submitted"


def test_the_draw_is_reproducible_and_recorded_once(world, tenant, django_capture_on_commit_callbacks):
    # given a sampling policy of 50 %
    policy(world, tenant, percent=50)
    work_order = submit(world, django_capture_on_commit_callbacks)
    # then the submission was drawn once, with the hash of its ids, and drawing again changes nothing
    first = draw_of(work_order)
    assert first.draw == sampling.draw_value(world.organization.pk, work_order.pk, 1)
    assert first.review_required == (first.draw < 0.5)
    again = sampling.sampling_draw(organization=world.organization, work_order_id=work_order.pk)
    assert again.pk == first.pk and SamplingDraw.objects.count() == 1
    # and the same ids always give the same number, spread over [0, 1)
    values = [sampling.draw_value(1, pk, 1) for pk in range(2000)]
    assert values == [sampling.draw_value(1, pk, 1) for pk in range(2000)]
    assert 0.45 < sum(1 for value in values if value < 0.5) / len(values) < 0.55


def test_work_not_drawn_is_accepted_by_the_policy_after_the_wait_and_counts_for_drft(
    world, tenant, django_capture_on_commit_callbacks
):
    # given a policy that draws nothing (0 %), the wait four hours
    policy(world, tenant, percent=0, auto_accept_hours=4)
    work_order = submit(world, django_capture_on_commit_callbacks)
    draw = draw_of(work_order)
    assert not draw.review_required and "Not drawn" in draw.reason
    assert draw.auto_accept_at == work_order.submitted_at + timedelta(hours=4)
    # when the sweep runs before the wait ended, nothing happens; after it, the policy accepts
    assert sampling.sampling_auto_accept_due(organization=world.organization) == 0
    with django_capture_on_commit_callbacks(execute=True):
        SamplingDraw.objects.filter(pk=draw.pk).update(auto_accept_at=timezone.now() - timedelta(minutes=1))
        sampling_auto_accept_sweep_task.delay()
    # then it is accepted by a review marked as the policy's, audited as such, and it is (provisional) DRFT
    stored = WorkOrder.objects.get(pk=work_order.pk)
    review = QaReview.objects.get(work_order=work_order)
    assert stored.status == "accepted"
    assert (review.by_policy, review.decision, review.reviewer_label) == (True, "accepted", "Sampling policy")
    assert AuditEvent.objects.filter(verb="qa_review.accepted_by_policy", target_id=str(work_order.pk)).exists()
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.is_drft) == ("provisional", True)
    # and a second sweep does nothing more
    assert sampling.sampling_auto_accept_due(organization=world.organization) == 0


def test_a_coordinator_who_reviews_first_wins(world, tenant, django_capture_on_commit_callbacks):
    policy(world, tenant, percent=0)
    work_order = submit(world, django_capture_on_commit_callbacks)
    reject(world, work_order)
    SamplingDraw.objects.update(auto_accept_at=timezone.now() - timedelta(minutes=1))
    assert sampling.sampling_auto_accept_due(organization=world.organization) == 0
    assert WorkOrder.objects.get(pk=work_order.pk).status == "rework"
    assert not QaReview.objects.filter(by_policy=True).exists()


def test_first_jobs_rejections_return_visits_and_low_scores_are_always_reviewed(
    world, tenant, django_capture_on_commit_callbacks
):
    # given a policy that draws nothing, but reviews a technician's first job
    policy(world, tenant, percent=0, first_jobs=1)
    first = submit(world, django_capture_on_commit_callbacks)
    assert draw_of(first).review_required and "first 1 jobs" in draw_of(first).reason
    # when that first job is rejected, the technician's next work is reviewed (after a rejection)
    with django_capture_on_commit_callbacks(execute=True):
        reject(world, first)
    second = submit(world, django_capture_on_commit_callbacks)
    assert draw_of(second).review_required and "rejected" in draw_of(second).reason
    # and the return visit's work on the rejected one is always reviewed
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, return_visit(world, WorkOrder.objects.get(pk=first.pk)))
    assert draw_of(first).round == 2
    assert draw_of(first).review_required and "return visit" in draw_of(first).reason
    # and once the last review is an acceptance, a technician below the score threshold is still reviewed (the
    # rejected job, closed, is not DRFT: their score is below 100)
    with django_capture_on_commit_callbacks(execute=True):
        accept(world, WorkOrder.objects.get(pk=first.pk))
        close(world, WorkOrder.objects.get(pk=first.pk))
        accept(world, WorkOrder.objects.get(pk=second.pk))
    policy(world, tenant, percent=0, first_jobs=1, score_threshold=100)
    third = submit(world, django_capture_on_commit_callbacks)
    assert draw_of(third).review_required and "score" in draw_of(third).reason
    # and with a threshold they pass, the draw decides (0 %: not drawn)
    policy(world, tenant, percent=0, first_jobs=1, score_threshold=0)
    fourth = submit(world, django_capture_on_commit_callbacks)
    assert not draw_of(fourth).review_required


def test_the_policy_refuses_bad_values(world, tenant):
    with pytest.raises(ApplicationError) as refused:
        policy(world, tenant, percent=120)
    assert (refused.value.code, refused.value.field) == ("invalid", "percent")
    with pytest.raises(ApplicationError) as refused:
        policy(world, tenant, mode="some")
    assert refused.value.code == "invalid_choice"


def test_closing_policy_accepted_work_is_final_drft(world, tenant, django_capture_on_commit_callbacks):
    policy(world, tenant, percent=0)
    work_order = submit(world, django_capture_on_commit_callbacks)
    SamplingDraw.objects.update(auto_accept_at=timezone.now() - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        sampling.sampling_auto_accept_due(organization=world.organization)
        close(world, WorkOrder.objects.get(pk=work_order.pk))
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.is_drft) == ("final", True)


def test_work_of_another_visit_technician_counts_their_own_history(world, tenant, django_capture_on_commit_callbacks):
    # a regression guard: the draw looks at the reviewed visit's technician, and a missing one is reviewed
    policy(world, tenant, percent=0, first_jobs=0, score_threshold=0)
    visit = first_visit(world)
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, visit)
    draw = draw_of(WorkOrder.objects.get(pk=visit.work_order_id))
    assert draw is not None and not draw.review_required


def test_the_sampling_pages(tenant, world, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.quality.support import browser

    def url(name, **kwargs):
        return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})

    # a PM sets the program's policy from the page; a coordinator reads it but may not change it
    pm = browser(tenant, Role.PM)
    assert "Review every work order" in pm.get(url("quality:sampling")).content.decode()
    data = {"mode": "sample", "percent": 0, "first_jobs": 0, "score_threshold": "0", "auto_accept_hours": 6}
    assert pm.post(url("quality:sampling-edit", pk=world.program.pk), {**data, "percent": 101}).status_code == 200
    assert pm.post(url("quality:sampling-edit", pk=world.program.pk), data).status_code == 302
    assert "Sample 0 %" in pm.get(url("quality:sampling")).content.decode()
    coordinator = browser(tenant, Role.COORDINATOR)
    assert coordinator.get(url("quality:sampling")).status_code == 200
    assert coordinator.post(url("quality:sampling-edit", pk=world.program.pk), data).status_code == 403
    assert browser(tenant, Role.CLIENT).get(url("quality:sampling")).status_code == 403
    # and the review page says why a submission was (not) drawn
    work_order = submit(world, django_capture_on_commit_callbacks)
    page = coordinator.get(url("quality:review", pk=work_order.pk)).content.decode()
    assert 'data-testid="sampling-draw"' in page and "Not drawn" in page


def test_another_organizations_program_policy_is_404(tenant, other_tenant):
    from django.urls import reverse

    from tests.quality.support import browser

    foreign = build_field_world(other_tenant, code="foreign")
    url = reverse("quality:sampling-edit", kwargs={"org": tenant.organization.slug, "pk": foreign.program.pk})
    assert browser(tenant, Role.PM).get(url).status_code == 404


CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]


@pytest.mark.parametrize("caller", CALLERS)
def test_sampling_policy_api_role_matrix(tenant, world, caller):
    from tests.quality.support import expect

    api = tenant.api(caller)
    body = {"program": world.program.pk, "mode": "sample", "percent": 20, "first_jobs": 3}
    created = api.post("/api/v1/sampling-policies/", body, format="json")
    expect(caller, created, {Role.PM, Role.ADMIN}, 201)
    listed = api.get("/api/v1/sampling-policies/")
    expect(caller, listed, {Role.PM, Role.ADMIN, Role.COORDINATOR, Role.INTEGRATOR, "token"}, 200)
    if caller in (Role.PM, Role.ADMIN):
        row = created.json()
        assert (row["mode"], row["percent"], row["first_jobs"], row["score_threshold"]) == ("sample", 20, 3, "90.0")
        again = api.post("/api/v1/sampling-policies/", {**body, "percent": 30}, format="json")
        assert again.status_code == 201 and again.json()["id"] == row["id"] and again.json()["percent"] == 30
        bad = api.post("/api/v1/sampling-policies/", {**body, "percent": 101}, format="json")
        assert bad.status_code == 400


def test_another_organizations_program_or_policy_does_not_exist(tenant, world, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = sampling.sampling_policy_set(
        organization=foreign.organization, actor=None, program_id=foreign.program.pk, mode="sample"
    )
    api = tenant.api(Role.PM)
    refused = api.post("/api/v1/sampling-policies/", {"program": foreign.program.pk, "mode": "all"}, format="json")
    assert refused.status_code == 400
    assert api.get(f"/api/v1/sampling-policies/{theirs.pk}/").status_code == 404
    assert api.get("/api/v1/sampling-policies/").json()["count"] == 0


def test_the_queue_says_which_work_the_policy_will_accept(tenant, world, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from tests.quality.support import browser

    policy(world, tenant, percent=0)
    work_order = submit(world, django_capture_on_commit_callbacks)
    page = browser(tenant, Role.COORDINATOR).get(reverse("quality:queue", kwargs={"org": tenant.organization.slug}))
    assert work_order.number in page.content.decode() and "not sampled" in page.content.decode()
