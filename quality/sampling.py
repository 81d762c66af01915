"""The sampling policy: which submitted work orders QA reviews, per program (quality.models.SamplingPolicy).

Without a policy, or in mode `all`, every work order is reviewed. In mode `sample`, a submission is drawn for review
when any of these holds, checked in this order (the first one is the recorded reason):
1. it is the work of a return visit (the work order was reviewed before): always reviewed;
2. it is one of the technician's first `first_jobs` reviews in the program;
3. the technician's last reviewed work in the program was rejected;
4. the technician's score (quality.scorecards) is unknown or below `score_threshold`;
5. the reproducible draw — a hash of (organization, work order, round) read as a number in [0, 1) — is below
   `percent` %.
Work not drawn is accepted *by the policy* `auto_accept_hours` after submission (a QaReview with `by_policy`, audited
as `qa_review.accepted_by_policy`), unless a coordinator reviews it first. An accepted-by-policy first review counts
for DRFT as any acceptance without a defect: the definition looks at the first decision, whoever made it.

The draw is made after the submission commits (quality.receivers → `sampling_draw_task`), once per (work order,
round): drawing again changes nothing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from quality.choices import ReviewDecision, SamplingMode
from quality.models import QaReview, SamplingDraw, SamplingPolicy
from rollout.audit import audit_record
from rollout.errors import ApplicationError, NotFound
from rollout.tenancy import organization_id_of
from workorders.choices import VisitStatus, WorkOrderStatus
from workorders.models import Visit, WorkOrder

S = WorkOrderStatus
POLICY_FIELDS = ["mode", "percent", "score_threshold", "first_jobs", "auto_accept_hours"]


class PlannerOnly(ApplicationError):
    code = "permission_denied"
    status_code = 403
    default_message = "Only a PM or an admin sets the sampling policy."


def draw_value(organization_id: int, work_order_id: int, round_: int) -> float:
    """The reproducible draw of one submission, in [0, 1)."""
    digest = hashlib.sha256(f"{organization_id}:{work_order_id}:{round_}".encode()).hexdigest()
    return int(digest[:16], 16) / 2**64


@transaction.atomic
def sampling_policy_set(*, organization, actor, program_id: int, **values) -> SamplingPolicy:
    """Set a program's sampling policy (PMs and admins; audited). Percent 0–100, threshold 0–100, hours ≥ 1."""
    from programs.models import Program
    from rollout.choices import PLANNER_ROLES
    from rollout.tenancy import Access

    if isinstance(actor, Access) and actor.role not in PLANNER_ROLES:
        raise PlannerOnly()
    program = Program.objects.for_organization(organization).filter(pk=program_id).first()
    if program is None:
        raise NotFound()
    clean = {key: values[key] for key in POLICY_FIELDS if key in values}
    if "mode" in clean and clean["mode"] not in SamplingMode.values:
        raise ApplicationError("Mode must be all or sample.", code="invalid_choice", field="mode")
    if not 0 <= int(clean.get("percent", 100)) <= 100:
        raise ApplicationError("Percent must be between 0 and 100.", code="invalid", field="percent")
    if not 0 <= Decimal(str(clean.get("score_threshold", 90))) <= 100:
        raise ApplicationError("The threshold is a score from 0 to 100.", code="invalid", field="score_threshold")
    if int(clean.get("auto_accept_hours", 24)) < 1:
        raise ApplicationError("Wait at least one hour.", code="invalid", field="auto_accept_hours")
    policy, _ = SamplingPolicy.objects.update_or_create(
        organization_id=organization_id_of(organization), program=program, defaults=clean
    )
    audit_record(
        organization=organization,
        actor=actor,
        verb="qa_sampling.policy_set",
        target=program,
        after={key: str(getattr(policy, key)) for key in POLICY_FIELDS},
    )
    return policy


def _reviewed_technician_id(organization_id: int, work_order: WorkOrder) -> int | None:
    visit = (
        Visit.objects.for_organization(organization_id)
        .filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
        .order_by("-sequence", "-id")
        .values_list("technician_id", flat=True)
        .first()
    )
    return visit or work_order.technician_id


