"""Great-circle distances, for service radii and "nearest first" (no GIS extension needed)."""

from __future__ import annotations

import math
from decimal import Decimal

EARTH_RADIUS_KM = 6371.0088  # the mean Earth radius (IUGG)


def haversine_km(lat1: float | Decimal, lng1: float | Decimal, lat2: float | Decimal, lng2: float | Decimal) -> float:
    """Distance in kilometres between two points given in decimal degrees, along the Earth's surface."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lng2) - float(lng1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
