"""Done Right First Time: the definition, one stored fact per work order, and the snapshots pages read.

Definition (DESIGN.md): a closed work order is DRFT when its first visit completed it, its first QA decision
accepted it with no defect, and no return visit was needed within the warranty window. A work order a PM excluded
(client-caused, site not ready) counts in neither part. Accepted work whose warranty window is still open is
*provisional* and shown apart from final (closed) DRFT.

`drft_outcome` is the definition as a pure function; `drft_fact_refresh` stores its result for one work order
(idempotent: the same data gives the same row) and moves the snapshots of the work order's program by the
difference between the old and the new fact (a few counters, under a lock on the program row);
`drft_snapshots_rebuild` recomputes a program's snapshots from its facts under the same lock (writing only the rows
that differ), and the nightly reconciliation (a durable job, `drft_reconcile_start`) recomputes every fact and
rebuilds every snapshot. All take ids and scope to one organization.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from programs.models import Program, Wave
from quality.choices import Dimension, DrftReason, DrftStatus, ReviewDecision
from quality.models import Defect, DrftExclusion, DrftFact, DrftSnapshot, QaReview, WarrantyReport
from rollout import jobs
from rollout.models import Job, JobItem, JobStatus
from rollout.tenancy import organization_id_of
from technicians.models import Technician, Vendor
from workorders.choices import IncompleteReason, VisitOutcome, VisitStatus, WorkOrderStatus
from workorders.models import Visit, WorkOrder

S = WorkOrderStatus
# Work-order moves after which the fact may change (quality.receivers listens for these).
RELEVANT_MOVES = frozenset({S.SUBMITTED, S.ACCEPTED, S.REWORK, S.CLOSED, S.CANCELLED})
# (dimension, the fact's field it groups by)
DIMENSION_FIELDS = [
    (Dimension.PROGRAM, "program_id"),
    (Dimension.WAVE, "wave_id"),
    (Dimension.REGION, "region"),
    (Dimension.VENDOR, "vendor_id"),
    (Dimension.TECHNICIAN, "technician_id"),
]


@dataclass(frozen=True)
class FirstVisit:
    outcome: str
    incomplete_reason: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the definition says about one work order."""

    status: str  # DrftStatus
    is_drft: bool
    reason: str = ""  # DrftReason, the first one
    reason_detail: str = ""


def drft_outcome(
    *,
    work_order_status: str,
    first_visit: FirstVisit | None,
    worked_visits: int,
    first_review: str | None,
    first_review_defects: list[str] | tuple = (),
    warranty_return: bool = False,
    excluded: bool = False,
) -> Outcome | None:
    """The DRFT definition applied to one work order's history (None: it does not count at all, e.g. cancelled).

    Reasons are checked in the order things happen: the first visit, the first review, then the warranty window."""
    if work_order_status == S.CANCELLED:
        return None
    if work_order_status == S.CLOSED:
        status = DrftStatus.FINAL
    elif work_order_status == S.ACCEPTED:
        status = DrftStatus.PROVISIONAL
    else:
        status = DrftStatus.OPEN
    reason, detail = "", ""
    if first_visit is not None and first_visit.outcome == VisitOutcome.INCOMPLETE:
        reason = DrftReason.FIRST_VISIT_INCOMPLETE
        detail = IncompleteReason(first_visit.incomplete_reason).label if first_visit.incomplete_reason else ""
    elif first_review == ReviewDecision.REJECTED:
        reason = DrftReason.QA_REJECTED
        detail = ", ".join(first_review_defects)
    elif warranty_return:
        reason = DrftReason.WARRANTY_RETURN
    elif worked_visits > 1:
        # Sent back without a recorded review (e.g. moved to rework by hand): a return visit was still needed.
        reason = DrftReason.QA_REJECTED
        detail = "returned without a review"
    if excluded and status != DrftStatus.OPEN:
        status = DrftStatus.EXCLUDED
    counted = status in (DrftStatus.FINAL, DrftStatus.PROVISIONAL)
    return Outcome(status=status, is_drft=counted and not reason, reason=reason, reason_detail=detail[:300])


