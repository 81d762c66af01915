"""Reads of field visits: lists and fetches scoped to the caller, a visit's tasks (from the packet version it
works from) with their results and photos, the evidence still missing, the dispatch board of a day and a
technician's week. Every read is scoped: `visible_to(access)` or `for_organization(org)`; the board and the
week read a fixed number of queries however many visits there are.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef, Prefetch, QuerySet
from django.utils import timezone

from programs.choices import EvidenceKind
from rollout.errors import NotFound
from rollout.tenancy import Access
from technicians.choices import WEEKDAYS
from technicians.models import Technician, TimeOff
from workorders.choices import (
    STATE_BADGES,
    PacketStatus,
    TaskResultStatus,
    VisitState,
)
from workorders.models import Packet, PacketAcknowledgement, TaskResult, Visit, VisitPhoto

# --- Lists and fetches ----------------------------------------------------------------------------------


def visit_list(*, access: Access) -> QuerySet[Visit]:
    """The visits the caller may see (technicians: their own; clients: their client's programs), with work
    order, program, site and technician joined."""
    return Visit.objects.visible_to(access).with_summary()


def visit_detail_queryset(queryset: QuerySet[Visit]) -> QuerySet[Visit]:
    """Everything a visit's detail shows, in a fixed number of queries: site contacts, packet, task results,
    photos, the sign-off, and the packet versions of the work order its technician acknowledged (in the visit's
    own query, `acknowledged_packet_ids`: read by packet_acknowledged_by)."""
    acknowledged = (
        PacketAcknowledgement.objects.for_outer_organization()
        .filter(packet__work_order_id=OuterRef("work_order_id"), technician_id=OuterRef("technician_id"))
        .order_by()
        .values("packet_id")
    )
    return (
        queryset.select_related("packet", "sign_off")
        .prefetch_related(
            "work_order__site__contacts",
            Prefetch("task_results", queryset=TaskResult.objects.order_by("id")),
            Prefetch("photos", queryset=VisitPhoto.objects.order_by("created_at", "id")),
        )
        .annotate(acknowledged_packet_ids=ArraySubquery(acknowledged))
    )


def visit_get(*, access: Access, visit_id: int) -> Visit:
    """One visible visit with its detail, or NotFound (another organization's, or another technician's,
    looks exactly like a missing one)."""
    visit = visit_detail_queryset(visit_list(access=access)).filter(pk=visit_id).first()
    if visit is None:
        raise NotFound()
    return visit


# --- Local times --------------------------------------------------------------------------------------


def site_zone(visit: Visit) -> ZoneInfo:
    return ZoneInfo(visit.work_order.site.timezone)


def describe_visit_window(visit: Visit) -> str:
    """ "Wed Mar 4, 2026, 09:00–13:00 (America/Chicago)": the window in the site's time zone."""
    zone = site_zone(visit)
    start, end = visit.window_start.astimezone(zone), visit.window_end.astimezone(zone)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%a %b %-d, %Y} {end:%H:%M}"
    return f"{start:%a %b %-d, %Y}, {start:%H:%M}–{end_text} ({zone.key})"


# --- Tasks and evidence -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VisitTask:
    """One task of the packet version a visit works from, with the evidence it requires."""

    key: str
    number: int
    title: str
    instructions: str
    evidence_kind: str
    photo_min_count: int
    serial_pattern: str
    measurement_unit: str
    measurement_min: Decimal | None
    measurement_max: Decimal | None
    source: str
    site_note: str


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def packet_tasks(packet: Packet | None) -> list[VisitTask]:
    """The tasks of a packet version's snapshot, in order (none without a packet)."""
    if packet is None:
        return []
    tasks = []
    for number, task in enumerate(packet.snapshot.get("tasks", []), start=1):
        evidence = task.get("evidence") or {}
        kind = evidence.get("kind") or EvidenceKind.NONE
        tasks.append(
            VisitTask(
                key=task["key"],
                number=task.get("number", number),
                title=task.get("title", ""),
                instructions=task.get("instructions", ""),
                evidence_kind=str(kind),
                photo_min_count=max(1, int(evidence.get("photo_min_count") or 1)) if kind == EvidenceKind.PHOTO else 0,
                serial_pattern=evidence.get("serial_pattern") or "",
                measurement_unit=evidence.get("measurement_unit") or "",
                measurement_min=_decimal(evidence.get("measurement_min")),
                measurement_max=_decimal(evidence.get("measurement_max")),
                source=task.get("source", ""),
                site_note=task.get("site_note", ""),
            )
        )
    return tasks


def packet_for_visit(*, organization, work_order_id: int) -> Packet | None:
    """The packet version a visit would work from now: the work order's current version, else its latest one
    that did not fail (compiled and waiting for its PDF: its content is final already)."""
    packets = Packet.objects.for_organization(organization).filter(work_order_id=work_order_id)
    current = packets.current().order_by("-version").first()
    if current is not None:
        return current
    return packets.exclude(status=PacketStatus.FAILED).order_by("-version").first()


