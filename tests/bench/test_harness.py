"""The benchmark harness at a tiny size, so that it cannot rot: the table's arithmetic everywhere, and on PostgreSQL
the in-process benchmarks (site import beside bulk_create and COPY, packet PDFs beside bare WeasyPrint, the SLA
sweep and the DRFT roll-up beside their raw SQL) run end to end on the suite's database, as the application role
when MIGRATION_DATABASE_URL is set (.ci/run). The server benchmarks (visits, webhooks) start gunicorn and a Celery
worker on the benchmark database and are left to `make bench --quick`."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.__main__ import Size
from bench.report import Row, latencies, table_lines


def test_a_row_is_the_median_beside_its_ceiling():
    rate = Row("b", "rate", "rows/s", [90, 100, 110], "ceiling", [200, 200, 250], goal=0.5)
    assert rate.value == 100 and rate.ceiling_value == 200
    assert rate.ratio == 0.45 and not rate.meets_goal  # the median of the per-run ratios: 0.45, 0.5, 0.44
    assert round(rate.spread, 2) == 0.2
    duration = Row("b", "time", "ms", [20, 30, 40], "raw SQL", [10, 10, 10], goal=0.3, lower_is_better=True)
    assert duration.ratio == 10 / 30 and duration.meets_goal
    alone = Row("b", "no ceiling", "MB", [1, 2, 3], "none")
    assert alone.ratio is None and alone.meets_goal


def test_the_table_prints_figure_ceiling_ratio_and_goal():
    lines = table_lines(
        [
            Row("site_import", "commit", "rows/s", [10_000, 11_000, 12_000], "COPY", [40_000] * 3, goal=0.25,
                latency=latencies([1, 2, 3, 100]))
        ]
    )  # fmt: skip
    assert lines[0].split("|")[1:5] == [" benchmark   ", " case   ", " figure ", " unit   "]
    assert "11,000" in lines[2] and "40,000" in lines[2] and "0.28×" in lines[2] and "≥ 0.25× ok" in lines[2]
    assert "2/100/100 ms" in lines[2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the benchmarks run on PostgreSQL (COPY, raw SQL)")
@pytest.mark.parametrize("name", ["site_import", "packets", "escalations", "drft", "scheduling", "exports"])
def test_each_benchmark_runs_at_a_tiny_size(name, settings):
    from bench.__main__ import run

    settings.CELERY_TASK_ALWAYS_EAGER = True
    rows = run([name], Size(tiny=True, runs=3))
    assert rows and all(len(row.values) == 3 for row in rows)
    assert all(row.ratio is not None and row.ratio > 0 for row in rows if row.ceiling_values)
    assert table_lines(rows)
