"""Demo quality data for `seed_demo`, through the quality services: every demo organization gets the starter defect
catalogue (defect_catalogue_seed); the pilot's work order whose first visit ended incomplete (parts missing) is
classified by the PM as caused by the client (drft_exclusion_set: audited, with the reason) so it shows as excluded
wherever DRFT does; the pilot's submitted work order waits in the review queue; quality.demo.history runs twelve past
weeks of a second Harbor Foods program through the real services (accepted work, a rejection with defects and its
return visit, a site-not-ready exclusion, a warranty return, closed work); then DRFT facts and snapshots are computed
for what the seeders built (the same reconciliation the nightly job runs).

Idempotent: codes an organization already has are left alone, the exclusion is set once, the history is run once,
and the recomputation gives the same rows."""

from __future__ import annotations

from quality.demo import history
from quality.drft import drft_reconcile
from quality.models import DrftExclusion
from quality.services import defect_catalogue_seed, drft_exclusion_set
from rollout.choices import Role
from rollout.demo.seed import DemoContext
from rollout.errors import ApplicationError
from rollout.tenancy import Access
from workorders.choices import VisitOutcome, VisitStatus
from workorders.models import Visit

PM_EMAIL = "pm@northwind.example"
EXCLUSION_REASON = "The client's parts delivery to the store was late: the technician could not finish the install."


def _exclude_incomplete_pilot_visit(demo: DemoContext) -> None:
    organization, pm = demo.organizations.get("northwind"), demo.users.get(PM_EMAIL)
    if organization is None or pm is None:
        return
    visit = (
        Visit.objects.for_organization(organization)
        .filter(status=VisitStatus.CHECKED_OUT, outcome=VisitOutcome.INCOMPLETE, sequence=1)
        .order_by("pk")
        .first()
    )
    if visit is None or DrftExclusion.objects.for_organization(organization).filter(work_order=visit.work_order_id):
        return
    try:
        drft_exclusion_set(
            organization=organization,
            actor=Access(organization=organization, role=Role.PM, user=pm),
            work_order_id=visit.work_order_id,
            cause="client",
            reason=EXCLUSION_REASON,
        )
    except ApplicationError:
        return  # the demo's visits changed: nothing to classify


def seed(demo: DemoContext) -> None:
    for organization in demo.organizations.values():
        defect_catalogue_seed(organization=organization)
    _exclude_incomplete_pilot_visit(demo)
    history.seed(demo)
    for organization in demo.organizations.values():
        drft_reconcile(organization=organization)
