"""Parse, validate and format a site's field values: one set of rules for the API, the importer and the export.

Every `parse_*`/`clean_*` function returns the normalized value or raises `SiteValueError` with a message
written for the person who typed the value. Every `format_*` function writes the text form that the
matching `parse_*` reads back unchanged (the export/import round trip depends on it).

Text forms:
- access hours: ``mon-fri 06:00-22:00; sat 08:00-20:00; sun closed`` — entries split by ``;``; days as
  ``mon``, ``mon-fri`` (a range, may wrap: ``fri-mon``), ``mon,wed`` or ``daily``; windows ``HH:MM-HH:MM``
  split by ``,``, in the site's local time; ``24:00`` may end a window; a window whose end is before its
  start runs past midnight (``22:00-06:00``). Stored as ``{"mon": ["06:00-22:00"], "sun": []}``. An empty
  value means "not specified"; when some days are given, days not listed are closed.
- blackout dates: ``2026-12-24;2026-12-25`` (ISO dates, ``;`` or ``,`` between them); stored as a sorted
  list of ISO strings without duplicates.
- attribute values: see `parse_attribute` for the typing rule.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from rollout.geo import COORDINATE_RANGES, canonical_timezone, coordinate_in_range, coordinate_number, coordinate_round
from sites.choices import WEEKDAY_NAMES, WEEKDAYS, AttributeType


class SiteValueError(ValueError):
    """A value that does not follow the rules; `str(error)` is the message for people."""


# --- Time zones and coordinates ---------------------------------------------------------------


def clean_timezone(name: str) -> str:
    """The canonical IANA name for `name` (case-insensitive), or SiteValueError."""
    canonical = canonical_timezone(name)
    if canonical is None:
        raise SiteValueError(f"“{name}” is not a known time zone: use an IANA name such as America/Chicago.")
    return canonical


@lru_cache(maxsize=1)
def _timezone_finder():
    from timezonefinder import TimezoneFinder

    return TimezoneFinder(in_memory=True)


def timezone_for_coordinates(latitude: Decimal | float, longitude: Decimal | float) -> str | None:
    """The IANA time zone at a point (offline lookup with timezonefinder), or None when there is none."""
    return _timezone_finder().timezone_at(lat=float(latitude), lng=float(longitude))


def clean_coordinate(value, kind: str) -> Decimal:
    """A latitude or longitude as a Decimal rounded to 6 places, within its range."""
    number = coordinate_number(value)
    if number is None or not number.is_finite():
        raise SiteValueError(f"“{value}” is not a number.")
    if not coordinate_in_range(number, kind):
        low, high = COORDINATE_RANGES[kind]
        raise SiteValueError(f"{kind.capitalize()} must be between {low} and {high}; got {value}.")
    return coordinate_round(number)


COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


def clean_country(value: str) -> str:
    """A two-letter ISO 3166 country code, upper-cased."""
    code = value.strip().upper()
    if not COUNTRY_RE.match(code):
        raise SiteValueError(f"“{value}” is not a two-letter country code (such as US or CA).")
    return code


# --- Access hours ---------------------------------------------------------------------------------

_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
_WINDOW_RE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")
_ENTRY_RE = re.compile(r"^\s*(?P<days>[a-z]+(?:\s*[-,]\s*[a-z]+)*)\s+(?P<windows>\S.*?)\s*$", re.IGNORECASE)
_DAY_ALIASES = {"daily": WEEKDAYS, "everyday": WEEKDAYS}
ACCESS_HOURS_EXAMPLE = "mon-fri 06:00-22:00; sat 08:00-20:00"


def _minutes(text: str, *, is_end: bool) -> int:
    match = _TIME_RE.match(text)
    if not match:
        raise SiteValueError(f"“{text}” is not a time: write HH:MM, such as 06:00.")
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and (minutes or not is_end)):
        raise SiteValueError(f"“{text}” is not a time of day (00:00 to 23:59; 24:00 may end a window).")
    return hours * 60 + minutes


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def clean_window(text: str) -> tuple[int, int]:
    """One window as (start, end) minutes; end 0 becomes 24:00; end < start means it runs past midnight."""
    match = _WINDOW_RE.match(text)
    if not match:
        raise SiteValueError(f"“{text.strip()}” is not a time window: write it as HH:MM-HH:MM, such as 06:00-22:00.")
    start = _minutes(match.group(1), is_end=False)
    end = _minutes(match.group(2), is_end=True)
    if end == 0:
        end = 24 * 60
    if start == end:
        raise SiteValueError(f"The window “{text.strip()}” starts and ends at the same time.")
    return start, end


def _clean_day_windows(day: str, windows: list[tuple[int, int]]) -> list[str]:
    windows = sorted(set(windows))
    previous_end = None
    for start, end in windows:
        if previous_end is not None and start < previous_end:
            raise SiteValueError(f"Windows overlap on {WEEKDAY_NAMES[day]}.")
        previous_end = end if end > start else 24 * 60
    return [f"{_hhmm(start)}-{_hhmm(end)}" for start, end in windows]


def _expand_days(text: str) -> list[str]:
    days: list[str] = []
    for part in re.split(r"\s*,\s*", text.strip().lower()):
        if part in _DAY_ALIASES:
            days.extend(_DAY_ALIASES[part])
            continue
        bounds = [bound.strip() for bound in part.split("-")]
        for bound in bounds:
            if bound not in WEEKDAYS:
                raise SiteValueError(f"“{bound}” is not a day: use mon, tue, wed, thu, fri, sat, sun or daily.")
        if len(bounds) == 1:
            days.append(bounds[0])
        elif len(bounds) == 2:
            index, last = WEEKDAYS.index(bounds[0]), WEEKDAYS.index(bounds[1])
            days.append(WEEKDAYS[index])
            while index != last:  # a range may wrap around the week: fri-mon
                index = (index + 1) % 7
                days.append(WEEKDAYS[index])
        else:
            raise SiteValueError(f"“{part}” is not a day range: write it as mon-fri.")
    return days


def parse_access_hours(text: str) -> dict[str, list[str]]:
    """Read the text form (see the module docstring) into the stored form (a fresh dict each call)."""
    return {day: list(windows) for day, windows in _parse_access_hours(text).items()}


@lru_cache(maxsize=4096)  # a site file repeats a handful of schedules thousands of times
def _parse_access_hours(text: str) -> dict[str, tuple[str, ...]]:
    windows_by_day: dict[str, list[tuple[int, int]]] = {}
    for entry in text.split(";"):
        if not entry.strip():
            continue
        match = _ENTRY_RE.match(entry)
        if not match:
            raise SiteValueError(
                f"“{entry.strip()}” is not an access-hours entry: write days then times, such as "
                f"“{ACCESS_HOURS_EXAMPLE}”."
            )
        days = _expand_days(match.group("days"))
        spec = match.group("windows").strip()
        windows = [] if spec.lower() == "closed" else [clean_window(part) for part in spec.split(",")]
        for day in days:
            windows_by_day.setdefault(day, []).extend(windows)
    return {day: tuple(_clean_day_windows(day, windows_by_day[day])) for day in WEEKDAYS if day in windows_by_day}


def clean_access_hours(value) -> dict[str, list[str]]:
    """Validate and normalize the stored (JSON) form, as sent to the API; text is accepted too."""
    if value in (None, "", {}):
        return {}
    if isinstance(value, str):
        return parse_access_hours(value)
    if not isinstance(value, dict):
        raise SiteValueError(
            f"Access hours must be an object such as {{'mon': ['06:00-22:00']}}, or text like “{ACCESS_HOURS_EXAMPLE}”."
        )
    cleaned = {}
    for day in value:
        if day not in WEEKDAYS:
            raise SiteValueError(f"“{day}” is not a day: use mon, tue, wed, thu, fri, sat or sun.")
    for day in WEEKDAYS:
        if day not in value:
            continue
        windows = value[day]
        if not isinstance(windows, list) or not all(isinstance(window, str) for window in windows):
            raise SiteValueError(f'{WEEKDAY_NAMES[day]} must be a list of windows such as ["06:00-22:00"].')
        cleaned[day] = _clean_day_windows(day, [clean_window(window) for window in windows])
    return cleaned


def format_access_hours(hours: dict[str, list[str]]) -> str:
    """The text form, grouping consecutive days that share the same windows."""
    entries, run = [], []

    def flush():
        if run:
            days = run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}"
            windows = hours[run[0]]
            entries.append(f"{days} {','.join(windows) if windows else 'closed'}")

    for day in WEEKDAYS:
        if day in hours and run and hours[day] == hours[run[-1]]:
            run.append(day)
            continue
        flush()
        run = [day] if day in hours else []
    flush()
    return "; ".join(entries)


# --- Blackout dates -------------------------------------------------------------------------------

MAX_BLACKOUT_DATES = 1000


def _clean_date(value) -> str:
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if len(text) == 10:  # fromisoformat also reads 20261224, which people do not mean as a date
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise SiteValueError(f"“{text}” is not a date: write dates as YYYY-MM-DD, such as 2026-12-24.")


def parse_blackout_dates(text: str) -> list[str]:
    """Read ``2026-12-24;2026-12-25`` (``;`` or ``,`` between dates) into a sorted list without duplicates."""
    return list(_parse_blackout_dates(text))


@lru_cache(maxsize=4096)
def _parse_blackout_dates(text: str) -> tuple[str, ...]:
    return tuple(clean_blackout_dates([part for part in re.split(r"[;,]", text) if part.strip()]))


def clean_blackout_dates(value) -> list[str]:
    """Validate a list of dates (date objects or ISO strings) into sorted unique ISO strings."""
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return parse_blackout_dates(value)
    if not isinstance(value, (list, tuple)):
        raise SiteValueError('Blackout dates must be a list of dates such as ["2026-12-24"].')
    cleaned = sorted({_clean_date(item) for item in value})
    if len(cleaned) > MAX_BLACKOUT_DATES:
        raise SiteValueError(f"A site can have at most {MAX_BLACKOUT_DATES} blackout dates.")
    return cleaned


def format_blackout_dates(dates: list[str]) -> str:
    return ";".join(dates)


# --- Attributes -----------------------------------------------------------------------------------

ATTRIBUTE_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
MAX_ATTRIBUTE_TEXT = 500
_INT_RE = re.compile(r"^[+-]?\d+$")
_INFERRED_INT_RE = re.compile(r"^[+-]?(0|[1-9]\d*)$")  # "00123" stays text: it is a code, not a number
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")
_INFERRED_FLOAT_RE = re.compile(r"^[+-]?((0|[1-9]\d*)\.\d+|\.\d+)([eE][+-]?\d+)?$")  # 0.5, 4.25; not 007.5
_BOOL_WORDS = {"true": True, "false": False, "yes": True, "no": False, "y": True, "n": False, "1": True, "0": False}


def clean_attribute_name(name: str) -> str:
    if not ATTRIBUTE_NAME_RE.match(name):
        raise SiteValueError(
            f"“{name}” is not an attribute name: start with a letter, then lowercase letters, digits or _ "
            f"(at most 64), such as store_format."
        )
    return name


def infer_attribute(text: str) -> str | int | float | bool:
    """The inference rule for an ``attr:<name>`` column without a type: true/false → bool; a whole number
    without leading zeros → int; a decimal number with digits after the point (4.5, 0.25) → float; anything
    else (00123, 1e5, 4.) → text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INFERRED_INT_RE.match(text):
        return int(text)
    if _INFERRED_FLOAT_RE.match(text):
        return float(text)
    return _clean_text_attribute(text)


