"""What the work-order services announce, so that apps built on workorders (quality) can react without
workorders depending on them. Sent after commit, with ids only: a listener reads what it needs itself."""

from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

#: A work order moved along its state machine (committed). Args: organization_id, work_order_id, from_status,
#: to_status.
work_order_transitioned = Signal()

logger = logging.getLogger(__name__)


def _send(**kwargs) -> None:
    # The move is committed: a listener that fails (e.g. the broker is down) is logged, not raised to the caller,
    # and the nightly reconciliation of the listening app repairs what it missed.
    from workorders.models import WorkOrder

    for receiver, error in work_order_transitioned.send_robust(sender=WorkOrder, **kwargs):
        if isinstance(error, Exception):
            logger.error("work_order_transitioned receiver %r failed", receiver, exc_info=error)


def work_order_transition_announce(*, organization_id: int, work_order_id: int, from_status: str, to_status: str):
    """Announce a move once the transaction commits (nothing is announced for a move that rolls back)."""
    transaction.on_commit(
        lambda: _send(
            organization_id=organization_id,
            work_order_id=work_order_id,
            from_status=from_status,
            to_status=to_status,
        )
    )
