"""Checking a file's header and rows: every check that needs no database; all problems are collected, by row and
column, none stops the run."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from sites.attributes import AttributeSchema
from sites.choices import AttributeType, SiteStatus
from sites.importing.common import (
    CLIENT_COLUMN,
    COLUMN_ALIASES,
    COLUMN_FIELDS,
    FORMULA_TRIGGERS,
    MAX_ROWS,
    PROGRESS_EVERY,
    REQUIRED_COLUMNS,
    ImportFileError,
    Issue,
    RawRow,
)
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
