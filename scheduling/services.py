"""Writes of the scheduling app: start a schedule run, cancel it, compute it (a durable job), publish it.

Rules:
- A run plans a program's wave (or chosen work orders) over a date range inside the wave's dates
  (`date_range_outside_wave`); it needs at least one ready work order without an open visit
  (`no_ready_work_orders`); one open run per wave (or per program without a wave) at a time
  (`schedule_run_already_running`).
- The run is computed by one durable job item (rollout.jobs): inputs read, the solver called, and every proposal
  and unscheduled row written in the transaction that finishes the item — a killed worker loses nothing and a
  re-delivery writes nothing twice. A cancelled run writes nothing; a computation over its time limit fails.
- Publishing books each proposal through workorders.visits.services.planning.visit_schedule (the checks of manual
  booking); a refusal leaves that proposal unpublished with its code and reason. A booked proposal keeps its visit,
  so publishing again never books twice. A run whose work orders changed since it read them is stale: publishing
  is refused (`schedule_run_stale`).
Every state change records an audit event.
"""

from __future__ import annotations

import time as clock
from collections import Counter, defaultdict
from datetime import date
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from programs.models import Program, Wave
from rollout import jobs
from rollout.audit import audit_record
from rollout.errors import ApplicationError, NotFound
from rollout.models import Job, JobItem, JobStatus
from rollout.tenancy import actor_label, actor_user, organization_id_of
from scheduling import errors
from scheduling.choices import OPEN_STATUSES, PublishOutcome, RunStatus
from scheduling.inputs import build_instance, run_work_orders
from scheduling.models import ScheduleProposal, ScheduleRun, ScheduleUnscheduled
from scheduling.selectors import schedule_run_stale_ids
from scheduling.solver import solve
from scheduling.travel import travel_default
from workorders.visits.services.planning import visit_schedule

RUN_KIND = "scheduling.schedule_run"
MAX_DAYS = 31


@transaction.atomic
def schedule_run_create(
    *,
    organization,
    actor,
    program_id: int,
    date_from: date,
    date_to: date,
    wave_id: int | None = None,
    work_order_ids: list[int] | None = None,
    seed: int = 0,
    time_limit: int = 300,
    balance: float = 1.3,
    daily_max: int | None = None,
) -> ScheduleRun:
    """Queue a run (see the module's rules); its job starts after commit."""
    program = Program.objects.for_organization(organization).select_for_update().filter(pk=program_id).first()
    if program is None:
        raise NotFound("No such program.")
    wave = None
    if wave_id is not None:
        wave = Wave.objects.for_organization(organization).filter(pk=wave_id, program=program).first()
        if wave is None:
            raise ApplicationError("No such wave in this program.", field="wave", code="does_not_exist")
    if date_to < date_from or (date_to - date_from).days >= MAX_DAYS:
        raise errors.InvalidDateRange(field="date_to")
    if wave is not None and (date_from < wave.start_date or date_to > wave.end_date):
        raise errors.DateRangeOutsideWave(
            f"The date range must lie inside the wave's dates, {wave.start_date} to {wave.end_date}.", field="date_from"
        )
    open_runs = ScheduleRun.objects.for_organization(organization).filter(program=program, status__in=OPEN_STATUSES)
    if open_runs.filter(wave=wave).exists():
        raise errors.RunAlreadyRunning()
    run = ScheduleRun(
        organization_id=organization_id_of(organization),
        program=program,
        wave=wave,
        work_order_ids=sorted(set(work_order_ids or [])),
        date_from=date_from,
        date_to=date_to,
        seed=seed,
        time_limit=time_limit,
        balance=balance,
        daily_max=daily_max,
        created_by=actor_user(actor),
        created_by_label=actor_label(actor)[:200],
    )
    if not run_work_orders(run).exists():
        raise errors.NoReadyWorkOrders()
    run.save()
    run.job = jobs.job_create(organization=organization, kind=RUN_KIND, refs=[run.pk], time_limit=time_limit + 60)
    run.save(update_fields=["job"])
    audit_record(
        organization=organization,
        actor=actor,
        verb="schedule_run.created",
        target=run,
        after={
            "program": program.code,
            "wave": wave.name if wave else None,
            "from": str(date_from),
            "to": str(date_to),
        },
    )
    return run


