"""The benchmark database: created when missing, migrated before every run."""

from __future__ import annotations

import dj_database_url

from rollout.database import database_create_if_missing


def ensure_database(url: str, *, fresh: bool = False) -> str:
    """Create the PostgreSQL database named in `url` if it does not exist (first dropping it when `fresh`,
    e.g. after migrations were rewritten during development); returns its name."""
    config = dj_database_url.parse(url)
    if not config["ENGINE"].startswith("django.db.backends.postgresql"):
        raise SystemExit(f"The benchmarks run on PostgreSQL; BENCH_DATABASE_URL is {url!r}.")
    name = config["NAME"]
    if fresh and "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: only a database whose name contains 'bench' is dropped.")
    database_create_if_missing(config, drop_first=fresh)
    return name
