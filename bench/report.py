"""A benchmark figure and the table they print as."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    benchmark: str
    case: str
    rows: int
    seconds: float
    target_rows_per_second: float | None = None
    note: str = ""
    #: Peak memory growth in MB (memory benchmarks), and its ceiling.
    peak_mb: float | None = None
    target_peak_mb: float | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    @property
    def meets_target(self) -> bool:
        fast_enough = self.target_rows_per_second is None or self.rows_per_second >= self.target_rows_per_second
        small_enough = self.target_peak_mb is None or (self.peak_mb or 0) <= self.target_peak_mb
        return fast_enough and small_enough


def _target(figure: Figure) -> str:
    verdict = "ok" if figure.meets_target else "MISSED"
    if figure.target_peak_mb is not None:
        return f"peak {figure.peak_mb:,.0f} MB ≤ {figure.target_peak_mb:,.0f} MB {verdict}"
    if figure.target_rows_per_second is not None:
        return f"≥ {figure.target_rows_per_second:,.0f}/s {verdict}"
    return ""


def print_table(figures: list[Figure]) -> None:
    headers = ["benchmark", "case", "rows", "seconds", "rows/s", "target", "note"]
    lines = [
        [
            figure.benchmark,
            figure.case,
            f"{figure.rows:,}",
            f"{figure.seconds:.2f}",
            f"{figure.rows_per_second:,.0f}",
            _target(figure),
            figure.note,
        ]
        for figure in figures
    ]
    widths = [max(len(row[index]) for row in [headers, *lines]) for index in range(len(headers))]
    numeric = {2, 3, 4}

    def render(row):
        cells = [
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        return "| " + " | ".join(cells) + " |"

    print(render(headers))
    print(
        "|"
        + "|".join(
            ("-" * (width + 1) + ":") if index in numeric else "-" * (width + 2) for index, width in enumerate(widths)
        )
        + "|"
    )
    for line in lines:
        print(render(line))