def visit_effective_packet(visit: Visit) -> Packet | None:
    """The version the visit works from (fixed at check-in), or the one it would work from before that."""
    if visit.packet_id:
        return visit.packet
    cached = getattr(visit, "_effective_packet", False)
    if cached is False:
        cached = packet_for_visit(organization=visit.organization_id, work_order_id=visit.work_order_id)
        visit._effective_packet = cached
    return cached


@dataclass(frozen=True)
class MissingEvidence:
    task_key: str
    message: str


def missing_evidence(
    *, tasks: list[VisitTask], results: dict[str, TaskResult], photo_counts: dict[str, int], signed: bool
) -> list[MissingEvidence]:
    """What a complete check-out still needs, task by task: a result for every task (done or not applicable;
    "not done" does not complete a visit), and for done tasks the evidence they require — photo_min_count
    photos, a serial number, a measurement, the site contact's signature."""
    missing = []
    for task in tasks:
        result = results.get(task.key)
        label = f"Task {task.number} ({task.title})"
        if result is None:
            missing.append(MissingEvidence(task.key, f"{label}: no result recorded yet."))
            continue
        if result.status == TaskResultStatus.NOT_APPLICABLE:
            continue
        if result.status == TaskResultStatus.NOT_DONE:
            missing.append(
                MissingEvidence(
                    task.key, f"{label} is marked not done: a complete visit needs it done or not applicable."
                )
            )
            continue
        if task.evidence_kind == EvidenceKind.PHOTO:
            taken = photo_counts.get(task.key, 0)
            if taken < task.photo_min_count:
                needed = task.photo_min_count
                missing.append(
                    MissingEvidence(task.key, f"{label}: {needed} photo{'s' * (needed != 1)} needed, {taken} received.")
                )
        elif task.evidence_kind == EvidenceKind.SERIAL and not result.serial:
            missing.append(MissingEvidence(task.key, f"{label}: the serial number is missing."))
        elif task.evidence_kind == EvidenceKind.MEASUREMENT and result.measurement is None:
            unit = f" ({task.measurement_unit})" if task.measurement_unit else ""
            missing.append(MissingEvidence(task.key, f"{label}: the measurement{unit} is missing."))
        elif task.evidence_kind == EvidenceKind.SIGNATURE and not signed:
            missing.append(MissingEvidence(task.key, f"{label}: the site contact's signature is missing."))
    return missing


def visit_missing_evidence(visit: Visit) -> list[MissingEvidence]:
    """missing_evidence for one visit, read from its prefetched results, photos and sign-off when present."""
    tasks = packet_tasks(visit_effective_packet(visit))
    results = {result.task_key: result for result in visit.task_results.all()}
    photo_counts = Counter(photo.task_key for photo in visit.photos.all())
    return missing_evidence(tasks=tasks, results=results, photo_counts=photo_counts, signed=visit_is_signed(visit))


def visit_is_signed(visit: Visit) -> bool:
    try:
        return visit.sign_off is not None
    except Visit.sign_off.RelatedObjectDoesNotExist:
        return False


def packet_acknowledged_by(visit: Visit, packet: Packet | None) -> bool:
    """Whether the visit's technician acknowledged this packet version (read with a visit from
    visit_detail_queryset, else one query)."""
    if packet is None:
        return False
    acknowledged = getattr(visit, "acknowledged_packet_ids", None)
    if acknowledged is not None:
        return packet.pk in acknowledged
    return (
        PacketAcknowledgement.objects.for_organization(visit.organization_id)
        .filter(packet=packet, technician_id=visit.technician_id)
        .exists()
    )


# --- The dispatch board ---------------------------------------------------------------------------------

BOARD_ORDER = [
    VisitState.LATE,
    VisitState.ON_THE_WAY,
    VisitState.CHECKED_IN,
    VisitState.CONFIRMED,
    VisitState.SCHEDULED,
    VisitState.CHECKED_OUT,
    VisitState.NO_SHOW,
    VisitState.CANCELLED,
]
# States that need a coordinator's eye: they stand out on the board.
ATTENTION = frozenset({VisitState.LATE, VisitState.NO_SHOW})


@dataclass
class BoardRow:
    visit: Visit
    state: str
    start_local: datetime
    end_local: datetime
    minutes_late: int = 0

    @property
    def state_label(self) -> str:
        return VisitState(self.state).label

    @property
    def badge(self) -> tuple[str, str]:
        return STATE_BADGES[self.state]

    @property
    def needs_attention(self) -> bool:
        return self.state in ATTENTION or self.visit.check_in_flagged


