"""Demo packets for `seed_demo`: the pilot wave of Harbor Foods' self-checkout rollout gets its packets.

Issued through the packet services (compiled, versioned, rendered to PDF by the worker after commit), as
a PM would from the program's Packets tab. Idempotent: issuing an unchanged packet does nothing. Pilot work
orders whose site still has an undecided variation are skipped, as the service requires.
"""

from __future__ import annotations

from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from workorders.demo.work_orders import demo_rollout
from workorders.packets.services import packet_issue


def seed(demo: DemoContext) -> None:
    rollout = demo_rollout(demo)
    if rollout is None:
        return
    for work_order_id in rollout.pilot().values_list("pk", flat=True):
        try:
            packet_issue(organization=rollout.organization, actor=rollout.actor, work_order_id=work_order_id)
        except ApplicationError:
            continue  # e.g. a pending variation at this site: the PM decides it first
