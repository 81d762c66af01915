"""Readiness gates: what must be true before a work order may be dispatched, each green or red with a reason.

The gates, in checklist order (workorders.choices.Gate): an approved SOW for the program; every one of the
site's variations decided; the materials shipped and delivered; the site contact confirmed; the planned visit
outside the site's blackout dates and inside its access hours (read in the site's own time zone) and as long as
the work's estimate (the packet's total of the SOW tasks that apply to the site); a
technician assigned and eligible on that day (technicians.selectors decides); the packet acknowledged by the
technician (the packet compiler decides, see `_packet_gates`).

A PM or admin may override a red gate with a written reason (workorders.gate_overrides.work_order_gate_override);
the override turns the gate green and shows on the checklist with who, when and why.

`work_orders_readiness` evaluates a whole page of work orders in a fixed number of queries (the list page
shows a badge per row); `work_order_readiness` is the same code for one work order, so a badge and the
detail page's checklist can never disagree. Reads only: nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch

from programs.choices import SowStatus, VariationKind, VariationStatus
from programs.conditions import condition_applies
from programs.models import SiteVariation, Sow, SowMaterial, SowTask
from programs.training import program_required_courses_many
from technicians.choices import WEEKDAYS, Weekday
from technicians.selectors import EligibilityProblem, EligibilityQuestion, technician_eligibility_many
from workorders.choices import Gate, ShipmentStatus
from workorders.models import Shipment, WorkOrder
from workorders.packets.selectors import packets_acknowledged

NO_PACKET_YET = "No packet issued yet"


@dataclass(frozen=True)
class GateOverride:
    """A red gate a PM or admin chose to pass, and why."""

    reason: str
    by_label: str
    at: str  # ISO 8601, as stored

    @property
    def at_datetime(self) -> datetime | None:
        try:
            return datetime.fromisoformat(self.at)
        except (TypeError, ValueError):
            return None


@dataclass(frozen=True)
class GateResult:
    """One line of the checklist: the gate, whether its condition holds, why, and any override."""

    gate: str
    passed: bool
    reason: str
    override: GateOverride | None = None

    @property
    def label(self) -> str:
        return Gate(self.gate).label

    @property
    def green(self) -> bool:
        return self.passed or self.override is not None

    @property
    def overridden(self) -> bool:
        return not self.passed and self.override is not None


@dataclass(frozen=True)
class Readiness:
    """A work order's checklist. `ready` when every gate is green (passed or overridden)."""

    work_order_id: int
    gates: tuple[GateResult, ...] = field(default_factory=tuple)

    @property
    def ready(self) -> bool:
        return all(gate.green for gate in self.gates)

    @property
    def red(self) -> list[GateResult]:
        return [gate for gate in self.gates if not gate.green]

    @property
    def green_count(self) -> int:
        return sum(1 for gate in self.gates if gate.green)

    def get(self, gate: str) -> GateResult | None:
        return next((result for result in self.gates if result.gate == gate), None)

    def summary(self) -> str:
        """One sentence for a refusal: which gates are red and why."""
        return " ".join(f"{gate.label}: {gate.reason}" for gate in self.red)


# --- Helpers ----------------------------------------------------------------------------------------


def _day(value: date) -> str:
    return f"{value:%a %b %-d, %Y}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def local_window(work_order: WorkOrder) -> tuple[datetime, datetime] | None:
    """The planned visit in the site's own time zone, or None when no window is planned."""
    if work_order.planned_start is None or work_order.planned_end is None:
        return None
    zone = ZoneInfo(work_order.site.timezone)
    return work_order.planned_start.astimezone(zone), work_order.planned_end.astimezone(zone)


def describe_window(work_order: WorkOrder) -> str:
    """ "Wed Mar 4, 2026, 09:00–13:00 (America/Chicago)", or "" without a window."""
    window = local_window(work_order)
    if window is None:
        return ""
    start, end = window
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{_day(end.date())} {end:%H:%M}"
    return f"{_day(start.date())}, {start:%H:%M}–{end_text} ({work_order.site.timezone})"