@dataclass
class Board:
    day: date
    now: datetime
    rows: list[BoardRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def summary(self) -> list[tuple[str, str, int, tuple[str, str]]]:
        """(state, label, count, badge) for every state, in board order (zeros included)."""
        return [
            (state, VisitState(state).label, self.counts.get(state, 0), STATE_BADGES[state]) for state in BOARD_ORDER
        ]

    @property
    def attention_count(self) -> int:
        return sum(1 for row in self.rows if row.needs_attention)


def dispatch_board(*, access: Access, day: date, program_id=None, technician_id=None, state: str = "") -> Board:
    """Every visit of `day` (the site's local date) the caller may see, with its board state (late derived from
    the clock), local times and counts per state — in one query whatever the number of visits. `state` filters
    rows by board state; the counts cover the day before that filter, so the summary stays whole."""
    now = timezone.now()
    queryset = visit_list(access=access).filter(local_date=day)
    if program_id:
        queryset = queryset.filter(work_order__program_id=program_id)
    if technician_id:
        queryset = queryset.filter(technician_id=technician_id)
    board = Board(day=day, now=now)
    counts: Counter = Counter()
    for visit in queryset.order_by("window_start", "id"):
        visit_state = visit.state_at(now)
        counts[visit_state] += 1
        if state and visit_state != state:
            continue
        zone = site_zone(visit)
        late = int((now - visit.window_start).total_seconds() // 60) if visit_state == VisitState.LATE else 0
        board.rows.append(
            BoardRow(
                visit=visit,
                state=visit_state,
                start_local=visit.window_start.astimezone(zone),
                end_local=visit.window_end.astimezone(zone),
                minutes_late=late,
            )
        )
    board.counts = dict(counts)
    return board


# --- A technician's week ----------------------------------------------------------------------------------


@dataclass
class WeekDay:
    day: date
    visits: list[BoardRow] = field(default_factory=list)
    time_off: list[TimeOff] = field(default_factory=list)

    @property
    def is_today(self) -> bool:
        return self.day == timezone.localdate()


def technician_week(*, access: Access, technician: Technician, start: date) -> list[WeekDay]:
    """Seven days from `start`: the technician's visits (by the site's local date) and time off (two queries)."""
    days = [WeekDay(day=start + timedelta(days=n)) for n in range(7)]
    by_day = {entry.day: entry for entry in days}
    now = timezone.now()
    visits = (
        visit_list(access=access)
        .filter(technician=technician, local_date__gte=start, local_date__lte=start + timedelta(days=6))
        .order_by("window_start", "id")
    )
    for visit in visits:
        zone = site_zone(visit)
        by_day[visit.local_date].visits.append(
            BoardRow(
                visit=visit,
                state=visit.state_at(now),
                start_local=visit.window_start.astimezone(zone),
                end_local=visit.window_end.astimezone(zone),
            )
        )
    absences = TimeOff.objects.for_organization(access.organization).filter(
        technician=technician, start_date__lte=start + timedelta(days=6), end_date__gte=start
    )
    grouped: dict[date, list[TimeOff]] = defaultdict(list)
    for absence in absences:
        for entry in days:
            if absence.covers(entry.day):
                grouped[entry.day].append(absence)
    for entry in days:
        entry.time_off = grouped[entry.day]
    return days


EARLY_CHECK_IN = timedelta(minutes=30)


def check_in_warning(visit: Visit, at: datetime | None = None) -> str:
    """A word to the technician who checks in well before the window, or before the store opens (a warning,
    never a refusal): empty when the check-in is on time. `at` is the check-in moment (the visit's own, or now)."""
    at = at or visit.checked_in_at or timezone.now()
    if visit.window_start is None or at >= visit.window_start - EARLY_CHECK_IN:
        return ""
    site = visit.work_order.site
    zone = ZoneInfo(site.timezone)
    local = at.astimezone(zone)
    minutes = int((visit.window_start - at).total_seconds() // 60)
    hours, rest = divmod(minutes, 60)
    ahead = f"{hours} h {rest} min" if hours and rest else (f"{hours} h" if hours else f"{rest} min")
    text = f"You checked in {ahead} before the visit's window ({visit.window_start.astimezone(zone):%H:%M} site time)"
    opening = _opening(site, local)
    if opening is not None and local.time() < opening:
        text += f", and before the store opens at {opening:%H:%M}"
    return text + ": make sure the store expects you; your coordinator sees the early check-in."


def _opening(site, local: datetime):
    """The store's first opening time on that local day, from its access hours (None: no hours on file)."""
    windows = (site.access_hours or {}).get(WEEKDAYS[local.weekday()]) or []
    starts = sorted(text.split("-", 1)[0].strip() for text in windows)
    if not starts:
        return None
    return datetime.strptime(starts[0], "%H:%M").time()
