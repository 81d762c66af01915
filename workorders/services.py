"""Writes of work orders: creating them from enrollments, every state transition, assignment and site-contact
confirmation. Readiness-gate overrides are in workorders.gate_overrides, shipments in workorders.shipments, visits
in workorders.visits.services; the refusals in workorders.errors (visits': workorders.visits.errors).

Each service is one transaction that locks the work order row, checks the current state (and, when the
caller passes `expected_version`, that nobody changed it since they read it), writes, records an audit
event (who, when, why, before/after) and enqueues follow-up work after commit (`delay_on_commit`). The
status itself only moves through the model's transitions (a protected FSM field), called from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from programs.choices import ProgramStatus
from programs.models import Enrollment, Program, Wave
from programs.selectors import sow_current_approved
from programs.training import program_required_courses
from rollout.audit import audit_record, audit_snapshot
from rollout.errors import ApplicationError, Conflict, InvalidTransition, NotFound
from rollout.events import event_emit
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user
from technicians.models import Technician
from technicians.selectors import technician_eligibility_problems
from workorders._common import _label, _lock_work_order, _touch
from workorders.choices import (
    REASON_REQUIRED,
    REVIEW_ONLY_MOVES,
    WORK_ORDER_TRANSITIONS,
    VisitStatus,
    WorkOrderStatus,
)
from workorders.contributions import review_where
from workorders.errors import NotReady, ReasonRequired, ReviewRequired, VisitOpen, VisitUnderway
from workorders.events import (
    WORK_ORDER_ASSIGNED,
    WORK_ORDER_RESCHEDULED,
    technician_user_ids,
    work_order_payload,
    work_order_transitioned_emit,
)
from workorders.models import Visit, WorkOrder, WorkOrderNumberSequence
from workorders.readiness import visit_window_problems, work_order_readiness
from workorders.selectors import work_order_skills
from workorders.signals import work_order_transition_announce
from workorders.visits.services.calloff import visit_cancel_with_work_order

S = WorkOrderStatus
BULK_LIMIT = 1_000
CREATE_BATCH = 500
# Before dispatch a visit can still be planned; once dispatched it must be recalled first.
ASSIGNABLE = frozenset({S.DRAFT, S.READY, S.SCHEDULED, S.REWORK})
WORK_ORDER_AUDIT_FIELDS = ["technician", "planned_start", "planned_end"]


def _open_visit(organization, work_order: WorkOrder) -> Visit | None:
    return Visit.objects.for_organization(organization).filter(work_order=work_order).open().first()


def _visit_words(visit: Visit) -> str:
    return f"visit {visit.sequence} ({visit.get_status_display().lower()})"


def allowed_moves(work_order: WorkOrder) -> list[str]:
    """The states this work order may move to now, in the lifecycle's order."""
    return work_order.allowed_moves


def _describe_allowed(status: str) -> str:
    targets = [value for value in S.values if value in WORK_ORDER_TRANSITIONS[status]]
    return ", ".join(_label(value) for value in targets) or "none (it is final)"


# --- Numbers and creation -----------------------------------------------------------------------------


def work_order_numbers_allocate(*, organization, program: Program, count: int) -> list[tuple[int, str]]:
    """Hand out `count` consecutive (sequence, number) pairs of a program, e.g. (123, "SCO-2026-000123").

    Inside the caller's transaction: the counter row is created once, then advanced with one UPDATE … SET
    last_value = last_value + count, which the database serializes, so concurrent callers never get the
    same numbers. The unique (organization, number) constraint backs it.
    """
    WorkOrderNumberSequence.objects.get_or_create(organization_id=organization.pk, program=program)
    counter = WorkOrderNumberSequence.objects.for_organization(organization).filter(program=program)
    counter.update(last_value=F("last_value") + count)
    last = counter.values_list("last_value", flat=True).get()
    prefix = program.code.upper()
    return [(sequence, f"{prefix}-{sequence:06d}") for sequence in range(last - count + 1, last + 1)]