@transaction.atomic
def schedule_run_cancel(*, organization, actor, schedule_run_id: int) -> ScheduleRun:
    """Cancel a queued or running run: its computation writes nothing when it ends."""
    run = ScheduleRun.objects.for_organization(organization).select_for_update().filter(pk=schedule_run_id).first()
    if run is None:
        raise NotFound()
    if run.status not in OPEN_STATUSES:
        raise errors.RunNotOpen()
    run.status, run.finished_at = RunStatus.CANCELLED, timezone.now()
    run.save(update_fields=["status", "finished_at"])
    audit_record(organization=organization, actor=actor, verb="schedule_run.cancelled", target=run)
    return run


# --- The computation (a durable job of one item: the run) ------------------------------------------------


def _progress(run_id: int, percent: int) -> None:
    ScheduleRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(progress=percent)


def _summary(run, instance, plan, shifts_by_technician) -> dict:
    loads = plan.loads()
    work = defaultdict(int)
    km = defaultdict(float)
    days = defaultdict(set)
    for placed in plan.placed:
        work[placed.technician] += placed.end - placed.start
        km[placed.technician] += placed.km
        days[placed.technician].add(placed.day)
    mean = sum(loads.values()) / len(loads) if loads else 0
    technicians = []
    for technician, count in sorted(loads.items()):
        available = sum(s.end - s.start for s in shifts_by_technician[technician] if s.day in days[technician])
        technicians.append(
            {
                "technician": technician,
                "visits": count,
                "days": len(days[technician]),
                "km": round(km[technician], 1),
                "work_hours": round(work[technician] / 3600, 1),
                "utilisation": round(work[technician] / available, 2) if available else 0,
                "load_vs_mean": round(count / mean, 2) if mean else 0,
            }
        )
    reasons = Counter(reason for reason, _ in instance.left_out.values())
    reasons["capacity"] += len(plan.unplaced)
    return {
        "work_orders": len(instance.work_orders),
        "visits": len(plan.placed),
        "unscheduled": len(instance.left_out) + len(plan.unplaced),
        "unscheduled_by_reason": {k: v for k, v in sorted(reasons.items()) if v},
        "km": plan.km,
        "km_per_visit": round(plan.km / len(plan.placed), 1) if plan.placed else 0,
        "work_hours": round(sum(work.values()) / 3600, 1),
        "technicians_used": len(loads),
        "mean_visits": round(mean, 2),
        "balance_cap": float(run.balance),
        "max_load_vs_mean": max((t["load_vs_mean"] for t in technicians), default=0),
        "technicians": technicians,
        "solver_seconds": round(plan.solver_seconds, 2),
        "regions": plan.regions,
    }


