"""Demo packets for `seed_demo`: the pilot wave of Harbor Foods' self-checkout rollout gets its packets.

Issued through the packet services (compiled, versioned, rendered to PDF by the worker after commit), as
a PM would from the program's Packets tab. Idempotent: issuing an unchanged packet does nothing. Pilot work
orders whose site still has an undecided variation are skipped, as the service requires.
"""

from __future__ import annotations

from programs.models import Program
from rollout.choices import Role
from rollout.demo import DemoContext
from rollout.errors import ApplicationError
from rollout.tenancy import Access
from workorders.models import WorkOrder
from workorders.packets.services import packet_issue

PROGRAM_CODE = "sco-2026"
PILOT = "Pilot"


def seed(demo: DemoContext) -> None:
    organization = demo.organizations["northwind"]
    program = Program.objects.for_organization(organization).filter(code=PROGRAM_CODE).first()
    if program is None:
        return
    actor = Access(organization=organization, role=Role.PM, user=demo.users["pm@northwind.example"])
    pilot = (
        WorkOrder.objects.for_organization(organization)
        .filter(program=program, enrollment__wave__name=PILOT)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    for work_order_id in pilot:
        try:
            packet_issue(organization=organization, actor=actor, work_order_id=work_order_id)
        except ApplicationError:
            continue  # e.g. a pending variation at this site: the PM decides it first