@dataclass(frozen=True)
class CreateItem:
    """What creating work orders did for one enrolled site."""

    site_id: int
    site_code: str
    outcome: str  # "created" | "exists"
    work_order_id: int
    number: str


@dataclass(frozen=True)
class CreateResult:
    program_id: int
    wave_id: int | None
    items: tuple[CreateItem, ...]

    @property
    def created(self) -> int:
        return sum(1 for item in self.items if item.outcome == "created")

    @property
    def existing(self) -> int:
        return sum(1 for item in self.items if item.outcome == "exists")


@transaction.atomic
def work_orders_create_for_program(
    *, organization: Organization, actor: Access | User | None, program_id: int, wave_id: int | None = None
) -> CreateResult:
    """One work order per enrolled site of the program (or of one wave), in draft; safe to run again.

    Sites that already have a work order in the program are reported as `exists` and left alone. The
    program row is locked, so two runs for one program queue instead of racing; one audit event on the
    program records the numbers created. Work orders follow the program's latest approved SOW, if any.
    """
    program = Program.objects.for_organization(organization).select_for_update().filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    if program.status == ProgramStatus.CLOSED:
        raise Conflict(f"Program {program.code} is closed; no work orders can be created.", code="program_closed")
    wave = None
    if wave_id is not None:
        wave = Wave.objects.for_organization(organization).filter(pk=wave_id, program=program).first()
        if wave is None:
            raise ApplicationError(
                f"That wave is not a wave of program {program.code}.", field="wave", code="wave_not_in_program"
            )
    enrollments = Enrollment.objects.for_organization(organization).filter(program=program).select_related("site")
    if wave is not None:
        enrollments = enrollments.filter(wave=wave)
    enrollments = list(enrollments.order_by("site__code", "pk"))
    existing = {
        site_id: (pk, number)
        for pk, site_id, number in WorkOrder.objects.for_organization(organization)
        .filter(program=program)
        .values_list("pk", "site_id", "number")
    }
    missing = [e for e in enrollments if e.site_id not in existing]
    sow = sow_current_approved(organization=organization, program_id=program.pk)
    label = actor_label(actor)
    created: dict[int, WorkOrder] = {}
    numbers = work_order_numbers_allocate(organization=organization, program=program, count=len(missing))
    rows = [
        WorkOrder(
            organization_id=organization.pk,
            program=program,
            site_id=enrollment.site_id,
            enrollment=enrollment,
            sequence=sequence,
            number=number,
            sow=sow,
            created_by_label=label,
        )
        for enrollment, (sequence, number) in zip(missing, numbers, strict=True)
    ]
    for start in range(0, len(rows), CREATE_BATCH):
        WorkOrder.objects.bulk_create(rows[start : start + CREATE_BATCH])
    if rows:
        for pk, site_id in (
            WorkOrder.objects.for_organization(organization)
            .filter(program=program, site_id__in=[row.site_id for row in rows])
            .values_list("pk", "site_id")
        ):
            created[site_id] = pk
    new_numbers = {row.site_id: row.number for row in rows}
    items = []
    for enrollment in enrollments:
        site_id, code = enrollment.site_id, enrollment.site.code
        if site_id in existing:
            items.append(CreateItem(site_id, code, "exists", *existing[site_id]))
        else:
            items.append(CreateItem(site_id, code, "created", created[site_id], new_numbers[site_id]))
    result = CreateResult(program_id=program.pk, wave_id=wave.pk if wave else None, items=tuple(items))
    if result.created:
        audit_record(
            organization=organization,
            actor=actor,
            verb="work_order.bulk_created",
            target=program,
            after={
                "wave": result.wave_id,
                "created": result.created,
                "existing": result.existing,
                "numbers": [item.number for item in items if item.outcome == "created"][:200],
            },
        )
    return result


# --- Transitions ----------------------------------------------------------------------------------------


