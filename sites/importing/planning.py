"""Planning an import: the checked rows compared with the client's sites (create, update or keep)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection

from sites.attributes import AttributeSchema
from sites.choices import SiteStatus
from sites.importing.checking import CheckResult
from sites.importing.common import EXISTING_BATCH, NEW_SITE_DEFAULTS, WRITE_FIELDS, Issue
from sites.models import Site


@dataclass
class ImportPlan:
    """What a commit would do: sites to create, sites to update (by id), and how many stay as they are."""

    creates: list[tuple[str, dict]] = field(default_factory=list)  # (code, values of WRITE_FIELDS)
    updates: list[tuple[int, dict]] = field(default_factory=list)  # (site id, values of WRITE_FIELDS)
    unchanged: int = 0
    issues: list[Issue] = field(default_factory=list)


_JSON_FIELDS = ("access_hours", "blackout_dates", "attributes")
_EXISTING_COLUMNS = ("id", "code", *WRITE_FIELDS)


def _existing_sites(*, organization_id: int, client_id: int, codes: list[str]) -> dict[str, tuple]:
    """The client's sites with these codes, by code: (id, code, *WRITE_FIELDS)."""
    if connection.vendor == "postgresql":
        return {row[1]: row for row in _existing_sites_postgres(organization_id, client_id, codes)}
    sites = Site.objects.for_organization(organization_id).filter(client_id=client_id).order_by()
    existing = {}
    for start in range(0, len(codes), EXISTING_BATCH):
        chunk = codes[start : start + EXISTING_BATCH]
        for row in sites.filter(code__in=chunk).values_list(*_EXISTING_COLUMNS):
            existing[row[1]] = row
    return existing


def _existing_sites_postgres(organization_id: int, client_id: int, codes: list[str]) -> Iterator[tuple]:
    """One query (`code = ANY(array)`) read straight from the cursor, JSON read as text and decoded once per
    distinct text (schedules and attribute sets repeat across a client's sites): the ORM's per-value
    converters would cost more than the query itself."""
    quote = connection.ops.quote_name
    field = Site._meta.get_field
    selected = ", ".join(
        f"{quote(field(name).column)}::text" if name in _JSON_FIELDS else quote(field(name).column)
        for name in _EXISTING_COLUMNS
    )
    json_indexes = [index for index, name in enumerate(_EXISTING_COLUMNS) if name in _JSON_FIELDS]
    decoded: dict[str, object] = {}
    sql = (
        f"SELECT {selected} FROM {quote(Site._meta.db_table)} "
        f"WHERE {quote(field('organization').column)} = %s AND {quote(field('client').column)} = %s "
        f"AND {quote(field('code').column)} = ANY(%s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [organization_id, client_id, codes])
        while chunk := cursor.fetchmany(10_000):
            for row in chunk:
                row = list(row)
                for index in json_indexes:
                    text = row[index]
                    value = decoded.get(text)
                    if value is None:
                        value = decoded[text] = json.loads(text)
                    row[index] = value
                yield tuple(row)


def plan_import(
    result: CheckResult,
    *,
    organization_id: int,
    client_id: int,
    schema: AttributeSchema | None = None,
    outcomes: dict[int, str] | None = None,
) -> ImportPlan:
    """Compare the checked rows with the client's sites (one query on PostgreSQL): create, update or keep.
    `outcomes`, if given, receives each row's: by row number, "create", "update", "unchanged" or "problem"."""
    plan = ImportPlan()
    timezone_column = result.timezone_column
    existing = _existing_sites(
        organization_id=organization_id, client_id=client_id, codes=[row.code for row in result.rows]
    )
    attributes_index = 1 + 1 + WRITE_FIELDS.index("attributes")
    for row in result.rows:
        current = existing.get(row.code)
        if current is None:
            values = {**NEW_SITE_DEFAULTS, **row.values}
            if values.get("status") is None:
                values["status"] = SiteStatus.ACTIVE.value
            values["attributes"] = dict(row.attributes_set)
            if row.timezone_missing:
                plan.issues.append(
                    Issue(
                        row.number,
                        timezone_column,
                        "A time zone is required for a new site: give one, or latitude and longitude to derive it.",
                    )
                )
                if outcomes is not None:
                    outcomes[row.number] = "problem"
                continue
        else:
            before = dict(zip(WRITE_FIELDS, current[2:], strict=True))
            values = {**before, **{name: value for name, value in row.values.items() if value is not None}}
            for name in ("latitude", "longitude"):
                if name in row.values:
                    values[name] = row.values[name]
            attributes = dict(current[attributes_index])
            for name in row.attributes_unset:
                attributes.pop(name, None)
            attributes.update(row.attributes_set)
            values["attributes"] = attributes
        if schema is not None:
            problems = schema.problems(values["attributes"])
            if problems:
                plan.issues.extend(Issue(row.number, f"attr:{name}", message) for name, message in problems)
                if outcomes is not None:
                    outcomes[row.number] = "problem"
                continue
        if current is None:
            plan.creates.append((row.code, values))
            outcome = "create"
        elif values == before:
            plan.unchanged += 1
            outcome = "unchanged"
        else:
            plan.updates.append((current[0], values))
            outcome = "update"
        if outcomes is not None:
            outcomes[row.number] = outcome
    return plan


def sort_issues(issues: list[Issue]) -> list[Issue]:
    """File order: by row (a stable sort keeps each row's issues in column order)."""
    return sorted(issues, key=lambda issue: issue.row or 0)
