"""Places and time zones, the checks every app shares: a time zone name, a latitude or longitude, and the
great-circle distance between two points (service radii, "nearest first", the check-in geofence; no GIS
extension needed). Each app words its own refusal; the rule itself is here once."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)
COORDINATE_PLACES = Decimal("0.000001")  # six places, ~0.1 m: as stored, plenty for a street address
COORDINATE_RANGES = {"latitude": (-90, 90), "longitude": (-180, 180)}


# --- Time zones ---------------------------------------------------------------------------------------------


@cache
def timezone_names() -> frozenset[str]:
    """Every IANA time zone name this machine knows (read once: `available_timezones()` walks the tz files)."""
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def is_timezone(name: str) -> bool:
    """Whether `name` is an IANA time zone name, exactly as written."""
    return name in timezone_names()


@cache
def _timezones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in timezone_names() if "/" in name or name == "UTC"}


def canonical_timezone(name: str) -> str | None:
    """The IANA name for `name` written in any case ("america/chicago" → "America/Chicago"), among the
    region/city names and UTC; None when there is none."""
    return _timezones_by_lower_name().get(name.strip().lower())


# --- Coordinates --------------------------------------------------------------------------------------------


def coordinate_number(value) -> Decimal | None:
    """A latitude or longitude given as text or a number, as a Decimal (maybe NaN or infinite); None when it is
    not a number at all."""
    try:
        return Decimal(value.strip() if isinstance(value, str) else str(value))
    except ArithmeticError:  # decimal.InvalidOperation
        return None


def coordinate_in_range(number: Decimal | float | None, kind: str) -> bool:
    """Whether `number` is a finite latitude (-90 to 90) or longitude (-180 to 180); `kind` names which."""
    if number is None:
        return False
    number = Decimal(str(number))
    low, high = COORDINATE_RANGES[kind]
    return number.is_finite() and low <= number <= high


def coordinate_round(number: Decimal | float) -> Decimal:
    """A coordinate as stored: six decimal places."""
    return Decimal(str(number)).quantize(COORDINATE_PLACES, rounding=ROUND_HALF_EVEN)


# --- Distances ----------------------------------------------------------------------------------------------


def haversine_km(lat1: float | Decimal, lng1: float | Decimal, lat2: float | Decimal, lng2: float | Decimal) -> float:
    """Distance in kilometres between two points given in decimal degrees, along the Earth's surface."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lng2) - float(lng1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
