"""The quality demo: a defect catalogue per organization, the pilot's submitted work order in the review queue, DRFT
facts computed through the real recomputation, and a second run that changes nothing."""

import pytest
from django.core.management import call_command

from quality.models import DefectCode, DrftFact
from rollout.models import AuditEvent, Organization
from workorders.models import WorkOrder

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_a_catalogue_a_queue_and_drft_facts_once():
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    codes = set(DefectCode.objects.filter(organization=northwind).values_list("code", flat=True))
    assert {"photo-missing", "device-not-working"} <= codes
    assert WorkOrder.objects.filter(organization=northwind, status="submitted").exists()
    incomplete = DrftFact.objects.get(organization=northwind, reason="first_visit_incomplete")
    assert incomplete.reason_detail == "Parts missing"
    # the PM classified it as client-caused through the exclusion service (audited): still open (in rework), it will
    # count as excluded once accepted
    assert (incomplete.status, incomplete.excluded_cause) == ("open", "client")
    assert AuditEvent.objects.filter(organization=northwind, verb="drft.excluded").count() == 1
    before = sorted(DrftFact.objects.values_list("work_order_id", "status", "reason"))
    call_command("seed_demo", stdout=None)
    assert DefectCode.objects.filter(organization=northwind).count() == len(codes)
    assert sorted(DrftFact.objects.values_list("work_order_id", "status", "reason")) == before
    assert AuditEvent.objects.filter(organization=northwind, verb="drft.excluded").count() == 1
