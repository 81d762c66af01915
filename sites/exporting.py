"""Export sites to CSV or XLSX with the import's columns, so that exporting then importing changes nothing.

Safe against spreadsheet formula injection: a text cell that starts with = + - @ tab or CR (or with a quote
before one of those) gets a leading quote, which the importer drops again (sites.importing.unescape_cell).
Plain numbers such as -87.63 are left alone: a spreadsheet reads them as numbers, not formulas.

Attribute columns are typed (`attr:<name>:<type>`) when every exported site holds the same type for that
name, so "00123" stays text and 4 stays a whole number; a name with mixed types gets a bare `attr:<name>`.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import QuerySet

from rollout.exporting import defuse  # the one formula-injection guard; dashboards import it from here too
from sites.choices import AttributeType
from sites.importing import EXPORT_COLUMNS
from sites.models import SITE_FIELDS
from sites.values import attribute_type, format_access_hours, format_attribute, format_blackout_dates

CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SITE_VALUE_FIELDS = ("client__code", *SITE_FIELDS, "status")  # what site_rows unpacks


def attribute_columns(queryset: QuerySet) -> list[tuple[str, str | None]]:
    """(name, type or None for mixed) of every attribute the sites hold, by name. One pass, in chunks."""
    types: dict[str, set[str]] = {}
    for attributes in queryset.order_by().values_list("attributes", flat=True).iterator(chunk_size=CHUNK_SIZE):
        for name, value in (attributes or {}).items():
            types.setdefault(name, set()).add(attribute_type(value))
    columns = []
    for name in sorted(types):
        found = types[name]
        if found == {AttributeType.INT, AttributeType.FLOAT}:
            found = {AttributeType.FLOAT}
        columns.append((name, next(iter(found)) if len(found) == 1 else None))
    return columns


def header_row(attributes: list[tuple[str, str | None]]) -> list[str]:
    return [*EXPORT_COLUMNS, *(f"attr:{name}:{type_}" if type_ else f"attr:{name}" for name, type_ in attributes)]


def _coordinate_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f")


def site_rows(queryset: QuerySet, attributes: list[tuple[str, str | None]]) -> Iterator[list]:
    """One list per site, in header order: text for text fields, Decimal/None for coordinates, raw attribute
    values (None when absent). Streams in chunks, in the queryset's order."""
    names = [name for name, _type in attributes]
    for values in queryset.values_list(*SITE_VALUE_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        (client, code, name, line1, line2, city, state, postal, country, lat, lng, tz, hours, dates, attrs, status) = (
            values
        )
        attrs = attrs or {}
        yield [
            client,
            code,
            name,
            line1,
            line2,
            city,
            state,
            postal,
            country,
            lat,
            lng,
            tz,
            format_access_hours(hours or {}),
            format_blackout_dates(dates or []),
            status,
            *(attrs.get(attribute) for attribute in names),
        ]


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _coordinate_text(value)
    if isinstance(value, (bool, int, float)):
        return format_attribute(value)
    return defuse(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(queryset: QuerySet) -> Iterator[bytes]:
    """The CSV export, chunk by chunk (UTF-8 with a BOM, so spreadsheets read accents right)."""
    attributes = attribute_columns(queryset)
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow(header_row(attributes))).encode()
    batch = []
    for row in site_rows(queryset, attributes):
        batch.append(writer.writerow([_csv_cell(value) for value in row]))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def _xlsx_cell(value):
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)  # beyond that a spreadsheet loses digits
    if isinstance(value, float):
        return value
    return defuse(str(value))


def xlsx_file(queryset: QuerySet):
    """The XLSX export written row by row (openpyxl write-only) to a temporary file, rewound for streaming."""
    import openpyxl

    attributes = attribute_columns(queryset)
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Sites")
    sheet.append(header_row(attributes))
    for row in site_rows(queryset, attributes):
        sheet.append([_xlsx_cell(value) for value in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response streams and closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_filename(organization_slug: str, client_code: str | None, extension: str, today) -> str:
    parts = ["sites", organization_slug, *([client_code] if client_code else []), today.strftime("%Y%m%d")]
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", part) for part in parts) + f".{extension}"


# The import template's example row: a real-looking store that the dry run accepts as it is.
TEMPLATE_EXAMPLE = {
    "client": "",
    "code": "STORE-0001",
    "name": "Wacker Drive store",
    "address1": "233 S Wacker Dr",
    "address2": "",
    "city": "Chicago",
    "state": "IL",
    "postal_code": "60606",
    "country": "US",
    "latitude": "41.878876",
    "longitude": "-87.635915",
    "timezone": "America/Chicago",
    "access_hours": "mon-sat 06:00-22:00; sun 08:00-20:00",
    "blackout_dates": "2026-12-25;2027-01-01",
    "status": "active",
    "attr:store_format:str": "neighborhood",
    "attr:checkout_lanes:int": "9",
}


def import_template_csv() -> str:
    """A CSV to fill in: the import's columns (and two typed attribute columns) with one example row."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[*EXPORT_COLUMNS, "attr:store_format:str", "attr:checkout_lanes:int"])
    writer.writeheader()
    writer.writerow({column: TEMPLATE_EXAMPLE.get(column, "") for column in writer.fieldnames})
    return buffer.getvalue()
