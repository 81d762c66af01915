"""Each (rule, object, occurrence, level) escalates once, whoever runs the sweep: two sweeps racing in two threads
(PostgreSQL) — for a first breach and for a new episode after a reschedule — two beat processes fanning out at
once, and a fault drill with real workers on the broker — the worker SIGKILLed in
the middle of a sweep, restarted → no escalation lost or duplicated, one event per escalation."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from escalations.choices import RuleKey
from escalations.models import Escalation
from escalations.sweep import escalations_sweep
from escalations.tasks import escalation_sweep_task
from rollout.models import Event
from tests.escalations.builders import CHECKIN_DUE, many_visits, world_of
from tests.workers import Workers, database_url, wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"),
]

VISITS = 30


def _race(organization_id: int, now, runs: int = 2) -> list:
    barrier = threading.Barrier(runs)
    results, failures = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            results.append(escalations_sweep(organization=organization_id, now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    return results


def _once_each():
    keys = Counter(Escalation.objects.values_list("rule", "subject_id", "occurrence", "level"))
    events = Counter(Event.objects.filter(type__startswith="escalation.").values_list("type", "subject_id"))
    return keys, events


def test_two_sweeps_racing_raise_and_climb_each_level_once(tenant):
    # given 30 visits that missed their check-in
    world = world_of(tenant)
    many_visits(world, VISITS)
    # when two sweeps run at the same instant, twice (raise, then climb)
    for at in (CHECKIN_DUE + timedelta(minutes=10), CHECKIN_DUE + timedelta(minutes=45)):
        results = _race(tenant.organization.pk, at)
        assert sum(r.raised + r.escalated for r in results) >= VISITS
    # then every (rule, object, level) exists once, and each escalation was told once
    keys, events = _once_each()
    assert max(keys.values()) == 1
    assert Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).count() == 2 * VISITS
    assert max(events.values()) == 1
    assert sum(events.values()) == Escalation.objects.count()


def test_two_sweeps_racing_raise_a_new_episode_once(tenant):
    from tests.workorders.builders.visits import VISIT_DAY, local
    from workorders.models import Visit

    # given visits that missed their check-in, escalated, then were moved to the next day (written like
    # many_visits writes them)
    world = world_of(tenant)
    visits = many_visits(world, 5)
    _race(tenant.organization.pk, CHECKIN_DUE + timedelta(minutes=10))
    new_start = local(VISIT_DAY + timedelta(days=1), 13)
    new_due = new_start + timedelta(minutes=30)
    Visit.objects.filter(pk__in=[v.pk for v in visits]).update(
        window_start=new_start, window_end=new_start + timedelta(hours=3), checkin_due_by=new_due
    )
    # when two sweeps race after the new deadline, twice (raise, then climb)
    for at in (new_due + timedelta(minutes=1), new_due + timedelta(minutes=45)):
        _race(tenant.organization.pk, at)
    # then the first episode resolved by itself and the second raised each level once
    keys, events = _once_each()
    assert max(keys.values()) == 1 and max(events.values()) == 1
    rows = Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN)
    assert rows.filter(occurrence__lt=new_due, state="resolved", auto_resolved=True).count() == 5
    assert sorted(rows.filter(occurrence=new_due).values_list("level", flat=True)) == [1] * 5 + [2] * 5


def test_two_beats_fanning_out_at_once_escalate_each_once(tenant, settings):
    # given visits late now, and the tasks run in-process (eager) as two beats would enqueue them
    settings.CELERY_TASK_ALWAYS_EAGER = True
    world = world_of(tenant)
    many_visits(world, VISITS, window_start=timezone.now() - timedelta(hours=2))
    barrier = threading.Barrier(2)

    def beat():
        try:
            barrier.wait(timeout=30)
            escalation_sweep_task.apply()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    keys, events = _once_each()
    assert Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).count() == VISITS
    assert max(keys.values()) == 1 and max(events.values()) == 1


@pytest.mark.worker
def test_worker_killed_mid_sweep_loses_and_duplicates_nothing(tenant, tmp_path):
    import psycopg2

    # given 30 visits that missed their check-in an hour ago
    world = world_of(tenant)
    visits = many_visits(world, VISITS, window_start=timezone.now() - timedelta(hours=2))
    blocker = psycopg2.connect(database_url())
    try:
        # and the sweep held in the middle of its transaction: another session inserted (uncommitted) the first
        # visit's level 1, so the sweep's insert waits on the unique index
        first = visits[0]
        with blocker.cursor() as cursor:
            cursor.execute(
                "INSERT INTO escalations_escalation (organization_id, rule, subject_type, subject_id, work_order_id, "
                "visit_id, program_id, occurrence, level, level_role, current, state, client_visible, breach_at, "
                "sweep_token, auto_resolved, resolution_note, snooze_reason, acknowledged_by_label, "
                "resolved_by_label, created_at, updated_at) VALUES (%s, 'no_check_in', 'visit', %s, %s, %s, %s, %s, "
                "1, 'coordinator', true, 'open', false, now(), 'blocker', false, '', '', '', '', now(), now())",
                [
                    tenant.organization.pk,
                    first.pk,
                    first.work_order_id,
                    first.pk,
                    world.program.pk,
                    first.checkin_due_by,
                ],
            )
        with Workers(tmp_path) as workers:
            worker = workers.start(pool="prefork", concurrency=1)
            escalation_sweep_task.delay()

            def sweep_waiting() -> bool:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query LIKE 'INSERT INTO \"escalations_escalation\"%%'"
                    )
                    return cursor.fetchone()[0] > 0

            assert wait_for(sweep_waiting, timeout=120), (
                "the sweep never reached its insert; see var/last-worker-test.log"
            )
            # when the worker is SIGKILLed mid-sweep, the blocker goes away, and a new worker takes over
            worker.kill()
            blocker.rollback()
            assert Escalation.objects.count() == 0  # the killed sweep's transaction left nothing
            workers.start(pool="prefork", concurrency=1)

            def all_raised() -> bool:
                escalation_sweep_task.delay()  # the beat, every minute
                return Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN).count() >= VISITS

            assert wait_for(all_raised, timeout=180, interval=3), "no sweep finished; see var/last-worker-test.log"
            wait_for(lambda: False, timeout=3)  # let the extra sweeps enqueued above run too
    finally:
        blocker.close()
    # then every late visit has its escalation once, and each was told once
    keys, events = _once_each()
    lost = VISITS - Escalation.objects.filter(rule=RuleKey.NO_CHECK_IN, level=1).count()
    duplicated = sum(count - 1 for count in keys.values()) + sum(count - 1 for count in events.values())
    print(f"\nescalation drill: {VISITS} late visits; worker killed mid-sweep; lost {lost}, duplicated {duplicated}")
    assert (lost, duplicated) == (0, 0)
    assert sum(events.values()) == Escalation.objects.count()
    with transaction.atomic():
        assert not Escalation.objects.filter(sweep_token="blocker").exists()
