"""The work-order list exported as CSV and XLSX: 50,000 work orders of one program (sites, enrollments, a wave,
technicians), written in bulk, then exported through the product's writer (rollout.exporting, the same code the
export page and API run: the scoped queryset, the FilterSet, the columns, server-side cursor, formula guard) as a PM.
Time per export, and the Python heap's peak while it streams (tracemalloc, in a separate untimed run): streamed, the
peak is bounded by the cursor's chunk (2,000 rows), not by the rows — the note gives the peak at a tenth of the rows
too. Ceiling: PostgreSQL's own COPY … TO STDOUT (CSV) of the
same rows and columns, joined in SQL."""

from __future__ import annotations

import time
import tracemalloc
from decimal import Decimal

from bench.report import Row

NAME = "exports"
SLUG = "bench-exports"
BATCH = 5_000
COPY_SQL = """
COPY (
  SELECT w.number, p.code, c.name, wv.name, s.code, s.name, s.city, s.state, w.status, w.planned_start, w.planned_end,
         t.full_name, w.accepted_at, w.closed_at, w.cancel_reason, w.site_contact_note, w.updated_at
  FROM workorders_workorder w
  JOIN programs_program p ON p.id = w.program_id JOIN rollout_client c ON c.id = p.client_id
  JOIN sites_site s ON s.id = w.site_id
  LEFT JOIN programs_enrollment e ON e.id = w.enrollment_id LEFT JOIN programs_wave wv ON wv.id = e.wave_id
  LEFT JOIN technicians_technician t ON t.id = w.technician_id
  WHERE w.organization_id = {org} ORDER BY w.program_id, w.sequence, w.id
) TO STDOUT WITH CSV HEADER
"""


def _cleanup(organization) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in (
            "workorders_workorder",
            "programs_enrollment",
            "programs_wave",
            "technicians_technician",
            "sites_site",
            "programs_sow",
            "programs_program",
        ):
            cursor.execute(f'DELETE FROM "{table}" WHERE organization_id = %s', [organization.pk])


def _build(organization, client, count: int):
    from programs.models import Enrollment, Program, Sow, Wave
    from sites.models import Site
    from technicians.models import Technician
    from workorders.models import WorkOrder

    program = Program.objects.create(
        organization=organization, client=client, code="bench-exp", name="Bench exports",
        start_date="2026-01-01", end_date="2027-12-31",
    )  # fmt: skip
    sow = Sow.objects.create(organization=organization, program=program, version=1)
    wave = Wave.objects.create(
        organization=organization,
        program=program,
        name="Wave 1",
        order=1,
        start_date="2026-01-01",
        end_date="2027-12-31",
    )
    technicians = [
        Technician.objects.create(
            organization=organization, email=f"t{n}@bench.example", full_name=f"Tech Number{n}",
            home_latitude=Decimal("41.8781"), home_longitude=Decimal("-87.6298"), timezone="America/Chicago",
        )
        for n in range(40)
    ]  # fmt: skip
    statuses = ["draft", "ready", "scheduled", "accepted", "closed"]
    for start in range(0, count, BATCH):
        numbers = range(start, min(start + BATCH, count))
        sites = Site.objects.bulk_create(
            Site(organization=organization, client=client, code=f"EX-{n:06d}", name=f"=Store {n}", city="Chicago",
                 state="IL", timezone="America/Chicago", access_hours={}, blackout_dates=[])
            for n in numbers
        )  # fmt: skip
        enrollments = Enrollment.objects.bulk_create(
            Enrollment(organization=organization, program=program, site=site, wave=wave) for site in sites
        )
        WorkOrder.objects.bulk_create(
            WorkOrder(
                organization=organization, program=program, site_id=e.site_id, enrollment=e, sow=sow,
                number=f"EX-{n:06d}", sequence=n + 1, status=statuses[n % 5], technician=technicians[n % 40],
            )
            for n, e in zip(numbers, enrollments, strict=True)
        )  # fmt: skip
    return program


def _export(access, file_format: str, *, trace: bool = False) -> tuple[float, int, int]:
    """(seconds, bytes written, peak heap bytes when `trace`, else 0) of one export, streamed to nowhere. Tracing
    the heap slows Python several times over, so timed runs do not trace."""
    from dashboards.exports import WORK_ORDERS, export_queryset
    from rollout.exporting import csv_stream, visible_columns, xlsx_file

    queryset = export_queryset(WORK_ORDERS, access)
    columns = visible_columns(WORK_ORDERS.columns, access)
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    if file_format == "csv":
        written = sum(len(piece) for piece in csv_stream(queryset, columns))
    else:
        handle = xlsx_file(queryset, columns, title=WORK_ORDERS.title)
        written = len(handle.read())
        handle.close()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if trace else 0
    if trace:
        tracemalloc.stop()
    return seconds, written, peak


def _copy(organization_id: int) -> float:
    from django.db import connection

    class Sink:
        def write(self, data) -> int:
            return len(data)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.copy_expert(COPY_SQL.format(org=int(organization_id)), Sink())
    return time.perf_counter() - started


def run(size) -> list[Row]:
    from django.db import connection

    from rollout.choices import Role
    from rollout.models import Client, Organization
    from rollout.tenancy import Access

    count = size.pick(50_000, 5_000, 300)
    organization, _ = Organization.objects.get_or_create(slug=SLUG, defaults={"name": "Bench exports"})
    client, _ = Client.objects.get_or_create(organization=organization, code="bench", defaults={"name": "Bench"})
    access = Access(organization=organization, role=Role.PM, user=None, client_id=None)
    peaks_small = []
    for rows in (max(count // 10, 1), count):
        _cleanup(organization)
        _build(organization, client, rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        if rows != count:
            peaks_small = [_export(access, "csv", trace=True)[2], _export(access, "xlsx", trace=True)[2]]
    rows_out = {"csv": [], "xlsx": []}
    peaks = {"csv": [], "xlsx": []}
    sizes = {}
    copies = []
    for _ in range(size.runs):
        copies.append(_copy(organization.pk))
        for file_format in ("csv", "xlsx"):
            seconds, written, _peak = _export(access, file_format)
            rows_out[file_format].append(seconds)
            sizes[file_format] = written
    for file_format in ("csv", "xlsx"):
        peaks[file_format].append(_export(access, file_format, trace=True)[2])
    _cleanup(organization)
    mib = 1024 * 1024
    return [
        Row(NAME, f"work orders CSV, {count:,} rows", "s", rows_out["csv"], "COPY … TO STDOUT (CSV), same rows",
            copies, lower_is_better=True,
            note=f"{sizes['csv'] / mib:.1f} MiB; heap peak {max(peaks['csv']) / mib:.1f} MiB "
                 f"({peaks_small[0] / mib:.1f} MiB at {count // 10:,} rows)"),
        Row(NAME, f"work orders XLSX, {count:,} rows", "s", rows_out["xlsx"], "COPY … TO STDOUT (CSV), same rows",
            copies, lower_is_better=True,
            note=f"{sizes['xlsx'] / mib:.1f} MiB; heap peak {max(peaks['xlsx']) / mib:.1f} MiB "
                 f"({peaks_small[1] / mib:.1f} MiB at {count // 10:,} rows)"),
    ]  # fmt: skip
