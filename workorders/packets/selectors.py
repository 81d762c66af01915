"""Reads of packets: lists and fetches scoped to the caller, the current version of a work order's packet,
the acknowledgement gate, fresh compiles (what a packet would say today), packet diffs and the re-issue
preview. Every read is scoped: `visible_to(access)` or `for_organization(org)`."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from programs.choices import VariationStatus
from programs.models import Program, SiteVariation, Sow
from programs.selectors import FieldChange, LineChange, LineDiff, LineSummary, sow_current_approved
from rollout.errors import NotFound
from rollout.tenancy import Access
from sites.models import Site
from technicians.models import Technician
from workorders.choices import NO_PACKET_STATUSES, NOT_VISITED, PacketStatus
from workorders.models import Packet, PacketAcknowledgement, PacketGenerationJob, WorkOrder
from workorders.packets.compiler import PacketSnapshot, packet_compile

TASK_DIFF_FIELDS = ["title", "instructions", "required_skill", "estimated_minutes", "evidence", "source", "site_note"]
MATERIAL_DIFF_FIELDS = ["part_number", "description", "quantity", "unit", "source", "site_note"]
# Cover-level parts of a packet compared as a whole: (label, how to read it from a snapshot).
OTHER_DIFF_PARTS = [
    ("sow_version", lambda snapshot: snapshot["sow"]["version"]),
    ("work_order_number", lambda snapshot: snapshot.get("work_order_number")),
    ("site_name", lambda snapshot: snapshot["site"]["name"]),
    ("address", lambda snapshot: snapshot["site"]["address"]),
    ("timezone", lambda snapshot: snapshot["site"]["timezone"]),
    ("access_hours", lambda snapshot: snapshot["site"]["access_hours"]),
    ("blackout_dates", lambda snapshot: snapshot["site"]["blackout_dates"]),
    ("contacts", lambda snapshot: snapshot["contacts"]),
    ("access_notes", lambda snapshot: [note["note"] for note in snapshot["access_notes"]]),
    ("skipped_tasks", lambda snapshot: [skipped["key"] for skipped in snapshot["skipped_tasks"]]),
]


# --- Lists and fetches ----------------------------------------------------------------------------------


def packet_list(*, access: Access) -> QuerySet[Packet]:
    """The packet versions the caller may see (clients: their client's programs; technicians: their assigned
    work orders), with work order, program, site and SOW joined."""
    return Packet.objects.visible_to(access).with_summary()


def packet_get(*, access: Access, packet_id: int) -> Packet:
    """One visible packet version, or NotFound (another organization's looks exactly like a missing one)."""
    packet = packet_list(access=access).filter(pk=packet_id).first()
    if packet is None:
        raise NotFound()
    return packet


def packet_job_list(*, access: Access) -> QuerySet[PacketGenerationJob]:
    return PacketGenerationJob.objects.visible_to(access).select_related("program", "wave")


def packet_job_get(*, access: Access, job_id: int) -> PacketGenerationJob:
    job = packet_job_list(access=access).filter(pk=job_id).first()
    if job is None:
        raise NotFound()
    return job


def packet_current(*, organization, work_order_id: int) -> Packet | None:
    """The work order's current packet: its latest rendered version that nothing superseded, or None."""
    return (
        Packet.objects.for_organization(organization)
        .current()
        .filter(work_order_id=work_order_id)
        .order_by("-version")
        .first()
    )


def packet_latest(*, organization, work_order_id: int) -> Packet | None:
    """The work order's latest version that did not fail (current, or still being rendered), or None."""
    return (
        Packet.objects.for_organization(organization)
        .filter(work_order_id=work_order_id)
        .exclude(status=PacketStatus.FAILED)
        .order_by("-version")
        .first()
    )


def packet_versions(*, access: Access, work_order_id: int) -> list[Packet]:
    """Every version of one work order's packet the caller may see, newest first."""
    return list(packet_list(access=access).filter(work_order_id=work_order_id).order_by("-version"))


# --- The acknowledgement gate ---------------------------------------------------------------------------


def _gate(packets: list[tuple], acks: dict, technician: tuple | None) -> tuple[bool, str]:
    """packets: (id, version, status, superseded_by_id, render_error) newest first."""
    if not packets:
        return False, "No packet issued yet."
    current = next((row for row in packets if row[2] == PacketStatus.RENDERED and row[3] is None), None)
    if current is None:
        latest = packets[0]
        if latest[2] == PacketStatus.FAILED:
            return False, f"Packet v{latest[1]} failed to render: {latest[4][:200]}"
        return False, f"Packet v{latest[1]} is being rendered."
    packet_id, version = current[0], current[1]
    if technician is None:
        return False, f"Packet v{version} is ready; assign a technician to acknowledge it."
    technician_id, name = technician
    acknowledged_at = acks.get((packet_id, technician_id))
    if acknowledged_at is None:
        return False, f"{name} has not acknowledged packet v{version} yet."
    return True, f"{name} acknowledged packet v{version} on {acknowledged_at:%Y-%m-%d}."


def packets_acknowledged(work_orders: Iterable[WorkOrder]) -> dict[int, tuple[bool, str]]:
    """The packet gate of many work orders in three queries: green when the assigned technician acknowledged
    the current packet version; the reason says what is missing otherwise."""
    work_orders = list(work_orders)
    if not work_orders:
        return {}
    organization_id = work_orders[0].organization_id
    ids = [wo.pk for wo in work_orders]
    by_work_order: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        Packet.objects.for_organization(organization_id)
        .filter(work_order_id__in=ids)
        .order_by("work_order_id", "-version")
        .values_list("work_order_id", "id", "version", "status", "superseded_by_id", "render_error")
    )
    for work_order_id, *row in rows:
        by_work_order[work_order_id].append(tuple(row))
    current_ids = [
        row[0]
        for packets in by_work_order.values()
        for row in packets
        if row[2] == PacketStatus.RENDERED and row[3] is None
    ]
    acks = {
        (packet_id, technician_id): at
        for packet_id, technician_id, at in PacketAcknowledgement.objects.for_organization(organization_id)
        .filter(packet_id__in=current_ids)
        .values_list("packet_id", "technician_id", "acknowledged_at")
    }
    technician_ids = {wo.technician_id for wo in work_orders if wo.technician_id}
    names = dict(
        Technician.objects.for_organization(organization_id)
        .filter(pk__in=technician_ids)
        .values_list("pk", "full_name")
    )
    return {
        wo.pk: _gate(
            by_work_order.get(wo.pk, []),
            acks,
            (wo.technician_id, names.get(wo.technician_id, "The technician")) if wo.technician_id else None,
        )
        for wo in work_orders
    }


