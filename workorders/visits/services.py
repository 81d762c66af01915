"""Writes of field visits: scheduling by coordinators (schedule, reschedule, reassign, cancel, no-show) and the
field actions of the technician's phone (confirm, on my way, check-in, task results, photos, sign-off,
check-out).

Rules:
- Scheduling refuses, with the reason and a stable code: a work order that cannot take a visit now
  (`work_order_not_schedulable`, or `visit_exists` when it already has an open visit), a window that ends before
  it starts (`invalid_window`), the technician's overlapping visit (`double_booking`), a blackout date
  (`blackout_date`), a window outside the site's access hours (`outside_access_hours`), time off (`time_off`)
  and any other reason the technician may not take the work (`technician_not_eligible`, from
  technicians.selectors). Times are typed in the site's time zone. The work order's technician and window follow
  the visit through `workorders.services.work_order_assign`, which also moves a ready (or rework) work order to
  scheduled and e-mails the technician after commit; cancelling e-mails through this package's own task.
- A visit after one that ended incomplete gets the next sequence number and `follow_up_of` automatically.
- Every field action is one transaction that locks the visit row, and is recorded once per (visit,
  client_action_id) in VisitAction: a resend with the same id returns without doing anything. The lookup is
  the caller's own scope, so a technician acting on someone else's visit gets a 404.
- Check-in moves the work order to in progress (dispatching it first when it is scheduled and every readiness
  gate is green); check-out complete moves it to submitted when every task has its result and evidence,
  otherwise it is refused with `evidence_missing` and the list. Check-out incomplete (with a reason from the
  fixed list) moves the work order in_progress → rework with the visit's reason; rework → scheduled books the
  follow-up visit.
Every state change records an audit event.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from programs.training import program_required_courses
from rollout.audit import audit_record, audit_snapshot
from rollout.choices import Role
from rollout.errors import ApplicationError, Conflict, InvalidTransition, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, organization_id_of
from technicians.choices import EligibilityProblemCode
from technicians.geo import haversine_km
from technicians.models import Technician
from technicians.selectors import technician_eligibility_problems
from workorders import services as work_order_services
from workorders.choices import WorkOrderStatus
from workorders.models import TaskResult, Visit, VisitAction, VisitPhoto, VisitSignOff, WorkOrder
from workorders.packets.services import PacketNotCurrent, packet_acknowledge
from workorders.readiness import visit_window_problems
from workorders.selectors import work_order_skills
from workorders.services import NotReady, ReasonRequired
from workorders.visits import selectors
from workorders.visits.choices import (
    BEFORE_ARRIVAL,
    BOOKED_STATUSES,
    WORKED_STATUSES,
    IncompleteReason,
    LocationStatus,
    TaskResultStatus,
    VisitActionKind,
    VisitOutcome,
    VisitStatus,
)
from workorders.visits.photos import ProcessedImage, photo_process, signature_process
from workorders.visits.tasks import visit_notify_technician_task

S = WorkOrderStatus
V = VisitStatus
K = VisitActionKind
# Roles that perform field actions: the visit's technician, or a system (integrator) driving a visit for them.
FIELD_ROLES = frozenset({Role.TECHNICIAN, Role.INTEGRATOR})
# Work orders that can take a new visit: planned (ready), already scheduled without a visit, or needing a return.
SCHEDULABLE = frozenset({S.READY, S.SCHEDULED, S.REWORK})
VISIT_AUDIT_FIELDS = ["status", "technician", "window_start", "window_end"]
MAX_PHOTOS_PER_TASK = 30
MAX_SERIAL_LENGTH = 100
MAX_TEXT = 2000


# --- Errors -------------------------------------------------------------------------------------------


class WorkOrderNotSchedulable(InvalidTransition):
    code = "work_order_not_schedulable"


class VisitExists(Conflict):
    code = "visit_exists"


class VisitNotCheckable(Conflict):
    code = "visit_not_checkable"


class VisitNotActive(Conflict):
    code = "visit_not_active"


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    default_message = "This visit is already checked in."


class VisitCheckedOut(Conflict):
    code = "visit_checked_out"
    default_message = "This visit is already checked out; nothing more can be recorded on it."


class VisitNotCheckedIn(Conflict):
    code = "visit_not_checked_in"
    default_message = "Check in first: results, photos and the sign-off are recorded on site."


class OutsideGeofence(Conflict):
    code = "outside_geofence"


class WorkOrderNotDispatched(Conflict):
    code = "work_order_not_dispatched"


class NoPacket(Conflict):
    code = "no_packet"


class ClientActionIdReused(Conflict):
    code = "client_action_id_reused"


class EvidenceMissing(Conflict):
    """A complete check-out without every task's result and evidence; `missing` lists what is missing."""

    code = "evidence_missing"

    def __init__(self, missing: list[selectors.MissingEvidence]):
        self.missing = missing
        lines = " ".join(item.message for item in missing)
        super().__init__(f"The visit cannot be checked out complete yet. {lines}")


