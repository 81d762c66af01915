"""QA reviews through the services: accept, reject with defects (rework, the technician's notice, the return visit
linked to the first, its result back in review), and the refusals — not submitted, no defect, a defect on another
work order's evidence, a late second reviewer — each leaving nothing written."""

import threading

import pytest
from django.core import mail
from django.db import connection

from quality import services
from quality.choices import ReviewDecision
from quality.errors import AlreadyReviewed, DefectRequired, EvidenceMismatch, NotSubmitted
from quality.models import Defect, DrftFact, QaReview
from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from tests.quality.support import (
    RETURN_WINDOW,
    accept,
    defect_code,
    prepare_return,
    reject,
    return_visit,
    submitted_work_order,
    work_visit,
)
from tests.workorders.builders.visits import VISIT_DAY, access_for, build_field_world
from workorders.choices import WorkOrderStatus
from workorders.models import Visit, VisitPhoto, WorkOrder

S = WorkOrderStatus


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_accepting_moves_the_work_order_to_accepted_and_counts_it_drft(world, django_capture_on_commit_callbacks):
    # given
    work_order = submitted_work_order(world)
    # when
    with django_capture_on_commit_callbacks(execute=True):
        review = accept(world, work_order, comment="Clean install")
    # then
    work_order.refresh_from_db()
    assert work_order.status == S.ACCEPTED and work_order.accepted_at is not None
    assert (review.sequence, review.decision, review.reviewer_label) == (
        1,
        "accepted",
        "coordinator@acme-rollouts.example.com",
    )
    assert review.visit.sequence == 1
    assert AuditEvent.objects.filter(verb="qa_review.accepted", target_id=str(work_order.pk)).exists()
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.is_drft, fact.reason) == ("provisional", True, "")


def test_rejecting_sends_to_rework_tells_the_technician_and_the_return_visit_comes_back_to_review(
    world, django_capture_on_commit_callbacks
):
    # given a submitted work order with a photo on the survey task
    work_order = submitted_work_order(world)
    first = Visit.objects.get(work_order=work_order)
    photo = VisitPhoto.objects.filter(visit=first).first()
    code = defect_code(world, "photo-missing", default_severity="major")
    defects = [
        services.DefectInput(code_id=code.pk, root_cause="technician_error", photo_id=photo.pk, comment="Blurry"),
        services.DefectInput(code_id=defect_code(world, "cabling-untidy").pk, root_cause="skill", severity="minor"),
    ]
    # when the coordinator rejects it, booking the return visit in the same action
    with django_capture_on_commit_callbacks(execute=True):
        review = reject(
            world,
            work_order,
            defects,
            comment="Two problems",
            return_visit=services.ReturnVisitInput(world.technician.pk, VISIT_DAY.replace(day=5), *RETURN_WINDOW),
        )
    # then the work order is scheduled again for a return visit linked to the first
    work_order.refresh_from_db()
    assert work_order.status == S.SCHEDULED
    assert review.decision == ReviewDecision.REJECTED
    stored = list(Defect.objects.filter(review=review).order_by("id").values_list("code__code", "severity", "task_key"))
    assert stored == [("photo-missing", "major", "survey"), ("cabling-untidy", "minor", "")]
    second = Visit.objects.get(work_order=work_order, sequence=2)
    assert second.follow_up_of_id == first.pk
    # and the technician got the defects by e-mail
    notice = next(m for m in mail.outbox if m.subject.startswith("QA rejected"))
    assert notice.to == [world.technician.email] and "photo-missing" in notice.body and "Blurry" in notice.body
    # and the fact says why it is not DRFT
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.is_drft, fact.reason, fact.reason_detail) == (
        "open",
        False,
        "qa_rejected",
        "photo-missing, cabling-untidy",
    )
    # when the return visit is worked and reviewed again
    prepare_return(world, work_order)
    work_visit(world, second)
    work_order.refresh_from_db()
    assert work_order.status == S.SUBMITTED
    with django_capture_on_commit_callbacks(execute=True):
        again = accept(world, work_order)
    # then the second review stands and DRFT remembers the first
    assert (again.sequence, again.visit_id) == (2, second.pk)
    fact.refresh_from_db()
    assert (fact.status, fact.is_drft, fact.reason) == ("provisional", False, "qa_rejected")


def test_a_return_visit_can_also_be_booked_later_through_the_visit_services(world):
    work_order = submitted_work_order(world)
    reject(world, work_order)
    visit = return_visit(world, WorkOrder.objects.get(pk=work_order.pk), days=2)
    assert visit.sequence == 2 and visit.follow_up_of.sequence == 1