def packet_acknowledged(work_order: WorkOrder) -> tuple[bool, str]:
    """The readiness gate "packet acknowledged": true when the work order's assigned technician acknowledged
    its current packet version (a newer version needs a new acknowledgement)."""
    return packets_acknowledged([work_order])[work_order.pk]


# --- Fresh compiles -----------------------------------------------------------------------------------


def packet_sow_for_compile(*, organization, program_id: int) -> Sow | None:
    """The program's current approved SOW with its lines loaded once (reuse it for every site)."""
    sow = sow_current_approved(organization=organization, program_id=program_id)
    if sow is not None:
        sow = Sow.objects.for_organization(organization).prefetch_related("tasks", "materials").get(pk=sow.pk)
    return sow


def packet_compile_many(*, organization, program: Program, sow: Sow, work_orders: list[WorkOrder]) -> dict:
    """Fresh snapshots for many work orders of one program in a fixed number of queries (sites with their
    contacts, approved variations): {work_order_id: PacketSnapshot}."""
    site_ids = {wo.site_id for wo in work_orders}
    sites = {
        site.pk: site
        for site in Site.objects.for_organization(organization).filter(pk__in=site_ids).prefetch_related("contacts")
    }
    variations: dict[int, list[SiteVariation]] = defaultdict(list)
    approved = (
        SiteVariation.objects.for_organization(organization)
        .filter(program_id=program.pk, site_id__in=site_ids, status=VariationStatus.APPROVED)
        .order_by("created_at", "id")
    )
    for variation in approved:
        variations[variation.site_id].append(variation)
    return {
        wo.pk: packet_compile(
            sow=sow,
            site=sites[wo.site_id],
            variations=variations.get(wo.site_id, []),
            program=program,
            work_order_number=wo.number,
        )
        for wo in work_orders
    }


