"""The benchmark database: created when missing, migrated before every run."""

from __future__ import annotations

import dj_database_url


def ensure_database(url: str, *, fresh: bool = False) -> str:
    """Create the PostgreSQL database named in `url` if it does not exist (first dropping it when `fresh`,
    e.g. after migrations were rewritten during development); returns its name."""
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if not config["ENGINE"].startswith("django.db.backends.postgresql"):
        raise SystemExit(f"The benchmarks run on PostgreSQL; BENCH_DATABASE_URL is {url!r}.")
    name = config["NAME"]
    if fresh and "bench" not in name:
        raise SystemExit(f"Refusing to drop {name!r}: only a database whose name contains 'bench' is dropped.")
    connection = psycopg2.connect(
        dbname="postgres",
        user=config.get("USER") or None,
        password=config.get("PASSWORD") or None,
        host=config.get("HOST") or None,
        port=config.get("PORT") or None,
    )
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            if fresh:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return name
