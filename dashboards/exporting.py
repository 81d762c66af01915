"""The dashboard's tables and the portfolio as CSV, through the one writer (rollout.exporting: formula-injection
safe, streamed)."""

from __future__ import annotations

from operator import itemgetter

from rollout.exporting import Column, export_response

TABLES = ("waves", "burnup", "drft", "pareto", "escalations", "visits", "blockers", "vendors", "technicians")


def csv_response(filename: str, header: list[str], rows):
    columns = [Column(label, itemgetter(index)) for index, label in enumerate(header)]
    return export_response(rows, columns, file_format="csv", filename=filename)


def dashboard_table(data: dict, table: str) -> tuple[list[str], list[list]]:
    """One table of the program dashboard (`TABLES`) as a header and rows."""
    if table == "waves":
        return (
            [
                "Wave",
                "Planned sites",
                "Completed",
                "Percent",
                "Per week (4 wk)",
                "Booked (next 4 wk)",
                "Technicians booked",
                "Planned finish",
                "Forecast",
                "Variance days",
            ],
            [
                [
                    w.label,
                    w.planned,
                    w.completed,
                    w.percent,
                    w.rate_per_week,
                    w.booked,
                    w.crew,
                    w.planned_finish,
                    w.forecast_finish,
                    w.variance_days,
                ]
                for w in [*data["waves"], data["total"]]
            ],
        )
    if table == "burnup":
        return (
            ["Week of", "Completed", "Cumulative", "Planned sites"],
            [[w["week"], w["completed"], w["cumulative"], data["total"].planned] for w in data["burn_up"]["weeks"]],
        )
    if table == "drft":
        return (
            ["Week", "DRFT", "Closed", "Percent", "Target"],
            [[f.key, f.numerator, f.denominator, f.percent, data["target"]] for f in data["weeks"]],
        )
    if table == "pareto":
        return (
            ["Root cause", "Defects", "Share", "Cumulative"],
            [[p["label"], p["count"], p["share"], p["cumulative"]] for p in data["pareto"]],
        )
    if table == "escalations":
        return (
            ["Level", "Open", "Under 1 day", "1-3 days", "Over 3 days"],
            [[e["level"], e["total"], e["under_1d"], e["d1_3"], e["over_3d"]] for e in data["escalations"]],
        )
    if table == "visits":
        return ["Visit state", "Visits today"], [[v["label"], v["count"]] for v in data["visits_today"]]
    if table == "blockers":
        return ["Gate", "Work orders held"], [[b["label"], b["count"]] for b in data["blockers"]]
    if table == "vendors":
        return (
            ["Vendor", "Jobs", "Completed", "DRFT percent", "DRFT closed", "On-time percent", "Visits worked", "Score"],
            [
                [
                    v["name"],
                    v["jobs"],
                    v["completed"],
                    v["drft_percent"],
                    v["drft_denominator"],
                    v["on_time_percent"],
                    v["worked"],
                    v["score"],
                ]
                for v in data["vendors"]
            ],
        )
    return (
        [
            "Technician",
            "Vendor",
            "Jobs",
            "Completed",
            "DRFT percent",
            "DRFT closed",
            "On-time percent",
            "Visits worked",
            "Score",
        ],
        [
            [
                t["name"],
                t["vendor"],
                t["jobs"],
                t["completed"],
                t["drft_percent"],
                t["drft_denominator"],
                t["on_time_percent"],
                t["worked"],
                t["score"],
            ]
            for t in data["technicians"]
        ],
    )


def portfolio_table(rows) -> tuple[list[str], list[list]]:
    return (
        [
            "Program",
            "Name",
            "Client",
            "Status",
            "Planned sites",
            "Completed",
            "Percent",
            "Planned finish",
            "Forecast",
            "Variance days",
            "DRFT percent",
            "DRFT target",
            "Open escalations",
            "Flag",
            "Reason",
        ],
        [
            [
                r.program.code,
                r.program.name,
                r.program.client.name,
                r.program.get_status_display(),
                r.progress.planned,
                r.progress.completed,
                r.progress.percent,
                r.progress.planned_finish,
                r.progress.forecast_finish,
                r.progress.variance_days,
                r.drft.percent if r.drft else None,
                r.program.target_drft_percent,
                r.open_escalations,
                r.flag,
                r.reason,
            ]
            for r in rows
        ],
    )


CLIENT_TABLES = ("waves", "visits", "sites")


def client_table(data: dict, table: str) -> tuple[list[str], list[list]]:
    """One table of the client's program page: only the fields the page shows a client (no internal notes)."""
    if table == "waves":
        return (
            ["Wave", "Planned sites", "Completed", "Percent", "Planned finish", "Forecast"],
            [
                [w.label, w.planned, w.completed, w.percent, w.planned_finish, w.forecast_finish]
                for w in [*data["waves"], data["total"]]
            ],
        )
    if table == "visits":
        return (
            ["Site", "City", "Day", "Window (site time)", "Zone", "Technician"],
            [[v["site"], v["city"], v["date"], v["window"], v["zone"], v["technician"]] for v in data["visits"]],
        )
    return ["Site", "Name", "Wave", "Status"], [[x["code"], x["name"], x["wave"], x["status"]] for x in data["sites"]]
