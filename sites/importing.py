"""Read, check and plan a site import; write a checked plan in bulk. No Celery and no SiteImport here:
sites.services drives these functions for the dry run and the commit, and the benchmark calls them too.

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

import csv
import gc
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal

from django.db import connection

from sites.attributes import AttributeSchema
from sites.choices import AttributeType, SiteStatus
from sites.models import Site
from sites.values import (
    SiteValueError,
    clean_attribute_name,
    clean_coordinate,
    clean_country,
    clean_timezone,
    parse_access_hours,
    parse_attribute,
    parse_blackout_dates,
    timezone_for_coordinates,
)

MAX_ROWS = 200_000  # bounds a task's time; larger files are split
MAX_STORED_ISSUES = 10_000  # the report keeps the first ones; the count is always exact
EXISTING_BATCH = 5_000
PROGRESS_EVERY = 1_000

COLUMN_FIELDS = {
    "code": "code",
    "name": "name",
    "address1": "address_line1",
    "address2": "address_line2",
    "city": "city",
    "state": "state",
    "postal_code": "postal_code",
    "country": "country",
    "latitude": "latitude",
    "longitude": "longitude",
    "timezone": "timezone",
    "access_hours": "access_hours",
    "blackout_dates": "blackout_dates",
    "status": "status",
}
COLUMN_ALIASES = {
    "address_line1": "address1",
    "address_line2": "address2",
    "region": "state",
    "zip": "postal_code",
    "postcode": "postal_code",
    "lat": "latitude",
    "lon": "longitude",
    "lng": "longitude",
    "time_zone": "timezone",
}
CLIENT_COLUMN = "client"
REQUIRED_COLUMNS = ("code", "name")
EXPORT_COLUMNS = ("client", *COLUMN_FIELDS)  # the export writes these, then attr:<name>:<type> columns
# The fields of Site that an import writes (besides organization, client and code).
WRITE_FIELDS = (
    "name",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country",
    "latitude",
    "longitude",
    "timezone",
    "access_hours",
    "blackout_dates",
    "attributes",
    "status",
)
NEW_SITE_DEFAULTS = {
    "address_line1": "",
    "address_line2": "",
    "city": "",
    "state": "",
    "postal_code": "",
    "country": "US",
    "latitude": None,
    "longitude": None,
    "access_hours": {},
    "blackout_dates": [],
    "status": SiteStatus.ACTIVE.value,
}
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})


class ImportFileError(Exception):
    """The file as a whole cannot be read (not UTF-8, not a workbook, too many rows…)."""


@dataclass(frozen=True)
class Issue:
    """One problem, by row and column (row None: the whole file; column None: the whole row)."""

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector while a bounded import job builds ~a million small containers:
    its repeated full passes over them would otherwise double the job's time. Nothing here makes cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --- Reading ----------------------------------------------------------------------------------------


@dataclass
class RawRow:
    number: int
    cells: list[str]
    cell_issues: list[tuple[int, str]] = field(default_factory=list)  # (column index, message)


def detect_format(filename: str, head: bytes) -> str | None:
    """'csv' or 'xlsx' from the name and the first bytes; None for anything else."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx" if head.startswith(b"PK\x03\x04") else None
    if name.endswith((".csv", ".txt")):
        return None if head.startswith(b"PK\x03\x04") else "csv"
    return None


def _guess_delimiter(header_line: str) -> str:
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def count_csv_rows(path) -> int:
    """How many records the CSV holds (header included), for the progress bar."""
    with open(path, "rb") as handle:
        return sum(1 for _ in handle)