def pending_variation_counts(*, organization, program_id: int, site_ids: Iterable[int]) -> dict[int, int]:
    """How many undecided variations each site has in the program, in one query."""
    counts: dict[int, int] = defaultdict(int)
    rows = (
        SiteVariation.objects.for_organization(organization)
        .filter(program_id=program_id, site_id__in=list(site_ids), status=VariationStatus.PENDING)
        .values_list("site_id", flat=True)
    )
    for site_id in rows:
        counts[site_id] += 1
    return counts


# --- Diff -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PacketDiff:
    """What changed from one packet snapshot to another: tasks and materials by key, and cover-level parts."""

    tasks: LineDiff = field(default_factory=LineDiff)
    materials: LineDiff = field(default_factory=LineDiff)
    other: tuple[FieldChange, ...] = ()

    @property
    def is_empty(self) -> bool:
        return self.tasks.is_empty and self.materials.is_empty and not self.other


def _unmoved(base_keys: list[str], target_keys: list[str]) -> set[str]:
    """Keys on the longest run of common lines that kept their relative order."""
    matcher = difflib.SequenceMatcher(a=base_keys, b=target_keys, autojunk=False)
    return {base_keys[block.a + i] for block in matcher.get_matching_blocks() for i in range(block.size)}


def _diff_lines(base: list[dict], target: list[dict], fields: list[str], label: str) -> LineDiff:
    base_by_key = {line["key"]: (position, line) for position, line in enumerate(base, start=1)}
    target_by_key = {line["key"]: (position, line) for position, line in enumerate(target, start=1)}
    unmoved = _unmoved(
        [line["key"] for line in base if line["key"] in target_by_key],
        [line["key"] for line in target if line["key"] in base_by_key],
    )
    changed = []
    for position, line in enumerate(target, start=1):
        if line["key"] not in base_by_key:
            continue
        old_position, old = base_by_key[line["key"]]
        changes = [
            FieldChange(name, old.get(name), line.get(name)) for name in fields if old.get(name) != line.get(name)
        ]
        if line["key"] not in unmoved:
            changes.append(FieldChange("position", old_position, position))
        if changes:
            changed.append(LineChange(key=line["key"], label=line[label], changes=tuple(changes)))
    return LineDiff(
        added=tuple(
            LineSummary(line["key"], line[label], position)
            for position, line in enumerate(target, start=1)
            if line["key"] not in base_by_key
        ),
        removed=tuple(
            LineSummary(line["key"], line[label], position)
            for position, line in enumerate(base, start=1)
            if line["key"] not in target_by_key
        ),
        changed=tuple(changed),
    )


def packet_diff(base: dict | PacketSnapshot, target: dict | PacketSnapshot) -> PacketDiff:
    """Tasks and materials added, removed and changed (matched by key; a line counts as moved only when it
    left the longest run that kept its order), plus changed cover parts, from `base` to `target`."""
    base = base.to_json() if isinstance(base, PacketSnapshot) else base
    target = target.to_json() if isinstance(target, PacketSnapshot) else target
    other: list[FieldChange] = []
    for name, read in OTHER_DIFF_PARTS:
        before, after = read(base), read(target)
        if before != after:
            other.append(FieldChange(name, before, after))
    return PacketDiff(
        tasks=_diff_lines(base["tasks"], target["tasks"], TASK_DIFF_FIELDS, "title"),
        materials=_diff_lines(base["materials"], target["materials"], MATERIAL_DIFF_FIELDS, "part_number"),
        other=tuple(other),
    )


