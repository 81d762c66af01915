"""Writes of visit planning, by coordinators: schedule, reschedule, reassign, cancel and no-show.

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
Every state change records an audit event.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from programs.training import program_required_courses
from rollout.audit import audit_record, audit_snapshot
from rollout.errors import ApplicationError, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, organization_id_of
from technicians.choices import EligibilityProblemCode
from technicians.models import Technician
from technicians.selectors import technician_eligibility_problems
from workorders._common import _lock_work_order, _touch
from workorders.choices import (
    BEFORE_ARRIVAL,
    BOOKED_STATUSES,
    WORKED_STATUSES,
    VisitOutcome,
    VisitStatus,
    WorkOrderStatus,
)
from workorders.events import (
    VISIT_NO_SHOW,
    VISIT_REASSIGNED,
    VISIT_RESCHEDULED,
    VISIT_SCHEDULED,
    office_recipients,
    technician_user_ids,
    visit_emit,
)
from workorders.models import Visit, WorkOrder
from workorders.readiness import visit_window_problems
from workorders.selectors import work_order_skills
from workorders.services import work_order_assign, work_order_transition
from workorders.visits.errors import VisitExists, VisitNotActive, WorkOrderNotSchedulable
from workorders.visits.selectors import describe_visit_window
from workorders.visits.services._common import VISIT_AUDIT_FIELDS, _day, _emit
from workorders.visits.services.calloff import _cancel, _lock_for_planning, _reason

S = WorkOrderStatus
V = VisitStatus
# Work orders that can take a new visit: planned (ready), already scheduled without a visit, or needing a return.
SCHEDULABLE = frozenset({S.READY, S.SCHEDULED, S.REWORK})


def _window(site, day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """The window typed in the site's local time, as aware datetimes (a window ending at 00:00 ends at midnight)."""
    zone = ZoneInfo(site.timezone)
    window_start = datetime.combine(day, start, tzinfo=zone)
    window_end = datetime.combine(day, end, tzinfo=zone)
    if end == time(0, 0):
        window_end += timedelta(days=1)
    if window_end <= window_start:
        raise ApplicationError("The visit must end after it starts.", field="end_time", code="invalid_window")
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
        raise ApplicationError(
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
            raise ApplicationError(
                f"{_day(day)} is a blackout date at site {site.code}: no work may happen there that day.",
                field="date",
                code="blackout_date",
            )
        day += timedelta(days=1)
    hours_only = SimpleNamespace(timezone=site.timezone, access_hours=site.access_hours, blackout_dates=[])
    problems = visit_window_problems(site=hours_only, planned_start=start, planned_end=end)
    if problems:
        raise ApplicationError(" ".join(problems), field="start_time", code="outside_access_hours")


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
    message = f"{technician.full_name} cannot take this visit: " + " ".join(p.message for p in problems)
    if any(problem.code == EligibilityProblemCode.TIME_OFF for problem in problems):
        raise ApplicationError(message, field="technician", code="time_off")
    raise ApplicationError(message, field="technician", code="technician_not_eligible")


def _technician(organization, technician_id: int) -> Technician:
    technician = Technician.objects.for_organization(organization).filter(pk=technician_id).first()
    if technician is None:
        raise ApplicationError("No such technician.", field="technician", code="does_not_exist")
    return technician


def _checkin_due_by(work_order: WorkOrder, start: datetime) -> datetime:
    return start + timedelta(minutes=work_order.program.checkin_grace_minutes)


def _plan_work_order(organization, actor, visit: Visit, work_order: WorkOrder, start, end) -> None:
    """Keep the work order's technician and window on the visit (and move it to scheduled), through the
    work-order service: it checks the window and the technician again and e-mails them after commit."""
    work_order_assign(
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


# --- Services ------------------------------------------------------------------------------------------


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
        created_by_label=actor_label(actor)[:200],
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
    _emit(organization, actor, visit, VISIT_SCHEDULED, tell_technician=True)
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
    previous_window = describe_visit_window(visit)
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
    _emit(
        organization,
        actor,
        visit,
        VISIT_RESCHEDULED,
        tell_technician=True,
        previous_window=previous_window,
        reason=reason.strip(),
    )
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
        raise ApplicationError(
            f"{technician.full_name} already has this visit.", field="technician", code="same_technician"
        )
    _check_double_booking(organization, technician, visit.window_start, visit.window_end)
    _check_technician(organization, work_order, technician, visit.window_start)
    before = audit_snapshot(visit, VISIT_AUDIT_FIELDS)
    previous_technician = visit.technician
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
    visit_emit(
        organization=organization,
        actor=actor,
        visit=visit,
        event_type=VISIT_REASSIGNED,
        recipients=technician_user_ids(technician, previous_technician),
        previous_technician_id=previous_technician.pk,
        technician_name=technician.full_name,
        reason=reason.strip(),
    )
    return visit


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
    # The visit's cancellation notice (mandatory) tells the technician not to go; the recall adds none.
    moves = ([S.SCHEDULED] if recalled else []) + ([S.READY] if recalled or work_order.status == S.SCHEDULED else [])
    for to_status in moves:
        work_order_transition(
            organization=organization,
            actor=actor,
            work_order_id=work_order.pk,
            to_status=to_status,
            reason=why,
            notify_technician=False,
        )
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
    visit_emit(
        organization=organization,
        actor=actor,
        visit=visit,
        event_type=VISIT_NO_SHOW,
        recipients=office_recipients(organization),
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
