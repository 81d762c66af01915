"""The SLA sweep over 100,000 open visits and work orders across 10 organizations, on PostgreSQL.

Each organization gets 5,000 work orders, each with one open visit (windows spread from 6 hours ago to 2 days
ahead, in every state before arrival; a fifth of the work orders submitted for review a day or two ago with their
visit checked out) — 10 × (5,000 + 5,000) rows, written in bulk. Then, as beat would, the sweep runs once per
organization at `now` (raising what breaches and warning what is at risk) and again 40 minutes later (climbing the
ladders): time and queries per organization, the query count being the same for every organization whatever its
rows. Beside it, one raw SQL query computes the same breaches of the two busiest rules (no check-in, no
confirmation) for all ten organizations at once: the floor the set-based sweep is compared with.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

from bench.report import Row

NAME = "escalations"
ORGANIZATIONS_FULL = ORGANIZATIONS = 10
WORK_ORDERS_EACH_FULL = WORK_ORDERS_EACH = 5_000
BATCH = 2_000
SLUG = "bench-escalations-{n}"

RAW_SQL = """
SELECT v.organization_id, count(*) FILTER (WHERE v.status IN ('scheduled', 'confirmed', 'on_the_way', 'no_show')
                                             AND v.checkin_due_by <= %(now)s) AS no_check_in,
       count(*) FILTER (WHERE v.status = 'scheduled' AND v.window_start <= %(now)s + interval '24 hours')
         AS no_confirmation
FROM workorders_visit v
WHERE v.organization_id = ANY(%(orgs)s)
GROUP BY v.organization_id
"""


def _cleanup(organization) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "rollout_event",
            "escalations_escalationevent",
            "escalations_escalation",
            "escalations_slarule",
            "workorders_visit",
            "workorders_packet",
            "workorders_workorder",
            "programs_enrollment",
            "technicians_technician",
            "sites_site",
            "programs_sow",
            "programs_program",
        ):
            cursor.execute(f'DELETE FROM "{table}" WHERE organization_id = %s', [organization.pk])


def _build(organization, client, now) -> None:
    from programs.models import Enrollment, Program, Sow
    from rollout.choices import Role
    from rollout.models import Membership, User
    from sites.models import Site
    from technicians.models import Technician
    from workorders.models import Visit, WorkOrder

    program = Program.objects.create(
        organization=organization, client=client, code="bench-esc", name="Bench escalations",
        start_date="2026-01-01", end_date="2027-12-31",
    )  # fmt: skip
    sow = Sow.objects.create(organization=organization, program=program, version=1)
    for role in (Role.COORDINATOR, Role.PM, Role.ADMIN):
        email = f"{role}@{organization.slug}.example"
        user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
        Membership.objects.get_or_create(organization=organization, user=user, defaults={"role": role})
    technicians = [
        Technician.objects.create(
            organization=organization,
            email=f"t{n}@{organization.slug}.example",
            full_name=f"Tech {n}",
            home_latitude=Decimal("41.8781"),
            home_longitude=Decimal("-87.6298"),
            timezone="America/Chicago",
        )
        for n in range(50)
    ]
    states = ["scheduled", "confirmed", "on_the_way"]
    for start in range(0, WORK_ORDERS_EACH, BATCH):
        numbers = range(start, min(start + BATCH, WORK_ORDERS_EACH))
        sites = Site.objects.bulk_create(
            Site(organization=organization, client=client, code=f"BE-{n:05d}", name=f"Store {n}", city="Chicago",
                 timezone="America/Chicago", access_hours={}, blackout_dates=[])
            for n in numbers
        )  # fmt: skip
        enrollments = Enrollment.objects.bulk_create(
            Enrollment(organization=organization, program=program, site=site) for site in sites
        )
        work_orders = WorkOrder.objects.bulk_create(
            WorkOrder(
                organization=organization, program=program, site_id=e.site_id, enrollment=e, sow=sow,
                number=f"BE-{n:06d}", sequence=n + 1,
                status="submitted" if n % 5 == 0 else "scheduled",
                submitted_at=now - timedelta(hours=12 + n % 48) if n % 5 == 0 else None,
            )
            for n, e in zip(numbers, enrollments, strict=True)
        )  # fmt: skip
        visits = []
        for n, work_order in zip(numbers, work_orders, strict=True):
            window = now + timedelta(minutes=(n * 37) % (54 * 60) - 6 * 60)
            visits.append(
                Visit(
                    organization=organization,
                    work_order=work_order,
                    technician=technicians[n % 50],
                    window_start=window,
                    window_end=window + timedelta(hours=2),
                    local_date=window.date(),
                    checkin_due_by=window + timedelta(minutes=30),
                    status="checked_out" if n % 5 == 0 else states[n % 3],
                )
            )
        Visit.objects.bulk_create(visits)


def _sweep(organization, now) -> tuple[float, int, object]:
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from escalations.sweep import escalations_sweep

    # The events' relay (the outbox's consumers: inbox, webhooks) runs on the worker after commit, not in the sweep;
    # with the benchmark's eager tasks it would run inside the timing.
    with mock.patch("escalations.sweep.events_relay_on_commit"), CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = escalations_sweep(organization=organization, now=now)
        seconds = time.perf_counter() - started
    return seconds, len(queries), result


def _reset(ids: list[int]) -> None:
    """Forget what a sweep raised (escalations, their events), so that the next run raises them again."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("rollout_event", "escalations_escalationevent", "escalations_escalation"):
            cursor.execute(f'DELETE FROM "{table}" WHERE organization_id = ANY(%s)', [ids])