def _check_move(work_order: WorkOrder, to_status: str, reason: str, *, via_review: bool = False) -> None:
    if to_status not in S.values:
        raise ApplicationError(f"“{to_status}” is not a work order status.", field="to_status", code="invalid_choice")
    from_status = work_order.status
    if to_status not in WORK_ORDER_TRANSITIONS[from_status]:
        raise InvalidTransition(
            f"Work order {work_order.number} cannot move from {_label(from_status)} to {_label(to_status)}. "
            f"Allowed from {_label(from_status)}: {_describe_allowed(from_status)}."
        )
    if (from_status, to_status) in REVIEW_ONLY_MOVES and not via_review:
        where = review_where(work_order)
        raise ReviewRequired(
            f"Work order {work_order.number} is {_label(from_status).lower()}: it moves to {_label(to_status)} "
            f"only by a QA review (accept, or reject with defects){f': {where}' if where else ''}."
        )
    if (from_status, to_status) in REASON_REQUIRED and not reason.strip():
        raise ReasonRequired(
            f"Say why work order {work_order.number} moves from {_label(from_status)} to {_label(to_status)}.",
            field="reason",
        )


def _check_preconditions(organization, work_order: WorkOrder, to_status: str) -> None:
    """What a move needs beyond the state table: a SOW to be ready, a plan to be scheduled, green gates."""
    if to_status == S.READY and work_order.status == S.DRAFT and work_order.sow_id is None:
        sow = sow_current_approved(organization=organization, program_id=work_order.program_id)
        if sow is None:
            raise InvalidTransition(
                f"Work order {work_order.number} cannot be ready: program {work_order.program.code} has no "
                "approved SOW yet.",
                code="no_approved_sow",
            )
        work_order.sow = sow
    planned = work_order.technician_id is not None and work_order.planned_start is not None
    if to_status == S.SCHEDULED and work_order.status in (S.READY, S.REWORK) and not planned:
        raise InvalidTransition(
            f"Work order {work_order.number} cannot be scheduled yet: assign a technician and a visit window first.",
            code="not_planned",
        )
    if to_status == S.DISPATCHED:
        readiness = work_order_readiness(organization=organization, work_order=work_order)
        if not readiness.ready:
            raise NotReady(
                f"Work order {work_order.number} cannot be dispatched until every readiness gate is green. "
                f"{readiness.summary()}"
            )


def _lock_open_visits(organization, work_order_id: int, to_status: str) -> None:
    """Before a move that may call off the work order's visit, lock that visit first: the visit services (and a
    check-in) lock the visit, then its work order; taking them in the same order never deadlocks."""
    if to_status in (S.CANCELLED, S.READY):
        list(
            Visit.objects.for_organization(organization)
            .filter(work_order_id=work_order_id)
            .open()
            .select_for_update()
            .values_list("pk", flat=True)
        )


def _check_open_visit(organization, work_order: WorkOrder, to_status: str) -> Visit | None:
    """A booked visit follows its work order: cancelling the work order calls off a visit that has not started
    (returned, to be cancelled with it), but not one whose technician is on site; moving a scheduled work order
    back to ready is what cancelling its visit does (the visit page), so it is refused while one is open."""
    if to_status not in (S.CANCELLED, S.READY):
        return None
    visit = _open_visit(organization, work_order)
    if visit is None:
        return None
    if to_status == S.READY:
        raise VisitOpen(
            f"Work order {work_order.number} has an open {_visit_words(visit)}: cancel the visit instead (that "
            "moves the work order back to ready)."
        )
    if visit.status == VisitStatus.CHECKED_IN:
        raise VisitUnderway(
            f"Work order {work_order.number} cannot be cancelled while its technician is on site "
            f"({_visit_words(visit)}): wait for the check-out."
        )
    return visit


