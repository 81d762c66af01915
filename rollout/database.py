"""Creating the configured PostgreSQL database when it does not exist yet (`manage.py create_database`, run by
`make migrate`; the benchmarks' own database too), so that a fresh `DATABASE_URL` works without a manual
`createdb`. SQLite creates its file by itself."""

from __future__ import annotations


def database_create_if_missing(config: dict, *, drop_first: bool = False) -> bool:
    """Create the PostgreSQL database described by `config` (a Django DATABASES entry) if it is missing, first
    dropping it when `drop_first`. Returns True when it was created; False for an existing one or another engine.
    Connects to the server's `postgres` maintenance database with the same credentials."""
    if not config["ENGINE"].startswith("django.db.backends.postgresql"):
        return False
    import psycopg2
    from psycopg2 import sql

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
            if drop_first:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if cursor.fetchone() is not None:
                return False
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return True
    finally:
        connection.close()