def _parse_window(text: str) -> tuple[int, int] | None:
    try:
        start_text, end_text = text.split("-", 1)
        start_h, start_m = (int(part) for part in start_text.strip().split(":"))
        end_h, end_m = (int(part) for part in end_text.strip().split(":"))
    except ValueError:
        return None
    start, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end == 0:
        end = 24 * 60
    if end <= start:  # runs past midnight
        end += 24 * 60
    return start, end


def visit_window_problems(*, site, planned_start: datetime | None, planned_end: datetime | None) -> list[str]:
    """Why a visit from planned_start to planned_end may not happen at the site (empty: it may).

    Read in the site's time zone: no local day of the visit may be a blackout date, and the visit must fit
    one access-hours window of its day (a window that runs past midnight counts for the next morning too).
    A site with no access hours on file is open at any time; a day missing from its hours is closed.
    """
    if planned_start is None or planned_end is None:
        return ["No visit window planned yet."]
    if planned_end <= planned_start:
        return ["The visit must end after it starts."]
    zone = ZoneInfo(site.timezone)
    start, end = planned_start.astimezone(zone), planned_end.astimezone(zone)
    problems = []
    blackout = set(site.blackout_dates or [])
    day = start.date()
    while day <= end.date():
        if day.isoformat() in blackout:
            problems.append(f"{_day(day)} is a blackout date at the site.")
        day += timedelta(days=1)
    hours = site.access_hours or {}
    if hours:
        weekday = WEEKDAYS[start.weekday()]
        previous = WEEKDAYS[(start.weekday() - 1) % 7]
        midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
        visit_from = (start - midnight).total_seconds() / 60
        visit_to = (end - midnight).total_seconds() / 60
        windows = [w for w in (_parse_window(text) for text in hours.get(weekday, [])) if w]
        windows += [(s - 1440, e - 1440) for s, e in (_parse_window(t) for t in hours.get(previous, [])) if e > 1440]
        if not any(s <= visit_from and visit_to <= e for s, e in windows):
            day_name = Weekday(weekday).label
            allowed = ", ".join(hours.get(weekday, [])) or "closed"
            problems.append(
                f"{start:%H:%M}–{end:%H:%M} is outside the site's access hours on {day_name} ({allowed}, "
                f"{site.timezone})."
            )
    return problems


@dataclass(frozen=True)
class WorkScope:
    """What a work order asks of the field, as far as readiness cares: skills, and materials to ship."""

    skills: tuple[str, ...]
    material_count: int
    minutes: int = 0  # the work's estimate: the tasks that apply to the site (the packet's total)


def work_scope(
    *, tasks: Iterable[SowTask], materials: Iterable[SowMaterial], variations: Iterable[SiteVariation], attributes
) -> WorkScope:
    """Skills and material lines of the SOW as it applies to one site: conditions, skips, added tasks."""
    approved = [v for v in variations if v.status == VariationStatus.APPROVED]
    skipped = {v.task_key for v in approved if v.kind == VariationKind.SKIP_TASK}
    skills = {
        task.required_skill
        for task in tasks
        if task.required_skill and task.key not in skipped and condition_applies(task.condition, attributes or {})
    }
    skills |= {v.required_skill for v in approved if v.kind == VariationKind.ADD_TASK and v.required_skill}
    material_count = sum(1 for m in materials if condition_applies(m.condition, attributes or {}))
    material_count += sum(1 for v in approved if v.kind == VariationKind.EXTRA_MATERIAL)
    modified = {v.task_key: v.estimated_minutes for v in approved if v.kind == VariationKind.MODIFY_TASK}
    minutes = sum(
        int(modified.get(task.key) if modified.get(task.key) is not None else task.estimated_minutes or 0)
        for task in tasks
        if task.key not in skipped and condition_applies(task.condition, attributes or {})
    )
    minutes += sum(int(v.estimated_minutes or 0) for v in approved if v.kind == VariationKind.ADD_TASK)
    return WorkScope(skills=tuple(sorted(skills)), material_count=material_count, minutes=minutes)


