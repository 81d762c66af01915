"""The program's sites on a map, drawn server-side as SVG (no tile server: the product runs offline): each site a
dot at its projected coordinates, coloured by its work order's status group and linked to the site's page, with
the counts per group as a table beside it. Two queries whatever the program's size; at most `LIMIT` dots."""

from __future__ import annotations

import math

from django.db.models import Count

from programs.models import Enrollment, Program
from rollout.tenancy import Access
from workorders.choices import WorkOrderStatus as S

LIMIT = 3000  # dots drawn; the table counts every site
WIDTH = 1000.0
PAD = 20.0
# Status groups, in legend order: (key, label, work-order statuses, CSS tone). A site without a work order is
# "not started".
GROUPS = (
    ("done", "Done", (S.ACCEPTED, S.CLOSED), "success"),
    ("underway", "Underway", (S.DISPATCHED, S.IN_PROGRESS, S.SUBMITTED, S.REWORK), "info"),
    ("scheduled", "Scheduled", (S.SCHEDULED,), "primary"),
    ("not_started", "Not started", (S.DRAFT, S.READY, None), "planned"),
    ("cancelled", "Cancelled", (S.CANCELLED,), "danger"),
)
GROUP_OF = {status: key for key, _label, statuses, _tone in GROUPS for status in statuses}


def project(points: list[tuple[float, float]]) -> tuple[list[tuple[float, float]], float]:
    """(lat, lng) pairs → SVG (x, y) in a WIDTH-wide box (equirectangular, longitude scaled by the cosine of the
    middle latitude, so a region keeps its shape), and the box's height."""
    lats, lngs = [p[0] for p in points], [p[1] for p in points]
    scale_x = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lngs) - min(lngs)) * scale_x, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    unit = (WIDTH - 2 * PAD) / max(span_x, span_y * 1.6)  # a lone city or a north–south strip stays readable
    height = min(max(span_y * unit + 2 * PAD, 240.0), 700.0)
    offset_x = (WIDTH - span_x * unit) / 2
    offset_y = (height - span_y * unit) / 2
    return [
        (round(offset_x + (lng - min(lngs)) * scale_x * unit, 1), round(offset_y + (max(lats) - lat) * unit, 1))
        for lat, lng in points
    ], round(height, 1)


def site_map(*, access: Access, program: Program) -> dict:
    """The program's sites as dots and the count per status group (two queries)."""
    enrollments = Enrollment.objects.visible_to(access).filter(program=program)
    counts = {key: 0 for key, *_rest in GROUPS}
    for status, n in (
        enrollments.values_list("work_order__status")
        .annotate(n=Count("pk"))
        .values_list("work_order__status", "n")
        .order_by()
    ):
        counts[GROUP_OF.get(status, "not_started")] += n
    rows = list(
        enrollments.filter(site__latitude__isnull=False, site__longitude__isnull=False)
        .order_by("site__code")
        .values_list("site_id", "site__code", "site__name", "site__latitude", "site__longitude", "work_order__status")[
            :LIMIT
        ]
    )
    located = [(float(lat), float(lng)) for _id, _code, _name, lat, lng, _status in rows]
    points, height = project(located) if located else ([], 240.0)
    tones = {key: tone for key, _label, _statuses, tone in GROUPS}
    labels = {status.value: status.label for status in S}
    dots = [
        {
            "id": site_id,
            "code": code,
            "name": name,
            "x": x,
            "y": y,
            "tone": tones[GROUP_OF.get(status, "not_started")],
            "status": labels.get(status, "Not started"),
        }
        for (site_id, code, name, _lat, _lng, status), (x, y) in zip(rows, points, strict=True)
    ]
    total = sum(counts.values())
    return {
        "map_dots": dots,
        "map_width": WIDTH,
        "map_height": height,
        "map_groups": [
            {"key": key, "label": label, "tone": tone, "count": counts[key], "statuses": [s for s in statuses if s]}
            for key, label, statuses, tone in GROUPS
        ],
        "map_total": total,
        "map_unplaced": total - len(dots),
    }
