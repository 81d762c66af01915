"""Technician scorecards: what the technician's recent work says, with the formula shown beside the score.

Jobs are the technician's last 30 closed work orders (by the DRFT facts: the technician did the first visit);
visits are their last 30 visits that ended (checked out, no-show, cancelled). Every figure names the rows behind
it, so pages can link to the jobs. Reads only; scoped to one organization."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from quality.choices import DrftStatus, ReviewDecision, Severity
from quality.models import Defect, DrftFact, QaReview
from quality.selectors import percent
from workorders.choices import VisitStatus
from workorders.models import Visit

JOBS = 30
LATE_CANCELLATION = timedelta(hours=24)
WEIGHTS = {"drft": 40, "qa_pass": 25, "on_time": 25, "reliability": 10}
FORMULA = (
    "score = 40 × DRFT + 25 × QA pass rate + 25 × on-time arrival + 10 × (1 − (no-shows + late cancellations) / "
    "visits), each a share of 1, over the last 30 closed jobs and the last 30 visits"
)


@dataclass
class Scorecard:
    technician_id: int
    jobs: int = 0
    drft: int = 0
    reviewed: int = 0
    qa_passed: int = 0
    visits: int = 0
    worked: int = 0
    on_time: int = 0
    no_shows: int = 0
    late_cancellations: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    job_ids: list[int] = field(default_factory=list)
    failed_job_ids: list[int] = field(default_factory=list)

    @property
    def drft_percent(self) -> Decimal | None:
        return percent(self.drft, self.jobs)

    @property
    def qa_pass_percent(self) -> Decimal | None:
        return percent(self.qa_passed, self.reviewed)

    @property
    def on_time_percent(self) -> Decimal | None:
        return percent(self.on_time, self.worked)

    @property
    def score(self) -> Decimal | None:
        """0–100 by FORMULA; None until the technician has a closed job or an ended visit."""
        if not self.jobs and not self.visits:
            return None

        def share(numerator: int, denominator: int) -> Decimal:
            return Decimal(numerator) / Decimal(denominator) if denominator else Decimal(1)

        reliability = 1 - share(self.no_shows + self.late_cancellations, self.visits) if self.visits else Decimal(1)
        total = (
            WEIGHTS["drft"] * share(self.drft, self.jobs)
            + WEIGHTS["qa_pass"] * share(self.qa_passed, self.reviewed)
            + WEIGHTS["on_time"] * share(self.on_time, self.worked)
            + WEIGHTS["reliability"] * reliability
        )
        return total.quantize(Decimal("0.1"))

    formula = FORMULA


def technician_scorecard(*, organization, technician_id: int) -> Scorecard:
    """One technician's scorecard (a fixed number of queries)."""
    card = Scorecard(technician_id=technician_id)
    facts = list(
        DrftFact.objects.for_organization(organization)
        .filter(technician_id=technician_id, status=DrftStatus.FINAL)
        .order_by("-accepted_on", "-id")
        .values("work_order_id", "is_drft")[:JOBS]
    )
    card.jobs = len(facts)
    card.drft = sum(1 for fact in facts if fact["is_drft"])
    card.job_ids = [fact["work_order_id"] for fact in facts]
    card.failed_job_ids = [fact["work_order_id"] for fact in facts if not fact["is_drft"]]
    first_reviews = {}
    for work_order_id, decision in (
        QaReview.objects.for_organization(organization)
        .filter(work_order_id__in=card.job_ids)
        .order_by("work_order_id", "sequence")
        .values_list("work_order_id", "decision")
    ):
        first_reviews.setdefault(work_order_id, decision)
    card.reviewed = len(first_reviews)
    card.qa_passed = sum(1 for decision in first_reviews.values() if decision == ReviewDecision.ACCEPTED)
    severities = Counter(
        Defect.objects.for_organization(organization)
        .filter(review__work_order_id__in=card.job_ids)
        .values_list("severity", flat=True)
    )
    card.defects = {severity: severities.get(severity, 0) for severity in Severity.values}
    visits = list(
        Visit.objects.for_organization(organization)
        .filter(
            technician_id=technician_id,
            status__in=[VisitStatus.CHECKED_OUT, VisitStatus.NO_SHOW, VisitStatus.CANCELLED],
        )
        .order_by("-window_start", "-id")
        .values("status", "checked_in_at", "checkin_due_by", "cancelled_at", "window_start")[:JOBS]
    )
    card.visits = len(visits)
    for visit in visits:
        if visit["status"] == VisitStatus.CHECKED_OUT:
            card.worked += 1
            if visit["checked_in_at"] and visit["checked_in_at"] <= visit["checkin_due_by"]:
                card.on_time += 1
        elif visit["status"] == VisitStatus.NO_SHOW:
            card.no_shows += 1
        elif visit["cancelled_at"] and visit["window_start"] - visit["cancelled_at"] < LATE_CANCELLATION:
            card.late_cancellations += 1
    return card


def candidate_scores(organization, technician_ids) -> dict[int, dict]:
    """The score of each candidate technician for a work order's candidate list (workorders.contributions): the
    score (None without history), a short label and the formula. A fixed number of queries per candidate; the
    candidate list is short (it is paged)."""
    answer = {}
    for technician_id in technician_ids:
        card = technician_scorecard(organization=organization, technician_id=technician_id)
        score = card.score
        answer[technician_id] = {
            "score": float(score) if score is not None else None,
            "label": f"Score {score}" if score is not None else "No score yet",
            "detail": f"DRFT {card.drft}/{card.jobs} · QA pass {card.qa_passed}/{card.reviewed} · "
            f"on time {card.on_time}/{card.worked}",
        }
    return answer