def run(size) -> list[Row]:
    from django.db import connection
    from django.utils import timezone

    from escalations.models import Escalation
    from rollout.models import Client, Organization

    global ORGANIZATIONS, WORK_ORDERS_EACH
    ORGANIZATIONS = 1 if size.tiny else (2 if size.quick else ORGANIZATIONS_FULL)
    WORK_ORDERS_EACH = size.pick(WORK_ORDERS_EACH_FULL, 1_000, 50)
    now = timezone.now().replace(microsecond=0)
    organizations = []
    for n in range(ORGANIZATIONS):
        organization, _ = Organization.objects.get_or_create(slug=SLUG.format(n=n), defaults={"name": f"Bench {n}"})
        client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
        _cleanup(organization)
        _build(organization, client, now)
        organizations.append(organization)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total_rows = ORGANIZATIONS * WORK_ORDERS_EACH * 2
    ids = [organization.pk for organization in organizations]

    def raw() -> tuple[float, int]:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"now": now, "orgs": ids})
            found = cursor.fetchall()
        return time.perf_counter() - started, sum(row[1] for row in found)

    raises, steadies, raws, queries, agree = [], [], [], set(), True
    for _ in range(size.runs):
        _reset(ids)
        raw_seconds, raw_check_in = raw()
        times = []
        for organization in organizations:
            seconds, count, _result = _sweep(organization, now)
            times.append(seconds)
            queries.add(count)
        raises.append(sum(times) * 1000)
        raws.append(raw_seconds * 1000)
        swept = Escalation.objects.filter(
            organization_id__in=ids, rule="no_check_in", level=1, raised_at__isnull=False
        ).count()  # raised, not merely warned (at risk)
        agree = agree and swept == raw_check_in
        # a sweep with nothing new to do (the minute's usual case)
        steadies.append(sum(_sweep(organization, now)[0] for organization in organizations) * 1000)
    note = (
        f"{ORGANIZATIONS} orgs × {WORK_ORDERS_EACH:,} work orders + visits; queries per org {sorted(queries)}; "
        f"breaches {'agree with' if agree else 'DIFFER from'} the raw SQL"
    )
    ceiling = "one raw SQL query, 2 rules, all orgs"
    return [
        Row(NAME, f"sweep (raise), {total_rows:,} rows", "ms", raises, ceiling, raws, lower_is_better=True, note=note),
        Row(NAME, "sweep (steady: nothing new)", "ms", steadies, ceiling, raws, lower_is_better=True,
            note="the minute's usual case"),
    ]  # fmt: skip