def read_csv(path) -> Iterator[RawRow]:
    """Records of a UTF-8 CSV file (a BOM is dropped; CRLF, LF or CR line endings)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first_line = handle.readline()
            handle.seek(0)
            reader = csv.reader(handle, delimiter=_guess_delimiter(first_line), strict=False)
            for number, cells in enumerate(reader, start=1):
                yield RawRow(number, cells)
    except UnicodeDecodeError as error:
        raise ImportFileError(
            "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (Comma delimited)”, or upload the .xlsx."
        ) from error
    except csv.Error as error:
        raise ImportFileError(f"The CSV file cannot be read: {error}.") from error


def _xlsx_has_formulas(path) -> bool:
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with archive.open(name) as member:
                    tail = b""
                    while chunk := member.read(1 << 20):
                        if b"<f>" in tail + chunk or b"<f " in tail + chunk:
                            return True
                        tail = chunk[-3:]
    return False


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def xlsx_row_estimate(path) -> int:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        return 0  # read_xlsx reports the unreadable file
    try:
        return workbook.worksheets[0].max_row or 0
    finally:
        workbook.close()


def read_xlsx(path) -> Iterator[RawRow]:
    """Rows of the first sheet, as text. Cached values of formulas; a formula without one is flagged."""
    import openpyxl

    try:
        values_book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formula_book = (
            openpyxl.load_workbook(path, read_only=True, data_only=False) if _xlsx_has_formulas(path) else None
        )
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportFileError("The file is not a readable Excel workbook (.xlsx).") from error
    try:
        values_sheet = values_book.worksheets[0]
        values_sheet.reset_dimensions()  # some writers record wrong dimensions; read every row there is
        values_rows = values_sheet.iter_rows(values_only=True)
        if formula_book is None:
            for number, values in enumerate(values_rows, start=1):
                yield _xlsx_row(number, values, None)
            return
        formula_sheet = formula_book.worksheets[0]
        formula_sheet.reset_dimensions()
        for number, (values, formulas) in enumerate(
            zip(values_rows, formula_sheet.iter_rows(values_only=True), strict=False), start=1
        ):
            yield _xlsx_row(number, values, formulas)
    finally:
        values_book.close()
        if formula_book is not None:
            formula_book.close()


def _xlsx_row(number: int, values, formulas) -> RawRow:
    row = RawRow(number, [_xlsx_text(value) for value in values])
    for index, text in enumerate(row.cells):
        if text in EXCEL_ERRORS:
            row.cell_issues.append((index, f"The cell holds the spreadsheet error {text}."))
    if formulas:
        for index, formula in enumerate(formulas):
            if isinstance(formula, str) and formula.startswith("=") and index < len(values) and values[index] is None:
                row.cell_issues.append(
                    (
                        index,
                        f"This formula ({formula[:60]}) has no saved value: open the file in Excel and save it, "
                        "or paste the values.",
                    )
                )
    return row


# --- Header ---------------------------------------------------------------------------------------


@dataclass
class Column:
    index: int
    header: str  # as written in the file, for messages
    key: str  # code, name, …, client, or attr:<name>
    field: str | None = None  # the Site field, for standard columns
    attribute: str | None = None
    attribute_type: str | None = None


@dataclass
class Header:
    columns: list[Column]
    issues: list[Issue]

    @property
    def keys(self) -> set[str]:
        return {column.key for column in self.columns}

    def get(self, key: str) -> Column | None:
        return next((column for column in self.columns if column.key == key), None)


def allowed_columns_text() -> str:
    return ", ".join([CLIENT_COLUMN, *COLUMN_FIELDS]) + ", and attr:<name> or attr:<name>:<type> for attributes"


def read_header(row: RawRow) -> Header:
    """Map the header row to columns; unknown, duplicated and missing columns are issues naming them."""
    columns, issues, seen = [], [], {}
    for index, raw in enumerate(row.cells):
        text = raw.strip()
        if not text:
            continue
        key = text.lower()
        key = COLUMN_ALIASES.get(key, key)
        column = Column(index=index, header=text, key=key)
        if key.startswith("attr:"):
            parts = [part.strip() for part in key.split(":")]
            try:
                if len(parts) > 3:
                    raise SiteValueError("Write attribute columns as attr:<name> or attr:<name>:<type>.")
                column.attribute = clean_attribute_name(parts[1])
                if len(parts) == 3:
                    if parts[2] not in AttributeType.values:
                        raise SiteValueError(f"“{parts[2]}” is not an attribute type: use str, int, float or bool.")
                    column.attribute_type = parts[2]
            except SiteValueError as error:
                issues.append(Issue(row.number, text, f"Column “{text}”: {error}"))
                continue
            column.key = f"attr:{column.attribute}"
        elif key in COLUMN_FIELDS:
            column.field = COLUMN_FIELDS[key]
        elif key != CLIENT_COLUMN:
            issues.append(
                Issue(row.number, text, f"Unknown column “{text}”. The columns are {allowed_columns_text()}.")
            )
            continue
        if column.key in seen:
            issues.append(Issue(row.number, text, f"The column “{text}” appears twice (also “{seen[column.key]}”)."))
            continue
        seen[column.key] = text
        columns.append(column)
    for required in REQUIRED_COLUMNS:
        if required not in seen:
            issues.append(Issue(row.number, required, f"The required column “{required}” is missing from the header."))
    if ("latitude" in seen) != ("longitude" in seen):
        missing = "longitude" if "latitude" in seen else "latitude"
        issues.append(Issue(row.number, missing, "Give latitude and longitude columns together."))
    return Header(columns=columns, issues=issues)


# --- Rows -----------------------------------------------------------------------------------------


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
_NUL_RE = re.compile(r"\x00")
FIELD_LABELS = {"code": "site code", "address_line1": "address line 1", "address_line2": "address line 2"}


def _text_cleaner(field_name: str, *, required: bool = False, no_controls: bool = False):
    max_length = Site._meta.get_field(field_name).max_length
    label = FIELD_LABELS.get(field_name, field_name.replace("_", " "))

    forbidden = _CONTROL_RE if no_controls else _NUL_RE

    def clean(text: str) -> str:
        if not text and required:
            raise SiteValueError(f"The {label} is required.")
        if len(text) > max_length:
            raise SiteValueError(f"The {label} is at most {max_length} characters (this one has {len(text)}).")
        if forbidden.search(text):
            raise SiteValueError(f"The {label} contains control characters.")
        return text

    return clean


def _status(text: str) -> str | None:
    if not text:
        return None
    value = text.lower()
    if value not in SiteStatus.values:
        raise SiteValueError(f"“{text}” is not a status: use active or inactive.")
    return value


CLEANERS: dict[str, Callable[[str], object]] = {
    "code": _text_cleaner("code", required=True, no_controls=True),
    "name": _text_cleaner("name", required=True),
    "address_line1": _text_cleaner("address_line1"),
    "address_line2": _text_cleaner("address_line2"),
    "city": _text_cleaner("city"),
    "state": _text_cleaner("state"),
    "postal_code": _text_cleaner("postal_code"),
    "country": lambda text: clean_country(text) if text else "US",
    "latitude": lambda text: clean_coordinate(text, "latitude") if text else None,
    "longitude": lambda text: clean_coordinate(text, "longitude") if text else None,
    "timezone": lambda text: clean_timezone(text) if text else None,
    "access_hours": lambda text: parse_access_hours(text) if text else {},
    "blackout_dates": lambda text: parse_blackout_dates(text) if text else [],
    "status": _status,
}


def unescape_cell(text: str) -> str:
    """Undo the export's formula defusing: a leading quote before = + - @ tab or CR is dropped."""
    if len(text) > 1 and text[0] == "'" and (text[1] in FORMULA_TRIGGERS or text[1] == "'"):
        return text[1:]
    return text


