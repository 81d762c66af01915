"""`python -m bench [NAME …] [--rows N]`: run the benchmarks and print a table of figures.

Each benchmark is a module with `run(rows: int) -> list[Figure]`; add one to BENCHMARKS to include it. DRILLS run
only when named (`python -m bench packet_drill`): fault drills with real workers, long by design.
They run against BENCH_DATABASE_URL (see bench/settings.py), never the development database.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

BENCHMARKS = {
    "site_import": "bench.site_import",
    "packets": "bench.packets",
    "visits": "bench.visits",
    "photos": "bench.photos",
    "escalations": "bench.escalations",
    "webhooks": "bench.webhooks",
    "drft": "bench.drft",
    "scheduling": "bench.scheduling",
}
DRILLS = {
    "packet_drill": "bench.packet_drill",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "names", nargs="*", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all), or {', '.join(DRILLS)}"
    )
    parser.add_argument(
        "--rows", type=int, default=None, help="rows per import (default 50,000); work orders of packet_drill (1,217)"
    )
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the benchmark database first")
    args = parser.parse_args(argv)
    known = {**BENCHMARKS, **DRILLS}
    unknown = [name for name in args.names if name not in known]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(known)}")

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    from bench.db import ensure_database
    from bench.settings import BENCH_DATABASE_URL

    database = ensure_database(BENCH_DATABASE_URL, fresh=args.fresh)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)

    from bench.report import print_table

    figures = []
    for name in args.names or list(BENCHMARKS):
        module = importlib.import_module(known[name])
        rows = {} if args.rows is None else {"rows": args.rows}
        size = "default size" if args.rows is None else f"{args.rows:,} rows"
        print(f"Running {name} on PostgreSQL database {database} ({size})…", file=sys.stderr)
        figures.extend(module.run(**rows))
    print_table(figures)
    return 0 if all(figure.meets_target for figure in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