def describe_minutes(minutes: int) -> str:
    """3 h 50 min, 45 min, 2 h."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def window_shorter_than_estimate(*, minutes: int, start: datetime | None, end: datetime | None) -> str:
    """Why a window from start to end is too short for work estimated at `minutes` (empty: it is long enough)."""
    if not minutes or start is None or end is None or end <= start:
        return ""
    window = int((end - start).total_seconds() // 60)
    if window >= minutes:
        return ""
    return (
        f"The window is {describe_minutes(window)}, shorter than the packet's estimate of {describe_minutes(minutes)}: "
        f"book a longer window or split the work over two visits."
    )


# --- The gates ----------------------------------------------------------------------------------------


def _sow_gate(work_order: WorkOrder, sow: Sow | None) -> GateResult:
    if sow is None:
        return GateResult(
            Gate.SOW,
            False,
            f"Program {work_order.program.code} has no approved SOW yet: approve a version of its SOW.",
        )
    when = f" on {sow.approved_at:%b %-d, %Y}" if sow.approved_at else ""
    return GateResult(Gate.SOW, True, f"SOW v{sow.version} approved{when}.")


def _variations_gate(variations: list[SiteVariation]) -> GateResult:
    pending = [v for v in variations if v.status == VariationStatus.PENDING]
    if pending:
        return GateResult(
            Gate.VARIATIONS,
            False,
            f"{_plural(len(pending), 'variation')} of this site still pending: approve or reject "
            f"{'it' if len(pending) == 1 else 'them'}.",
        )
    if not variations:
        return GateResult(Gate.VARIATIONS, True, "This site has no variations.")
    approved = sum(1 for v in variations if v.status == VariationStatus.APPROVED)
    return GateResult(
        Gate.VARIATIONS, True, f"All decided: {approved} approved, {len(variations) - approved} rejected."
    )


def _materials_gate(scope: WorkScope | None, shipments: list[Shipment]) -> GateResult:
    live = [s for s in shipments if s.status != ShipmentStatus.CANCELLED]
    if not live:
        if scope is not None and scope.material_count == 0:
            return GateResult(Gate.MATERIALS, True, "No materials to ship for this site.")
        lines = f" for {_plural(scope.material_count, 'material line')}" if scope else ""
        return GateResult(Gate.MATERIALS, False, f"No shipment recorded yet{lines}.")
    problems = [s for s in live if s.status == ShipmentStatus.EXCEPTION]
    if problems:
        first = problems[0]
        return GateResult(
            Gate.MATERIALS, False, f"Shipment {first.carrier} {first.tracking_number} has a delivery problem.".strip()
        )
    waiting = [s for s in live if s.status != ShipmentStatus.DELIVERED]
    if waiting:
        first = waiting[0]
        expected = f", expected {first.expected_delivery:%b %-d}" if first.expected_delivery else ""
        return GateResult(
            Gate.MATERIALS,
            False,
            f"{len(waiting)} of {_plural(len(live), 'shipment')} not delivered yet "
            f"({first.carrier} {first.tracking_number}{expected}).",
        )
    last = max(s.delivered_on for s in live)
    return GateResult(Gate.MATERIALS, True, f"All {_plural(len(live), 'shipment')} delivered (last on {last:%b %-d}).")


def _site_contact_gate(work_order: WorkOrder) -> GateResult:
    if work_order.site_contact_confirmed_at is None:
        return GateResult(Gate.SITE_CONTACT, False, "Nobody has confirmed the visit with the site contact yet.")
    who = work_order.site_contact_confirmed_by_label or "someone"
    return GateResult(
        Gate.SITE_CONTACT, True, f"Confirmed by {who} on {work_order.site_contact_confirmed_at:%b %-d, %Y}."
    )


def _visit_window_gate(work_order: WorkOrder) -> GateResult:
    problems = visit_window_problems(
        site=work_order.site, planned_start=work_order.planned_start, planned_end=work_order.planned_end
    )
    if problems:
        return GateResult(Gate.VISIT_WINDOW, False, " ".join(problems))
    return GateResult(Gate.VISIT_WINDOW, True, f"{describe_window(work_order)}: inside access hours.")


def _duration_gate(work_order: WorkOrder, scope: WorkScope | None) -> GateResult:
    minutes = scope.minutes if scope else 0
    if work_order.planned_start is None or work_order.planned_end is None:
        return GateResult(Gate.DURATION, True, "Checked against the packet's estimate once a window is planned.")
    problem = window_shorter_than_estimate(minutes=minutes, start=work_order.planned_start, end=work_order.planned_end)
    if problem:
        return GateResult(Gate.DURATION, False, problem)
    if not minutes:
        return GateResult(Gate.DURATION, True, "The SOW's tasks carry no time estimate.")
    return GateResult(Gate.DURATION, True, f"The window fits the packet's estimate of {describe_minutes(minutes)}.")


def _technician_gate(work_order: WorkOrder, problems: list[EligibilityProblem] | None, distance) -> GateResult:
    technician = work_order.technician
    if technician is None:
        return GateResult(Gate.TECHNICIAN, False, "No technician assigned.")
    if problems is None:
        return GateResult(Gate.TECHNICIAN, False, f"{technician.full_name} is assigned; plan a visit window to check.")
    if problems:
        return GateResult(Gate.TECHNICIAN, False, " ".join(p.message for p in problems))
    away = f" ({distance:.1f} km away)" if distance is not None else ""
    day = local_window(work_order)[0].date()
    return GateResult(Gate.TECHNICIAN, True, f"{technician.full_name}{away} is eligible on {_day(day)}.")


def _packet_gates(work_orders: list[WorkOrder]) -> dict[int, GateResult]:
    """The packet gate of many work orders, from the packet selectors in a fixed number of queries."""
    answers = packets_acknowledged(work_orders)
    return {pk: GateResult(Gate.PACKET, bool(ok), reason) for pk, (ok, reason) in answers.items()}


def _overrides(work_order: WorkOrder) -> dict[str, GateOverride]:
    found = {}
    for gate, value in (work_order.gate_overrides or {}).items():
        if gate in Gate.values and isinstance(value, dict) and value.get("reason"):
            found[gate] = GateOverride(
                reason=value["reason"], by_label=value.get("by_label", ""), at=value.get("at", "")
            )
    return found


# --- Evaluation -----------------------------------------------------------------------------------------


def _approved_sows(organization, program_ids: set[int]) -> dict[int, Sow]:
    """program id → its latest approved SOW, with tasks and materials (three queries)."""
    sows = (
        Sow.objects.for_organization(organization)
        .filter(program_id__in=program_ids, status=SowStatus.APPROVED)
        .order_by("program_id", "-version")
        .prefetch_related(
            Prefetch("tasks", queryset=SowTask.objects.for_organization(organization).order_by("position", "id")),
            Prefetch("materials", queryset=SowMaterial.objects.for_organization(organization).order_by("position")),
        )
    )
    latest: dict[int, Sow] = {}
    for sow in sows:
        latest.setdefault(sow.program_id, sow)
    return latest


def _eligibility(organization, rows: list[tuple[WorkOrder, tuple[str, ...]]]):
    """work order id → (problems, distance) for the rows with a technician and a window, judged together by the
    technicians app's batch selector (same rules as the checklist of one work order) in a fixed number of
    queries."""
    questions = []
    courses = program_required_courses_many(organization=organization, program_ids={wo.program_id for wo, _ in rows})
    for work_order, skills in rows:
        window = local_window(work_order) if work_order.technician_id else None
        if not window:
            continue
        questions.append(
            EligibilityQuestion(
                key=work_order.pk,
                technician_id=work_order.technician_id,
                skills=tuple(skills),
                on_date=window[0].date(),
                latitude=work_order.site.latitude,
                longitude=work_order.site.longitude,
                at_time=window[0].time().replace(tzinfo=None),
                location_timezone=work_order.site.timezone,
                courses=courses[work_order.program_id],
            )
        )
    verdicts = technician_eligibility_many(organization=organization, questions=questions)
    return {key: (verdict.problems, verdict.distance_km) for key, verdict in verdicts.items()}


def work_orders_readiness(*, organization, work_orders: Iterable[WorkOrder]) -> dict[int, Readiness]:
    """Each work order's checklist, in a fixed number of queries however many rows there are.

    The work orders must carry their program, site and technician (WorkOrder.objects.with_summary()).
    """
    work_orders = list(work_orders)
    if not work_orders:
        return {}
    sows = _approved_sows(organization, {wo.program_id for wo in work_orders})
    variations: dict[tuple[int, int], list[SiteVariation]] = defaultdict(list)
    pairs = {(wo.program_id, wo.site_id) for wo in work_orders}
    for variation in SiteVariation.objects.for_organization(organization).filter(
        program_id__in={p for p, _ in pairs}, site_id__in={s for _, s in pairs}
    ):
        if (variation.program_id, variation.site_id) in pairs:
            variations[(variation.program_id, variation.site_id)].append(variation)
    shipments: dict[int, list[Shipment]] = defaultdict(list)
    for shipment in Shipment.objects.for_organization(organization).filter(work_order__in=work_orders):
        shipments[shipment.work_order_id].append(shipment)
    scopes: dict[int, WorkScope | None] = {}
    for wo in work_orders:
        sow = sows.get(wo.program_id)
        scopes[wo.pk] = (
            work_scope(
                tasks=sow.tasks.all(),
                materials=sow.materials.all(),
                variations=variations[(wo.program_id, wo.site_id)],
                attributes=wo.site.attributes,
            )
            if sow
            else None
        )
    verdicts = _eligibility(organization, [(wo, scopes[wo.pk].skills if scopes[wo.pk] else ()) for wo in work_orders])
    packets = _packet_gates(work_orders)
    results = {}
    for wo in work_orders:
        verdict = verdicts.get(wo.pk)
        gates = [
            _sow_gate(wo, sows.get(wo.program_id)),
            _variations_gate(variations[(wo.program_id, wo.site_id)]),
            _materials_gate(scopes[wo.pk], shipments[wo.pk]),
            _site_contact_gate(wo),
            _visit_window_gate(wo),
            _duration_gate(wo, scopes[wo.pk]),
            _technician_gate(wo, verdict[0] if verdict else None, verdict[1] if verdict else None),
            packets.get(wo.pk) or GateResult(Gate.PACKET, False, f"{NO_PACKET_YET}."),
        ]
        overrides = _overrides(wo)
        gates = [
            GateResult(g.gate, g.passed, g.reason, overrides.get(g.gate)) if g.gate in overrides else g for g in gates
        ]
        results[wo.pk] = Readiness(work_order_id=wo.pk, gates=tuple(gates))
    return results


def work_order_estimate_minutes(*, organization, work_order: WorkOrder) -> int:
    """The work's estimate for this site in minutes (the approved SOW's tasks that apply, with the variations)."""
    sow = _approved_sows(organization, {work_order.program_id}).get(work_order.program_id)
    if sow is None:
        return 0
    variations = SiteVariation.objects.for_organization(organization).filter(
        program_id=work_order.program_id, site_id=work_order.site_id
    )
    scope = work_scope(
        tasks=sow.tasks.all(),
        materials=sow.materials.all(),
        variations=variations,
        attributes=work_order.site.attributes,
    )
    return scope.minutes


def work_order_readiness(*, organization, work_order: WorkOrder) -> Readiness:
    """One work order's checklist (the same evaluation as the list's badges)."""
    return work_orders_readiness(organization=organization, work_orders=[work_order])[work_order.pk]
