"""The work order state machine as a table: every allowed and every refused move, through the service.

(The same table through the API and the admin lives in test_api.py and test_admin.py.)
"""

import itertools

import pytest
from django_fsm import TransitionNotAllowed

from rollout.errors import InvalidTransition
from rollout.models import AuditEvent, Event
from tests.workorders.builders.work_orders import prepared
from workorders import services
from workorders.choices import (
    OPEN_STATUSES,
    REASON_REQUIRED,
    REVIEW_ONLY_MOVES,
    WORK_ORDER_TRANSITIONS,
    WorkOrderStatus,
)
from workorders.models import WorkOrder

S = WorkOrderStatus
ALL_MOVES = list(itertools.product(S.values, S.values))
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in WORK_ORDER_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_MOVES if b not in WORK_ORDER_TRANSITIONS[a]]


def test_the_table_is_the_documented_lifecycle():
    # given the transition table
    # then it has the forward path, the rework loop, the documented backward moves and cancel from open states
    forward = [
        ("draft", "ready"),
        ("ready", "scheduled"),
        ("scheduled", "dispatched"),
        ("dispatched", "in_progress"),
        ("in_progress", "submitted"),
        ("submitted", "accepted"),
        ("submitted", "rework"),
        ("accepted", "closed"),
        ("rework", "scheduled"),
        ("in_progress", "rework"),
        ("accepted", "rework"),  # a warranty return
    ]
    backward = [("ready", "draft"), ("scheduled", "ready"), ("dispatched", "scheduled")]
    cancels = [(state, "cancelled") for state in OPEN_STATUSES]
    assert sorted(ALLOWED) == sorted(forward + backward + cancels)
    assert set(OPEN_STATUSES) == {"draft", "ready", "scheduled", "dispatched", "in_progress", "submitted", "rework"}


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_every_allowed_move_goes_through_the_service_and_is_audited(
    tenant, world, pm, from_status, to_status, django_capture_on_commit_callbacks
):
    # given a work order in `from_status` with every precondition met
    work_order = prepared(world, from_status)
    # when a PM moves it
    with django_capture_on_commit_callbacks() as callbacks:
        moved = services.work_order_transition(
            organization=tenant.organization,
            actor=pm,
            work_order_id=work_order.pk,
            to_status=to_status,
            reason="Because the plan says so",
            via_review=(from_status, to_status) in REVIEW_ONLY_MOVES,
        )
    # then it moved, its version grew, the state's timestamp is set, and one audit event says who/why/before/after
    stored = WorkOrder.objects.get(pk=work_order.pk)
    assert (moved.status, stored.status) == (to_status, to_status)
    assert stored.version == work_order.version + 1
    event = AuditEvent.objects.get(verb="work_order.transitioned", target_id=str(work_order.pk))
    assert (event.before["status"], event.after["status"]) == (from_status, to_status)
    assert event.reason == "Because the plan says so"
    assert event.actor_user == pm.user
    if to_status != S.DRAFT:
        field = {"in_progress": "started_at"}.get(to_status, f"{to_status}_at")
        assert getattr(stored, field) is not None
    if to_status == S.CANCELLED:
        assert stored.cancel_reason == "Because the plan says so"
    # every move is announced after commit (workorders.signals, for apps built on workorders), and is an event of the
    # outbox (relayed after commit: notifications, webhooks)
    announced = [c for c in callbacks if getattr(c, "__qualname__", "").startswith("work_order_transition_announce")]
    assert len(announced) == 1
    moves = Event.objects.filter(type="work_order.transitioned", subject_id=work_order.pk)
    assert [(e.data["from_status"], e.data["to_status"], e.data["number"]) for e in moves] == [
        (from_status, to_status, work_order.number)
    ]


