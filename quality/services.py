"""Writes of the quality app: the defect catalogue, QA reviews (accept, reject with defects) and DRFT exclusions.

A review is one transaction that locks the work order row and checks that it is still submitted, so that of two
reviewers deciding at once one decision stands and the other is told (`already_reviewed`, 409). The work order
moves through the work-order services (submitted → accepted, or → rework); a rejection e-mails the technician the
defects after commit and may book the return visit in the same transaction, through the visit services. Nothing
is half-written: any refusal rolls the whole decision back. DRFT is recomputed after commit (quality.drft), from
the work-order announcements and from the exclusions here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from quality.choices import ExclusionCause, ReviewDecision, RootCause, Severity
from quality.errors import (
    AlreadyReviewed,
    DefectRequired,
    EvidenceMismatch,
    ExclusionNotAllowed,
    NotAccepted,
    NotSubmitted,
    WarrantyExpired,
)
from quality.events import qa_review_emit
from quality.models import Defect, DefectCode, DrftExclusion, QaReview, WarrantyReport
from quality.tasks import drft_fact_refresh_task
from rollout.audit import audit_created, audit_record, audited_save
from rollout.choices import PLANNER_ROLES, STAFF_ROLES, Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import Organization, User
from rollout.tenancy import Access, actor_label, actor_user, organization_id_of
from workorders import services as work_order_services
from workorders.choices import VisitOutcome, VisitStatus, WorkOrderStatus
from workorders.models import TaskResult, Visit, VisitPhoto, WorkOrder
from workorders.visits import selectors as visit_selectors
from workorders.visits.services.planning import visit_schedule

S = WorkOrderStatus
MAX_DEFECTS = 50
MAX_TEXT = 2000
DEFECT_CODE_FIELDS = ["code", "title", "description", "default_severity", "active"]


class NotAReviewer(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only coordinators, PMs and admins review work."


class PlannerOnly(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only a PM or an admin may change DRFT exclusions."


# --- Defect catalogue -------------------------------------------------------------------------------------


def _defect_code_values(values: dict) -> dict:
    clean = {key: values[key] for key in DEFECT_CODE_FIELDS if key in values}
    if "code" in clean:
        clean["code"] = str(clean["code"]).strip().lower()
        if not clean["code"]:
            raise ApplicationError("A code is required.", field="code", code="required")
    if "title" in clean:
        clean["title"] = str(clean["title"]).strip()
        if not clean["title"]:
            raise ApplicationError("A title is required.", field="title", code="required")
    if "default_severity" in clean and clean["default_severity"] not in Severity.values:
        raise ApplicationError(
            f"Severity must be one of {', '.join(Severity.values)}.", field="default_severity", code="invalid_choice"
        )
    return clean


def _check_code_unique(organization, code: str, *, exclude: int | None = None) -> None:
    taken = DefectCode.objects.for_organization(organization).filter(code=code)
    if exclude:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ApplicationError(f"The catalogue already has a code “{code}”.", field="code", code="unique")


@transaction.atomic
def defect_code_create(*, organization: Organization, actor: Access | User | None, **values) -> DefectCode:
    """Add a code to the organization's defect catalogue (audited). Codes are unique per organization."""
    clean = _defect_code_values(values)
    for required in ("code", "title"):
        if required not in clean:
            raise ApplicationError(f"A {required} is required.", field=required, code="required")
    _check_code_unique(organization, clean["code"])
    code = DefectCode.objects.create(organization_id=organization_id_of(organization), **clean)
    audit_created(organization, actor, code, DEFECT_CODE_FIELDS, verb="defect_code.created")
    return code


@transaction.atomic
def defect_code_update(
    *, organization: Organization, actor: Access | User | None, defect_code_id: int, **values
) -> DefectCode:
    """Change a catalogue entry (title, severity, retire it with active=False); defects keep pointing to it."""
    code = DefectCode.objects.for_organization(organization).select_for_update().filter(pk=defect_code_id).first()
    if code is None:
        raise NotFound()
    clean = _defect_code_values(values)
    if "code" in clean:
        _check_code_unique(organization, clean["code"], exclude=code.pk)
    audited_save(organization, actor, code, clean, verb="defect_code.updated")
    return code


DEFAULT_CATALOGUE = [
    ("photo-missing", "Required photo missing or unusable", Severity.MAJOR),
    ("serial-wrong", "Serial number wrong or unreadable", Severity.MAJOR),
    ("cabling-untidy", "Cabling untidy or unlabelled", Severity.MINOR),
    ("device-not-working", "Installed device does not work", Severity.CRITICAL),
    ("signoff-missing", "Sign-off missing or by the wrong person", Severity.MAJOR),
    ("site-left-dirty", "Site left dirty", Severity.MINOR),
]