def _transition(
    organization,
    actor,
    work_order: WorkOrder,
    to_status: str,
    reason: str,
    *,
    verb: str = "work_order.transitioned",
    notify_technician: bool = True,
    via_review: bool = False,
) -> WorkOrder:
    """Check and apply one move on a locked work order; audit it, emit its event (the technician hears of a
    dispatch, a recall, a return visit or a cancellation unless `notify_technician` is off because another
    notice tells them) and enqueue what follows."""
    reason = (reason or "").strip()
    _check_move(work_order, to_status, reason, via_review=via_review)
    _check_preconditions(organization, work_order, to_status)
    open_visit = _check_open_visit(organization, work_order, to_status)
    from_status = work_order.status
    before = audit_snapshot(work_order, ["status", *WORK_ORDER_AUDIT_FIELDS])
    work_order.move_to(to_status, reason=reason)
    work_order.version += 1
    work_order.save()
    audit_record(
        organization=organization,
        actor=actor,
        verb=verb,
        target=work_order,
        before=before,
        after=audit_snapshot(work_order, ["status", *WORK_ORDER_AUDIT_FIELDS]),
        reason=reason,
    )
    work_order_transition_announce(
        organization_id=organization.pk, work_order_id=work_order.pk, from_status=from_status, to_status=to_status
    )
    # A cancelled work order's open visit is called off with its own (mandatory) notice to the technician.
    work_order_transitioned_emit(
        organization=organization,
        actor=actor,
        work_order=work_order,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        notify_technician=notify_technician and open_visit is None,
    )
    if open_visit is not None:
        visit_cancel_with_work_order(
            organization=organization, actor=actor, visit_id=open_visit.pk, reason=reason, notify=notify_technician
        )
    return work_order


@transaction.atomic
def work_order_transition(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    to_status: str,
    reason: str = "",
    expected_version: int | None = None,
    notify_technician: bool = True,
    via_review: bool = False,
) -> WorkOrder:
    """Move one work order along its state machine (see workorders.choices.WORK_ORDER_TRANSITIONS).

    Submitted work is accepted or sent to rework only by a QA review: those moves are refused with
    `review_required` (naming where to review) unless the caller is the review service (`via_review=True`).

    Refused with `invalid_transition` (naming from, to and the allowed moves) for a move the table does not
    allow; `reason_required` for a cancel, a rework or a recall without a reason; `no_approved_sow`,
    `not_planned` and `not_ready` (red readiness gates) for moves whose preconditions fail. Cancelling calls off
    the work order's visit that has not started (`visit_underway` while its technician is on site); moving back
    to ready while a visit is open is refused (`visit_open`: cancel the visit instead).
    """
    _lock_open_visits(organization, work_order_id, to_status)
    work_order = _lock_work_order(organization, work_order_id, expected_version=expected_version)
    return _transition(
        organization, actor, work_order, to_status, reason, notify_technician=notify_technician, via_review=via_review
    )


@dataclass(frozen=True)
class BulkTransitionItem:
    """What a bulk transition did to one work order."""

    work_order_id: int
    number: str
    outcome: str  # "moved" | "refused"
    from_status: str = ""
    to_status: str = ""
    code: str = ""
    message: str = ""


@dataclass(frozen=True)
class BulkTransitionResult:
    to_status: str
    items: tuple[BulkTransitionItem, ...]

    @property
    def moved(self) -> int:
        return sum(1 for item in self.items if item.outcome == "moved")

    @property
    def refused(self) -> int:
        return sum(1 for item in self.items if item.outcome == "refused")

    @property
    def refused_items(self) -> list[BulkTransitionItem]:
        return [item for item in self.items if item.outcome == "refused"]


