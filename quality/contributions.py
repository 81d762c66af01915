"""What quality adds to the workorders app through its extension points (workorders.contributions): where submitted
work is reviewed (named by the generic transition's `review_required` refusal) and each technician's score beside the
distance in a work order's candidate list. Registered from QualityConfig.ready()."""

from __future__ import annotations

from django.urls import reverse

from workorders import contributions


def review_where(work_order) -> str:
    """The review page and endpoints of one submitted work order."""
    api = reverse("quality-api:qa-queue-accept", kwargs={"pk": work_order.pk}).rsplit("accept/", 1)[0]
    return f"POST {api}accept/ or {api}reject/ (the review page is under Quality → Review queue)"


def review_page(organization_slug: str, work_order) -> str:
    return reverse("quality:review", kwargs={"org": organization_slug, "pk": work_order.pk})


def register() -> None:
    contributions.review_where_register(review_where)
    contributions.review_page_register(review_page)
    from quality.scorecards import candidate_scores

    contributions.candidate_score_register("quality", candidate_scores)