def _write(run, instance, plan) -> None:
    from scheduling.choices import UnscheduledReason as R

    shifts_by_technician = defaultdict(list)
    for shift in instance.shifts:
        shifts_by_technician[shift.technician].append(shift)
    rows = []
    for placed in plan.placed:
        work_order = instance.work_orders[placed.key]
        zone = ZoneInfo(work_order.site.timezone)
        start = instance.at(-(-placed.start // 60) * 60)
        end = instance.at(-(-placed.start // 60) * 60 + (placed.end - placed.start))
        local_start, local_end = start.astimezone(zone), end.astimezone(zone)
        rows.append(
            ScheduleProposal(
                organization_id=run.organization_id,
                run=run,
                work_order=work_order,
                work_order_version=work_order.version,
                technician_id=placed.technician,
                day=local_start.date(),
                start_time=local_start.time(),
                end_time=local_end.time(),
                window_start=start,
                window_end=end,
                order=placed.order,
                km=placed.km,
            )
        )
    ScheduleProposal.objects.bulk_create(rows, batch_size=500)
    left_out = dict(instance.left_out)
    for key in plan.unplaced:
        left_out[key] = (R.CAPACITY, R.CAPACITY.label)
    ScheduleUnscheduled.objects.bulk_create(
        [
            ScheduleUnscheduled(organization_id=run.organization_id, run=run, work_order_id=key, reason=r, message=m)
            for key, (r, m) in sorted(left_out.items())
        ],
        batch_size=500,
    )
    run.summary = _summary(run, instance, plan, shifts_by_technician)


def _run_item(job: Job, item: JobItem) -> None:
    run = ScheduleRun.objects.for_organization(job.organization_id).select_related("organization").get(pk=item.ref)
    if run.status == RunStatus.CANCELLED:
        with transaction.atomic():
            jobs.job_item_finish(item, outcome="cancelled")
        return
    started = clock.monotonic()
    instance = build_instance(run)
    _progress(run.pk, 30)
    plan = solve(
        instance.works,
        instance.shifts,
        travel=travel_default(),
        balance=float(run.balance),
        daily_max=run.daily_max,
        seed=run.seed,
        timeout=run.time_limit,
    )
    _progress(run.pk, 80)
    with transaction.atomic():
        run = ScheduleRun.objects.select_for_update().get(pk=run.pk)
        if run.status == RunStatus.CANCELLED:
            jobs.job_item_finish(item, outcome="cancelled")
            return
        if clock.monotonic() - started > run.time_limit:
            message = f"The run took longer than its time limit ({run.time_limit} s); nothing was written."
            run.status, run.failure_reason, run.finished_at = RunStatus.FAILED, message, timezone.now()
            run.save(update_fields=["status", "failure_reason", "finished_at"])
            jobs.job_item_finish(item, outcome="timed_out", failed=True, message=message)
            return
        ScheduleProposal.objects.filter(run=run).delete()
        ScheduleUnscheduled.objects.filter(run=run).delete()
        _write(run, instance, plan)
        run.status, run.progress, run.finished_at = RunStatus.SUCCEEDED, 100, timezone.now()
        run.save(update_fields=["summary", "status", "progress", "finished_at"])
        jobs.job_item_finish(item, outcome="planned", result={"visits": len(plan.placed)})


def _started(job: Job) -> None:
    ScheduleRun.objects.filter(job=job, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), progress=10
    )


def _item_failed(job: Job, item: JobItem, message: str) -> None:
    ScheduleRun.objects.filter(pk=item.ref, status__in=OPEN_STATUSES).update(
        status=RunStatus.FAILED, failure_reason=message, finished_at=timezone.now()
    )


def _settle(job: Job) -> None:
    if job.status == JobStatus.FAILED:
        ScheduleRun.objects.filter(job=job, status__in=OPEN_STATUSES).update(
            status=RunStatus.FAILED,
            failure_reason=job.failure_reason or "The computation failed.",
            finished_at=timezone.now(),
        )


jobs.job_kind_register(
    jobs.JobKind(
        name=RUN_KIND,
        run_item=_run_item,
        time_limit=360,
        max_attempts=2,
        started=_started,
        item_failed=_item_failed,
        settle=_settle,
    )
)


# --- Publishing ----------------------------------------------------------------------------------------


def schedule_run_publish(*, organization, actor, schedule_run_id: int) -> dict:
    """Book every proposal not booked yet (see the module's rules); returns counts: booked, refused, already.
    A stale run is flagged (`stale`, committed) before the refusal."""
    run = ScheduleRun.objects.for_organization(organization).filter(pk=schedule_run_id).first()
    if run is None:
        raise NotFound()
    if run.status == RunStatus.SUCCEEDED and schedule_run_stale_ids(run):
        ScheduleRun.objects.filter(pk=run.pk).update(stale=True)
        raise errors.RunStale()
    return _publish(organization=organization, actor=actor, schedule_run_id=run.pk)


@transaction.atomic
def _publish(*, organization, actor, schedule_run_id: int) -> dict:
    run = ScheduleRun.objects.for_organization(organization).select_for_update().get(pk=schedule_run_id)
    if run.status != RunStatus.SUCCEEDED:
        raise errors.RunNotSucceeded()
    if schedule_run_stale_ids(run):
        raise errors.RunStale()
    proposals = list(
        ScheduleProposal.objects.for_organization(organization)
        .filter(run=run)
        .order_by("technician_id", "day", "order")
    )
    counts = Counter()
    for proposal in proposals:
        if proposal.visit_id is not None or proposal.publish_outcome == PublishOutcome.BOOKED:
            counts["already"] += 1
            continue
        try:
            with transaction.atomic():
                visit = visit_schedule(
                    organization=organization,
                    actor=actor,
                    work_order_id=proposal.work_order_id,
                    technician_id=proposal.technician_id,
                    day=proposal.day,
                    start_time=proposal.start_time,
                    end_time=proposal.end_time,
                )
        except ApplicationError as refusal:
            proposal.publish_outcome, proposal.publish_code = PublishOutcome.REFUSED, refusal.code
            proposal.publish_message = refusal.message
            counts["refused"] += 1
        else:
            proposal.visit, proposal.publish_outcome = visit, PublishOutcome.BOOKED
            proposal.publish_code = proposal.publish_message = ""
            counts["booked"] += 1
        proposal.save(update_fields=["visit", "publish_outcome", "publish_code", "publish_message"])
    run.published_at = timezone.now()
    run.save(update_fields=["published_at"])
    result = {"booked": counts["booked"], "refused": counts["refused"], "already": counts["already"]}
    audit_record(organization=organization, actor=actor, verb="schedule_run.published", target=run, after=result)
    return result
