"""The warranty window and DRFT exclusions: accepted work closes by itself when the window ends (beat), a PM or the
client's viewer reports a problem within the window (warranty return: rework, then a return visit, not DRFT), the
refusals (after the window, not accepted, someone else's site, no description), and a PM's exclusion of a
client-caused return shown wherever DRFT is — through the services and the API (role matrix, cross-org 404)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from quality import services
from quality.models import DrftExclusion, DrftFact, WarrantyReport
from quality.tasks import warranty_close_sweep_task
from rollout.choices import Role
from rollout.models import AuditEvent
from tests.factories import ClientFactory
from tests.programs.factories import EnrollmentFactory, ProgramFactory
from tests.quality.support import accept, return_visit, submitted_work_order, work_visit
from tests.workorders.builders.visits import access_for, build_field_world, ready_work_order
from tests.workorders.factories import WorkOrderFactory
from workorders.models import WorkOrder

CALLERS = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR, "token"]


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def accepted(world, *, days_ago: float = 0) -> WorkOrder:
    """An accepted work order (through the services), accepted `days_ago`."""
    work_order = submitted_work_order(world)
    accept(world, work_order)
    WorkOrder.objects.filter(pk=work_order.pk).update(accepted_at=timezone.now() - timedelta(days=days_ago))
    return WorkOrder.objects.get(pk=work_order.pk)


def quick_accepted(world, *, days_ago: float = 0) -> WorkOrder:
    work_order = ready_work_order(world, status="accepted")
    WorkOrder.objects.filter(pk=work_order.pk).update(accepted_at=timezone.now() - timedelta(days=days_ago))
    return WorkOrder.objects.get(pk=work_order.pk)


def test_accepted_work_closes_when_its_warranty_window_ends(world, django_capture_on_commit_callbacks):
    # given work accepted 31 and 29 days ago (the program's window is 30 days), and a program with a 7-day window
    old, recent = quick_accepted(world, days_ago=31), quick_accepted(world, days_ago=29)
    # when the hourly beat entry runs (twice: idempotent)
    with django_capture_on_commit_callbacks(execute=True):
        warranty_close_sweep_task.delay()
        warranty_close_sweep_task.delay()
    # then only the expired one closed, audited as the system, and its DRFT is final
    assert WorkOrder.objects.get(pk=old.pk).status == "closed"
    assert WorkOrder.objects.get(pk=recent.pk).status == "accepted"
    event = AuditEvent.objects.get(verb="work_order.transitioned", target_id=str(old.pk))
    assert event.actor_label == "system" and event.reason == "Warranty window ended"
    assert DrftFact.objects.get(work_order=old).status == "final"


def test_a_client_reports_a_problem_within_the_window_and_it_becomes_a_warranty_return(
    world, tenant, django_capture_on_commit_callbacks
):
    # given accepted work, DRFT so far
    work_order = accepted(world, days_ago=10)
    client = access_for(tenant, Role.CLIENT)
    # when the client's viewer reports a problem
    with django_capture_on_commit_callbacks(execute=True):
        report = services.warranty_report_create(
            organization=world.organization, actor=client, work_order_id=work_order.pk, description="Screen dead"
        )
    # then the work order is back in rework and DRFT says why
    work_order.refresh_from_db()
    assert work_order.status == "rework" and report.reported_by_role == "client"
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.is_drft, fact.reason) == ("open", False, "warranty_return")
    # and the warranty return visit is booked and worked through the visit services, then accepted again
    visit = return_visit(world, work_order)
    assert visit.sequence == 2 and visit.follow_up_of.sequence == 1
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, visit)
        accept(world, WorkOrder.objects.get(pk=work_order.pk))
    fact.refresh_from_db()
    assert (fact.status, fact.is_drft, fact.reason) == ("provisional", False, "warranty_return")


def test_warranty_refusals(world, tenant, other_tenant):
    pm = access_for(tenant, Role.PM)
    kwargs = {"organization": world.organization, "actor": pm, "description": "Loose cable"}
    expired = quick_accepted(world, days_ago=31)
    submitted = ready_work_order(world, status="submitted")
    closed = ready_work_order(world, status="closed")
    for work_order, code in [(expired, "warranty_expired"), (submitted, "not_accepted"), (closed, "warranty_expired")]:
        with pytest.raises(Exception) as refused:
            services.warranty_report_create(**kwargs, work_order_id=work_order.pk)
        assert refused.value.code == code
    with pytest.raises(Exception) as refused:
        services.warranty_report_create(**{**kwargs, "description": " "}, work_order_id=quick_accepted(world).pk)
    assert refused.value.code == "reason_required"
    # another client's site is not found for a client viewer
    other_client = ClientFactory(organization=world.organization, code="other", name="Other")
    program = ProgramFactory(organization=world.organization, client=other_client, code="other-prog")
    theirs = WorkOrderFactory(
        enrollment=EnrollmentFactory(program=program), status="accepted", accepted_at=timezone.now()
    )
    with pytest.raises(Exception) as refused:
        services.warranty_report_create(
            organization=world.organization,
            actor=access_for(tenant, Role.CLIENT),
            work_order_id=theirs.pk,
            description="Not mine",
        )
    assert refused.value.code == "not_found"
    assert not WarrantyReport.objects.exists()


def test_an_excluded_warranty_return_counts_in_neither_part(world, tenant, django_capture_on_commit_callbacks):
    # given a closed work order after a warranty return that the PM classifies as client-caused
    work_order = accepted(world, days_ago=5)
    pm = access_for(tenant, Role.PM)
    with django_capture_on_commit_callbacks(execute=True):
        services.warranty_report_create(
            organization=world.organization, actor=pm, work_order_id=work_order.pk, description="Client moved it"
        )
    visit = return_visit(world, WorkOrder.objects.get(pk=work_order.pk))
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, visit)
        accept(world, WorkOrder.objects.get(pk=work_order.pk))
        services.drft_exclusion_set(
            organization=world.organization,
            actor=pm,
            work_order_id=work_order.pk,
            cause="client",
            reason="The client moved the terminal",
        )
    # then it is excluded, audited, and the metrics show it apart
    fact = DrftFact.objects.get(work_order=work_order)
    assert (fact.status, fact.excluded_cause) == ("excluded", "client")
    assert AuditEvent.objects.filter(verb="drft.excluded", reason="The client moved the terminal").exists()
    [row] = tenant.api(Role.PM).get("/api/v1/drft-metrics/?dimension=program").json()
    assert (row["excluded"], row["denominator"], row["provisional_denominator"]) == (1, 0, 0)
    # when the exclusion is cleared, it counts again (not DRFT: a warranty return)
    with django_capture_on_commit_callbacks(execute=True):
        services.drft_exclusion_clear(organization=world.organization, actor=pm, work_order_id=work_order.pk)
    fact.refresh_from_db()
    assert (fact.status, fact.is_drft, fact.reason) == ("provisional", False, "warranty_return")


@pytest.mark.parametrize("caller", CALLERS)
def test_warranty_and_exclusion_api_role_matrix(tenant, world, caller):
    from tests.quality.support import expect

    work_order = quick_accepted(world, days_ago=1)
    api = tenant.api(caller)
    response = api.post(
        "/api/v1/warranty-reports/", {"work_order": work_order.pk, "description": "Screen flickers"}, format="json"
    )
    expect(caller, response, {Role.ADMIN, Role.PM, Role.CLIENT}, 201)
    readers = {Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, "token", Role.CLIENT}
    expect(caller, api.get("/api/v1/warranty-reports/"), readers, 200)
    expect(caller, api.get("/api/v1/drft-exclusions/"), readers, 200)
    if WarrantyReport.objects.exists():
        excluded = api.post(
            "/api/v1/drft-exclusions/",
            {"work_order": work_order.pk, "cause": "client", "reason": "Client unplugged it"},
            format="json",
        )
        expect(caller, excluded, {Role.ADMIN, Role.PM}, 201)
        if excluded.status_code == 201:
            assert api.delete(f"/api/v1/drft-exclusions/{excluded.json()['id']}/").status_code == 204
            assert not DrftExclusion.objects.exists()


def test_another_organizations_work_order_cannot_be_reported_or_excluded(tenant, world, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = quick_accepted(foreign)
    api = tenant.api(Role.PM)
    response = api.post("/api/v1/warranty-reports/", {"work_order": theirs.pk, "description": "x"}, format="json")
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "does_not_exist"
    response = api.post(
        "/api/v1/drft-exclusions/", {"work_order": theirs.pk, "cause": "client", "reason": "x"}, format="json"
    )
    assert response.status_code == 400 and response.json()["errors"][0]["code"] == "does_not_exist"
