"""The exportable lists — work orders, visits, defects, escalations — each as one `ListExport`: the list's scoped
queryset, the FilterSet its page and API use, who may read it, and its columns. The pages (dashboards.views) and the
API (dashboards.api.views) download them through the one writer, rollout.exporting: streamed, formula-injection
safe, and for a client viewer only the rows their `visible_to` allows and the columns the client-visibility policy
(rollout.client_view) lets them read — technicians by first name, no internal notes, reasons or staff names."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from dashboards.filtersets import DefectFilterSet
from escalations.filtersets import EscalationFilterSet
from escalations.models import Escalation
from escalations.views import READ as ESCALATION_ROLES
from quality.models import Defect
from rollout.exporting import Column
from workorders.api.views import READ_ROLES as WORK_ORDER_READ_ROLES
from workorders.filtersets import WorkOrderFilterSet
from workorders.models import Visit, WorkOrder
from workorders.visits.api.views import READ_ROLES as VISIT_READ_ROLES
from workorders.visits.filtersets import VisitFilterSet


@dataclass(frozen=True)
class ListExport:
    """One exportable list. `queryset()` is unscoped: the views scope it with `visible_to(access)`."""

    name: str
    title: str
    model: type
    filterset_class: type
    read_roles: frozenset
    columns: tuple[Column, ...]
    related: tuple[str, ...]
    ordering: tuple[str, ...]
    current_only: bool = False  # escalations: the current level of each breach, as the list shows

    def queryset(self):
        rows = self.model.objects.select_related(*self.related).order_by(*self.ordering)
        return rows.current() if self.current_only else rows


def _site_time(value, site) -> str | None:
    """A time on the site's clock ("2026-03-02 08:00")."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(site.timezone)).strftime("%Y-%m-%d %H:%M")


def _wave(work_order) -> str:
    enrollment = work_order.enrollment
    return enrollment.wave.name if enrollment and enrollment.wave_id else ""


def _first_name(name: str) -> str:
    """What a client reads of a technician's name."""
    return name.split()[0] if name else ""


WORK_ORDERS = ListExport(
    name="work-orders",
    title="Work orders",
    model=WorkOrder,
    filterset_class=WorkOrderFilterSet,
    read_roles=frozenset(WORK_ORDER_READ_ROLES),
    related=("program", "program__client", "site", "enrollment", "enrollment__wave", "technician"),
    ordering=("program_id", "sequence", "id"),
    columns=(
        Column("Number", lambda wo: wo.number),
        Column("Program", lambda wo: wo.program.code),
        Column("Client", lambda wo: wo.program.client.name),
        Column("Wave", _wave),
        Column("Site", lambda wo: wo.site.code),
        Column("Site name", lambda wo: wo.site.name),
        Column("City", lambda wo: wo.site.city),
        Column("State", lambda wo: wo.site.state),
        Column("Status", lambda wo: wo.get_status_display()),
        Column("Planned start (site time)", lambda wo: _site_time(wo.planned_start, wo.site)),
        Column("Planned end (site time)", lambda wo: _site_time(wo.planned_end, wo.site)),
        Column(
            "Technician",
            lambda wo: wo.technician.full_name if wo.technician_id else "",
            field="technician_surname",
            limited=lambda wo: _first_name(wo.technician.full_name) if wo.technician_id else "",
        ),
        Column("Accepted", lambda wo: wo.accepted_at),
        Column("Closed", lambda wo: wo.closed_at),
        Column("Cancel reason", lambda wo: wo.cancel_reason, field="internal_note"),
        Column("Site contact note", lambda wo: wo.site_contact_note, field="internal_note"),
        Column("Updated", lambda wo: wo.updated_at),
    ),
)