def _iso_week(moment) -> str:
    if moment is None:
        return ""
    year, week, _ = moment.date().isocalendar()
    return f"{year}-W{week:02d}"


def work_order_drft_outcome(
    *, organization, work_order: WorkOrder
) -> tuple[Outcome | None, Visit | None, DrftExclusion | None]:
    """Read one work order's visits, reviews, warranty returns and exclusion, and apply the definition (the
    outcome, the first visit and the exclusion)."""
    visits = list(
        Visit.objects.for_organization(organization)
        .filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
        .select_related("technician")
        .order_by("sequence", "id")
    )
    first_visit = visits[0] if visits else None
    first_review = (
        QaReview.objects.for_organization(organization).filter(work_order=work_order).order_by("sequence").first()
    )
    defects = []
    if first_review is not None and first_review.decision == ReviewDecision.REJECTED:
        defects = list(
            Defect.objects.for_organization(organization)
            .filter(review=first_review)
            .order_by("id")
            .values_list("code__code", flat=True)
        )
    exclusion = DrftExclusion.objects.for_organization(organization).filter(work_order=work_order).first()
    excluded = exclusion is not None
    outcome = drft_outcome(
        work_order_status=work_order.status,
        first_visit=FirstVisit(first_visit.outcome, first_visit.incomplete_reason) if first_visit else None,
        worked_visits=len(visits),
        first_review=first_review.decision if first_review else None,
        first_review_defects=defects,
        warranty_return=WarrantyReport.objects.for_organization(organization).filter(work_order=work_order).exists(),
        excluded=excluded,
    )
    return outcome, first_visit, exclusion


FACT_DIMENSIONS = ["program_id", "wave_id", "region", "vendor_id", "technician_id", "status", "is_drft", "week"]
COUNTED = frozenset({DrftStatus.FINAL, DrftStatus.PROVISIONAL, DrftStatus.EXCLUDED})
COUNTERS = ["final_drft", "final_total", "provisional_drft", "provisional_total", "excluded"]


