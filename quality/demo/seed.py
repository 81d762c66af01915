"""Demo quality data for `seed_demo`: every demo organization gets the starter defect catalogue (through
quality.services.defect_catalogue_seed), and DRFT facts and snapshots are computed for what the other seeders built
(the pilot's submitted work order waits in the review queue; its incomplete first visit counts against DRFT).

Idempotent: codes an organization already has are left alone, and the recomputation gives the same rows."""

from __future__ import annotations

from quality.drft import drft_reconcile
from quality.services import defect_catalogue_seed
from rollout.demo.seed import DemoContext


def seed(demo: DemoContext) -> None:
    for organization in demo.organizations.values():
        defect_catalogue_seed(organization=organization)
        drft_reconcile(organization=organization)
