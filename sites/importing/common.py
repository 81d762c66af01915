"""What every step of an import shares: limits, the columns and the fields they write, a problem (Issue), a raw row
and the whole-file error."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field

from rollout.exporting import FORMULA_TRIGGERS  # noqa: F401 - re-exported: the importer unescapes what defuse quoted
from sites.choices import SiteStatus

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


@dataclass
class RawRow:
    number: int
    cells: list[str]
    cell_issues: list[tuple[int, str]] = field(default_factory=list)  # (column index, message)
