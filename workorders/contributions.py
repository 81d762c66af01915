"""What the apps built on workorders add to its services and pages, registered from their `AppConfig.ready()`.

The workorders app never imports them (the dependency points the other way): the quality app contributes where a
submitted work order is reviewed (named in the `review_required` refusal of the generic transition) and the
technician scores shown beside the distance in a work order's candidate list.
"""

from __future__ import annotations

from collections.abc import Callable

_review_where: Callable | None = None
_candidate_scores: dict[str, Callable] = {}


def review_where_register(where: Callable) -> None:
    """`where(work_order) -> str`: how a submitted work order is reviewed instead (a page and an endpoint)."""
    global _review_where
    _review_where = where


def review_where(work_order) -> str:
    return "" if _review_where is None else str(_review_where(work_order) or "")


_review_page: Callable | None = None


def review_page_register(page: Callable) -> None:
    """`page(organization_slug, work_order) -> url`: the review page a submitted work order's page links to."""
    global _review_page
    _review_page = page


def review_page(organization_slug: str, work_order) -> str:
    return "" if _review_page is None else str(_review_page(organization_slug, work_order) or "")


def candidate_score_register(key: str, scores_of: Callable) -> None:
    """`scores_of(organization, technician_ids) -> {technician_id: {"score": float | None, "label": str,
    "detail": str}}`: a figure shown beside each candidate's distance, asked once for the whole list."""
    _candidate_scores[key] = scores_of


def candidate_scores(organization, technician_ids) -> dict[int, dict]:
    """Every contributed figure per technician: {technician_id: {key: {...}}}; empty when nothing is registered."""
    ids = list(technician_ids)
    merged: dict[int, dict] = {pk: {} for pk in ids}
    if not ids:
        return merged
    for key, scores_of in _candidate_scores.items():
        for pk, value in (scores_of(organization, ids) or {}).items():
            if pk in merged:
                merged[pk][key] = value
    return merged