@transaction.atomic
def work_order_bulk_transition(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_ids: Iterable[int],
    to_status: str,
    reason: str = "",
) -> BulkTransitionResult:
    """Move many work orders at once; each is checked alone and the answer says, per work order, what happened.

    A refused item (illegal move, missing precondition, red gates, unknown id) does not stop the others: each
    move runs in its own savepoint. Ids that are not work orders of this organization are refused as
    `not_found`, like ids that do not exist. At most BULK_LIMIT ids per call.
    """
    if to_status not in S.values:
        raise ApplicationError(f"“{to_status}” is not a work order status.", field="to_status", code="invalid_choice")
    ids = list(dict.fromkeys(int(pk) for pk in work_order_ids))
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(
            f"One action takes at most {BULK_LIMIT:,} work orders; split the selection.",
            field="work_order_ids",
            code="too_many",
        )
    numbers = dict(WorkOrder.objects.for_organization(organization).filter(pk__in=ids).values_list("pk", "number"))
    items = []
    for pk in ids:
        if pk not in numbers:
            items.append(BulkTransitionItem(pk, "", "refused", code="not_found", message="No such work order."))
            continue
        try:
            with transaction.atomic():
                _lock_open_visits(organization, pk, to_status)
                work_order = _lock_work_order(organization, pk)
                from_status = work_order.status
                _transition(organization, actor, work_order, to_status, reason)
        except ApplicationError as exc:
            current = WorkOrder.objects.for_organization(organization).filter(pk=pk).values_list("status", flat=True)
            items.append(
                BulkTransitionItem(
                    pk, numbers[pk], "refused", from_status=current.first() or "", code=exc.code, message=exc.message
                )
            )
        else:
            items.append(BulkTransitionItem(pk, numbers[pk], "moved", from_status=from_status, to_status=to_status))
    return BulkTransitionResult(to_status=to_status, items=tuple(items))


# --- Planning: technician, window, site contact ---------------------------------------------------------


def _aware(value: datetime, field: str) -> datetime:
    if timezone.is_naive(value):
        raise ApplicationError("Give the time with its offset or time zone.", field=field, code="naive_datetime")
    return value


@transaction.atomic
def work_order_assign(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    technician_id: int,
    planned_start: datetime,
    planned_end: datetime,
    schedule: bool = False,
    expected_version: int | None = None,
    visit_id: int | None = None,
) -> WorkOrder:
    """Give the work order a technician and a visit window, checked before anything is written:

    the window must fit the site's access hours and miss its blackout dates (in the site's time zone), and
    the technician must be eligible then (skills, certifications, vendor insurance, working day and hours,
    time off, service radius: technicians.selectors). Each refusal says why. With `schedule`, a ready (or
    rework) work order also moves to scheduled in the same transaction. A dispatched visit must be recalled
    first. While the work order has an open visit, only that visit's services (`visit_id`) plan it: anyone else
    is refused with `visit_open` (reschedule or reassign the visit).
    """
    work_order = _lock_work_order(organization, work_order_id, expected_version=expected_version)
    open_visit = _open_visit(organization, work_order)
    if open_visit is not None and open_visit.pk != visit_id:
        raise VisitOpen(
            f"Work order {work_order.number} has an open {_visit_words(open_visit)}: reschedule, reassign or cancel "
            "the visit to change its technician or window."
        )
    if work_order.status not in ASSIGNABLE:
        raise InvalidTransition(
            f"Work order {work_order.number} is {_label(work_order.status)}: a technician and window can be "
            f"changed only while it is {', '.join(_label(s) for s in S.values if s in ASSIGNABLE)}"
            + (" (recall it first)." if work_order.status == S.DISPATCHED else "."),
            code="not_assignable",
        )
    _aware(planned_start, "planned_start")
    _aware(planned_end, "planned_end")
    if planned_end <= planned_start:
        raise ApplicationError("The visit must end after it starts.", field="planned_end", code="invalid_window")
    window_problems = visit_window_problems(site=work_order.site, planned_start=planned_start, planned_end=planned_end)
    if window_problems:
        raise ApplicationError(" ".join(window_problems), field="planned_start", code="window_not_allowed")
    technician = Technician.objects.for_organization(organization).filter(pk=technician_id).first()
    if technician is None:
        raise ApplicationError("No such technician.", field="technician", code="does_not_exist")
    local_start = planned_start.astimezone(ZoneInfo(work_order.site.timezone))
    problems = technician_eligibility_problems(
        organization=organization,
        technician_id=technician.pk,
        skills=work_order_skills(organization=organization, work_order=work_order),
        on_date=local_start.date(),
        latitude=work_order.site.latitude,
        longitude=work_order.site.longitude,
        at_time=local_start.time(),
        location_timezone=work_order.site.timezone,
        courses=program_required_courses(organization=organization, program_id=work_order.program_id),
    )
    if problems:
        raise ApplicationError(
            f"{technician.full_name} cannot take this visit: " + " ".join(p.message for p in problems),
            field="technician",
            code="technician_not_eligible",
        )
    before = audit_snapshot(work_order, WORK_ORDER_AUDIT_FIELDS)
    changed_technician = work_order.technician_id != technician.pk
    work_order.technician = technician
    work_order.planned_start, work_order.planned_end = planned_start, planned_end
    _touch(work_order, "technician", "planned_start", "planned_end")
    after = audit_snapshot(work_order, WORK_ORDER_AUDIT_FIELDS)
    audit_record(
        organization=organization,
        actor=actor,
        verb="work_order.assigned",
        target=work_order,
        before=before,
        after=after,
    )
    scheduled_now = schedule and work_order.status in (S.READY, S.REWORK)
    if scheduled_now:
        # The assignment's own notice (or the visit's, when a visit plans it) tells the technician.
        _transition(organization, actor, work_order, S.SCHEDULED, "", notify_technician=False)
    # New work for them (another technician, or a first window), or their scheduled work moved (mandatory).
    notice = WORK_ORDER_ASSIGNED if changed_technician or scheduled_now else WORK_ORDER_RESCHEDULED
    if changed_technician or work_order.status == S.SCHEDULED:
        event_emit(
            organization=organization,
            type=notice.name,
            subject=work_order,
            data=work_order_payload(work_order, organization),
            actor=actor,
            # A visit booking, move or reassignment plans its work order through here: the visit's event tells them.
            recipients=technician_user_ids(technician) if visit_id is None else [],
        )
    return work_order


