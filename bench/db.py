"""The benchmark database: created when missing, migrated before every run."""

from __future__ import annotations

import dj_database_url


def ensure_database(url: str) -> str:
    """Create the PostgreSQL database named in `url` if it does not exist; returns its name."""
    import psycopg2
    from psycopg2 import sql

    config = dj_database_url.parse(url)
    if not config["ENGINE"].startswith("django.db.backends.postgresql"):
        raise SystemExit(f"The benchmarks run on PostgreSQL; BENCH_DATABASE_URL is {url!r}.")
    name = config["NAME"]
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
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        connection.close()
    return name
