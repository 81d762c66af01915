"""The one table `make bench` prints: every figure beside its ceiling measured in the same run.

A `Row` holds a case's figure from each run (at least three) and its ceiling's from the same runs — the best this
machine does on the same database and data, measured right before or interleaved with the product's figure.
Absolute times drift ±15% between runs and machines; the ratio of two figures measured side by side does not, so
the table prints the median figure with its spread, the median ceiling, their ratio and the goal ratio.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (0 when empty)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def latencies(samples_ms: list[float]) -> str:
    """p50/p95/p99 of request latencies in milliseconds, as the table prints them."""
    return "/".join(f"{percentile(samples_ms, fraction):.0f}" for fraction in (0.5, 0.95, 0.99)) + " ms"


@dataclass(frozen=True)
class Row:
    benchmark: str
    case: str
    #: What the figures count: "rows/s", "packets/min", "req/s", "ms", "s" …
    unit: str
    #: The product's figure in each run, and the ceiling's (same number of runs, measured side by side).
    values: list[float]
    ceiling: str
    ceiling_values: list[float] = field(default_factory=list)
    #: The ratio the product's figure should reach (figure ÷ ceiling for rates; ceiling ÷ figure for durations).
    goal: float | None = None
    #: True for durations (smaller is better): the ratio is then ceiling ÷ figure, so 1.0× is always the best.
    lower_is_better: bool = False
    #: p50/p95/p99 of the product's request latencies (all runs pooled), and the ceiling's.
    latency: str = ""
    ceiling_latency: str = ""
    note: str = ""

    @property
    def value(self) -> float:
        return statistics.median(self.values)

    @property
    def ceiling_value(self) -> float | None:
        return statistics.median(self.ceiling_values) if self.ceiling_values else None

    @property
    def spread(self) -> float:
        """(max − min) ÷ median of the product's figures across runs."""
        return (max(self.values) - min(self.values)) / self.value if self.value else 0.0

    @property
    def ratio(self) -> float | None:
        """The median of the per-run ratios (each run's figure against the ceiling measured beside it)."""
        if not self.ceiling_values:
            return None
        pairs = zip(self.values, self.ceiling_values, strict=False)
        ratios = [(c / v if self.lower_is_better else v / c) if (c and v) else 0.0 for v, c in pairs]
        return statistics.median(ratios)

    @property
    def meets_goal(self) -> bool:
        return self.goal is None or (self.ratio is not None and self.ratio >= self.goal)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3f}"


HEADERS = [
    "benchmark", "case", "figure", "unit", "spread", "runs", "ceiling", "ceiling figure", "ratio", "goal",
    "p50/p95/p99", "note",
]  # fmt: skip
NUMERIC = {2, 4, 5, 7, 8, 9}


def table_lines(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        ratio = row.ratio
        verdict = "" if row.goal is None else (" ok" if row.meets_goal else " below")
        latency = row.latency + (f" (ceiling {row.ceiling_latency})" if row.ceiling_latency else "")
        lines.append(
            [
                row.benchmark,
                row.case,
                _number(row.value),
                row.unit,
                f"±{row.spread * 50:.0f}%",
                str(len(row.values)),
                row.ceiling,
                _number(row.ceiling_value),
                "" if ratio is None else (f"{ratio:.2f}×" if ratio >= 0.1 else f"{ratio:.3f}×"),
                "" if row.goal is None else f"≥ {row.goal:.2f}×{verdict}",
                latency,
                row.note,
            ]
        )
    widths = [max(len(line[index]) for line in [HEADERS, *lines]) for index in range(len(HEADERS))]

    def render(cells):
        padded = [
            cell.rjust(width) if index in NUMERIC else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in NUMERIC else "-" * (w + 2) for i, w in enumerate(widths)) + "|"
    return [render(HEADERS), rule, *(render(line) for line in lines)]


def print_table(rows: list[Row]) -> None:
    print("\n".join(table_lines(rows)))
    print(
        "\nfigure: median of the runs; spread: ±half of (max − min) ÷ median; ratio: median of each run's figure ÷ "
        "the ceiling measured beside it (for durations, ceiling ÷ figure), so 1.00× is the ceiling."
    )