# --- Re-issue preview ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReissueItem:
    """One work order whose packet would change today: its current version, the fresh compile and the diff."""

    work_order: WorkOrder
    packet: Packet
    snapshot: PacketSnapshot
    diff: PacketDiff
    will_reissue: bool
    note: str  # why it is left untouched, or what must be fixed first; "" when it will be re-issued

    @property
    def is_visited(self) -> bool:
        return self.work_order.status not in NOT_VISITED


@dataclass(frozen=True)
class ReissuePreview:
    program: Program
    sow: Sow | None
    affected: tuple[ReissueItem, ...]
    unchanged_count: int
    checked_count: int

    @property
    def to_reissue(self) -> tuple[ReissueItem, ...]:
        return tuple(item for item in self.affected if item.will_reissue)

    @property
    def left_untouched(self) -> tuple[ReissueItem, ...]:
        return tuple(item for item in self.affected if not item.will_reissue)


def packet_reissue_preview(
    *, organization, program_id: int, work_order_ids: Iterable[int] | None = None
) -> ReissuePreview:
    """Exactly which work orders of the program would get a new packet version today (a new SOW version was
    approved, a variation or the site changed): those whose latest packet's checksum differs from a fresh
    compile, each with the diff. Visited ones (in progress or later) are listed but left untouched; so are
    those with undecided variations, with what to fix. Work orders without a packet are not affected
    (packet generation gives them their first). A fixed number of queries per 1,000 work orders."""
    program = Program.objects.for_organization(organization).select_related("client").filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    sow = packet_sow_for_compile(organization=organization, program_id=program.pk)
    work_orders = (
        WorkOrder.objects.for_organization(organization)
        .filter(program_id=program.pk)
        .exclude(status__in=NO_PACKET_STATUSES)
        .select_related("site", "technician")
        .order_by("sequence", "id")
    )
    if work_order_ids is not None:
        work_orders = work_orders.filter(pk__in=list(work_order_ids))
    latest: dict[int, Packet] = {}
    for packet in (
        Packet.objects.for_organization(organization)
        .filter(work_order__in=work_orders)
        .exclude(status=PacketStatus.FAILED)
        .order_by("work_order_id", "version")
    ):
        latest[packet.work_order_id] = packet  # the highest version wins
    candidates = [wo for wo in work_orders if wo.pk in latest]
    if sow is None or not candidates:
        return ReissuePreview(program, sow, (), 0, len(candidates))
    fresh = packet_compile_many(organization=organization, program=program, sow=sow, work_orders=candidates)
    pending = pending_variation_counts(
        organization=organization, program_id=program.pk, site_ids={wo.site_id for wo in candidates}
    )
    affected, unchanged = [], 0
    for wo in candidates:
        packet, snapshot = latest[wo.pk], fresh[wo.pk]
        if packet.checksum == snapshot.checksum:
            unchanged += 1
            continue
        if wo.status not in NOT_VISITED:
            will, note = False, f"Visited ({wo.get_status_display().lower()}): keeps packet v{packet.version}."
        elif pending.get(wo.site_id):
            count = pending[wo.site_id]
            will, note = False, f"{count} undecided variation{'s' if count != 1 else ''}: approve or reject first."
        else:
            will, note = True, ""
        affected.append(ReissueItem(wo, packet, snapshot, packet_diff(packet.snapshot, snapshot), will, note))
    return ReissuePreview(program, sow, tuple(affected), unchanged, len(candidates))


def diff_summary(diff: PacketDiff) -> dict[str, Any]:
    """Counts for lists: tasks and materials added / removed / changed, and other changed parts by name."""
    return {
        "tasks": {kind: len(getattr(diff.tasks, kind)) for kind in ("added", "removed", "changed")},
        "materials": {kind: len(getattr(diff.materials, kind)) for kind in ("added", "removed", "changed")},
        "other": [change.field for change in diff.other],
    }
