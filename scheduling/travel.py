"""Travel between two points: the one small interface a routing engine (OSRM, Valhalla) can replace.

Today: the great-circle distance × a road factor, driven at an average speed. Both are settings
(TUTTI_SCHEDULING_ROAD_FACTOR, TUTTI_SCHEDULING_SPEED_KMH) so a program in a dense city can be planned slower.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from rollout.geo import haversine_km

Point = tuple[float, float]


@dataclass(frozen=True)
class Travel:
    road_factor: float = 1.3
    speed_kmh: float = 50.0

    def km(self, a: Point, b: Point) -> float:
        return haversine_km(a[0], a[1], b[0], b[1]) * self.road_factor

    def seconds(self, km: float) -> int:
        return round(km / self.speed_kmh * 3600)


def travel_default() -> Travel:
    return Travel(
        road_factor=float(getattr(settings, "TUTTI_SCHEDULING_ROAD_FACTOR", 1.3)),
        speed_kmh=float(getattr(settings, "TUTTI_SCHEDULING_SPEED_KMH", 50.0)),
    )