@dataclass
class CheckedRow:
    """A row that passed the checks that need no database: normalized values of the columns present."""

    number: int
    code: str
    values: dict  # Site field → value, for the standard columns present (timezone only when known)
    attributes_set: dict
    attributes_unset: list[str]
    timezone_missing: bool


@dataclass
class CheckResult:
    rows: list[CheckedRow]
    issues: list[Issue]
    rows_read: int  # data rows, empty ones excluded
    header: Header | None

    @property
    def timezone_column(self) -> str:
        column = self.header.get("timezone") if self.header is not None else None
        return column.header if column is not None else "timezone"


def first_header(rows: Iterator[RawRow]) -> Header:
    """The header: the first row with a value (empty rows before it are skipped)."""
    for raw in rows:
        if any(cell.strip() for cell in raw.cells):
            return read_header(raw)
    raise ImportFileError("The file is empty: the first row must name the columns (code, name, …).")


class RowChecker:
    """Every check that needs no database, one row at a time, for one header. With `duplicates`, a site code
    seen on an earlier row of this checker is a problem (the durable dry run checks codes across its chunks
    itself)."""

    def __init__(self, header: Header, *, client_code: str, schema: AttributeSchema | None, duplicates=True):
        self.header, self.client_code, self.schema, self.duplicates = header, client_code, schema, duplicates
        self.field_columns = [(column, CLEANERS[column.field]) for column in header.columns if column.field]
        self.attribute_columns = [column for column in header.columns if column.attribute]
        self.client_column = header.get(CLIENT_COLUMN)
        self.header_by_index = {column.index: column.header for column in header.columns}
        named_indexes = set(self.header_by_index)
        self.width = max(named_indexes) + 1
        self.unnamed_indexes = [index for index in range(self.width) if index not in named_indexes]
        self.column_order = {column.header: column.index for column in header.columns}
        self.has_coordinates = header.get("latitude") is not None
        self.first_row_of_code: dict[str, int] = {}

    def check(self, number: int, cells: list[str], cell_issues) -> tuple[str | None, CheckedRow | None, list[Issue]]:
        """(the row's site code if it reads as one, the checked row or None, the row's problems in column order)
        for a non-empty row of stripped cells."""
        width, header, schema = self.width, self.header, self.schema
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        header_by_index = self.header_by_index
        row_issues = [
            Issue(number, header_by_index.get(index, _column_letter(index)), message) for index, message in cell_issues
        ]
        for index in (*self.unnamed_indexes, *range(width, len(cells))):
            if cells[index]:
                row_issues.append(
                    Issue(number, _column_letter(index), "This cell has a value but its column has no name.")
                )
        values = {}
        for column, clean in self.field_columns:
            text = cells[column.index]
            if text and text[0] == "'":
                text = unescape_cell(text)
            try:
                values[column.field] = clean(text)
            except SiteValueError as error:
                row_issues.append(Issue(number, column.header, str(error)))
        attributes_set, attributes_unset = {}, []
        for column in self.attribute_columns:
            text = cells[column.index]
            if text and text[0] == "'":
                text = unescape_cell(text)
            if not text:
                attributes_unset.append(column.attribute)
                continue
            spec = schema.get(column.attribute) if schema else None
            try:
                value = parse_attribute(text, column.attribute_type or (spec.type if spec else None))
                if spec is not None:
                    spec.check(value)
                attributes_set[column.attribute] = value
            except SiteValueError as error:
                row_issues.append(Issue(number, column.header, str(error)))
        if self.client_column is not None:
            given = cells[self.client_column.index]
            if given and given != self.client_code:
                row_issues.append(
                    Issue(
                        number,
                        self.client_column.header,
                        f"This row is for client “{given}”; this import is for client “{self.client_code}”.",
                    )
                )
        code = values.get("code")
        if code and self.duplicates:
            first = self.first_row_of_code.setdefault(code, number)
            if first != number:
                row_issues.append(
                    Issue(number, header.get("code").header, f"The site code “{code}” is also on row {first}.")
                )
        timezone_missing = False
        if self.has_coordinates and "latitude" in values and "longitude" in values:
            latitude, longitude = values["latitude"], values["longitude"]
            if (latitude is None) != (longitude is None):
                missing = header.get("longitude" if latitude is not None else "latitude")
                row_issues.append(Issue(number, missing.header, "Give both latitude and longitude, or neither."))
        if values.get("timezone") is None:
            values.pop("timezone", None)
            latitude, longitude = values.get("latitude"), values.get("longitude")
            if latitude is not None and longitude is not None:
                derived = timezone_for_coordinates(latitude, longitude)
                if derived:
                    values["timezone"] = derived
                else:
                    timezone_missing = True
            else:
                timezone_missing = True
        if row_issues:
            column_order = self.column_order
            row_issues.sort(key=lambda issue: column_order.get(issue.column, width))  # in the file's column order
            return code or None, None, row_issues
        checked = CheckedRow(
            number=number,
            code=values.pop("code"),
            values=values,
            attributes_set=attributes_set,
            attributes_unset=attributes_unset,
            timezone_missing=timezone_missing,
        )
        return checked.code, checked, row_issues