def sampling_decide(*, organization, work_order: WorkOrder, round_: int) -> tuple[bool, str, float | None]:
    """(review required?, the reason, the draw if one was made) for one submission, by the program's policy."""
    from quality.scorecards import technician_scorecard

    organization_id = organization_id_of(organization)
    policy = SamplingPolicy.objects.for_organization(organization_id).filter(program_id=work_order.program_id).first()
    if policy is None or policy.mode == SamplingMode.ALL:
        return True, "The program reviews every work order.", None
    reviews = QaReview.objects.for_organization(organization_id)
    if reviews.filter(work_order=work_order).exists():
        return True, "Work of a return visit is always reviewed.", None
    technician_id = _reviewed_technician_id(organization_id, work_order)
    theirs = reviews.filter(
        work_order__program_id=work_order.program_id, work_order__technician_id=technician_id, sequence=1
    )
    if theirs.count() < policy.first_jobs:
        return True, f"One of the technician's first {policy.first_jobs} jobs in the program.", None
    last = theirs.order_by("-decided_at", "-id").values_list("decision", flat=True).first()
    if last == ReviewDecision.REJECTED:
        return True, "The technician's last reviewed work was rejected.", None
    score = (
        technician_scorecard(organization=organization_id, technician_id=technician_id).score if technician_id else None
    )
    if score is None or score < policy.score_threshold:
        return (
            True,
            f"The technician's score ({score if score is not None else 'none'}) is below {policy.score_threshold}.",
            None,
        )
    draw = draw_value(organization_id, work_order.pk, round_)
    if draw < policy.percent / 100:
        return True, f"Drawn for review ({draw:.3f} < {policy.percent} %).", draw
    return (
        False,
        f"Not drawn ({draw:.3f} ≥ {policy.percent} %): accepted by the sampling policy after "
        f"{policy.auto_accept_hours} h unless reviewed.",
        draw,
    )


def sampling_draw(*, organization, work_order_id: int) -> SamplingDraw | None:
    """Draw one submitted work order (after its submission commits). Idempotent per (work order, round); nothing is
    recorded for a program that reviews everything. Returns the draw, or None."""
    organization_id = organization_id_of(organization)
    work_order = (
        WorkOrder.objects.for_organization(organization_id).filter(pk=work_order_id, status=S.SUBMITTED).first()
    )
    if work_order is None:
        return None
    round_ = (
        Visit.objects.for_organization(organization_id)
        .filter(work_order=work_order, status=VisitStatus.CHECKED_OUT)
        .count()
    )
    existing = SamplingDraw.objects.for_organization(organization_id).filter(work_order=work_order, round=round_)
    if existing.exists():
        return existing.first()
    required, reason, draw = sampling_decide(organization=organization_id, work_order=work_order, round_=round_)
    if required and draw is None and reason.startswith("The program reviews every"):
        return None
    submitted = work_order.submitted_at or timezone.now()
    policy = SamplingPolicy.objects.for_organization(organization_id).get(program_id=work_order.program_id)
    try:
        with transaction.atomic():
            return SamplingDraw.objects.create(
                organization_id=organization_id,
                work_order=work_order,
                round=round_,
                review_required=required,
                reason=reason[:200],
                draw=draw,
                auto_accept_at=None if required else submitted + timedelta(hours=policy.auto_accept_hours),
            )
    except IntegrityError:  # drawn by a concurrent delivery: the same answer
        return existing.first()


def sampling_auto_accept_due(*, organization, now=None, limit: int = 500) -> int:
    """Accept, by the policy, the submitted work not drawn for review whose wait has ended (each its own
    transaction, audited as `qa_review.accepted_by_policy`). Returns how many; safe to run twice."""
    from quality.services import qa_review_accept
    from rollout.models import Organization

    organization_id = organization_id_of(organization)
    if not isinstance(organization, Organization):
        organization = Organization.objects.get(pk=organization_id)
    now = now or timezone.now()
    due = (
        SamplingDraw.objects.for_organization(organization_id)
        .filter(review_required=False, auto_accept_at__lte=now, work_order__status=S.SUBMITTED)
        .order_by("auto_accept_at", "id")[:limit]
    )
    accepted = 0
    for draw in due:
        try:
            qa_review_accept(
                organization=organization,
                actor=None,
                work_order_id=draw.work_order_id,
                comment=draw.reason,
                by_policy=True,
            )
        except ApplicationError:
            continue  # reviewed meanwhile by a coordinator: their decision stands
        accepted += 1
    return accepted


def sampling_draw_get(*, organization, work_order: WorkOrder) -> SamplingDraw | None:
    """The latest draw of a work order (for the queue and the review page)."""
    return SamplingDraw.objects.for_organization(organization).filter(work_order=work_order).order_by("-round").first()