@pytest.mark.parametrize(("from_status", "to_status"), sorted(REVIEW_ONLY_MOVES))
def test_submitted_work_is_accepted_or_sent_back_only_by_a_review(tenant, world, pm, from_status, to_status):
    # given a submitted work order
    work_order = prepared(world, from_status)
    # when a PM moves it to accepted or rework through the generic transition (not the QA review)
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status=to_status, reason="x"
        )
    # then it is refused with review_required, and the move is not offered among the work order's moves
    assert refused.value.code == "review_required"
    assert "QA review" in refused.value.message
    stored = WorkOrder.objects.get(pk=work_order.pk)
    assert (stored.status, stored.version) == (from_status, work_order.version)
    assert to_status not in stored.allowed_moves
    assert not AuditEvent.objects.filter(verb="work_order.transitioned").exists()


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_every_refused_move_names_from_to_and_the_allowed_moves(tenant, world, pm, from_status, to_status):
    # given a work order in `from_status`
    work_order = prepared(world, from_status)
    # when a PM tries a move the table does not allow
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status=to_status, reason="x"
        )
    # then it is refused with a message naming both states and what is allowed, and nothing changed
    message = refused.value.message
    assert refused.value.code == "invalid_transition"
    assert S(from_status).label in message and S(to_status).label in message
    assert "Allowed from" in message
    for allowed in WORK_ORDER_TRANSITIONS[from_status]:
        assert S(allowed).label in message
    if not WORK_ORDER_TRANSITIONS[from_status]:
        assert "none (it is final)" in message
    stored = WorkOrder.objects.get(pk=work_order.pk)
    assert (stored.status, stored.version) == (from_status, work_order.version)
    assert not AuditEvent.objects.filter(verb="work_order.transitioned").exists()


@pytest.mark.parametrize(("from_status", "to_status"), sorted(REASON_REQUIRED))
def test_moves_that_need_a_reason_refuse_without_one(tenant, world, pm, from_status, to_status):
    # given a work order whose move needs a reason (cancel, rework, recall)
    work_order = prepared(world, from_status)
    # when it is asked without one
    with pytest.raises(Exception) as refused:
        services.work_order_transition(
            organization=tenant.organization,
            actor=pm,
            work_order_id=work_order.pk,
            to_status=to_status,
            reason="  ",
            via_review=(from_status, to_status) in REVIEW_ONLY_MOVES,
        )
    # then it is refused as reason_required on the reason field
    assert (refused.value.code, refused.value.field) == ("reason_required", "reason")
    assert WorkOrder.objects.get(pk=work_order.pk).status == from_status


def test_the_status_field_cannot_be_assigned_directly(world):
    # given a stored work order
    work_order = prepared(world, "draft")
    # when code assigns the status or calls a transition out of order
    # then the model refuses both
    with pytest.raises(AttributeError):
        work_order.status = S.CLOSED
    with pytest.raises(TransitionNotAllowed):
        work_order.to_closed()


def test_a_stale_version_is_refused(tenant, world, pm):
    # given a work order someone changed since we read it
    work_order = prepared(world, "draft")
    # when we move it quoting the old version
    with pytest.raises(Exception) as refused:
        services.work_order_transition(
            organization=tenant.organization,
            actor=pm,
            work_order_id=work_order.pk,
            to_status="ready",
            expected_version=work_order.version - 1 if work_order.version > 1 else 99,
        )
    # then it is a 409 stale_version
    assert refused.value.code == "stale_version"
    assert refused.value.status_code == 409


def test_draft_to_ready_needs_an_approved_sow(tenant, world, pm):
    # given a program whose SOW is not approved and a draft work order without SOW
    from tests.programs.factories import ProgramFactory
    from tests.workorders.factories import WorkOrderFactory

    program = ProgramFactory(organization=tenant.organization, client=tenant.client, code="no-sow")
    work_order = WorkOrderFactory(enrollment__program=program)
    # when it is marked ready
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="ready"
        )
    # then it says what to fix
    assert refused.value.code == "no_approved_sow"
    assert "no approved SOW" in refused.value.message


def test_ready_to_scheduled_needs_a_technician_and_a_window(tenant, world, pm):
    work_order = prepared(world, "ready", green=False)
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="scheduled"
        )
    assert refused.value.code == "not_planned"


def test_unscheduling_clears_the_window_and_rework_starts_the_visit_afresh(tenant, world, pm):
    # given a scheduled work order and a submitted one
    scheduled, submitted = prepared(world, "scheduled"), prepared(world, "submitted")
    # when the first is unscheduled and the second sent to rework
    kwargs = {"organization": tenant.organization, "actor": pm}
    services.work_order_transition(**kwargs, work_order_id=scheduled.pk, to_status="ready")
    services.work_order_transition(
        **kwargs, work_order_id=submitted.pk, to_status="rework", reason="Loose bracket", via_review=True
    )
    # then the unscheduled one keeps its technician but loses its window; the rework needs a new visit
    scheduled.refresh_from_db()
    submitted.refresh_from_db()
    assert scheduled.technician_id and scheduled.planned_start is None and scheduled.scheduled_at is None
    assert submitted.planned_start is None and submitted.site_contact_confirmed_at is None
    assert submitted.gate_overrides == {}
