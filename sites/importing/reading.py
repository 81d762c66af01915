"""Reading a file's rows as text: CSV (UTF-8, any line endings, `,` `;` or tab) and XLSX (saved values of formulas)."""

from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal

from sites.importing.common import EXCEL_ERRORS, ImportFileError, RawRow


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


def read_file(path, file_format: str) -> Iterator[RawRow]:
    return read_xlsx(path) if file_format == "xlsx" else read_csv(path)