@transaction.atomic
def work_order_unassign(
    *, organization: Organization, actor: Access | User | None, work_order_id: int, expected_version: int | None = None
) -> WorkOrder:
    """Clear the technician and the window of a work order that is not scheduled (unschedule it first)."""
    work_order = _lock_work_order(organization, work_order_id, expected_version=expected_version)
    if work_order.status not in (S.DRAFT, S.READY, S.REWORK):
        raise InvalidTransition(
            f"Work order {work_order.number} is {_label(work_order.status)}: move it back to Ready before "
            "clearing its technician.",
            code="not_assignable",
        )
    before = audit_snapshot(work_order, WORK_ORDER_AUDIT_FIELDS)
    work_order.technician = None
    work_order.planned_start = work_order.planned_end = None
    _touch(work_order, "technician", "planned_start", "planned_end")
    audit_record(
        organization=organization,
        actor=actor,
        verb="work_order.unassigned",
        target=work_order,
        before=before,
        after=audit_snapshot(work_order, WORK_ORDER_AUDIT_FIELDS),
    )
    return work_order


@transaction.atomic
def work_order_confirm_site_contact(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    note: str = "",
    expected_version: int | None = None,
) -> WorkOrder:
    """Record that the site contact confirmed the visit (who confirmed, when, and an optional note)."""
    work_order = _lock_work_order(organization, work_order_id, expected_version=expected_version)
    if not work_order.is_open:
        raise InvalidTransition(
            f"Work order {work_order.number} is {_label(work_order.status)}; nothing to confirm.", code="not_open"
        )
    work_order.site_contact_confirmed_at = timezone.now()
    work_order.site_contact_confirmed_by = actor_user(actor)
    work_order.site_contact_confirmed_by_label = actor_label(actor)[:200]
    work_order.site_contact_note = note.strip()[:500]
    _touch(
        work_order,
        "site_contact_confirmed_at",
        "site_contact_confirmed_by",
        "site_contact_confirmed_by_label",
        "site_contact_note",
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="work_order.site_contact_confirmed",
        target=work_order,
        after={"note": work_order.site_contact_note},
    )
    return work_order