@transaction.atomic
def drft_fact_refresh(*, organization, work_order_id: int, rebuild: bool = True) -> DrftFact | None:
    """Recompute and store one work order's DRFT fact and (unless `rebuild` is False, as the reconciliation does
    before rebuilding everything) move its program's snapshots by the difference between the old fact and the new
    one: a few counters up or down, not a rebuild. The program row is locked first, so refreshes of one program's
    facts apply their differences one after the other. Idempotent (the same data gives the same fact and a zero
    difference); a cancelled, missing or never-worked work order has no fact."""
    organization_id = organization_id_of(organization)
    work_order = (
        WorkOrder.objects.for_organization(organization_id)
        .select_related("site", "enrollment", "technician")
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        return None
    if rebuild and not _lock_program(organization_id, work_order.program_id):
        return None
    facts = DrftFact.objects.for_organization(organization_id)
    before = facts.filter(work_order=work_order).values(*FACT_DIMENSIONS).first() if rebuild else None
    outcome, first_visit, exclusion = work_order_drft_outcome(organization=organization_id, work_order=work_order)
    if outcome is None or (first_visit is None and outcome.status == DrftStatus.OPEN):
        facts.filter(work_order=work_order).delete()
        if rebuild and before is not None:
            _snapshots_apply(organization_id, work_order.program_id, before, None)
        return None
    technician = first_visit.technician if first_visit else work_order.technician
    values = {
        "program_id": work_order.program_id,
        "wave_id": work_order.enrollment.wave_id if work_order.enrollment else None,
        "region": work_order.site.state,
        "technician_id": technician.pk if technician else None,
        "vendor_id": technician.vendor_id if technician else None,
        "status": outcome.status,
        "is_drft": outcome.is_drft,
        "reason": outcome.reason,
        "reason_detail": outcome.reason_detail,
        "excluded_cause": exclusion.cause if exclusion else "",
        "week": _iso_week(work_order.accepted_at) if outcome.status != DrftStatus.OPEN else "",
        "accepted_on": work_order.accepted_at.date() if work_order.accepted_at else None,
    }
    exists = before is not None if rebuild else facts.filter(work_order=work_order).exists()
    if exists:
        facts.filter(work_order=work_order).update(computed_at=timezone.now(), **values)
        fact = DrftFact(organization_id=organization_id, work_order=work_order, **values)
    else:
        fact = DrftFact.objects.create(organization_id=organization_id, work_order=work_order, **values)
    if rebuild:
        _snapshots_apply(organization_id, work_order.program_id, before, values)
    return fact


def _lock_program(organization_id: int, program_id: int) -> bool:
    return bool(
        list(Program.objects.for_organization(organization_id).select_for_update().filter(pk=program_id).values("pk"))
    )


def _contribution(values: dict | None) -> dict[tuple[str, str, str], dict[str, int]]:
    """What one fact adds to the snapshots: (dimension, key, week) → counters, for every dimension, all time and its
    ISO week. Nothing for a fact that does not count (open)."""
    if values is None or values["status"] not in COUNTED:
        return {}
    status, is_drft = values["status"], values["is_drft"]
    counts = {
        "final_drft": int(status == DrftStatus.FINAL and is_drft),
        "final_total": int(status == DrftStatus.FINAL),
        "provisional_drft": int(status == DrftStatus.PROVISIONAL and is_drft),
        "provisional_total": int(status == DrftStatus.PROVISIONAL),
        "excluded": int(status == DrftStatus.EXCLUDED),
    }
    rows = {}
    for dimension, field in DIMENSION_FIELDS:
        key = "" if values[field] is None else str(values[field])
        for week in {"", values["week"]}:
            rows[(dimension, key, week)] = counts
    return rows


def _dimension_label(organization_id: int, dimension: str, key: str) -> str:
    """The label a new snapshot row gets (as drft_snapshot_rows would give it)."""
    if dimension == Dimension.REGION:
        return key or "—"
    if not key:
        return "—"
    model, field = {
        Dimension.PROGRAM: (Program, "code"),
        Dimension.WAVE: (Wave, "name"),
        Dimension.VENDOR: (Vendor, "name"),
        Dimension.TECHNICIAN: (Technician, "full_name"),
    }[dimension]
    label = model.objects.for_organization(organization_id).filter(pk=key).values_list(field, flat=True).first()
    return label or "—"


def _snapshots_apply(organization_id: int, program_id: int, before: dict | None, after: dict | None) -> int:
    """Move a program's snapshots from one fact's old contribution to its new one (under the program's lock): one
    UPDATE of F() expressions per row that changes, a row created where none was, rows that fall to zero removed — so
    the snapshots stay equal to a rebuild from the facts. Returns the number of rows touched."""
    old, new = _contribution(before), _contribution(after)
    deltas = {}
    for row_key in old.keys() | new.keys():
        delta = {name: new.get(row_key, {}).get(name, 0) - old.get(row_key, {}).get(name, 0) for name in COUNTERS}
        if any(delta.values()):
            deltas[row_key] = delta
    if not deltas:
        return 0
    snapshots = DrftSnapshot.objects.for_organization(organization_id).filter(program_id=program_id)
    if connection.vendor == "postgresql":
        _snapshots_apply_sql(organization_id, program_id, snapshots, deltas)
        return len(deltas)
    emptied = Q()
    for (dimension, key, week), delta in deltas.items():
        changes = {name: F(name) + amount for name, amount in delta.items() if amount}
        if not snapshots.filter(dimension=dimension, key=key, week=week).update(**changes):
            DrftSnapshot.objects.create(
                organization_id=organization_id,
                program_id=program_id,
                dimension=dimension,
                key=key,
                week=week,
                label=_dimension_label(organization_id, dimension, key),
                **{name: max(amount, 0) for name, amount in delta.items()},
            )
        if any(amount < 0 for amount in delta.values()):
            emptied |= Q(dimension=dimension, key=key, week=week)
    if emptied:
        snapshots.filter(emptied, **dict.fromkeys(COUNTERS, 0)).delete()
    return len(deltas)


COUNTS = {
    "final_drft": Count("pk", filter=Q(status=DrftStatus.FINAL, is_drft=True)),
    "final_total": Count("pk", filter=Q(status=DrftStatus.FINAL)),
    "provisional_drft": Count("pk", filter=Q(status=DrftStatus.PROVISIONAL, is_drft=True)),
    "provisional_total": Count("pk", filter=Q(status=DrftStatus.PROVISIONAL)),
    "excluded": Count("pk", filter=Q(status=DrftStatus.EXCLUDED)),
}


def _labels(organization_id: int, program: Program) -> dict[str, dict[str, str]]:
    def names(model, field):
        return {str(pk): name for pk, name in model.objects.for_organization(organization_id).values_list("pk", field)}

    return {
        Dimension.PROGRAM: {str(program.pk): program.code},
        Dimension.WAVE: {
            str(pk): name
            for pk, name in Wave.objects.for_organization(organization_id)
            .filter(program=program)
            .values_list("pk", "name")
        },
        Dimension.VENDOR: names(Vendor, "name"),
        Dimension.TECHNICIAN: names(Technician, "full_name"),
    }


def drft_snapshot_rows(*, organization, program_id: int) -> list[DrftSnapshot]:
    """The snapshots of one program computed from its facts (not saved): every dimension, all time and per week."""
    organization_id = organization_id_of(organization)
    program = Program.objects.for_organization(organization_id).get(pk=program_id)
    facts = DrftFact.objects.for_organization(organization_id).filter(program_id=program_id).counted()
    labels = _labels(organization_id, program)
    rows = []
    for dimension, field in DIMENSION_FIELDS:
        for by_week in (False, True):
            group = [field, "week"] if by_week else [field]
            for values in facts.values(*group).annotate(**COUNTS).order_by(*group):
                key = "" if values[field] is None else str(values[field])
                label = key if dimension == Dimension.REGION else labels.get(dimension, {}).get(key, "")
                rows.append(
                    DrftSnapshot(
                        organization_id=organization_id,
                        program_id=program_id,
                        dimension=dimension,
                        key=key,
                        label=label or "—",
                        week=values["week"] if by_week else "",
                        **{name: values[name] for name in COUNTS},
                    )
                )
    return rows


APPLY_SQL = """
UPDATE quality_drftsnapshot s
SET final_drft = s.final_drft + d.final_drft, final_total = s.final_total + d.final_total,
    provisional_drft = s.provisional_drft + d.provisional_drft,
    provisional_total = s.provisional_total + d.provisional_total, excluded = s.excluded + d.excluded,
    updated_at = now()
FROM (VALUES {values})
  AS d(dimension, key, week, final_drft, final_total, provisional_drft, provisional_total, excluded)
WHERE s.organization_id = %s AND s.program_id = %s AND s.dimension = d.dimension AND s.key = d.key AND s.week = d.week
RETURNING s.id, s.dimension, s.key, s.week,
          s.final_drft + s.final_total + s.provisional_drft + s.provisional_total + s.excluded
"""


def _snapshots_apply_sql(organization_id: int, program_id: int, snapshots, deltas: dict) -> None:
    """The differences as one UPDATE … FROM (VALUES …) RETURNING the new totals (PostgreSQL): then the rows that
    were missing are created and the rows that fell to zero deleted, each only when there are any."""
    values, params = [], []
    for (dimension, key, week), delta in deltas.items():
        values.append("(%s, %s, %s, %s::int, %s::int, %s::int, %s::int, %s::int)")
        params += [dimension, key, week, *(delta[name] for name in COUNTERS)]
    with connection.cursor() as cursor:
        cursor.execute(APPLY_SQL.format(values=", ".join(values)), [*params, organization_id, program_id])
        returned = cursor.fetchall()
    found = {(dimension, key, week) for _, dimension, key, week, _ in returned}
    empty = [pk for pk, *_, total in returned if total == 0]
    if empty:
        snapshots.filter(pk__in=empty).delete()
    missing = [row_key for row_key in deltas if row_key not in found]
    if missing:
        DrftSnapshot.objects.bulk_create(
            DrftSnapshot(
                organization_id=organization_id,
                program_id=program_id,
                dimension=dimension,
                key=key,
                week=week,
                label=_dimension_label(organization_id, dimension, key),
                **{name: max(amount, 0) for name, amount in deltas[(dimension, key, week)].items()},
            )
            for dimension, key, week in missing
        )


@transaction.atomic
def drft_snapshots_rebuild(*, organization, program_id: int) -> int:
    """Make one program's snapshots equal to ones computed from its facts (the rows that differ written, the rows no
    fact gives any more removed, equal rows left alone). The program row is locked first, so concurrent rebuilds of
    one program run one after the other. Returns the number of rows the program's snapshots have."""
    organization_id = organization_id_of(organization)
    locked = list(
        Program.objects.for_organization(organization_id).select_for_update().filter(pk=program_id).values("pk")
    )
    if not locked:
        return 0
    if connection.vendor == "postgresql":
        # One statement: one pass over the facts (GROUPING SETS), compared with the stored rows and written where
        # they differ — so the nightly rebuild of unchanged figures costs about one GROUP BY over the facts
        # (bench/drft.py). Same rows as drft_snapshot_rows.
        with connection.cursor() as cursor:
            # The planner guesses a handful of groups (GROUPING SETS estimates), which makes nested loops over them
            # look cheap: they are quadratic here. Hash joins for this one statement, then the default again.
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(REBUILD_SQL, {"organization": organization_id, "program": program_id})
            rows = cursor.fetchone()[0]
            cursor.execute("SET LOCAL enable_nestloop = on")
            return rows
    DrftSnapshot.objects.for_organization(organization_id).filter(program_id=program_id).delete()
    rows = drft_snapshot_rows(organization=organization_id, program_id=program_id)
    DrftSnapshot.objects.bulk_create(rows)
    return len(rows)


# drft_snapshot_rows as one statement. `g`: GROUPING(wave, region, vendor, technician) tells the dimension of a row
# (15 program, 7 wave, 11 region, 13 vendor, 14 technician), GROUPING(week) whether it is all time or one week, and
# the label comes from the grouped row. `changed`: the rows missing or different from what is stored; `written` upserts
# them on the snapshot's unique key; `removed` deletes the program's rows that no group gives any more.
REBUILD_SQL = """
WITH g AS MATERIALIZED (
  SELECT f.dimension, f.key, f.week,
         COALESCE(NULLIF(CASE f.dimension WHEN 'program' THEN (SELECT code FROM programs_program WHERE id = %(program)s)
                                          WHEN 'wave' THEN w.name WHEN 'region' THEN f.key
                                          WHEN 'vendor' THEN v.name WHEN 'technician' THEN t.full_name END, ''),
                  '—') AS label,
         f.final_drft, f.final_total, f.provisional_drft, f.provisional_total, f.excluded
  FROM (
    SELECT CASE GROUPING(wave_id, region, vendor_id, technician_id)
             WHEN 15 THEN 'program' WHEN 7 THEN 'wave' WHEN 11 THEN 'region' WHEN 13 THEN 'vendor' ELSE 'technician'
           END AS dimension,
           COALESCE(CASE GROUPING(wave_id, region, vendor_id, technician_id)
             WHEN 15 THEN program_id::text WHEN 7 THEN wave_id::text WHEN 11 THEN region WHEN 13 THEN vendor_id::text
             ELSE technician_id::text END, '') AS key,
           CASE WHEN GROUPING(week) = 0 THEN week ELSE '' END AS week,
           wave_id, vendor_id, technician_id,
           COUNT(*) FILTER (WHERE status = 'final' AND is_drft) AS final_drft,
           COUNT(*) FILTER (WHERE status = 'final') AS final_total,
           COUNT(*) FILTER (WHERE status = 'provisional' AND is_drft) AS provisional_drft,
           COUNT(*) FILTER (WHERE status = 'provisional') AS provisional_total,
           COUNT(*) FILTER (WHERE status = 'excluded') AS excluded
    FROM quality_drftfact
    WHERE organization_id = %(organization)s AND program_id = %(program)s
      AND status IN ('final', 'provisional', 'excluded')
    GROUP BY GROUPING SETS (
      (program_id), (program_id, week), (program_id, wave_id), (program_id, wave_id, week),
      (program_id, region), (program_id, region, week), (program_id, vendor_id), (program_id, vendor_id, week),
      (program_id, technician_id), (program_id, technician_id, week)
    )
  ) f
  LEFT JOIN programs_wave w ON f.dimension = 'wave' AND w.id = f.wave_id
  LEFT JOIN technicians_vendor v ON f.dimension = 'vendor' AND v.id = f.vendor_id
  LEFT JOIN technicians_technician t ON f.dimension = 'technician' AND t.id = f.technician_id
),
changed AS (
  SELECT g.* FROM g
  LEFT JOIN quality_drftsnapshot s
    ON s.organization_id = %(organization)s AND s.program_id = %(program)s
   AND s.dimension = g.dimension AND s.key = g.key AND s.week = g.week
  WHERE s.id IS NULL
     OR (s.label, s.final_drft, s.final_total, s.provisional_drft, s.provisional_total, s.excluded)
        IS DISTINCT FROM (g.label, g.final_drft, g.final_total, g.provisional_drft, g.provisional_total, g.excluded)
),
written AS (
  INSERT INTO quality_drftsnapshot (organization_id, program_id, dimension, key, label, week, final_drft,
                                    final_total, provisional_drft, provisional_total, excluded, updated_at)
  SELECT %(organization)s, %(program)s, dimension, key, label, week, final_drft, final_total, provisional_drft,
         provisional_total, excluded, now()
  FROM changed
  ON CONFLICT (organization_id, program_id, dimension, key, week) DO UPDATE
  SET label = EXCLUDED.label, final_drft = EXCLUDED.final_drft, final_total = EXCLUDED.final_total,
      provisional_drft = EXCLUDED.provisional_drft, provisional_total = EXCLUDED.provisional_total,
      excluded = EXCLUDED.excluded, updated_at = EXCLUDED.updated_at
  RETURNING 1
),
removed AS (
  DELETE FROM quality_drftsnapshot s
  WHERE s.organization_id = %(organization)s AND s.program_id = %(program)s
    AND NOT EXISTS (SELECT 1 FROM g WHERE g.dimension = s.dimension AND g.key = s.key AND g.week = s.week)
  RETURNING 1
)
SELECT (SELECT count(*) FROM g), (SELECT count(*) FROM written), (SELECT count(*) FROM removed)
"""


def _reconcilable(organization_id: int):
    """The work orders whose fact the reconciliation recomputes: worked ones (a visit checked out) and any that has
    a fact (which may have to go)."""
    return (
        WorkOrder.objects.for_organization(organization_id)
        .filter(Q(visits__status=VisitStatus.CHECKED_OUT) | Q(drft_fact__isnull=False))
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )


def _facts_refresh(organization_id: int, work_order_ids) -> int:
    """Recompute the facts of these work orders, each row locked while its fact is written (so an event's refresh of
    the same work order waits and then writes the same answer). Runs in the caller's transaction."""
    locked = list(
        WorkOrder.objects.for_organization(organization_id)
        .select_for_update(of=("self",))
        .filter(pk__in=list(work_order_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in locked:
        drft_fact_refresh(organization=organization_id, work_order_id=pk, rebuild=False)
    return len(locked)


def _snapshots_rebuild_all(organization_id: int) -> int:
    """Rebuild every program's snapshots from the facts, one program per transaction. Replaces, never adds: safe
    to run twice."""
    rows = 0
    for program_id in Program.objects.for_organization(organization_id).order_by("pk").values_list("pk", flat=True):
        rows += drft_snapshots_rebuild(organization=organization_id, program_id=program_id)
    return rows


def drft_reconcile(*, organization) -> int:
    """Recompute every fact of one organization and rebuild every program's snapshots, here and now (the demo and
    tests; production runs the same work as a durable job: `drft_reconcile_start`). Returns the number of work
    orders looked at."""
    organization_id = organization_id_of(organization)
    ids = list(_reconcilable(organization_id))
    for start in range(0, len(ids), RECONCILE_CHUNK):
        with transaction.atomic():
            _facts_refresh(organization_id, ids[start : start + RECONCILE_CHUNK])
    _snapshots_rebuild_all(organization_id)
    return len(ids)


# --- The reconciliation as a durable job (rollout.jobs) ----------------------------------------------------
#
# Items are chunks of work orders: an item's `ref` is the first work order id of its chunk, and the chunk runs up to
# the next item's ref (the last one has no end), so the chunks cover every id once, and the job's rows say which
# work orders each item holds. One item recomputes its chunk's facts and is marked done in that same transaction
# (a killed worker's chunk is taken again whole; a late duplicate delivery rolls back). Facts are recomputed from
# the visits and reviews, never incremented, and the snapshots are rebuilt from the facts (replaced) once every
# chunk is done, by the job's `finish` hook: a re-run never counts anything twice.

RECONCILE_KIND = "quality.drft_reconcile"
RECONCILE_CHUNK = 200


def _reconcile_item(job: Job, item: JobItem) -> None:
    """Recompute the facts of one chunk of work orders; the item is done in the same transaction."""
    organization_id = job.organization_id
    end = JobItem.objects.filter(job_id=job.pk, position=item.position + 1).values_list("ref", flat=True).first()
    with transaction.atomic():
        ids = _reconcilable(organization_id).filter(pk__gte=item.ref)
        if end is not None:
            ids = ids.filter(pk__lt=end)
        refreshed = _facts_refresh(organization_id, ids)
        jobs.job_item_finish(item, outcome="reconciled", result={"work_orders": refreshed})


def _reconcile_finish(job: Job) -> str | None:
    """Rebuild every program's snapshots once the facts are recomputed (idempotent: a second finisher replaces the
    same rows)."""
    _snapshots_rebuild_all(job.organization_id)
    return None


jobs.job_kind_register(
    jobs.JobKind(name=RECONCILE_KIND, run_item=_reconcile_item, finish=_reconcile_finish, time_limit=120)
)


def drft_reconcile_start(*, organization, chunk: int = RECONCILE_CHUNK, time_limit: int | None = None) -> Job:
    """Start (after commit) the durable reconciliation of one organization's DRFT: facts per chunk of `chunk` work
    orders, then every snapshot. While one is open for the organization, that one is returned instead of a second
    (two started at the very same moment would both run: harmless, as the work is idempotent)."""
    organization_id = organization_id_of(organization)
    with transaction.atomic():
        running = (
            Job.objects.for_organization(organization_id)
            .filter(kind=RECONCILE_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            .order_by("-pk")
            .first()
        )
        if running is not None:
            return running
        ids = list(_reconcilable(organization_id))
        refs = ids[:: max(chunk, 1)] or [0]
        return jobs.job_create(organization=organization_id, kind=RECONCILE_KIND, refs=refs, time_limit=time_limit)
