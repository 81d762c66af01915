"""Read, check and plan a site import; write a checked plan in bulk. No Celery and no SiteImport here:
sites.import_jobs (the dry run, in chunks: `chunks`) and sites.services (the commit) drive these functions, and the
benchmark calls them too. One module per step: `reading` (the file's rows as text), `checking` (header and rows,
no database), `planning` (compared with the client's sites), `writing` (in bulk); `common` holds what they share.

The file: CSV (UTF-8, with or without a BOM; any line endings; `,` `;` or tab between values, guessed from
the header) or XLSX (the first sheet; formula cells give their saved value, and a formula without a saved
value is flagged). Row 1 is the header; row numbers in every message are the file's own, as a spreadsheet
shows them. Empty rows are skipped.

Columns (case-insensitive; only `code` and `name` are required; `client`, if present, must be the import's
client code, so an export of several clients cannot land in the wrong one):
    client, code, name, address1, address2, city, state, postal_code, country, latitude, longitude,
    timezone, access_hours, blackout_dates, status, attr:<name>[:<type>]
Attribute columns: `attr:<name>:<type>` (str, int, float, bool) types every value of the column; a bare
`attr:<name>` infers each value (true/false → bool, a whole number without leading zeros → int, a decimal
→ float, anything else → text), unless an attribute schema gives the type. An empty attribute cell removes
the attribute from the site.

Updating an existing site (same code, same client): a column that is absent from the file leaves that
field as it is; an empty cell clears an optional field (country falls back to US; an empty time zone is
derived from the coordinates, or kept). A cell that starts with a quote followed by = + - @ tab or CR
is read without the quote: that is how our export defuses spreadsheet formulas.
"""

from __future__ import annotations

from collections.abc import Callable

from sites.attributes import AttributeSchema
from sites.importing.checking import (
    CheckedRow,
    CheckResult,
    Header,
    RowChecker,
    check_rows,
    read_header,
    unescape_cell,
)
from sites.importing.common import (
    COLUMN_FIELDS,
    EXPORT_COLUMNS,
    FORMULA_TRIGGERS,
    MAX_ROWS,
    MAX_STORED_ISSUES,
    WRITE_FIELDS,
    ImportFileError,
    Issue,
    RawRow,
    paused_gc,
)
from sites.importing.planning import ImportPlan, plan_import, sort_issues
from sites.importing.reading import detect_format, read_file
from sites.importing.writing import write_plan


def check_and_plan(
    path,
    file_format: str,
    *,
    organization_id: int,
    client_id: int,
    client_code: str,
    schema: AttributeSchema | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[CheckResult, ImportPlan]:
    """The whole dry run in one go: read and check every row, then compare with the database. Writes nothing."""
    result = check_rows(read_file(path, file_format), client_code=client_code, schema=schema, progress=progress)
    plan = plan_import(result, organization_id=organization_id, client_id=client_id, schema=schema)
    plan.issues = sort_issues([*result.issues, *plan.issues])
    return result, plan


__all__ = [
    "COLUMN_FIELDS",
    "EXPORT_COLUMNS",
    "FORMULA_TRIGGERS",
    "MAX_ROWS",
    "MAX_STORED_ISSUES",
    "WRITE_FIELDS",
    "CheckResult",
    "CheckedRow",
    "Header",
    "ImportFileError",
    "ImportPlan",
    "Issue",
    "RawRow",
    "RowChecker",
    "check_and_plan",
    "check_rows",
    "detect_format",
    "paused_gc",
    "plan_import",
    "read_file",
    "read_header",
    "sort_issues",
    "unescape_cell",
    "write_plan",
]