def defect_catalogue_seed(*, organization: Organization) -> int:
    """Give an organization the starter catalogue (codes it already has are left alone). Returns how many were
    added. Idempotent."""
    existing = set(DefectCode.objects.for_organization(organization).values_list("code", flat=True))
    new = [
        DefectCode(organization_id=organization_id_of(organization), code=c, title=t, default_severity=s)
        for c, t, s in DEFAULT_CATALOGUE
        if c not in existing
    ]
    DefectCode.objects.bulk_create(new)
    return len(new)


# --- Reviews ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DefectInput:
    """One defect as a reviewer states it: the catalogue code (id), root cause, and what it concerns."""

    code_id: int
    root_cause: str
    severity: str = ""  # empty: the code's default severity
    task_key: str = ""
    photo_id: int | None = None
    task_result_id: int | None = None
    comment: str = ""


@dataclass(frozen=True)
class ReturnVisitInput:
    """The return visit to book with a rejection (site-local day and times)."""

    technician_id: int
    day: date
    start_time: time
    end_time: time


def _check_reviewer(actor) -> None:
    if isinstance(actor, Access) and actor.role not in STAFF_ROLES:
        raise NotAReviewer()


def _lock_for_review(organization, work_order_id: int) -> WorkOrder:
    """Lock the work order row and check it waits for review; tell a late reviewer who decided first."""
    work_order = (
        WorkOrder.objects.for_organization(organization)
        .select_for_update(of=("self",))
        .select_related("program", "site", "technician")
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise NotFound()
    if work_order.status == S.SUBMITTED:
        return work_order
    last = QaReview.objects.for_organization(organization).filter(work_order=work_order).order_by("-sequence").first()
    if last is not None and work_order.status in (S.ACCEPTED, S.REWORK, S.CLOSED):
        raise AlreadyReviewed(
            f"Work order {work_order.number} was already {last.get_decision_display().lower()} by "
            f"{last.reviewer_label or 'someone else'} at {timezone.localtime(last.decided_at):%H:%M:%S}: "
            "that decision stands."
        )
    raise NotSubmitted(
        f"Work order {work_order.number} is {S(work_order.status).label.lower()}: only a submitted work order can "
        "be reviewed."
    )


def _reviewed_visit(organization, work_order: WorkOrder) -> Visit | None:
    """The visit whose work is under review: the last one checked out."""
    return (
        Visit.objects.for_organization(organization)
        .filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
        .select_related("packet")
        .order_by("-sequence", "-id")
        .first()
    )


def _new_review(
    organization, actor, work_order: WorkOrder, visit: Visit | None, decision: str, comment: str, by_policy=False
):
    previous = QaReview.objects.for_organization(organization).filter(work_order=work_order).count()
    return QaReview.objects.create(
        by_policy=by_policy,
        organization_id=organization_id_of(organization),
        work_order=work_order,
        visit=visit,
        sequence=previous + 1,
        decision=decision,
        comment=(comment or "").strip()[:MAX_TEXT],
        reviewer=actor_user(actor),
        reviewer_label="Sampling policy" if by_policy else actor_label(actor)[:200],
        decided_at=timezone.now(),
    )


@transaction.atomic
def qa_review_accept(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    comment: str = "",
    by_policy: bool = False,
) -> QaReview:
    """Accept a submitted work order: it moves to accepted (its warranty window starts). Refused with
    `not_submitted` for any other state, and `already_reviewed` when another reviewer decided first. `by_policy`:
    the program's sampling policy accepts work it did not draw for review (quality.sampling; audited as such)."""
    _check_reviewer(actor)
    work_order = _lock_for_review(organization, work_order_id)
    visit = _reviewed_visit(organization, work_order)
    review = _new_review(organization, actor, work_order, visit, ReviewDecision.ACCEPTED, comment, by_policy)
    audit_record(
        organization=organization,
        actor=actor,
        verb="qa_review.accepted_by_policy" if by_policy else "qa_review.accepted",
        target=work_order,
        after={"review": review.pk, "sequence": review.sequence, "visit": visit.pk if visit else None},
    )
    work_order_services.work_order_transition(
        organization=organization, actor=actor, work_order_id=work_order.pk, to_status=S.ACCEPTED, via_review=True
    )
    qa_review_emit(organization=organization, actor=actor, review=review, work_order=work_order)
    return review


def _clean_defect(organization, work_order: WorkOrder, visit: Visit | None, item: DefectInput, index: int) -> Defect:
    """Check one defect against the catalogue, the taxonomy and the reviewed work order's evidence."""
    field = f"defects[{index}]"
    code = DefectCode.objects.for_organization(organization).filter(pk=item.code_id, active=True).first()
    if code is None:
        raise ApplicationError(
            "No such active defect code in the catalogue.", field=f"{field}.code", code="does_not_exist"
        )
    severity = item.severity or code.default_severity
    if severity not in Severity.values:
        raise ApplicationError(
            f"Severity must be one of {', '.join(Severity.values)}.", field=f"{field}.severity", code="invalid_choice"
        )
    if item.root_cause not in RootCause.values:
        raise ApplicationError(
            f"Root cause must be one of {', '.join(RootCause.values)}.",
            field=f"{field}.root_cause",
            code="invalid_choice",
        )
    task_key = (item.task_key or "").strip()
    photo = task_result = None
    if item.photo_id is not None:
        photos = VisitPhoto.objects.for_organization(organization).select_related("visit")
        photo = photos.filter(pk=item.photo_id).first()
        if photo is None:
            raise ApplicationError("No such photo.", field=f"{field}.photo", code="does_not_exist")
        if photo.visit.work_order_id != work_order.pk:
            raise EvidenceMismatch(
                f"Photo {photo.pk} belongs to another work order, not {work_order.number}.", field=f"{field}.photo"
            )
        task_key = task_key or photo.task_key
    if item.task_result_id is not None:
        task_result = (
            TaskResult.objects.for_organization(organization)
            .filter(pk=item.task_result_id)
            .select_related("visit")
            .first()
        )
        if task_result is None:
            raise ApplicationError("No such task result.", field=f"{field}.task_result", code="does_not_exist")
        if task_result.visit.work_order_id != work_order.pk:
            raise EvidenceMismatch(
                f"Task result {task_result.pk} belongs to another work order, not {work_order.number}.",
                field=f"{field}.task_result",
            )
        task_key = task_key or task_result.task_key
    for evidence in (photo, task_result):
        if evidence is not None and evidence.task_key != task_key:
            raise EvidenceMismatch(
                f"The evidence given is for task “{evidence.task_key}”, not “{task_key}”.", field=f"{field}.task_key"
            )
    if task_key and visit is not None:
        keys = {task.key for task in visit_selectors.packet_tasks(visit_selectors.visit_effective_packet(visit))}
        if keys and task_key not in keys:
            raise EvidenceMismatch(
                f"“{task_key}” is not a task of work order {work_order.number}'s packet.", field=f"{field}.task_key"
            )
    return Defect(
        organization_id=organization_id_of(organization),
        code=code,
        severity=severity,
        root_cause=item.root_cause,
        task_key=task_key,
        photo=photo,
        task_result=task_result,
        comment=(item.comment or "").strip()[:MAX_TEXT],
    )


@transaction.atomic
def qa_review_reject(
    *,
    organization: Organization,
    actor: Access | User | None,
    work_order_id: int,
    defects: list[DefectInput],
    comment: str = "",
    return_visit: ReturnVisitInput | None = None,
) -> QaReview:
    """Reject a submitted work order with its defects: it moves to rework (the technician is e-mailed the defects
    after commit), and, when `return_visit` is given, the return visit is booked through the visit services (linked
    to the reviewed visit). Refused with `defect_required` without a defect, `evidence_mismatch` for a defect on
    another work order's evidence, `not_submitted` / `already_reviewed` as for accepting; any refusal (including
    the return visit's) leaves nothing written."""
    _check_reviewer(actor)
    work_order = _lock_for_review(organization, work_order_id)
    if not defects:
        raise DefectRequired(field="defects")
    if len(defects) > MAX_DEFECTS:
        raise ApplicationError(f"At most {MAX_DEFECTS} defects per review.", field="defects", code="too_many")
    visit = _reviewed_visit(organization, work_order)
    rows = [_clean_defect(organization, work_order, visit, item, index) for index, item in enumerate(defects)]
    review = _new_review(organization, actor, work_order, visit, ReviewDecision.REJECTED, comment)
    for row in rows:
        row.review = review
    Defect.objects.bulk_create(rows)
    summary = "; ".join(f"{row.code.code} ({row.severity})" for row in rows)
    audit_record(
        organization=organization,
        actor=actor,
        verb="qa_review.rejected",
        target=work_order,
        after={
            "review": review.pk,
            "sequence": review.sequence,
            "visit": visit.pk if visit else None,
            "defects": [
                {"code": row.code.code, "severity": row.severity, "root_cause": row.root_cause, "task": row.task_key}
                for row in rows
            ],
        },
        reason=review.comment,
    )
    work_order_services.work_order_transition(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        to_status=S.REWORK,
        reason=f"QA rejected: {summary}"[:1000],
        via_review=True,
    )
    # The one notice the technician gets for a rejection (the move to rework sends none): with the defects.
    qa_review_emit(organization=organization, actor=actor, review=review, work_order=work_order, defects=rows)
    if return_visit is not None:
        visit_schedule(
            organization=organization,
            actor=actor,
            work_order_id=work_order.pk,
            technician_id=return_visit.technician_id,
            day=return_visit.day,
            start_time=return_visit.start_time,
            end_time=return_visit.end_time,
        )
    return review


# --- Exclusions -------------------------------------------------------------------------------------------


def _excludable(organization, work_order: WorkOrder) -> bool:
    """A work order whose first visit ended incomplete, that needed a return visit or got a warranty report may be
    excluded."""
    visits = Visit.objects.for_organization(organization).filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
    return (
        visits.filter(sequence__gt=1).exists()
        or visits.filter(outcome=VisitOutcome.INCOMPLETE).exists()
        or WarrantyReport.objects.for_organization(organization).filter(work_order=work_order).exists()
    )


@transaction.atomic
def drft_exclusion_set(
    *, organization: Organization, actor: Access | User | None, work_order_id: int, cause: str, reason: str
) -> DrftExclusion:
    """Classify a work order's return or incomplete first visit as caused by the client or by the site not being
    ready: it is excluded from DRFT (audited, recomputed after commit). PMs and admins only; a reason is required;
    only a work order that had an incomplete first visit or a return visit can be excluded."""
    if isinstance(actor, Access) and actor.role not in PLANNER_ROLES:
        raise PlannerOnly()
    reason = (reason or "").strip()
    if cause not in ExclusionCause.values:
        raise ApplicationError(
            f"Cause must be one of {', '.join(ExclusionCause.values)}.", field="cause", code="invalid_choice"
        )
    if not reason:
        raise ApplicationError("Say why the work order is excluded.", field="reason", code="reason_required")
    work_order = (
        WorkOrder.objects.for_organization(organization)
        .select_for_update(of=("self",))
        .filter(pk=work_order_id)
        .first()
    )
    if work_order is None:
        raise NotFound()
    if not _excludable(organization, work_order):
        raise ExclusionNotAllowed(
            f"Work order {work_order.number} had neither an incomplete first visit nor a return visit: there is "
            "nothing to exclude."
        )
    exclusion, _ = DrftExclusion.objects.update_or_create(
        organization_id=organization_id_of(organization),
        work_order=work_order,
        defaults={
            "cause": cause,
            "reason": reason[:MAX_TEXT],
            "created_by": actor_user(actor),
            "created_by_label": actor_label(actor)[:200],
        },
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="drft.excluded",
        target=work_order,
        after={"cause": cause},
        reason=reason,
    )
    drft_fact_refresh_task.delay_on_commit(
        organization_id=organization_id_of(organization), work_order_id=work_order.pk
    )
    return exclusion


@transaction.atomic
def drft_exclusion_clear(*, organization: Organization, actor: Access | User | None, work_order_id: int) -> None:
    """Count the work order in DRFT again (audited). Idempotent."""
    if isinstance(actor, Access) and actor.role not in PLANNER_ROLES:
        raise PlannerOnly()
    exclusion = DrftExclusion.objects.for_organization(organization).filter(work_order_id=work_order_id).first()
    if exclusion is None:
        return
    work_order = exclusion.work_order
    exclusion.delete()
    audit_record(organization=organization, actor=actor, verb="drft.exclusion_cleared", target=work_order)
    drft_fact_refresh_task.delay_on_commit(
        organization_id=organization_id_of(organization), work_order_id=work_order.pk
    )


__all__ = [
    "DefectInput",
    "ReturnVisitInput",
    "defect_catalogue_seed",
    "defect_code_create",
    "defect_code_update",
    "drft_exclusion_clear",
    "drft_exclusion_delete",
    "drft_exclusion_set",
    "qa_review_accept",
    "qa_review_reject",
    "warranty_close_expired",
    "warranty_report_create",
]


@transaction.atomic
def drft_exclusion_delete(*, organization: Organization, actor: Access | User | None, drft_exclusion_id: int) -> None:
    """Remove one exclusion by its id (the API's DELETE): the work order counts in DRFT again."""
    exclusion = DrftExclusion.objects.for_organization(organization).filter(pk=drft_exclusion_id).first()
    if exclusion is None:
        raise NotFound()
    drft_exclusion_clear(organization=organization, actor=actor, work_order_id=exclusion.work_order_id)


# --- Warranty ---------------------------------------------------------------------------------------------

WARRANTY_REPORTERS = frozenset({Role.ADMIN, Role.PM, Role.CLIENT})


def warranty_window_end(work_order: WorkOrder):
    """When the accepted work's warranty window ends (the program's warranty_window_days after acceptance)."""
    return work_order.accepted_at + timedelta(days=work_order.program.warranty_window_days)


@transaction.atomic
def warranty_report_create(
    *, organization: Organization, actor: Access | User | None, work_order_id: int, description: str
) -> WarrantyReport:
    """Report a problem on accepted work within its warranty window: the work order goes back to rework (a warranty
    return visit is booked from there through the visit services) and it is not DRFT. PMs, admins and client viewers
    (their own client's sites: another's is a 404). Refused with `reason_required` without a description,
    `not_accepted` unless the work is accepted, `warranty_expired` after the window."""
    if isinstance(actor, Access) and actor.role not in WARRANTY_REPORTERS:
        raise NotAReviewer("Only a PM, an admin or the client may report a warranty problem.")
    description = (description or "").strip()
    if not description:
        raise ApplicationError("Describe the problem.", field="description", code="reason_required")
    scoped = (
        WorkOrder.objects.visible_to(actor)
        if isinstance(actor, Access)
        else WorkOrder.objects.for_organization(organization)
    )
    work_order = scoped.select_for_update(of=("self",)).select_related("program").filter(pk=work_order_id).first()
    if work_order is None:
        raise NotFound()
    if work_order.status != S.ACCEPTED:
        if work_order.status == S.CLOSED:
            raise WarrantyExpired(f"Work order {work_order.number} is closed: its warranty window has ended.")
        raise NotAccepted(
            f"Work order {work_order.number} is {S(work_order.status).label.lower()}: only accepted work can get a "
            "warranty report."
        )
    ends = warranty_window_end(work_order)
    if timezone.now() > ends:
        raise WarrantyExpired(
            f"The warranty window of work order {work_order.number} ended on {timezone.localtime(ends):%Y-%m-%d}."
        )
    report = WarrantyReport.objects.create(
        organization_id=organization_id_of(organization),
        work_order=work_order,
        description=description[:MAX_TEXT],
        reported_by=actor_user(actor),
        reported_by_label=actor_label(actor)[:200],
        reported_by_role=str(actor.role) if isinstance(actor, Access) else "",
        window_ends_at=ends,
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="warranty.reported",
        target=work_order,
        after={"report": report.pk, "window_ends_at": ends.isoformat()},
        reason=report.description,
    )
    work_order_services.work_order_transition(
        organization=organization,
        actor=actor,
        work_order_id=work_order.pk,
        to_status=S.REWORK,
        reason=f"Warranty return: {report.description}"[:1000],
    )
    return report


def warranty_close_expired(*, organization, now=None, limit: int = 500) -> int:
    """Close the organization's accepted work whose warranty window has ended (the beat's hourly pass), each through
    the work-order service (audited as the system). Returns how many were closed; safe to run twice."""
    from programs.models import Program

    now = now or timezone.now()
    closed = 0
    programs = Program.objects.for_organization(organization).filter(
        pk__in=WorkOrder.objects.for_organization(organization).filter(status=S.ACCEPTED).values("program_id")
    )
    for program in programs:
        cutoff = now - timedelta(days=program.warranty_window_days)
        due = (
            WorkOrder.objects.for_organization(organization)
            .filter(program=program, status=S.ACCEPTED, accepted_at__lte=cutoff)
            .order_by("accepted_at")
            .values_list("pk", flat=True)[: limit - closed]
        )
        for pk in due:
            try:
                work_order_services.work_order_transition(
                    organization=organization,
                    actor=None,
                    work_order_id=pk,
                    to_status=S.CLOSED,
                    reason="Warranty window ended",
                )
            except ApplicationError:
                continue  # changed meanwhile (e.g. a warranty report): the next pass looks again
            closed += 1
        if closed >= limit:
            break
    return closed
