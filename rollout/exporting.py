"""The one way Tutti writes a list to a file: CSV streamed row by row, or XLSX written in openpyxl's write-only
(constant-memory) mode to a temporary file that the response streams. Safe against spreadsheet formula injection:
a text cell that starts with = + - @ tab or CR gets a leading quote (`defuse`); plain numbers pass unchanged.

    columns = [Column("Number", lambda wo: wo.number), Column("Note", lambda wo: wo.note, field="internal_note")]
    return export_response(queryset, visible_columns(columns, access), file_format="csv", filename="wo.csv")

A column naming a `field` of the client-visibility policy (rollout.client_view) is left out for a viewer who may not
see that field, so a client's file holds only what their pages show.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone

from rollout.client_view import CLIENT_VIEW
from rollout.rls import rls_bound

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_SIZE = 2000  # rows per database round trip (server-side cursor) and per streamed piece
_NUMBER_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def defuse(text: str) -> str:
    """Prefix a quote to text that a spreadsheet would run as a formula (numbers pass unchanged)."""
    if not text:
        return text
    first = text[0]
    if first in FORMULA_TRIGGERS and not _NUMBER_RE.match(text):
        return "'" + text
    if first == "'" and len(text) > 1 and (text[1] in FORMULA_TRIGGERS or text[1] == "'"):
        return "'" + text  # keeps a real leading quote through the sites importer's unescaping
    return text


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, how to read it from a row and, when it shows something the
    client-visibility policy guards, that policy's `field` and what a viewer who may not see it gets instead
    (`limited`, e.g. a first name), or no column at all (`limited` None)."""

    label: str
    value: Callable[[Any], Any]
    field: str | None = None
    limited: Callable[[Any], Any] | None = None


def visible_columns(columns: Iterable[Column], access) -> list[Column]:
    """The columns as this viewer may read them, by the client-visibility policy."""
    shown = []
    for column in columns:
        if column.field is None or CLIENT_VIEW.may_see(access, column.field):
            shown.append(column)
        elif column.limited is not None:
            shown.append(replace(column, value=column.limited))
    return shown


def _text(value) -> str | None:
    """Dates and times as ISO text (times on the organization's clock), everything else as is."""
    if isinstance(value, datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return local.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return value


def csv_cell(value) -> str:
    value = _text(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    return defuse(str(value))


def xlsx_cell(value):
    value = _text(value)
    if value is None or isinstance(value, (bool, float)):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, int):
        return value if abs(value) < 10**15 else str(value)  # beyond that a spreadsheet loses digits
    return defuse(str(value))


def _rows(queryset, columns: list[Column]) -> Iterator[list]:
    rows = queryset.iterator(chunk_size=CHUNK_SIZE) if hasattr(queryset, "iterator") else iter(queryset)
    for row in rows:
        yield [column.value(row) for column in columns]


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(queryset, columns: list[Column]) -> Iterator[bytes]:
    """The CSV, piece by piece (UTF-8 with a BOM, so spreadsheets read accents right)."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield ("\ufeff" + writer.writerow([column.label for column in columns])).encode()
    batch = []
    for row in _rows(queryset, columns):
        batch.append(writer.writerow([csv_cell(value) for value in row]))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(queryset, columns: list[Column], *, title: str = "Export"):
    """The workbook written row by row (openpyxl write-only: rows go to disk, not memory), rewound for streaming."""
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(re.sub(r"[\[\]:*?/\\]", " ", title)[:31])
    sheet.append([column.label for column in columns])
    for row in _rows(queryset, columns):
        sheet.append([xlsx_cell(value) for value in row])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response streams and closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_filename(*parts: str, extension: str) -> str:
    """`parts` joined by dashes, with today's date, safe as a file name."""
    words = [*(p for p in parts if p), timezone.localdate().strftime("%Y%m%d")]
    return "-".join(re.sub(r"[^A-Za-z0-9_.-]+", "_", word) for word in words) + f".{extension}"


def export_response(queryset, columns: list[Column], *, file_format: str, filename: str, title: str = "Export"):
    """A streamed download of `queryset` (any iterable of rows) in `file_format` ("csv" or "xlsx")."""
    return download_response(
        file_format=file_format,
        filename=filename,
        csv_chunks=csv_stream(queryset, columns),
        xlsx=lambda: xlsx_file(queryset, columns, title=title),
    )


def download_response(*, file_format: str, filename: str, csv_chunks: Iterator[bytes], xlsx: Callable[[], Any]):
    """The one way an export leaves: the workbook `xlsx()` builds, or the CSV chunks streamed — read bound to the
    request's organization (`rls_bound`), since a streamed body is read after the middleware cleared it."""
    if file_format == "xlsx":
        return FileResponse(xlsx(), as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
    response = StreamingHttpResponse(rls_bound(csv_chunks), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
