"""The weekly program status report as PDF (WeasyPrint, through the packet renderer's network-free URL fetcher):
summary, progress per wave with the burn-up chart and forecast, DRFT by week against target with the Pareto of root
causes, open client-visible escalations, and next week's schedule.

One report for every reader: it holds only what the client-visibility policy lets a client viewer read (technicians
by first name, client-visible escalations without notes), so the PM can forward it as it is."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from dashboards import selectors
from escalations.selectors import escalation_list
from programs.models import Program
from quality.choices import Dimension
from quality.selectors import WEEK, drft_metrics
from rollout.tenancy import Access
from workorders.packets.render import url_fetcher

TEMPLATE = "dashboards/report_pdf.html"
SCHEDULE_DAYS = 7
SCHEDULE_LIMIT = 300


def program_report_data(*, access: Access, program: Program) -> dict:
    """What the report shows, read as `access` may (a fixed number of queries)."""
    total, waves = selectors.wave_progress(access=access, program=program)
    weeks = drft_metrics(access=access, dimension=WEEK, program_id=program.pk)[-8:]
    overall = drft_metrics(access=access, dimension=Dimension.PROGRAM, program_id=program.pk)
    escalations = (
        escalation_list(access=access)
        .filter(program=program, client_visible=True, state__in=selectors.OPEN_ESCALATION_STATES)
        .select_related("work_order__site")
        .order_by("-raised_at", "-id")[:30]
    )
    today = total.today
    schedule = [
        visit
        for visit in selectors.upcoming_visits(access=access, program=program, limit=SCHEDULE_LIMIT)
        if visit["date"] < today + timedelta(days=SCHEDULE_DAYS)
    ]
    return {
        "program": program,
        "today": today,
        "generated_at": timezone.now(),
        "total": total,
        "waves": waves,
        "burn_up": selectors.burn_up(access=access, program=program, planned_total=total.planned, today=today),
        "drft": overall[0] if overall else None,
        "target": program.target_drft_percent,
        "weeks": weeks,
        "pareto": selectors.pareto(access=access, program_ids=[program.pk]),
        "escalations": [
            {
                "rule": e.get_rule_display(),
                "level": e.level,
                "state": e.get_state_display(),
                "site": e.work_order.site.code,
                "raised_at": e.raised_at,
            }
            for e in escalations
        ],
        "schedule": schedule,
        "schedule_until": today + timedelta(days=SCHEDULE_DAYS - 1),
    }


def program_report_pdf(*, access: Access, program: Program) -> bytes:
    """The report as PDF bytes. Loads nothing from the network (data: URIs and Tutti's static files only)."""
    from weasyprint import HTML

    document = render_to_string(TEMPLATE, program_report_data(access=access, program=program))
    return HTML(string=document, base_url=settings.TUTTI_BASE_URL, url_fetcher=url_fetcher).write_pdf()


def report_filename(program: Program, today) -> str:
    return f"{program.code}-status-{today:%Y%m%d}.pdf".replace("/", "_").replace('"', "")
