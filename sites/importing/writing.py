"""Writing a checked plan in bulk, inside the caller's transaction: COPY on PostgreSQL, bulk_create/bulk_update
elsewhere."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from django.db import connection

from sites.importing.common import WRITE_FIELDS
from sites.importing.planning import ImportPlan
from sites.models import Site


def write_plan(plan: ImportPlan, *, organization_id: int, client_id: int, now: datetime) -> None:
    """Write a plan inside the caller's transaction: PostgreSQL COPY there, bulk_create/bulk_update elsewhere."""
    if connection.vendor == "postgresql":
        _write_with_copy(plan, organization_id=organization_id, client_id=client_id, now=now)
    else:
        _write_with_orm(plan, organization_id=organization_id, client_id=client_id, now=now)


def _write_with_orm(plan: ImportPlan, *, organization_id: int, client_id: int, now: datetime) -> None:
    Site.objects.bulk_create(
        [
            Site(
                organization_id=organization_id,
                client_id=client_id,
                code=code,
                created_at=now,
                updated_at=now,
                **values,
            )
            for code, values in plan.creates
        ],
        batch_size=1000,
    )
    sites = [Site(pk=site_id, updated_at=now, **values) for site_id, values in plan.updates]
    Site.objects.bulk_update(sites, [*WRITE_FIELDS, "updated_at"], batch_size=500)


_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # built once, not per value


def _copy(cursor, table: str, columns: list[str], text_columns: list[str], rows: Iterator[list]) -> None:
    """COPY rows in CSV form: None is an empty unquoted field (NULL); in `text_columns` an empty field is ''."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    sql = (
        f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL ({', '.join(text_columns)}))"
    )
    raw = cursor.cursor
    if hasattr(raw, "copy_expert"):  # psycopg2
        raw.copy_expert(sql, buffer)
    else:  # pragma: no cover - psycopg 3
        with raw.copy(sql) as copy:
            copy.write(buffer.getvalue())


def _copy_values(values: dict) -> list:
    row = [values[name] for name in WRITE_FIELDS]
    for index in _WRITE_JSON_INDEXES:
        row[index] = _JSON_TEXT(row[index])
    return row


_WRITE_JSON_INDEXES = [WRITE_FIELDS.index(name) for name in ("access_hours", "blackout_dates", "attributes")]
_WRITE_TEXT_FIELDS = [
    name
    for name in WRITE_FIELDS
    if name not in ("latitude", "longitude", "access_hours", "blackout_dates", "attributes")
]


def _write_with_copy(plan: ImportPlan, *, organization_id: int, client_id: int, now: datetime) -> None:
    """COPY the rows into temporary tables, then one INSERT … SELECT and one UPDATE … FROM. (COPY straight
    into sites_site is refused under row-level security; a temporary table has none.)"""
    table = connection.ops.quote_name(Site._meta.db_table)
    column = {name: Site._meta.get_field(name).column for name in ("organization", "client", "code", *WRITE_FIELDS)}
    write_columns = [column[name] for name in WRITE_FIELDS]
    text_columns = [column[name] for name in _WRITE_TEXT_FIELDS]
    with connection.cursor() as cursor:
        if plan.creates:
            columns = [
                column["organization"],
                column["client"],
                column["code"],
                *write_columns,
                "created_at",
                "updated_at",
            ]
            _stage(cursor, "sites_import_new", table, columns)
            _copy(
                cursor,
                "sites_import_new",
                columns,
                [column["code"], *text_columns],
                ([organization_id, client_id, code, *_copy_values(values), now, now] for code, values in plan.creates),
            )
            names = ", ".join(columns)
            cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM sites_import_new")
        if plan.updates:
            columns = ["id", *write_columns, "updated_at"]
            _stage(cursor, "sites_import_changed", table, columns)
            _copy(
                cursor,
                "sites_import_changed",
                columns,
                text_columns,
                ([site_id, *_copy_values(values), now] for site_id, values in plan.updates),
            )
            assignments = ", ".join(f"{name} = stage.{name}" for name in columns[1:])
            cursor.execute(
                f"UPDATE {table} AS site SET {assignments} FROM sites_import_changed AS stage "
                f"WHERE site.id = stage.id AND site.{column['organization']} = %s AND site.{column['client']} = %s",
                [organization_id, client_id],
            )


def _stage(cursor, name: str, table: str, columns: list[str]) -> None:
    """An empty temporary table with `columns` of `table` (types only, no constraints), dropped at commit."""
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
    cursor.execute(f"CREATE TEMP TABLE {name} ON COMMIT DROP AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
