"""Done Right First Time: the definition as a table, facts recomputed on every event (enqueued after commit, ids
only, idempotent), the nightly reconciliation, and the snapshots equal to a rebuild straight from visits and reviews
after a random sequence of events through the real services."""

import random
from collections import defaultdict

import pytest

from quality import services
from quality.choices import DrftReason, DrftStatus
from quality.drft import FirstVisit, drft_outcome
from quality.models import DrftExclusion, DrftFact, DrftSnapshot, QaReview
from quality.tasks import drft_fact_refresh_task, drft_reconcile_sweep_task
from rollout.choices import Role
from tests.programs.factories import WaveFactory
from tests.quality.support import (
    accept,
    close,
    first_visit,
    reject,
    return_visit,
    work_visit,
)
from tests.technicians.factories import VendorFactory
from tests.workorders.builders.visits import access_for, build_field_world
from workorders.choices import WorkOrderStatus
from workorders.models import Visit, WorkOrder

S = WorkOrderStatus
DONE = FirstVisit("complete")
INCOMPLETE = FirstVisit("incomplete", "site_not_ready")

# (work order status, first visit, worked visits, first review, warranty return, excluded) →
# (status, DRFT?, first reason)
TABLE = [
    ("closed: first visit, accepted, no return", (S.CLOSED, DONE, 1, "accepted", False, False), ("final", True, "")),
    ("accepted: provisional DRFT", (S.ACCEPTED, DONE, 1, "accepted", False, False), ("provisional", True, "")),
    (
        "incomplete first visit",
        (S.CLOSED, INCOMPLETE, 2, "accepted", False, False),
        ("final", False, DrftReason.FIRST_VISIT_INCOMPLETE),
    ),
    ("rejected first review", (S.CLOSED, DONE, 2, "rejected", False, False), ("final", False, DrftReason.QA_REJECTED)),
    (
        "incomplete first visit wins over a later rejection",
        (S.CLOSED, INCOMPLETE, 3, "rejected", False, False),
        ("final", False, DrftReason.FIRST_VISIT_INCOMPLETE),
    ),
    (
        "warranty return",
        (S.CLOSED, DONE, 2, "accepted", True, False),
        ("final", False, DrftReason.WARRANTY_RETURN),
    ),
    (
        "provisional, then a warranty return",
        (S.ACCEPTED, DONE, 2, "accepted", True, False),
        ("provisional", False, DrftReason.WARRANTY_RETURN),
    ),
    (
        "excluded (site not ready): in neither part",
        (S.CLOSED, INCOMPLETE, 2, "accepted", False, True),
        ("excluded", False, DrftReason.FIRST_VISIT_INCOMPLETE),
    ),
    ("rejected, still in rework", (S.REWORK, DONE, 1, "rejected", False, False), ("open", False, "qa_rejected")),
    ("submitted, not reviewed yet", (S.SUBMITTED, DONE, 1, None, False, False), ("open", False, "")),
    (
        "excluded but not accepted yet stays open",
        (S.REWORK, INCOMPLETE, 1, None, False, True),
        ("open", False, "first_visit_incomplete"),
    ),
]


@pytest.mark.parametrize(("case", "given", "expected"), TABLE, ids=[row[0] for row in TABLE])
def test_the_drft_definition(case, given, expected):
    status, first, worked, review, warranty, excluded = given
    outcome = drft_outcome(
        work_order_status=status,
        first_visit=first,
        worked_visits=worked,
        first_review=review,
        first_review_defects=["photo-missing"],
        warranty_return=warranty,
        excluded=excluded,
    )
    assert (outcome.status, outcome.is_drft, outcome.reason) == expected