def _clean_text_attribute(text: str) -> str:
    if len(text) > MAX_ATTRIBUTE_TEXT:
        raise SiteValueError(f"Text attributes are at most {MAX_ATTRIBUTE_TEXT} characters.")
    return text


def parse_attribute(text: str, type_: str | None) -> str | int | float | bool:
    """An attribute value from its text: typed when `type_` is given (str/int/float/bool), else inferred."""
    if type_ is None:
        return infer_attribute(text)
    if type_ == AttributeType.STR:
        return _clean_text_attribute(text)
    if type_ == AttributeType.INT:
        if not _INT_RE.match(text):
            raise SiteValueError(f"“{text}” is not a whole number.")
        return int(text)
    if type_ == AttributeType.FLOAT:
        if not _FLOAT_RE.match(text):
            raise SiteValueError(f"“{text}” is not a number.")
        return float(text)
    if type_ == AttributeType.BOOL:
        flag = _BOOL_WORDS.get(text.lower())
        if flag is None:
            raise SiteValueError(f"“{text}” is not yes/no: write true or false.")
        return flag
    raise SiteValueError(f"“{type_}” is not an attribute type: use str, int, float or bool.")


def attribute_type(value) -> str:
    """The AttributeType of a stored value."""
    if isinstance(value, bool):
        return AttributeType.BOOL
    if isinstance(value, int):
        return AttributeType.INT
    if isinstance(value, float):
        return AttributeType.FLOAT
    return AttributeType.STR


def format_attribute(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def clean_attributes(value) -> dict:
    """Validate an attributes object as sent to the API: names per ATTRIBUTE_NAME_RE, values str/int/float/bool."""
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise SiteValueError("Attributes must be an object of name → value.")
    cleaned = {}
    for name, item in value.items():
        clean_attribute_name(name)
        if isinstance(item, float) and not math.isfinite(item):
            raise SiteValueError(f"Attribute {name}: numbers must be finite.")
        if isinstance(item, str):
            _clean_text_attribute(item)
        elif not isinstance(item, (bool, int, float)):
            raise SiteValueError(f"Attribute {name}: values are text, whole numbers, numbers or true/false.")
        cleaned[name] = item
    return cleaned