class NotAFieldActor(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only the visit's technician (or an integrator acting for them) records field actions."


def _field_error(message: str, *, field: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, field=field)


# --- Helpers ---------------------------------------------------------------------------------------------


def _label_of(actor: Access | User | None) -> str:
    if isinstance(actor, Access):
        return actor.actor_label
    return actor.email if actor else "system"


def _user_of(actor: Access | User | None) -> User | None:
    return actor.user if isinstance(actor, Access) else actor


def _day(value: date) -> str:
    return f"{value:%a %b %-d, %Y}"


def _lock_work_order(organization, work_order_id: int) -> WorkOrder:
    work_order = (
        WorkOrder.objects.for_organization(organization)
        .select_for_update(of=("self",))
        .select_related("program", "site")
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise NotFound()
    return work_order


def _lock_visit(organization, visit_id: int, *, access: Access | None = None) -> Visit:
    """The visit row, locked, within the caller's scope (a technician: their own visits only)."""
    queryset = Visit.objects.visible_to(access) if access is not None else Visit.objects.for_organization(organization)
    visit = (
        queryset.select_for_update(of=("self",))
        .select_related("work_order", "work_order__program", "work_order__site", "technician")
        .filter(pk=visit_id)
        .first()
    )
    if visit is None:
        raise NotFound()
    return visit


def _window(site, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The window typed in the site's local time, as aware datetimes (a window ending at 00:00 ends at midnight)."""
    zone = ZoneInfo(site.timezone)
    window_start = datetime.combine(day, start, tzinfo=zone)
    window_end = datetime.combine(day, end, tzinfo=zone)
    if end == time(0, 0):
        window_end += timedelta(days=1)
    if window_end <= window_start:
        raise _field_error("The visit must end after it starts.", field="end_time", code="invalid_window")
    return window_start, window_end


def _describe(visit: Visit) -> str:
    zone = ZoneInfo(visit.work_order.site.timezone)
    start, end = visit.window_start.astimezone(zone), visit.window_end.astimezone(zone)
    return f"{visit.work_order.number} at {visit.work_order.site.code}, {_day(start.date())} {start:%H:%M}–{end:%H:%M}"


def _check_double_booking(organization, technician: Technician, start: datetime, end: datetime, *, exclude=None):
    overlapping = (
        Visit.objects.for_organization(organization)
        .filter(technician=technician, status__in=BOOKED_STATUSES, window_start__lt=end, window_end__gt=start)
        .select_related("work_order", "work_order__site")
        .order_by("window_start")
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    other = overlapping.first()
    if other is not None:
        raise _field_error(
            f"{technician.full_name} already has a visit then: {_describe(other)} ({other.work_order.site.timezone}).",
            field="start_time",
            code="double_booking",
        )


def _check_site_window(site, start: datetime, end: datetime) -> None:
    """Blackout dates first (the day is wrong), then access hours (the time is wrong), in the site's zone."""
    zone = ZoneInfo(site.timezone)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    blackout = set(site.blackout_dates or [])
    day = local_start.date()
    while day <= local_end.date():
        if day.isoformat() in blackout:
            raise _field_error(
                f"{_day(day)} is a blackout date at site {site.code}: no work may happen there that day.",
                field="date",
                code="blackout_date",
            )
        day += timedelta(days=1)
    hours_only = SimpleNamespace(timezone=site.timezone, access_hours=site.access_hours, blackout_dates=[])
    problems = visit_window_problems(site=hours_only, planned_start=start, planned_end=end)
    if problems:
        raise _field_error(" ".join(problems), field="start_time", code="outside_access_hours")


def _check_technician(organization, work_order: WorkOrder, technician: Technician, start: datetime) -> None:
    site = work_order.site
    local_start = start.astimezone(ZoneInfo(site.timezone))
    problems = technician_eligibility_problems(
        organization=organization,
        technician_id=technician.pk,
        skills=work_order_skills(organization=organization, work_order=work_order),
        on_date=local_start.date(),
        latitude=site.latitude,
        longitude=site.longitude,
        at_time=local_start.time(),
        location_timezone=site.timezone,
        courses=program_required_courses(organization=organization, program_id=work_order.program_id),
    )
    if not problems:
        return
    code = (
        "time_off"
        if any(problem.code == EligibilityProblemCode.TIME_OFF for problem in problems)
        else "technician_not_eligible"
    )
    raise _field_error(
        f"{technician.full_name} cannot take this visit: " + " ".join(p.message for p in problems),
        field="technician",
        code=code,
    )


def _technician(organization, technician_id: int) -> Technician:
    technician = Technician.objects.for_organization(organization).filter(pk=technician_id).first()
    if technician is None:
        raise _field_error("No such technician.", field="technician", code="does_not_exist")
    return technician


def _checkin_due_by(work_order: WorkOrder, start: datetime) -> datetime:
    return start + timedelta(minutes=work_order.program.checkin_grace_minutes)


def _touch(visit: Visit, *fields: str) -> None:
    visit.version += 1
    visit.save(update_fields=[*fields, "version", "updated_at"])


def _notify(organization, visit: Visit, event: str, technician_id: int | None = None) -> None:
    visit_notify_technician_task.delay_on_commit(
        organization_id=organization_id_of(organization),
        visit_id=visit.pk,
        event=event,
        technician_id=technician_id or visit.technician_id,
        version=visit.version,
    )


def _plan_work_order(organization, actor, visit: Visit, work_order: WorkOrder, start, end) -> None:
    """Keep the work order's technician and window on the visit (and move it to scheduled), through the
    work-order service: it checks the window and the technician again and e-mails them after commit."""
    work_order_services.work_order_assign(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        technician_id=visit.technician_id,
        planned_start=start,
        planned_end=end,
        schedule=work_order.status in (S.READY, S.REWORK),
        visit_id=visit.pk,
    )


def _check_work_order_plannable(work_order: WorkOrder, *, action: str) -> None:
    if work_order.status == S.DISPATCHED:
        raise WorkOrderNotSchedulable(
            f"Work order {work_order.number} is dispatched: recall it first (work order page), then {action}."
        )
    if work_order.status not in SCHEDULABLE:
        allowed = ", ".join(S(value).label for value in S.values if value in SCHEDULABLE)
        raise WorkOrderNotSchedulable(
            f"Work order {work_order.number} is {S(work_order.status).label}: a visit can be booked only while it "
            f"is {allowed}."
        )


# --- Scheduling (coordinators) -------------------------------------------------------------------------


@transaction.atomic
def visit_schedule(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    technician_id: int,
    day: date,
    start_time: time,
    end_time: time,
) -> Visit:
    """Book a visit of one technician at the work order's site, `day` from `start_time` to `end_time` in the
    site's local time. Refused with the reason (see the module's rules); on success the work order follows
    (technician, window, scheduled) and the technician is e-mailed after commit. A visit after one that ended
    incomplete is its follow-up (next sequence number, `follow_up_of`)."""
    work_order = _lock_work_order(organization, work_order_id)
    _check_work_order_plannable(work_order, action="book the visit")
    open_visit = Visit.objects.for_organization(organization).filter(work_order=work_order).open().first()
    if open_visit is not None:
        raise VisitExists(
            f"Work order {work_order.number} already has an open visit (visit {open_visit.sequence}): reschedule, "
            "reassign or cancel it instead."
        )
    start, end = _window(work_order.site, day, start_time, end_time)
    returning = work_order.status == S.REWORK
    technician = _technician(organization, technician_id)
    _check_double_booking(organization, technician, start, end)
    _check_site_window(work_order.site, start, end)
    _check_technician(organization, work_order, technician, start)
    previous = (
        Visit.objects.for_organization(organization)
        .filter(work_order=work_order, status__in=WORKED_STATUSES)
        .order_by("-sequence")
        .first()
    )
    visit = Visit.objects.create(
        organization_id=organization_id_of(organization),
        work_order=work_order,
        technician=technician,
        sequence=previous.sequence + 1 if previous else 1,
        # A return visit (after an incomplete visit or a rejected review) points to the visit it follows up.
        follow_up_of=previous if previous and (returning or previous.outcome == VisitOutcome.INCOMPLETE) else None,
        window_start=start,
        window_end=end,
        local_date=start.astimezone(ZoneInfo(work_order.site.timezone)).date(),
        checkin_due_by=_checkin_due_by(work_order, start),
        created_by_label=_label_of(actor)[:200],
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.scheduled",
        target=visit,
        after={
            **audit_snapshot(visit, VISIT_AUDIT_FIELDS),
            "work_order": work_order.number,
            "sequence": visit.sequence,
            "follow_up_of": visit.follow_up_of_id,
        },
    )
    _plan_work_order(organization, actor, visit, work_order, start, end)
    return visit


def _lock_for_planning(organization, visit_id: int, *, action: str) -> Visit:
    visit = _lock_visit(organization, visit_id)
    if visit.status not in BEFORE_ARRIVAL:
        raise VisitNotActive(
            f"Visit {visit.sequence} of {visit.work_order.number} is {V(visit.status).label.lower()}: it can no "
            f"longer be {action}."
        )
    return visit


@transaction.atomic
def visit_reschedule(
    *,
    organization: Organization,
    actor: Access | User | None,
    visit_id: int,
    day: date,
    start_time: time,
    end_time: time,
    reason: str = "",
) -> Visit:
    """Move a visit that has not started to another day or window (site's local time), with the same checks as
    booking it; a confirmed visit goes back to scheduled (the technician confirms again) and is e-mailed."""
    visit = _lock_for_planning(organization, visit_id, action="rescheduled")
    work_order = _lock_work_order(organization, visit.work_order_id)
    _check_work_order_plannable(work_order, action="reschedule the visit")
    start, end = _window(work_order.site, day, start_time, end_time)
    _check_double_booking(organization, visit.technician, start, end, exclude=visit)
    _check_site_window(work_order.site, start, end)
    _check_technician(organization, work_order, visit.technician, start)
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    visit.window_start, visit.window_end = start, end
    visit.local_date = start.astimezone(ZoneInfo(work_order.site.timezone)).date()
    visit.checkin_due_by = _checkin_due_by(work_order, start)
    if visit.status != V.SCHEDULED:
        visit.to_scheduled()
    _touch(
        visit, "window_start", "window_end", "local_date", "checkin_due_by", "status", "confirmed_at", "on_the_way_at"
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.rescheduled",
        target=visit,
        before=before,
        after=audit_snapshot(visit, VISIT_AUDIT_FIELDS),
        reason=reason.strip(),
    )
    _plan_work_order(organization, actor, visit, work_order, start, end)
    return visit


@transaction.atomic
def visit_reassign(
    *, organization: Organization, actor: Access | User | None, visit_id: int, technician_id: int, reason: str = ""
) -> Visit:
    """Give a visit that has not started to another technician (same window): they must be free and eligible
    then. The new technician is e-mailed (work-order notice), the previous one is told they are off it."""
    visit = _lock_for_planning(organization, visit_id, action="reassigned")
    work_order = _lock_work_order(organization, visit.work_order_id)
    _check_work_order_plannable(work_order, action="reassign the visit")
    technician = _technician(organization, technician_id)
    if technician.pk == visit.technician_id:
        raise _field_error(
            f"{technician.full_name} already has this visit.", field="technician", code="same_technician"
        )
    _check_double_booking(organization, technician, visit.window_start, visit.window_end)
    _check_technician(organization, work_order, technician, visit.window_start)
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    previous_technician_id = visit.technician_id
    visit.technician = technician
    if visit.status != V.SCHEDULED:
        visit.to_scheduled()
    _touch(visit, "technician", "status", "confirmed_at", "on_the_way_at")
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.reassigned",
        target=visit,
        before=before,
        after=audit_snapshot(visit, VISIT_AUDIT_FIELDS),
        reason=reason.strip(),
    )
    _plan_work_order(organization, actor, visit, work_order, visit.window_start, visit.window_end)
    _notify(organization, visit, "unassigned", technician_id=previous_technician_id)
    return visit


def _cancel(organization, actor, visit: Visit, reason: str) -> None:
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    visit.to_cancelled(reason=reason[:MAX_TEXT])
    _touch(visit, "status", "cancelled_at", "cancel_reason")
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.cancelled",
        target=visit,
        before=before,
        after=audit_snapshot(visit, VISIT_AUDIT_FIELDS),
        reason=reason,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired("Say why the visit is cancelled.", field="reason")
    return reason


@transaction.atomic
def visit_cancel(*, organization: Organization, actor: Access | User | None, visit_id: int, reason: str) -> Visit:
    """Call off a visit that has not started, with a reason. The work order goes back to ready (recalled first
    when it was dispatched), so that another visit can be booked; the technician is e-mailed."""
    reason = _reason(reason)
    visit = _lock_for_planning(organization, visit_id, action="cancelled")
    work_order = _lock_work_order(organization, visit.work_order_id)
    _cancel(organization, actor, visit, reason)
    why = f"Visit {visit.sequence} cancelled: {reason}"
    recalled = work_order.status == S.DISPATCHED
    if recalled:  # the recall's own notice tells the technician not to go
        work_order_services.work_order_transition(
            organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.SCHEDULED, reason=why
        )
    if recalled or work_order.status == S.SCHEDULED:
        work_order_services.work_order_transition(
            organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.READY, reason=why
        )
    if not recalled:
        _notify(organization, visit, "cancelled")
    return visit


def visit_cancel_with_work_order(
    *, organization: Organization, actor: Access | User | None, visit_id: int, reason: str, notify: bool
) -> Visit:
    """Call off the open visit of a work order being cancelled (called by the work-order service, inside its
    transaction, with the work order already locked and moved): the work order is left alone. `notify` e-mails
    the technician, unless the work order's own cancellation notice already does."""
    visit = _lock_for_planning(organization, visit_id, action="cancelled")
    _cancel(organization, actor, visit, _reason(f"Work order cancelled: {reason}"))
    if notify:
        _notify(organization, visit, "cancelled")
    return visit


@transaction.atomic
def visit_mark_no_show(*, organization: Organization, actor: Access | User | None, visit_id: int) -> Visit:
    """Record that nobody came: only for a visit not checked in whose window has started. The work order stays
    where it is; the coordinator books another visit (recalling a dispatched work order first)."""
    visit = _lock_for_planning(organization, visit_id, action="marked a no-show")
    if visit.window_start > timezone.now():
        raise VisitNotActive("This visit's window has not started yet: it cannot be a no-show.")
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    visit.to_no_show()
    _touch(visit, "status", "no_show_at")
    audit_record(
        organization=organization,
        actor=actor,
        verb="visit.no_show",
        target=visit,
        before=before,
        after=audit_snapshot(visit, VISIT_AUDIT_FIELDS),
    )
    return visit


def visits_mark_no_shows(*, organization, now: datetime | None = None, limit: int = 500) -> int:
    """Mark as no-shows the visits not checked in whose window ended more than the check-in grace ago (each in
    its own transaction; safe to run again). Returns how many were marked."""
    now = now or timezone.now()
    candidates = list(
        Visit.objects.for_organization(organization)
        .filter(status__in=BEFORE_ARRIVAL, window_end__lt=now)
        .select_related("work_order__program")
        .order_by("window_end")
        .values_list("pk", "window_end", "work_order__program__checkin_grace_minutes")[:limit]
    )
    marked = 0
    for pk, window_end, grace in candidates:
        if window_end + timedelta(minutes=grace) >= now:
            continue
        try:
            visit_mark_no_show(organization=organization, actor=None, visit_id=pk)
        except (VisitNotActive, NotFound):
            continue
        marked += 1
    return marked


# --- Field actions (the technician's phone) -----------------------------------------------------------------


@dataclass(frozen=True)
class ActionOutcome:
    """What a field action did: the visit, its VisitAction record, and whether this call was a resend."""

    visit: Visit
    action: VisitAction
    replayed: bool


def _field_visit(organization, actor: Access, visit_id: int) -> Visit:
    if not isinstance(actor, Access) or actor.role not in FIELD_ROLES:
        raise NotAFieldActor()
    return _lock_visit(organization, visit_id, access=actor)


def _previous(visit: Visit, kind: str, client_action_id: str) -> VisitAction | None:
    """The action already recorded under this id (the visit row is locked, so the answer cannot change)."""
    client_action_id = (client_action_id or "").strip()
    if not client_action_id:
        raise _field_error("Send the action's client_action_id.", field="client_action_id", code="required")
    action = (
        VisitAction.objects.for_organization(visit.organization_id)
        .filter(visit=visit, client_action_id=client_action_id)
        .first()
    )
    if action is not None and action.kind != kind:
        used_for = VisitActionKind(action.kind).label.lower()
        raise ClientActionIdReused(
            f"The client_action_id {client_action_id} was already used for a {used_for} action on this visit; "
            "generate a new one for each action."
        )
    return action


def _record(
    visit: Visit, kind: str, client_action_id: str, device_time, actor: Access, payload: dict, result: dict
) -> ActionOutcome:
    action = VisitAction.objects.create(
        organization_id=visit.organization_id,
        visit=visit,
        client_action_id=client_action_id.strip(),
        kind=kind,
        device_time=device_time,
        payload=payload,
        result=result,
        actor_label=_label_of(actor)[:200],
        user=_user_of(actor),
    )
    return ActionOutcome(visit=visit, action=action, replayed=False)


def _replayed(visit: Visit, action: VisitAction) -> ActionOutcome:
    return ActionOutcome(visit=visit, action=action, replayed=True)


def _when(value) -> str | None:
    return value.isoformat() if value is not None else None


def _refuse_closed(visit: Visit) -> None:
    if visit.status in (V.CANCELLED, V.NO_SHOW):
        raise VisitNotActive(
            f"This visit is {V(visit.status).label.lower()}"
            + (f" ({visit.cancel_reason})" if visit.cancel_reason else "")
            + ": ask your coordinator."
        )


def _require_checked_in(visit: Visit) -> None:
    _refuse_closed(visit)
    if visit.status == V.CHECKED_OUT:
        raise VisitCheckedOut()
    if visit.status != V.CHECKED_IN:
        raise VisitNotCheckedIn()


def _audit_action(organization, actor, visit: Visit, verb: str, before: dict | None, after: dict) -> None:
    audit_record(organization=organization, actor=actor, verb=verb, target=visit, before=before, after=after)


@transaction.atomic
def visit_confirm(
    *, organization: Organization, actor: Access, visit_id: int, client_action_id: str, device_time: datetime | None
) -> ActionOutcome:
    """The technician confirms they will come. Once per client action id; confirming a visit that is already
    confirmed (or further along) changes nothing."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CONFIRM, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    before = {"status": visit.status}
    if visit.status == V.SCHEDULED:
        visit.to_confirmed()
        _touch(visit, "status", "confirmed_at")
        _audit_action(organization, actor, visit, "visit.confirmed", before, {"status": visit.status})
    return _record(visit, K.CONFIRM, client_action_id, device_time, actor, {}, {"status": visit.status})


@transaction.atomic
def visit_on_my_way(
    *, organization: Organization, actor: Access, visit_id: int, client_action_id: str, device_time: datetime | None
) -> ActionOutcome:
    """The technician is on their way. Once per client action id; a no-op once they are on site."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.ON_MY_WAY, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    before = {"status": visit.status}
    if visit.status in (V.SCHEDULED, V.CONFIRMED):
        visit.to_on_the_way()
        _touch(visit, "status", "on_the_way_at")
        _audit_action(organization, actor, visit, "visit.on_the_way", before, {"status": visit.status})
    return _record(visit, K.ON_MY_WAY, client_action_id, device_time, actor, {}, {"status": visit.status})


@transaction.atomic
def visit_acknowledge_packet(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    packet_version: int,
) -> ActionOutcome:
    """The technician confirms they read the packet version the phone shows (`packet_version`), before the visit
    works from it: the work order's acknowledgement gate, recorded once per client action id in the visit's
    action log. A version that is no longer the one the visit works from is refused (`packet_not_current`)."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.ACKNOWLEDGE_PACKET, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _refuse_closed(visit)
    packet = selectors.visit_effective_packet(visit)
    if packet is None:
        raise NoPacket("This visit has no packet yet: ask your coordinator.")
    if packet.version != packet_version:
        raise PacketNotCurrent(
            f"Packet v{packet_version} is not the version of this visit: v{packet.version} is. Reload the visit "
            f"and read v{packet.version}."
        )
    packet_acknowledge(organization=organization, actor=actor, packet_id=packet.pk)
    _touch(visit)
    return _record(
        visit,
        K.ACKNOWLEDGE_PACKET,
        client_action_id,
        device_time,
        actor,
        {"packet_version": packet_version},
        {"packet": packet.pk, "acknowledged": True},
    )


def _start_work(organization, actor: Access, work_order: WorkOrder) -> None:
    """Move the work order to in progress: dispatched → in progress; a scheduled one is dispatched first when
    every readiness gate is green (the same check as the Dispatch button)."""
    status = work_order.status  # read with the visit; the work-order service checks it again under its own lock
    if status == S.IN_PROGRESS:
        return
    if status == S.SCHEDULED:
        try:
            work_order_services.work_order_transition(
                organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.DISPATCHED
            )
        except NotReady as exc:
            raise WorkOrderNotDispatched(
                f"Work order {work_order.number} is not dispatched yet, so the visit cannot start. {exc.message} "
                "Call your coordinator."
            ) from exc
        status = S.DISPATCHED
    if status != S.DISPATCHED:
        raise VisitNotCheckable(
            f"Work order {work_order.number} is {S(status).label.lower()}: this visit cannot start. Call your "
            "coordinator."
        )
    work_order_services.work_order_transition(
        organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.IN_PROGRESS
    )


def _coordinate(value, name: str, limit: int) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise _field_error(f"Give the {name} in decimal degrees.", field=name, code="invalid") from exc
    if not number.is_finite() or not -limit <= number <= limit:
        raise _field_error(f"The {name} must be between -{limit} and {limit}.", field=name, code="invalid")
    return number.quantize(Decimal("0.000001"))


@transaction.atomic
def visit_check_in(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    location_status: str,
    latitude=None,
    longitude=None,
    accuracy_m: float | None = None,
) -> ActionOutcome:
    """The technician arrives: server time, device time and the phone's position (with its accuracy) are kept.

    The distance from the site is measured; beyond the program's geofence radius the check-in is flagged, or
    refused (`outside_geofence`) when the program enforces the geofence — unless the position's own accuracy
    could put the phone inside the radius. A denied or unavailable location is recorded as such, and is not a
    reason to refuse. The visit starts working from the work order's current packet version, and the work order
    moves to in progress. Once per client action id; a second check-in with a new id is `already_checked_in`.
    """
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CHECK_IN, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    if visit.status == V.CHECKED_IN:
        raise AlreadyCheckedIn(
            f"This visit was already checked in at {timezone.localtime(visit.checked_in_at):%H:%M} (server time); "
            "the first check-in stands."
        )
    if visit.status == V.CHECKED_OUT:
        raise VisitCheckedOut()
    if visit.status not in BEFORE_ARRIVAL:
        raise VisitNotCheckable(f"This visit is {V(visit.status).label.lower()}: it cannot be checked in.")
    if location_status not in LocationStatus.values:
        raise _field_error(
            "location_status must be ok, denied or unavailable.", field="location_status", code="invalid_choice"
        )
    work_order, program, site = visit.work_order, visit.work_order.program, visit.work_order.site
    lat = lng = None
    distance = None
    flagged = False
    if location_status == LocationStatus.OK:
        if latitude is None or longitude is None:
            raise _field_error(
                "Send latitude and longitude with location_status ok.", field="latitude", code="required"
            )
        lat, lng = _coordinate(latitude, "latitude", 90), _coordinate(longitude, "longitude", 180)
        if accuracy_m is not None and accuracy_m < 0:
            raise _field_error("accuracy_m cannot be negative.", field="accuracy_m", code="invalid")
        if site.latitude is not None and site.longitude is not None:
            distance = round(haversine_km(site.latitude, site.longitude, lat, lng) * 1000)
            flagged = distance > program.geofence_radius_m
            if flagged and program.geofence_enforced and distance - (accuracy_m or 0) > program.geofence_radius_m:
                raise OutsideGeofence(
                    f"You are {distance:,} m from {site.code} (accuracy ±{round(accuracy_m or 0):,} m); check-in is "
                    f"allowed within {program.geofence_radius_m:,} m of the site. Move closer and try again, or call "
                    "your coordinator."
                )
    else:
        accuracy_m = None
    packet = selectors.packet_for_visit(organization=organization, work_order_id=work_order.pk)
    if packet is None:
        raise NoPacket(f"Work order {work_order.number} has no packet yet, so there is no checklist to work from.")
    _start_work(organization, actor, work_order)
    before = {"status": visit.status}
    visit.to_checked_in()
    visit.check_in_device_time = device_time
    visit.check_in_latitude, visit.check_in_longitude, visit.check_in_accuracy_m = lat, lng, accuracy_m
    visit.location_status = location_status
    visit.check_in_distance_m, visit.check_in_flagged = distance, flagged
    visit.packet = packet
    _touch(
        visit,
        "status",
        "checked_in_at",
        "check_in_device_time",
        "check_in_latitude",
        "check_in_longitude",
        "check_in_accuracy_m",
        "location_status",
        "check_in_distance_m",
        "check_in_flagged",
        "packet",
    )
    after = {
        "status": visit.status,
        "location_status": location_status,
        "distance_m": distance,
        "flagged": flagged,
        "packet_version": packet.version,
        "device_time": _when(device_time),
    }
    _audit_action(organization, actor, visit, "visit.checked_in", before, after)
    payload = {
        "location_status": location_status,
        "latitude": str(lat) if lat is not None else None,
        "longitude": str(lng) if lng is not None else None,
        "accuracy_m": accuracy_m,
    }
    return _record(visit, K.CHECK_IN, client_action_id, device_time, actor, payload, after)


def _task(visit: Visit, task_key: str) -> selectors.VisitTask:
    task = next((task for task in selectors.packet_tasks(visit.packet) if task.key == task_key), None)
    if task is None:
        raise _field_error(
            f"The packet (v{visit.packet.version if visit.packet else '?'}) has no task “{task_key}”.",
            field="task_key",
            code="unknown_task",
        )
    return task


def _serial_matches(pattern: str, serial: str) -> bool:
    try:
        return re.fullmatch(pattern, serial) is not None
    except re.error:
        return True  # a broken pattern in the SOW is not the technician's fault


def _serial_duplicate(organization, visit: Visit, serial: str) -> bool:
    """Whether the serial was recorded on another work order of the same program (the same device recorded again
    on a follow-up visit of the same work order is expected, not a duplicate)."""
    return (
        TaskResult.objects.for_organization(organization)
        .filter(serial=serial, visit__work_order__program_id=visit.work_order.program_id)
        .exclude(visit__work_order_id=visit.work_order_id)
        .exists()
    )


@transaction.atomic
def visit_task_result(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    task_key: str,
    status: str,
    reason: str = "",
    serial: str = "",
    measurement: Decimal | None = None,
    note: str = "",
) -> ActionOutcome:
    """Record one task's outcome on a checked-in visit, checked against the packet's task: a reason when not
    done; for a done task, the serial number in the task's format (`serial_format`) and the measurement in its
    range (`measurement_out_of_range`). A serial already recorded on another work order of the program is kept
    and flagged (`serial_duplicate`). A later result for the same task replaces the earlier one."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.TASK_RESULT, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    task = _task(visit, task_key)
    if status not in TaskResultStatus.values:
        raise _field_error("status must be done, not_done or not_applicable.", field="status", code="invalid_choice")
    reason, serial, note = (reason or "").strip(), (serial or "").strip(), (note or "").strip()
    if status == TaskResultStatus.NOT_DONE and not reason:
        raise _field_error("Say why the task was not done.", field="reason", code="reason_required")
    if len(serial) > MAX_SERIAL_LENGTH:
        raise _field_error(
            f"A serial number has at most {MAX_SERIAL_LENGTH} characters.", field="serial", code="serial_format"
        )
    if serial and task.serial_pattern and not _serial_matches(task.serial_pattern, serial):
        raise _field_error(
            f"“{serial}” does not look like a serial number for this task (expected format: {task.serial_pattern}).",
            field="serial",
            code="serial_format",
        )
    if measurement is not None:
        unit = f" {task.measurement_unit}" if task.measurement_unit else ""
        low, high = task.measurement_min, task.measurement_max
        if (low is not None and measurement < low) or (high is not None and measurement > high):
            bounds = f"{low if low is not None else '…'}–{high if high is not None else '…'}{unit}"
            raise _field_error(
                f"{measurement}{unit} is outside the expected range ({bounds}). Measure again, or mark the task not "
                "done with a reason.",
                field="measurement",
                code="measurement_out_of_range",
            )
    duplicate = bool(serial) and _serial_duplicate(organization, visit, serial)
    values = {
        "status": status,
        "reason": reason[:MAX_TEXT],
        "serial": serial,
        "serial_duplicate": duplicate,
        "measurement": measurement,
        "note": note[:MAX_TEXT],
        "device_time": device_time,
        "received_at": timezone.now(),
    }
    result, created = TaskResult.objects.update_or_create(
        organization_id=visit.organization_id, visit=visit, task_key=task.key, defaults=values
    )
    after = {
        "task_key": task.key,
        "status": status,
        "serial": serial,
        "serial_duplicate": duplicate,
        "measurement": str(measurement) if measurement is not None else None,
        "replaced": not created,
    }
    _audit_action(organization, actor, visit, "visit.task_result_recorded", None, after)
    payload = {**after, "reason": values["reason"], "note": values["note"]}
    payload.pop("replaced")
    return _record(
        visit, K.TASK_RESULT, client_action_id, device_time, actor, payload, {"task_result_id": result.pk, **after}
    )


def visit_photo_add(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    task_key: str,
    data: bytes,
    filename: str = "",
) -> ActionOutcome:
    """Add a photo to one task of a checked-in visit: validated and re-encoded (workorders.visits.photos; a bad
    file is `invalid_photo` and nothing is written), stored privately with its thumbnail; EXIF time and position
    kept as data. The same bytes for the same task are stored once.

    The image is processed before the transaction starts, so the visit row is locked only while recording (a
    12 MP re-encode takes a while); everything recorded happens in one transaction, once per client action id.
    """
    if not isinstance(actor, Access) or actor.role not in FIELD_ROLES:
        raise NotAFieldActor()
    # Identical bytes are recognised by their hash before anything is decoded: a resent or retried photo (a
    # replayed action, or the same file for the same task) costs no image work.
    sha256 = hashlib.sha256(data).hexdigest()
    scoped = {"organization_id": organization_id_of(organization), "visit_id": visit_id}
    already = (
        VisitAction.objects.visible_to(actor).filter(**scoped, client_action_id=client_action_id).exists()
        or VisitPhoto.objects.visible_to(actor).filter(**scoped, task_key=task_key, sha256=sha256).exists()
    )
    processed = None if already else photo_process(data)
    return _photo_record(
        sha256=sha256,
        organization=organization,
        actor=actor,
        visit_id=visit_id,
        client_action_id=client_action_id,
        device_time=device_time,
        task_key=task_key,
        processed=processed,
        data=data,
        filename=filename,
    )


@transaction.atomic
def _photo_record(
    *, organization, actor: Access, visit_id, client_action_id, device_time, task_key, processed, data, filename, sha256
) -> ActionOutcome:
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.PHOTO, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    task = _task(visit, task_key)
    photos = VisitPhoto.objects.for_organization(organization).filter(visit=visit, task_key=task.key)
    photo = photos.filter(sha256=sha256).first()
    duplicate = photo is not None
    if photo is None:
        if processed is None:  # the same bytes were there at the check and gone at the lock: process them now
            processed = photo_process(data)
        if photos.count() >= MAX_PHOTOS_PER_TASK:
            raise _field_error(
                f"Task {task.number} already has {MAX_PHOTOS_PER_TASK} photos; that is the limit.",
                field="file",
                code="too_many_photos",
            )
        photo = _store_photo(visit, task.key, processed, device_time, actor, filename)
    after = {
        "task_key": task.key,
        "photo_id": photo.pk,
        "size": photo.size,
        "width": photo.width,
        "height": photo.height,
        "exif_taken_at": _when(photo.exif_taken_at),
        "duplicate": duplicate,
    }
    if not duplicate:
        _audit_action(organization, actor, visit, "visit.photo_added", None, after)
    payload = {"task_key": task.key, "filename": (filename or "")[:200], "bytes": len(data), "sha256": sha256}
    return _record(visit, K.PHOTO, client_action_id, device_time, actor, payload, after)


def _store_photo(visit: Visit, task_key: str, processed: ProcessedImage, device_time, actor, filename) -> VisitPhoto:
    photo = VisitPhoto(
        organization_id=visit.organization_id,
        visit=visit,
        task_key=task_key,
        content_type=processed.content_type,
        original_format=processed.original_format,
        original_name=(filename or "")[:200],
        size=len(processed.content),
        width=processed.width,
        height=processed.height,
        sha256=processed.sha256,
        exif_taken_at=processed.taken_at,
        exif_latitude=processed.latitude,
        exif_longitude=processed.longitude,
        device_time=device_time,
        uploaded_by_label=_label_of(actor)[:200],
    )
    photo.file.save("photo.jpg", ContentFile(processed.content), save=False)
    photo.thumbnail.save("thumbnail.jpg", ContentFile(processed.thumbnail), save=False)
    photo.save()
    return photo


@transaction.atomic
def visit_sign_off(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    name: str,
    signature: str,
) -> ActionOutcome:
    """The site contact signs a checked-in visit: their name and drawn signature (a PNG data URL, validated
    like a photo). Refused on a checked-out visit (`visit_checked_out`); signing again replaces the sign-off."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.SIGN_OFF, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    name = (name or "").strip()
    if not name:
        raise _field_error("Write the name of the person signing.", field="name", code="required")
    processed = signature_process(signature)
    sign_off = VisitSignOff.objects.for_organization(organization).filter(visit=visit).first()
    replaced = sign_off is not None
    if sign_off is None:
        sign_off = VisitSignOff(organization_id=visit.organization_id, visit=visit)
    sign_off.name = name[:150]
    sign_off.size, sign_off.width, sign_off.height = len(processed.content), processed.width, processed.height
    sign_off.sha256 = processed.sha256
    sign_off.signed_at = timezone.now()
    sign_off.device_time = device_time
    sign_off.signature.save("signature.png", ContentFile(processed.content), save=False)
    sign_off.save()
    after = {"name": sign_off.name, "signed_at": _when(sign_off.signed_at), "replaced": replaced}
    _audit_action(organization, actor, visit, "visit.signed_off", None, after)
    payload = {"name": sign_off.name, "bytes": len(processed.content), "sha256": processed.sha256}
    return _record(visit, K.SIGN_OFF, client_action_id, device_time, actor, payload, after)


@transaction.atomic
def visit_check_out(
    *,
    organization: Organization,
    actor: Access,
    visit_id: int,
    client_action_id: str,
    device_time: datetime | None,
    outcome: str,
    incomplete_reason: str = "",
    note: str = "",
) -> ActionOutcome:
    """The technician leaves. Complete: every task needs its result and evidence (else `evidence_missing`, with
    the list), and the work order moves to submitted. Incomplete: a reason from the fixed list is required, and
    the work order goes back to a schedulable state (in progress → submitted → rework) so that a follow-up visit
    can be booked. Once per client action id; a second check-out with a new id is `visit_checked_out`."""
    visit = _field_visit(organization, actor, visit_id)
    previous = _previous(visit, K.CHECK_OUT, client_action_id)
    if previous is not None:
        return _replayed(visit, previous)
    _require_checked_in(visit)
    note = (note or "").strip()[:MAX_TEXT]
    if outcome not in VisitOutcome.values:
        raise _field_error("outcome must be complete or incomplete.", field="outcome", code="invalid_choice")
    if outcome == VisitOutcome.INCOMPLETE:
        if not incomplete_reason:
            raise _field_error("Say why the visit is incomplete.", field="incomplete_reason", code="reason_required")
        if incomplete_reason not in IncompleteReason.values:
            raise _field_error(
                f"“{incomplete_reason}” is not one of the reasons: {', '.join(IncompleteReason.values)}.",
                field="incomplete_reason",
                code="invalid_choice",
            )
    else:
        incomplete_reason = ""
        missing = selectors.visit_missing_evidence(visit)
        if missing:
            raise EvidenceMissing(missing)
    before = {"status": visit.status}
    visit.to_checked_out()
    visit.check_out_device_time = device_time
    visit.outcome, visit.incomplete_reason, visit.check_out_note = outcome, incomplete_reason, note
    _touch(visit, "status", "checked_out_at", "check_out_device_time", "outcome", "incomplete_reason", "check_out_note")
    after = {
        "status": visit.status,
        "outcome": outcome,
        "incomplete_reason": incomplete_reason,
        "device_time": _when(device_time),
    }
    _audit_action(organization, actor, visit, "visit.checked_out", before, after)
    _finish_work(organization, actor, visit, outcome, incomplete_reason, note)
    payload = {"outcome": outcome, "incomplete_reason": incomplete_reason, "note": note}
    return _record(visit, K.CHECK_OUT, client_action_id, device_time, actor, payload, after)


def _finish_work(organization, actor, visit: Visit, outcome: str, incomplete_reason: str, note: str) -> None:
    """Complete: in progress → submitted. Incomplete: in progress → rework (a follow-up visit is booked from
    there), with the visit's reason. A work order no longer in progress is left alone."""
    work_order = visit.work_order
    if work_order.status != S.IN_PROGRESS:  # read with the visit; the work-order service checks it again
        return
    if outcome != VisitOutcome.INCOMPLETE:
        work_order_services.work_order_transition(
            organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.SUBMITTED
        )
        return
    reason = f"Visit {visit.sequence} ended incomplete: {IncompleteReason(incomplete_reason).label}"
    work_order_services.work_order_transition(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        to_status=S.REWORK,
        reason=f"{reason}. {note}".strip() if note else f"{reason}.",
    )
