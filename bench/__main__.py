"""`python -m bench [NAME …] [--quick] [--runs N] [--rows N]`: run the benchmarks and print one table, every figure
beside its ceiling measured in the same run.

Each benchmark is a module with `run(size: Size) -> list[Row]` (bench/report.py); add one to BENCHMARKS to include
it. DRILLS run only when named (`python -m bench packet_drill`): fault drills with real workers, long by design.
They run against BENCH_DATABASE_URL as the application's ordinary role (see bench/settings.py), never the
development database.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from dataclasses import dataclass

BENCHMARKS = {
    "site_import": "bench.site_import",
    "packets": "bench.packets",
    "visits": "bench.visits",
    "photos": "bench.photos",
    "escalations": "bench.escalations",
    "webhooks": "bench.webhooks",
    "drft": "bench.drft",
    "drft_metrics": "bench.drft_metrics",
    "scheduling": "bench.scheduling",
}
DRILLS = {
    "packet_drill": "bench.packet_drill",
}


@dataclass(frozen=True)
class Size:
    """How big a run is: `quick` (small sizes, for development and the suite's smoke test), `runs` per case (the
    median is reported, with its spread), and `rows` when given on the command line (else each benchmark's own)."""

    quick: bool = False
    runs: int = 3
    rows: int | None = None
    #: The suite's smoke test: the smallest sizes that still run every step (seconds, not minutes).
    tiny: bool = False

    def pick(self, full: int, quick: int, tiny: int | None = None) -> int:
        if self.rows is not None:
            return self.rows
        if self.tiny:
            return tiny if tiny is not None else quick
        return quick if self.quick else full


def _use_credentials(url: str) -> None:
    import dj_database_url
    from django.db import connections

    config = dj_database_url.parse(url)
    connection = connections["default"]
    connection.close()
    connection.settings_dict.update({key: config[key] for key in ("USER", "PASSWORD", "HOST", "PORT")})


def prepare(*, fresh: bool = False) -> str:
    """Create (as the schema's owner) and migrate the benchmark database, then connect as the application role."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from bench.db import ensure_database
    from bench.settings import BENCH_DATABASE_URL, BENCH_MIGRATION_DATABASE_URL

    database = ensure_database(BENCH_MIGRATION_DATABASE_URL, fresh=fresh)
    import django
    from django.core.management import call_command

    django.setup()
    _use_credentials(BENCH_MIGRATION_DATABASE_URL)
    call_command("migrate", verbosity=0, interactive=False)
    _use_credentials(BENCH_DATABASE_URL)
    return database


def run(names: list[str], size: Size) -> list:
    rows = []
    for name in names:
        module = importlib.import_module({**BENCHMARKS, **DRILLS}[name])
        rows.extend(module.run(size))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all), or {', '.join(DRILLS)}"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole table in about 3 minutes")
    parser.add_argument("--runs", type=int, default=3, help="runs of each case (default and minimum 3)")
    parser.add_argument(
        "--rows", type=int, default=None, help="rows per import (default 50,000); work orders of packet_drill (1,217)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database first")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio is below its goal")
    args = parser.parse_args(argv)
    known = {**BENCHMARKS, **DRILLS}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(known)}")

    database = prepare(fresh=args.fresh)
    size = Size(quick=args.quick, runs=max(3, args.runs), rows=args.rows)
    from django.db import connection

    from bench.report import print_table

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user)"
        )
        role, bypasses = cursor.fetchone()
    load = os.getloadavg()
    print(
        f"PostgreSQL database {database} as role {role} (row-level security {'BYPASSED' if bypasses else 'on'}); "
        f"{'quick' if args.quick else 'full'} sizes, {size.runs} runs per case; {os.cpu_count()} CPUs, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}",
        file=sys.stderr,
    )
    rows = []
    for name in args.names or list(BENCHMARKS):
        print(f"Running {name}…", file=sys.stderr)
        rows.extend(run([name], size))
    print_table(rows)
    return 1 if args.strict and not all(row.meets_goal for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