def check_rows(
    rows: Iterator[RawRow],
    *,
    client_code: str,
    schema: AttributeSchema | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckResult:
    """Every check that needs no database, on every row: all problems are collected, none stops the run."""
    header = first_header(rows)
    if header.issues:
        return CheckResult(rows=[], issues=header.issues, rows_read=0, header=header)
    checker = RowChecker(header, client_code=client_code, schema=schema)
    checked: list[CheckedRow] = []
    issues: list[Issue] = []
    rows_read = 0
    for raw in rows:
        cells = [cell.strip() for cell in raw.cells]
        if not any(cells):
            continue
        rows_read += 1
        if rows_read > MAX_ROWS:
            raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it into several imports.")
        if progress is not None and rows_read % PROGRESS_EVERY == 0:
            progress(rows_read)
        _code, row, row_issues = checker.check(raw.number, cells, raw.cell_issues)
        if row is None:
            issues.extend(row_issues)
        else:
            checked.append(row)
    if progress is not None:
        progress(rows_read)
    return CheckResult(rows=checked, issues=issues, rows_read=rows_read, header=header)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return f"column {letters}"


# --- Plan -----------------------------------------------------------------------------------------


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


# --- Writing --------------------------------------------------------------------------------------


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


def read_file(path, file_format: str) -> Iterator[RawRow]:
    return read_xlsx(path) if file_format == "xlsx" else read_csv(path)


def estimate_rows(path, file_format: str) -> int:
    """Data rows, roughly (for the progress bar): lines of a CSV, the recorded size of a sheet."""
    total = xlsx_row_estimate(path) if file_format == "xlsx" else count_csv_rows(path)
    return max(total - 1, 0)


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
    """The whole dry run: read and check every row, then compare with the database. Writes nothing."""
    result = check_rows(read_file(path, file_format), client_code=client_code, schema=schema, progress=progress)
    plan = plan_import(result, organization_id=organization_id, client_id=client_id, schema=schema)
    plan.issues = sort_issues([*result.issues, *plan.issues])
    return result, plan


__all__ = [
    "EXPORT_COLUMNS",
    "MAX_STORED_ISSUES",
    "WRITE_FIELDS",
    "CheckResult",
    "ImportFileError",
    "ImportPlan",
    "Issue",
    "check_and_plan",
    "detect_format",
    "estimate_rows",
    "unescape_cell",
    "write_plan",
]
