"""A site import's dry run in chunks, so that a durable job can check a file piece by piece: no chunk is
checked twice and a dead worker loses one chunk's work at most. No Celery and no SiteImport here (sites.import_jobs
runs these as the job's items).

1. `spool_write` reads the whole file once (CSV or XLSX) and writes its non-empty rows as JSON lines (the header
   first), noting the byte offset where each chunk of `chunk_rows` rows starts: whole-file problems (not UTF-8, too
   many rows, a wrong header) are found here, before any row is checked.
2. `chunk_check` checks one chunk's rows (every check of `check_rows` but duplicate codes) and compares
   them with the client's sites; it returns a JSON-able result, with each row's site code and outcome.
3. `chunks_merge` adds the chunks up and finds the site codes that appear on several rows (across chunks too): the
   total is what `sites.importing.check_and_plan` reports for the whole file, problem for problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sites.attributes import AttributeSchema
from sites.importing.checking import CheckResult, Header, RowChecker, read_header
from sites.importing.common import MAX_ROWS, MAX_STORED_ISSUES, ImportFileError, Issue, RawRow
from sites.importing.planning import plan_import, sort_issues
from sites.importing.reading import read_file

# A chunk's outcome codes per row, kept short: the result of a 200,000-row file holds one entry per row.
CREATE, UPDATE, UNCHANGED, ROW_PROBLEM, PLAN_PROBLEM = "c", "u", "k", "i", "p"
_OUTCOME_CODES = {"create": CREATE, "update": UPDATE, "unchanged": UNCHANGED, "problem": PLAN_PROBLEM}
_COUNTED = {CREATE: "created", UPDATE: "updated", UNCHANGED: "unchanged"}


@dataclass
class Spool:
    """What reading the whole file found: the header row, the data rows and where each chunk starts."""

    header_row: RawRow
    header: Header
    rows: int = 0
    chunks: list[int] = field(default_factory=list)  # byte offsets in the spool file


def _line(row: RawRow) -> bytes:
    # ASCII JSON: any text the file holds round-trips, lone surrogates of a workbook included.
    return json.dumps([row.number, row.cells, row.cell_issues]).encode() + b"\n"


def _row(line: bytes) -> RawRow:
    number, cells, cell_issues = json.loads(line)
    return RawRow(number, cells, [tuple(issue) for issue in cell_issues] if cell_issues else [])


def spool_write(path, file_format: str, spool_path: Path, *, chunk_rows: int) -> Spool:
    """Read the file once and write its rows to `spool_path` (replaced whole: a re-run after a crash writes it
    again). Raises ImportFileError for a file that cannot be read or has more than MAX_ROWS rows. With header
    problems, nothing is spooled and there are no chunks."""
    rows = read_file(path, file_format)
    header_row = next((raw for raw in rows if any(cell.strip() for cell in raw.cells)), None)
    if header_row is None:
        raise ImportFileError("The file is empty: the first row must name the columns (code, name, …).")
    spool = Spool(header_row=header_row, header=read_header(header_row))
    if spool.header.issues:
        return spool
    temporary = spool_path.with_name(spool_path.name + ".part")
    try:
        with open(temporary, "wb") as out:
            offset = out.write(_line(header_row))
            for raw in rows:
                if not any(cell.strip() for cell in raw.cells):
                    continue
                spool.rows += 1
                if spool.rows > MAX_ROWS:
                    raise ImportFileError(f"The file has more than {MAX_ROWS:,} rows: split it into several imports.")
                if (spool.rows - 1) % chunk_rows == 0:
                    spool.chunks.append(offset)
                offset += out.write(_line(raw))
        os.replace(temporary, spool_path)
    finally:
        temporary.unlink(missing_ok=True)
    return spool


def spool_header(spool_path: Path) -> RawRow:
    with open(spool_path, "rb") as handle:
        return _row(handle.readline())


def _spool_rows(spool_path: Path, offset: int, count: int) -> Iterator[RawRow]:
    with open(spool_path, "rb") as handle:
        handle.seek(offset)
        for _ in range(count):
            line = handle.readline()
            if not line:
                return
            yield _row(line)


def chunk_check(
    spool_path: Path,
    offset: int,
    *,
    chunk_rows: int,
    organization_id: int,
    client_id: int,
    client_code: str,
    schema: AttributeSchema | None,
) -> dict:
    """Check the chunk of rows that starts at `offset` and compare it with the client's sites. The result (JSON):
    rows, created/updated/unchanged, issue_count, the first MAX_STORED_ISSUES issues in file order, and `codes`:
    [code, row, outcome, plan problems] for every row whose site code reads, for `chunks_merge`."""
    header = read_header(spool_header(spool_path))
    checker = RowChecker(header, client_code=client_code, schema=schema, duplicates=False)
    checked, issues, codes, rows = [], [], [], 0
    for raw in _spool_rows(spool_path, offset, chunk_rows):
        rows += 1
        code, row, row_issues = checker.check(raw.number, [cell.strip() for cell in raw.cells], raw.cell_issues)
        if row is None:
            issues.extend(row_issues)
            if code:
                codes.append([code, raw.number, ROW_PROBLEM, 0])
        else:
            checked.append(row)
            codes.append([code, raw.number, None, 0])
    outcomes: dict[int, str] = {}
    plan = plan_import(
        CheckResult(rows=checked, issues=[], rows_read=rows, header=header),
        organization_id=organization_id,
        client_id=client_id,
        schema=schema,
        outcomes=outcomes,
    )
    plan_problems: dict[int, int] = {}
    for issue in plan.issues:
        plan_problems[issue.row] = plan_problems.get(issue.row, 0) + 1
    for entry in codes:
        if entry[2] is None:
            entry[2] = _OUTCOME_CODES[outcomes[entry[1]]]
            entry[3] = plan_problems.get(entry[1], 0)
    issues = sort_issues([*issues, *plan.issues])
    return {
        "rows": rows,
        "created": len(plan.creates),
        "updated": len(plan.updates),
        "unchanged": plan.unchanged,
        "issue_count": len(issues),
        "issues": [issue.as_dict() for issue in issues[:MAX_STORED_ISSUES]],
        "codes": codes,
    }


@dataclass
class DryRunTotals:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict] = field(default_factory=list)  # the first MAX_STORED_ISSUES, in file order


def chunks_merge(header: Header, chunks: Iterable[dict]) -> DryRunTotals:
    """Add up the chunks (in file order) and report each site code that is on an earlier row too, as the
    whole-file check does: that row is a problem (not a create or an update), its plan problems do not count,
    and its other problems keep the file's column order."""
    code_column = header.get("code")
    width = max(column.index for column in header.columns) + 1
    column_order = {column.header: column.index for column in header.columns}
    totals = DryRunTotals()
    first_row_of_code: dict[str, int] = {}
    for chunk in chunks:
        totals.rows += chunk["rows"]
        totals.created += chunk["created"]
        totals.updated += chunk["updated"]
        totals.unchanged += chunk["unchanged"]
        totals.error_count += chunk["issue_count"]
        duplicates: dict[int, tuple[str, dict]] = {}  # row → (its outcome, the duplicate problem)
        for code, row, outcome, plan_problems in chunk["codes"]:
            first = first_row_of_code.setdefault(code, row)
            if first == row:
                continue
            problem = Issue(row, code_column.header, f"The site code “{code}” is also on row {first}.").as_dict()
            duplicates[row] = (outcome, problem)
            totals.error_count += 1 - plan_problems
            if outcome in _COUNTED:
                setattr(totals, _COUNTED[outcome], getattr(totals, _COUNTED[outcome]) - 1)
        if len(totals.errors) >= MAX_STORED_ISSUES:
            continue
        if not duplicates:
            totals.errors.extend(chunk["issues"])
            continue
        # Sort key: (row, place in the row, position); the duplicate goes after the row's problems in columns up to
        # the code's, as the whole-file check puts it. Other rows keep their order.
        keyed = []
        for position, issue in enumerate(chunk["issues"]):
            outcome = duplicates.get(issue["row"], (None,))[0]
            if outcome == PLAN_PROBLEM:
                continue  # a duplicate row is not compared with the sites
            place = column_order.get(issue["column"], width) if outcome == ROW_PROBLEM else 0
            keyed.append((issue["row"] or 0, place, position, issue))
        for row, (_outcome, problem) in duplicates.items():
            keyed.append((row, code_column.index, len(keyed) + len(chunk["issues"]), problem))
        keyed.sort(key=lambda entry: entry[:3])
        totals.errors.extend(entry[3] for entry in keyed)
    del totals.errors[MAX_STORED_ISSUES:]
    return totals
