"""The events of the quality app: a QA decision (accepted, or rejected with its defects). The technician whose work
was reviewed hears of it; the services emit them in the decision's transaction (rollout.events)."""

from __future__ import annotations

from django.urls import reverse

from rollout.choices import Role
from rollout.events import EventType, event_emit, event_type_register
from workorders.events import WORK_ORDER_EXAMPLE, technician_user_ids, work_order_payload


def _review_link(event, role: str) -> str | None:
    kwargs = {"org": event.organization.slug}
    if role == Role.TECHNICIAN:
        return reverse("packets:packet-work-order", kwargs={**kwargs, "work_order_id": event.data["work_order_id"]})
    if role == Role.CLIENT:
        return None
    return reverse("quality:review", kwargs={**kwargs, "pk": event.data["work_order_id"]})


def _defects(data: dict) -> str:
    return "; ".join(
        f"{d['code']} {d['title']} ({d['severity']})"
        + (f" on {d['task_key']}" if d.get("task_key") else "")
        + (f": {d['comment']}" if d.get("comment") else "")
        for d in data["defects"]
    )


REVIEW_EXAMPLE = {**WORK_ORDER_EXAMPLE, "review_id": 1207, "sequence": 1, "visit_id": 9021, "comment": ""}

QA_REVIEW_ACCEPTED = event_type_register(
    EventType(
        name="qa_review.accepted",
        title="QA accepted",
        subject="qa_review",
        audience=(Role.TECHNICIAN,),
        description="QA accepted a submitted work order (its warranty window starts); its technician hears of it.",
        example={**REVIEW_EXAMPLE, "decision": "accepted", "defects": []},
        describe=lambda d: f"QA accepted {d['number']} at {d['site_code']}.",
        link=_review_link,
    )
)
QA_REVIEW_REJECTED = event_type_register(
    EventType(
        name="qa_review.rejected",
        title="QA rejected",
        subject="qa_review",
        audience=(Role.TECHNICIAN,),
        description=(
            "QA rejected a submitted work order with its defects: it goes to rework and a return visit follows. "
            "Its technician hears of it (with the defects)."
        ),
        example={
            **REVIEW_EXAMPLE,
            "decision": "rejected",
            "comment": "Cable run not dressed",
            "defects": [
                {
                    "code": "PH-01",
                    "title": "Photo missing or unreadable",
                    "severity": "major",
                    "root_cause": "skill",
                    "task_key": "mount-terminal",
                    "comment": "Serial label not visible",
                }
            ],
        },
        describe=lambda d: f"QA rejected {d['number']} at {d['site_code']}: {_defects(d)}.",
        link=_review_link,
    )
)


def qa_review_emit(*, organization, actor, review, work_order, defects=()) -> None:
    """Emit the decision in its transaction; the reviewed work's technician is the recipient."""
    rejected = bool(defects)
    event_emit(
        organization=organization,
        type=(QA_REVIEW_REJECTED if rejected else QA_REVIEW_ACCEPTED).name,
        subject=review,
        data={
            **work_order_payload(work_order, organization),
            "review_id": review.pk,
            "sequence": review.sequence,
            "visit_id": review.visit_id,
            "decision": review.decision,
            "comment": review.comment,
            "defects": [
                {
                    "code": row.code.code,
                    "title": row.code.title,
                    "severity": row.severity,
                    "root_cause": row.root_cause,
                    "task_key": row.task_key,
                    "comment": row.comment,
                }
                for row in defects
            ],
        },
        actor=actor,
        recipients=technician_user_ids(work_order.technician),
    )