VISITS = ListExport(
    name="visits",
    title="Visits",
    model=Visit,
    filterset_class=VisitFilterSet,
    read_roles=frozenset(VISIT_READ_ROLES),
    related=("work_order", "work_order__program", "work_order__site", "technician"),
    ordering=("window_start", "id"),
    columns=(
        Column("Work order", lambda v: v.work_order.number),
        Column("Program", lambda v: v.work_order.program.code),
        Column("Site", lambda v: v.work_order.site.code),
        Column("Site name", lambda v: v.work_order.site.name),
        Column("Visit", lambda v: v.sequence),
        Column("Day", lambda v: v.local_date),
        Column("Window start (site time)", lambda v: _site_time(v.window_start, v.work_order.site)),
        Column("Window end (site time)", lambda v: _site_time(v.window_end, v.work_order.site)),
        Column("Status", lambda v: v.get_status_display()),
        Column(
            "Technician",
            lambda v: v.technician.full_name,
            field="technician_surname",
            limited=lambda v: _first_name(v.technician.full_name),
        ),
        Column("Checked in (site time)", lambda v: _site_time(v.checked_in_at, v.work_order.site)),
        Column("Checked out (site time)", lambda v: _site_time(v.checked_out_at, v.work_order.site)),
        Column("Outcome", lambda v: v.get_outcome_display()),
        Column("Incomplete reason", lambda v: v.get_incomplete_reason_display(), field="internal_note"),
        Column("Check-in flagged", lambda v: v.check_in_flagged, field="internal_note"),
        Column("Check-out note", lambda v: v.check_out_note, field="internal_note"),
        Column("Cancel reason", lambda v: v.cancel_reason, field="internal_note"),
    ),
)

DEFECTS = ListExport(
    name="defects",
    title="Defects",
    model=Defect,
    filterset_class=DefectFilterSet,
    read_roles=frozenset(WORK_ORDER_READ_ROLES),
    related=("review", "review__work_order", "review__work_order__program", "review__work_order__site", "code"),
    ordering=("-review__decided_at", "id"),
    columns=(
        Column("Work order", lambda d: d.review.work_order.number),
        Column("Program", lambda d: d.review.work_order.program.code),
        Column("Site", lambda d: d.review.work_order.site.code),
        Column("Review", lambda d: d.review.sequence),
        Column("Decided", lambda d: d.review.decided_at),
        Column("Code", lambda d: d.code.code),
        Column("Defect", lambda d: d.code.title),
        Column("Severity", lambda d: d.get_severity_display()),
        Column("Root cause", lambda d: d.get_root_cause_display()),
        Column("Task", lambda d: d.task_key),
        Column("Comment", lambda d: d.comment, field="internal_note"),
        Column("Reviewer", lambda d: d.review.reviewer_label, field="internal_note"),
    ),
)

ESCALATIONS = ListExport(
    name="escalations",
    title="Escalations",
    model=Escalation,
    filterset_class=EscalationFilterSet,
    read_roles=frozenset(ESCALATION_ROLES["read"]),
    related=("work_order", "work_order__site", "program", "assignee"),
    ordering=("-breach_at", "-id"),
    current_only=True,
    columns=(
        Column("Id", lambda e: e.pk),
        Column("Rule", lambda e: e.get_rule_display()),
        Column("Level", lambda e: e.level),
        Column("State", lambda e: e.get_state_display()),
        Column("Program", lambda e: e.program.code),
        Column("Work order", lambda e: e.work_order.number),
        Column("Site", lambda e: e.work_order.site.code),
        Column("Breached", lambda e: e.breach_at),
        Column("Raised", lambda e: e.raised_at),
        Column("Acknowledged", lambda e: e.acknowledged_at),
        Column("Resolved", lambda e: e.resolved_at),
        Column("Assignee", lambda e: e.assignee.display_name if e.assignee_id else "", field="internal_note"),
        Column("Acknowledged by", lambda e: e.acknowledged_by_label, field="internal_note"),
        Column("Resolved by", lambda e: e.resolved_by_label, field="internal_note"),
        Column("Snooze reason", lambda e: e.snooze_reason, field="internal_note"),
        Column("Resolution note", lambda e: e.resolution_note, field="internal_note"),
    ),
)

EXPORTS = {export.name: export for export in (WORK_ORDERS, VISITS, DEFECTS, ESCALATIONS)}


def export_queryset(export: ListExport, access):
    """The rows of `export` this viewer may read."""
    return export.queryset().visible_to(access)