def test_a_cancelled_work_order_does_not_count():
    assert drft_outcome(work_order_status=S.CANCELLED, first_visit=DONE, worked_visits=1, first_review=None) is None


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def test_every_move_enqueues_the_recomputation_after_commit_with_ids_only(world, django_capture_on_commit_callbacks):
    # given a visit that ends incomplete (the work order goes in progress → rework)
    visit = first_visit(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        work_visit(world, visit, outcome="incomplete", incomplete_reason="site_not_ready")
    assert not DrftFact.objects.exists()  # nothing ran before commit
    # when the transaction commits
    for callback in callbacks:
        callback()
    # then the fact says why it is not DRFT
    fact = DrftFact.objects.get(work_order_id=visit.work_order_id)
    assert (fact.status, fact.reason, fact.reason_detail) == ("open", "first_visit_incomplete", "Site not ready")
    assert fact.technician_id == world.technician.pk


def test_the_refresh_is_idempotent(world, django_capture_on_commit_callbacks):
    visit = work_visit(world, first_visit(world))
    with django_capture_on_commit_callbacks(execute=True):
        accept(world, WorkOrder.objects.get(pk=visit.work_order_id))
    before = list(DrftFact.objects.values("work_order", "status", "is_drft", "reason", "week"))
    snapshots = list(DrftSnapshot.objects.values_list("dimension", "key", "week", "final_total", "provisional_drft"))
    drft_fact_refresh_task.delay(organization_id=world.organization.pk, work_order_id=visit.work_order_id)
    drft_fact_refresh_task.delay(organization_id=world.organization.pk, work_order_id=visit.work_order_id)
    assert list(DrftFact.objects.values("work_order", "status", "is_drft", "reason", "week")) == before
    assert (
        list(DrftSnapshot.objects.values_list("dimension", "key", "week", "final_total", "provisional_drft"))
        == snapshots
    )
    assert ("program", str(world.program.pk), "", 0, 1) in snapshots


def test_the_nightly_reconciliation_repairs_missing_and_stale_facts(world, django_capture_on_commit_callbacks):
    # given two accepted work orders whose facts were lost or went stale (an event missed)
    ids = []
    for _ in range(2):
        visit = work_visit(world, first_visit(world))
        with django_capture_on_commit_callbacks(execute=True):
            accept(world, WorkOrder.objects.get(pk=visit.work_order_id))
        ids.append(visit.work_order_id)
    expected = sorted(DrftFact.objects.values_list("work_order_id", "status", "is_drft"))
    DrftFact.objects.filter(work_order_id=ids[0]).delete()
    DrftFact.objects.filter(work_order_id=ids[1]).update(is_drft=False, status="open")
    DrftSnapshot.objects.all().delete()
    # when the beat entry runs (it starts a durable reconciliation job, run after commit)
    with django_capture_on_commit_callbacks(execute=True):
        drft_reconcile_sweep_task.delay()
    # then facts and snapshots are back
    assert sorted(DrftFact.objects.values_list("work_order_id", "status", "is_drft")) == expected
    assert DrftSnapshot.objects.get(dimension="program", week="").provisional_drft == 2


def test_an_exclusion_needs_a_reason_and_a_return_or_incomplete_visit(world, tenant):
    pm = access_for(tenant, Role.PM)
    clean = work_visit(world, first_visit(world))
    kwargs = {"organization": world.organization, "actor": pm, "cause": "site_not_ready"}
    with pytest.raises(Exception) as refused:
        services.drft_exclusion_set(**kwargs, work_order_id=clean.work_order_id, reason="")
    assert refused.value.code == "reason_required"
    with pytest.raises(Exception) as refused:
        services.drft_exclusion_set(**kwargs, work_order_id=clean.work_order_id, reason="Store closed")
    assert refused.value.code == "exclusion_not_allowed"
    with pytest.raises(Exception) as refused:
        services.drft_exclusion_set(
            **{**kwargs, "actor": access_for(tenant, Role.COORDINATOR)}, work_order_id=clean.work_order_id, reason="x"
        )
    assert refused.value.status_code == 403
    assert not DrftExclusion.objects.exists()


# --- The snapshots equal a rebuild from the raw rows --------------------------------------------------------


def _iso_week(moment) -> str:
    year, week, _ = moment.date().isocalendar()
    return f"{year}-W{week:02d}"


def figures_from_raw(organization) -> dict:
    """Every figure recomputed straight from work orders, visits, reviews and exclusions (not from the facts)."""
    figures = defaultdict(lambda: [0, 0, 0, 0, 0])
    for work_order in WorkOrder.objects.filter(organization=organization).select_related("site", "enrollment"):
        if work_order.status not in (S.ACCEPTED, S.CLOSED):
            continue
        visits = list(Visit.objects.filter(work_order=work_order, status="checked_out").order_by("sequence"))
        reviews = list(QaReview.objects.filter(work_order=work_order).order_by("sequence"))
        first_ok = bool(visits) and visits[0].outcome == "complete"
        review_ok = not reviews or reviews[0].decision == "accepted"
        drft = first_ok and review_ok and len(visits) <= 1
        excluded = DrftExclusion.objects.filter(work_order=work_order).exists()
        technician = visits[0].technician if visits else work_order.technician
        keys = {
            "program": str(work_order.program_id),
            "wave": str(work_order.enrollment.wave_id or ""),
            "region": work_order.site.state,
            "vendor": str(technician.vendor_id or "") if technician else "",
            "technician": str(technician.pk) if technician else "",
        }
        for dimension, key in keys.items():
            for week in ("", _iso_week(work_order.accepted_at)):
                row = figures[(work_order.program_id, dimension, key, week)]
                if excluded:
                    row[4] += 1
                elif work_order.status == S.CLOSED:
                    row[0] += drft
                    row[1] += 1
                else:
                    row[2] += drft
                    row[3] += 1
    return dict(figures)


def figures_from_snapshots(organization) -> dict:
    return {
        (row.program_id, row.dimension, row.key, row.week): [
            row.final_drft,
            row.final_total,
            row.provisional_drft,
            row.provisional_total,
            row.excluded,
        ]
        for row in DrftSnapshot.objects.filter(organization=organization)
    }


@pytest.mark.parametrize("seed", [7, 2026])
def test_snapshots_equal_a_rebuild_from_visits_and_reviews_after_any_sequence_of_events(
    tenant, seed, django_capture_on_commit_callbacks
):
    # given a program with two waves, sites in two states, a technician of a vendor
    rng = random.Random(seed)
    world = build_field_world(tenant)
    waves = [WaveFactory(program=world.program, name=name) for name in ("Pilot", "Wave 1")]
    world.technician.vendor = VendorFactory(organization=world.organization, name="Lakeshore")
    world.technician.save()
    pm = access_for(tenant, Role.PM)
    # when work orders go through random paths (each event commits and is announced)
    for n in range(6):
        visit = first_visit(world, state=rng.choice(["IL", "WI"]))
        work_order = WorkOrder.objects.get(pk=visit.work_order_id)
        work_order.enrollment.wave = rng.choice(waves)
        work_order.enrollment.save()
        path = rng.choice(["accept", "reject", "incomplete"])
        with django_capture_on_commit_callbacks(execute=True):
            if path == "incomplete":
                work_visit(world, visit, outcome="incomplete", incomplete_reason="site_not_ready")
            else:
                work_visit(world, visit)
                if path == "reject":
                    reject(world, work_order)
        if path != "accept":
            second = return_visit(world, WorkOrder.objects.get(pk=work_order.pk))
            with django_capture_on_commit_callbacks(execute=True):
                work_visit(world, second)
        with django_capture_on_commit_callbacks(execute=True):
            accept(world, WorkOrder.objects.get(pk=work_order.pk))
            if rng.random() < 0.6:
                close(world, WorkOrder.objects.get(pk=work_order.pk))
            if path == "incomplete" and rng.random() < 0.5:
                services.drft_exclusion_set(
                    organization=world.organization,
                    actor=pm,
                    work_order_id=work_order.pk,
                    cause="site_not_ready",
                    reason="Store still being refitted",
                )
        # then after every event the snapshots equal the figures rebuilt from the raw rows
        assert figures_from_snapshots(world.organization) == figures_from_raw(world.organization), (seed, n, path)
    assert DrftFact.objects.filter(status=DrftStatus.EXCLUDED).count() == DrftExclusion.objects.count()