@pytest.mark.parametrize("status", [S.READY, S.IN_PROGRESS, S.CLOSED])
def test_only_a_submitted_work_order_can_be_reviewed(world, status):
    from tests.workorders.builders.visits import ready_work_order

    work_order = ready_work_order(world, status=status)
    with pytest.raises(NotSubmitted) as refused:
        accept(world, work_order)
    assert refused.value.code == "not_submitted" and refused.value.status_code == 409
    assert not QaReview.objects.exists()


def test_a_rejection_without_a_defect_is_refused_and_nothing_is_written(world):
    work_order = submitted_work_order(world)
    with pytest.raises(DefectRequired) as refused:
        reject(world, work_order, defects=[])
    assert refused.value.code == "defect_required"
    work_order.refresh_from_db()
    assert work_order.status == S.SUBMITTED and not QaReview.objects.exists()


def test_a_defect_on_another_work_orders_evidence_is_refused(world):
    # given two submitted work orders
    mine = submitted_work_order(world)
    theirs = submitted_work_order(world)
    their_photo = VisitPhoto.objects.filter(visit__work_order=theirs).first()
    code = defect_code(world)
    # when a defect on mine points at their photo
    with pytest.raises(EvidenceMismatch) as refused:
        reject(world, mine, [services.DefectInput(code_id=code.pk, root_cause="other", photo_id=their_photo.pk)])
    # then
    assert refused.value.code == "evidence_mismatch" and refused.value.field == "defects[0].photo"
    mine.refresh_from_db()
    assert mine.status == S.SUBMITTED and not QaReview.objects.exists() and not Defect.objects.exists()


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"root_cause": "gremlins"}, "invalid_choice", "defects[0].root_cause"),
        ({"severity": "apocalyptic"}, "invalid_choice", "defects[0].severity"),
        ({"task_key": "no-such-task"}, "evidence_mismatch", "defects[0].task_key"),
        ({"code_id": 10**9}, "does_not_exist", "defects[0].code"),
    ],
)
def test_a_defect_is_checked_against_the_catalogue_taxonomy_and_packet(world, change, code, field):
    work_order = submitted_work_order(world)
    values = {"code_id": defect_code(world).pk, "root_cause": "other", **change}
    with pytest.raises(ApplicationError) as refused:
        reject(world, work_order, [services.DefectInput(**values)])
    assert (refused.value.code, refused.value.field) == (code, field)
    assert not QaReview.objects.exists()


def test_a_retired_code_or_another_organizations_code_is_not_offered(world, other_tenant):
    work_order = submitted_work_order(world)
    retired = defect_code(world, "retired", active=False)
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = defect_code(foreign, "theirs")
    for code in (retired, theirs):
        with pytest.raises(ApplicationError) as refused:
            reject(world, work_order, [services.DefectInput(code_id=code.pk, root_cause="other")])
        assert refused.value.code == "does_not_exist"


def test_another_organizations_work_order_is_not_found(world, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = submitted_work_order(foreign)
    with pytest.raises(NotFound):
        accept(world, theirs)


def test_technicians_and_clients_cannot_review(world, tenant):
    work_order = submitted_work_order(world)
    for role in (Role.TECHNICIAN, Role.CLIENT):
        with pytest.raises(ApplicationError) as refused:
            services.qa_review_accept(
                organization=world.organization, actor=access_for(tenant, role), work_order_id=work_order.pk
            )
        assert refused.value.status_code == 403


def test_a_second_decision_after_the_first_is_told_who_decided(world):
    work_order = submitted_work_order(world)
    accept(world, work_order)
    with pytest.raises(AlreadyReviewed) as refused:
        reject(world, work_order)
    assert refused.value.status_code == 409 and "coordinator@" in refused.value.message
    assert QaReview.objects.filter(work_order=work_order).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_once_one_decision_stands(tenant):
    # given a submitted work order and two reviewers, one accepting and one rejecting, at the same moment
    world = build_field_world(tenant)
    work_order = submitted_work_order(world)
    code = defect_code(world)
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(kind):
        try:
            barrier.wait()
            if kind == "accept":
                accept(world, work_order)
            else:
                reject(world, work_order, [services.DefectInput(code_id=code.pk, root_cause="other")])
            outcomes.append((kind, "ok"))
        except ApplicationError as exc:
            outcomes.append((kind, exc.code))
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(kind,)) for kind in ("accept", "reject")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then exactly one decision stands and the other reviewer is told
    assert sorted(code for _, code in outcomes) == ["already_reviewed", "ok"]
    winner = next(kind for kind, code in outcomes if code == "ok")
    reviews = list(QaReview.objects.filter(work_order=work_order))
    assert len(reviews) == 1
    assert reviews[0].decision == ("accepted" if winner == "accept" else "rejected")
    assert WorkOrder.objects.get(pk=work_order.pk).status == (S.ACCEPTED if winner == "accept" else S.REWORK)
