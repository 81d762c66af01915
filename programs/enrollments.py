"""Writes of program enrollments: sites joining a program (optionally in a wave), moving between its
waves, and leaving it.

Bulk by design. One action takes up to BULK_LIMIT site ids and costs a fixed number of queries whatever
their number (reads in chunks of CHUNK ids, writes in batches), returns one outcome per site — created,
updated, unchanged, removed, or refused with a stable reason — and records one audit event on the program
with the counts and the ids. `preview=True` computes exactly the same outcomes and writes nothing: that
is the confirmation step ("412 sites will be enrolled, 30 moved to Wave 2, 3 refused").

Each action locks the program row, so two bulk actions on one program run one after the other; the
unique (program, site) constraint backs it. Site ids of another organization are refused as `not_found`,
exactly like ids that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from programs.choices import VariationStatus
from programs.models import Enrollment, Program, SiteVariation, Wave
from programs.services import _check_open, _lock_program
from rollout.audit import audit_record
from rollout.errors import ApplicationError
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user
from sites.choices import SiteStatus
from sites.models import Site

BULK_LIMIT = 20_000
CHUNK = 5_000  # ids per IN (...) list: well inside every database's parameter limit
WRITE_BATCH = 1_000

CREATED, UPDATED, UNCHANGED, REMOVED, REFUSED = "created", "updated", "unchanged", "removed", "refused"
OUTCOMES = (CREATED, UPDATED, UNCHANGED, REMOVED, REFUSED)

# Why a site was refused: stable codes, and the words for people.
REFUSALS = {
    "not_found": "No such site.",
    "site_client_mismatch": "The site belongs to another client than the program's.",
    "site_inactive": "The site is inactive; activate it before enrolling it.",
    "not_enrolled": "The site is not enrolled in this program.",
    "pending_variations": "The site has pending variations in this program; approve, reject or delete them first.",
}


@dataclass(frozen=True)
class BulkItem:
    """What a bulk action did (or would do) to one site."""

    site_id: int
    outcome: str
    reason: str = ""

    @property
    def message(self) -> str:
        return REFUSALS.get(self.reason, "")


@dataclass(frozen=True)
class BulkResult:
    """The per-site outcomes of one bulk action, in the order the ids were given (duplicates once)."""

    action: str  # "enroll" | "set_wave" | "remove"
    program_id: int
    items: tuple[BulkItem, ...]
    preview: bool = False
    wave_id: int | None = None

    def ids(self, outcome: str) -> list[int]:
        return [item.site_id for item in self.items if item.outcome == outcome]

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(OUTCOMES, 0)
        for item in self.items:
            counts[item.outcome] += 1
        return counts

    @property
    def refused(self) -> list[BulkItem]:
        return [item for item in self.items if item.outcome == REFUSED]

    @property
    def changed(self) -> int:
        counts = self.counts
        return counts[CREATED] + counts[UPDATED] + counts[REMOVED]


def _chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _clean_ids(site_ids: Iterable[int]) -> list[int]:
    """The ids once each, in the order given; a list too long for one action is refused whole."""
    ids = list(dict.fromkeys(int(site_id) for site_id in site_ids))
    if len(ids) > BULK_LIMIT:
        raise ApplicationError(
            f"One action takes at most {BULK_LIMIT:,} sites; split the selection.", field="site_ids", code="too_many"
        )
    return ids


def _wave_of(organization, program: Program, wave_id: int | None) -> Wave | None:
    """The program's wave with this id; another program's wave, or a missing one, is refused the same way."""
    if wave_id is None:
        return None
    wave = Wave.objects.for_organization(organization).filter(pk=wave_id, program=program).first()
    if wave is None:
        raise ApplicationError(
            f"That wave is not a wave of program {program.code}.", field="wave", code="wave_not_in_program"
        )
    return wave


def _sites(organization, ids: list[int]) -> dict[int, tuple[int, str]]:
    """site id → (client id, status), for the ids that are sites of the organization."""
    found = {}
    for chunk in _chunks(ids):
        rows = Site.objects.for_organization(organization).filter(pk__in=chunk).order_by()
        for pk, client_id, status in rows.values_list("pk", "client_id", "status"):
            found[pk] = (client_id, status)
    return found


def _enrollments(organization, program: Program, ids: list[int]) -> dict[int, tuple[int, int | None]]:
    """site id → (enrollment id, wave id), for the ids enrolled in the program."""
    found = {}
    for chunk in _chunks(ids):
        rows = Enrollment.objects.for_organization(organization).filter(program=program, site_id__in=chunk).order_by()
        for pk, site_id, wave_id in rows.values_list("pk", "site_id", "wave_id"):
            found[site_id] = (pk, wave_id)
    return found


def _record(organization, actor, program: Program, result: BulkResult, verb: str) -> None:
    """One audit event per action that changed something: the counts, and the ids by outcome."""
    if result.changed == 0:
        return
    after = {"wave": result.wave_id, "counts": result.counts}
    for outcome in (CREATED, UPDATED, REMOVED):
        if result.ids(outcome):
            after[outcome] = result.ids(outcome)
    if result.refused:
        after[REFUSED] = {str(item.site_id): item.reason for item in result.refused}
    audit_record(organization=organization, actor=actor, verb=verb, target=program, after=after)


@transaction.atomic
def enrollment_bulk_create(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    site_ids: Iterable[int],
    wave_id: int | None = None,
    preview: bool = False,
) -> BulkResult:
    """Enroll sites of the program's client in the program, in `wave_id` if given.

    Idempotent: an enrolled site is unchanged, or moved when a different wave is given (without a wave,
    its wave stays). Refused per site: not_found, site_client_mismatch, site_inactive.
    """
    program = _lock_program(organization, program_id)
    _check_open(program)
    wave = _wave_of(organization, program, wave_id)
    ids = _clean_ids(site_ids)
    sites = _sites(organization, ids)
    enrolled = _enrollments(organization, program, ids)
    items, to_create, to_move = [], [], []
    for site_id in ids:
        site = sites.get(site_id)
        if site is None:
            items.append(BulkItem(site_id, REFUSED, "not_found"))
        elif site[0] != program.client_id:
            items.append(BulkItem(site_id, REFUSED, "site_client_mismatch"))
        elif site_id in enrolled:
            enrollment_id, current_wave_id = enrolled[site_id]
            if wave is not None and current_wave_id != wave.pk:
                items.append(BulkItem(site_id, UPDATED))
                to_move.append(enrollment_id)
            else:
                items.append(BulkItem(site_id, UNCHANGED))
        elif site[1] != SiteStatus.ACTIVE:
            items.append(BulkItem(site_id, REFUSED, "site_inactive"))
        else:
            items.append(BulkItem(site_id, CREATED))
            to_create.append(site_id)
    result = BulkResult(
        action="enroll", program_id=program.pk, items=tuple(items), preview=preview, wave_id=wave.pk if wave else None
    )
    if preview:
        return result
    now, user, label = timezone.now(), actor_user(actor), actor_label(actor)[:200]
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                organization=organization,
                program=program,
                site_id=site_id,
                wave=wave,
                enrolled_at=now,
                enrolled_by=user,
                enrolled_by_label=label,
            )
            for site_id in to_create
        ],
        batch_size=WRITE_BATCH,
    )
    for chunk in _chunks(to_move):
        Enrollment.objects.for_organization(organization).filter(pk__in=chunk).update(wave=wave)
    _record(organization, actor, program, result, "enrollment.bulk_created")
    return result


@transaction.atomic
def enrollment_bulk_set_wave(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    site_ids: Iterable[int],
    wave_id: int | None,
    preview: bool = False,
) -> BulkResult:
    """Put enrolled sites in one of the program's waves (`wave_id=None`: in no wave).

    Refused per site: not_found, not_enrolled. A site already in that wave is unchanged.
    """
    program = _lock_program(organization, program_id)
    _check_open(program)
    wave = _wave_of(organization, program, wave_id)
    target = wave.pk if wave else None
    ids = _clean_ids(site_ids)
    enrolled = _enrollments(organization, program, ids)
    missing = [site_id for site_id in ids if site_id not in enrolled]
    known = _sites(organization, missing) if missing else {}
    items, to_move = [], []
    for site_id in ids:
        if site_id not in enrolled:
            items.append(BulkItem(site_id, REFUSED, "not_enrolled" if site_id in known else "not_found"))
            continue
        enrollment_id, current_wave_id = enrolled[site_id]
        if current_wave_id == target:
            items.append(BulkItem(site_id, UNCHANGED))
        else:
            items.append(BulkItem(site_id, UPDATED))
            to_move.append(enrollment_id)
    result = BulkResult(action="set_wave", program_id=program.pk, items=tuple(items), preview=preview, wave_id=target)
    if preview:
        return result
    for chunk in _chunks(to_move):
        Enrollment.objects.for_organization(organization).filter(pk__in=chunk).update(wave=wave)
    _record(organization, actor, program, result, "enrollment.bulk_wave_set")
    return result


@transaction.atomic
def enrollment_bulk_remove(
    *,
    organization: Organization,
    actor: Access | User | None,
    program_id: int,
    site_ids: Iterable[int],
    preview: bool = False,
) -> BulkResult:
    """Take sites out of the program. A site that is not enrolled is unchanged (removing twice is safe).

    Refused per site: not_found, pending_variations (decide them first). Approved and rejected variations
    stay with the program as history, and apply again if the site is enrolled again.
    """
    program = _lock_program(organization, program_id)
    _check_open(program)
    ids = _clean_ids(site_ids)
    enrolled = _enrollments(organization, program, ids)
    missing = [site_id for site_id in ids if site_id not in enrolled]
    known = _sites(organization, missing) if missing else {}
    pending = set()
    for chunk in _chunks([site_id for site_id in ids if site_id in enrolled]):
        pending.update(
            SiteVariation.objects.for_organization(organization)
            .filter(program=program, site_id__in=chunk, status=VariationStatus.PENDING)
            .order_by()
            .values_list("site_id", flat=True)
            .distinct()
        )
    items, to_delete = [], []
    for site_id in ids:
        if site_id not in enrolled:
            items.append(BulkItem(site_id, UNCHANGED) if site_id in known else BulkItem(site_id, REFUSED, "not_found"))
        elif site_id in pending:
            items.append(BulkItem(site_id, REFUSED, "pending_variations"))
        else:
            items.append(BulkItem(site_id, REMOVED))
            to_delete.append(enrolled[site_id][0])
    result = BulkResult(action="remove", program_id=program.pk, items=tuple(items), preview=preview)
    if preview:
        return result
    for chunk in _chunks(to_delete):
        Enrollment.objects.for_organization(organization).filter(pk__in=chunk).delete()
    _record(organization, actor, program, result, "enrollment.bulk_removed")
    return result
