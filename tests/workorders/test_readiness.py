"""Readiness gates: each gate red and green with its reason, overrides (audited, shown, PM/admin only),
dispatch blocked until all are green, and a list evaluated in a fixed number of queries."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs.choices import VariationKind, VariationStatus
from rollout.choices import Role
from rollout.errors import Conflict
from rollout.models import AuditEvent
from tests.programs.factories import ProgramFactory, SiteVariationFactory
from tests.technicians.factories import SkillFactory, TechnicianFactory, TimeOffFactory
from tests.workorders.builders.work_orders import VISIT_DAY, access_of, local, prepared
from tests.workorders.factories import ShipmentFactory, WorkOrderFactory
from workorders import gate_overrides, services
from workorders.choices import Gate, ShipmentStatus
from workorders.readiness import (
    NO_PACKET_YET,
    window_shorter_than_estimate,
    work_order_readiness,
    work_orders_readiness,
)


def gate(work_order, name):
    work_order.refresh_from_db()
    return work_order_readiness(organization=work_order.organization, work_order=work_order).get(name)


def test_a_prepared_work_order_is_green_on_every_gate_but_the_overridden_packet(world):
    work_order = prepared(world, "scheduled")
    readiness = work_order_readiness(organization=work_order.organization, work_order=work_order)
    assert readiness.ready
    assert [g.gate for g in readiness.gates] == list(Gate.values)
    assert [g.gate for g in readiness.gates if not g.passed] == [Gate.PACKET]
    assert readiness.get(Gate.PACKET).overridden


# --- SOW -------------------------------------------------------------------------------------------


def test_sow_gate(tenant, world):
    # given a program without an approved SOW, and our program with v1 approved
    bare = ProgramFactory(organization=tenant.organization, client=tenant.client, code="bare")
    red = WorkOrderFactory(enrollment__program=bare)
    green = prepared(world, "ready")
    # then
    assert not gate(red, Gate.SOW).passed
    assert "bare has no approved SOW" in gate(red, Gate.SOW).reason
    assert gate(green, Gate.SOW).passed and gate(green, Gate.SOW).reason.startswith("SOW v1 approved")


# --- Variations ------------------------------------------------------------------------------------


def test_variations_gate(world):
    work_order = prepared(world, "ready")
    assert gate(work_order, Gate.VARIATIONS).reason == "This site has no variations."
    variation = SiteVariationFactory(enrollment=work_order.enrollment)
    red = gate(work_order, Gate.VARIATIONS)
    assert not red.passed and "1 variation of this site still pending" in red.reason
    variation.status = VariationStatus.APPROVED
    variation.save()
    assert gate(work_order, Gate.VARIATIONS).passed
    assert gate(work_order, Gate.VARIATIONS).reason == "All decided: 1 approved, 0 rejected."


# --- Materials -------------------------------------------------------------------------------------


def test_materials_gate(world):
    work_order = prepared(world, "ready", green=False)
    red = gate(work_order, Gate.MATERIALS)
    assert not red.passed and red.reason == "No shipment recorded yet for 1 material line."
    shipment = ShipmentFactory(
        work_order=work_order, status=ShipmentStatus.IN_TRANSIT, delivered_on=None, tracking_number="1ZABC"
    )
    waiting = gate(work_order, Gate.MATERIALS)
    assert not waiting.passed and "1 of 1 shipment not delivered yet (UPS 1ZABC, expected Feb 24)" in waiting.reason
    shipment.status = ShipmentStatus.EXCEPTION
    shipment.save()
    assert "delivery problem" in gate(work_order, Gate.MATERIALS).reason
    shipment.status, shipment.delivered_on = ShipmentStatus.DELIVERED, date(2026, 2, 23)
    shipment.save()
    ShipmentFactory(work_order=work_order, status=ShipmentStatus.CANCELLED, delivered_on=None)
    green = gate(work_order, Gate.MATERIALS)
    assert green.passed and green.reason == "All 1 shipment delivered (last on Feb 23)."


def test_no_materials_for_the_site_means_nothing_to_ship(tenant, world):
    # given the SOW's only material applies to stores with more than five floors
    material = world["sow"].materials.get()
    type(material).objects.filter(pk=material.pk).update(condition="floors > 5")
    work_order = prepared(world, "ready", green=False)
    # then the gate is green without a shipment
    assert gate(work_order, Gate.MATERIALS).reason == "No materials to ship for this site."
    # unless an approved variation adds material
    SiteVariationFactory(
        enrollment=work_order.enrollment,
        kind=VariationKind.EXTRA_MATERIAL,
        part_number="KIOSK-STAND",
        quantity=Decimal("1"),
        unit="ea",
        note="",
        status=VariationStatus.APPROVED,
    )
    assert not gate(work_order, Gate.MATERIALS).passed


# --- Site contact ------------------------------------------------------------------------------------


def test_site_contact_gate(tenant, world, pm):
    work_order = prepared(world, "ready", green=False)
    assert not gate(work_order, Gate.SITE_CONTACT).passed
    services.work_order_confirm_site_contact(
        organization=tenant.organization, actor=pm, work_order_id=work_order.pk, note="Ana, store manager"
    )
    green = gate(work_order, Gate.SITE_CONTACT)
    assert green.passed and green.reason.startswith(f"Confirmed by {pm.user.email}")
    assert AuditEvent.objects.filter(verb="work_order.site_contact_confirmed", after__note="Ana, store manager")


# --- Visit window (site's time zone) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "blackouts", "start", "end", "passed", "reason"),
    [
        (None, [], None, None, False, "No visit window planned yet."),
        ({"wed": ["06:00-22:00"]}, [], (9, 0), (13, 0), True, "Wed Mar 4, 2026, 09:00–13:00 (America/Chicago)"),
        ({"wed": ["10:00-22:00"]}, [], (9, 0), (13, 0), False, "09:00–13:00 is outside the site's access hours on "
         "Wednesday (10:00-22:00, America/Chicago)."),
        ({"mon": ["06:00-22:00"]}, [], (9, 0), (13, 0), False, "on Wednesday (closed"),
        ({"wed": ["06:00-22:00"]}, ["2026-03-04"], (9, 0), (13, 0), False, "Wed Mar 4, 2026 is a blackout date"),
        ({}, [], (23, 0), (23, 30), True, "inside access hours"),
        ({"tue": ["22:00-06:00"]}, [], (1, 0), (3, 0), True, "inside access hours"),
        ({"tue": ["22:00-06:00"]}, [], (5, 0), (7, 0), False, "outside the site's access hours"),
    ],
)  # fmt: skip
def test_visit_window_gate(world, hours, blackouts, start, end, passed, reason):
    # given a site with these access hours and blackout dates, and a visit planned in Chicago time
    work_order = prepared(world, "scheduled")
    site = work_order.site
    site.access_hours = hours if hours is not None else {"wed": ["06:00-22:00"]}
    site.blackout_dates = blackouts
    site.save()
    work_order.planned_start = local(VISIT_DAY, *start) if start else None
    work_order.planned_end = local(VISIT_DAY, *end) if end else None
    work_order.save()
    # then
    result = gate(work_order, Gate.VISIT_WINDOW)
    assert result.passed is passed
    assert reason in result.reason


def test_visit_window_is_read_in_the_sites_time_zone(tenant, world):
    # given a Los Angeles site open 08:00–12:00 and a visit at 09:00 Los Angeles time (11:00 in Chicago)
    from zoneinfo import ZoneInfo

    work_order = prepared(world, "scheduled")
    site = work_order.site
    site.timezone = "America/Los_Angeles"
    site.access_hours = {"wed": ["08:00-12:00"]}
    site.save()
    la = ZoneInfo("America/Los_Angeles")
    from datetime import datetime, time

    work_order.planned_start = datetime.combine(VISIT_DAY, time(9), tzinfo=la)
    work_order.planned_end = datetime.combine(VISIT_DAY, time(11), tzinfo=la)
    work_order.save()
    # then the window fits (it would not if read in Chicago time: 11:00–13:00)
    assert gate(work_order, Gate.VISIT_WINDOW).passed
    assert "(America/Los_Angeles)" in gate(work_order, Gate.VISIT_WINDOW).reason


# --- Technician ----------------------------------------------------------------------------------------


def test_technician_gate(tenant, world):
    work_order = prepared(world, "scheduled")
    green = gate(work_order, Gate.TECHNICIAN)
    assert green.passed and green.reason.startswith("Tomás Alvarez (")
    assert "km away) is eligible on Wed Mar 4, 2026." in green.reason
    # without a technician
    unassigned = prepared(world, "ready", technician=None)
    assert gate(unassigned, Gate.TECHNICIAN).reason == "No technician assigned."
    # a technician without the SOW's skill
    novice = TechnicianFactory(organization=tenant.organization, full_name="Pat Novice")
    work_order.technician = novice
    work_order.save()
    assert gate(work_order, Gate.TECHNICIAN).reason == "Missing skill: POS install."
    # on time off that day
    work_order.technician = world["technician"]
    work_order.save()
    TimeOffFactory(technician=world["technician"], start_date=VISIT_DAY, end_date=VISIT_DAY, reason="Dentist")
    assert "On time off Mar 4, 2026 (Dentist)." in gate(work_order, Gate.TECHNICIAN).reason


def test_technician_gate_follows_conditions_and_variations(tenant, world):
    # given the conditional cabling task does not apply (the site has 2 floors), the technician is fine
    work_order = prepared(world, "scheduled")
    assert gate(work_order, Gate.TECHNICIAN).passed
    # when the site grows to 6 floors, the conditional task needs cabling, which they lack
    work_order.site.attributes = {"floors": 6}
    work_order.site.save()
    assert "Missing skill: cabling." in gate(work_order, Gate.TECHNICIAN).reason
    # when an approved variation skips that task, it no longer counts
    SiteVariationFactory(
        enrollment=work_order.enrollment, kind=VariationKind.SKIP_TASK, task_key="upstairs", note="",
        status=VariationStatus.APPROVED,
    )  # fmt: skip
    assert gate(work_order, Gate.TECHNICIAN).passed
    # and an approved added task brings its own skill
    SkillFactory(organization=tenant.organization, slug="kiosk", name="Kiosk setup")
    SiteVariationFactory(
        enrollment=work_order.enrollment, kind=VariationKind.ADD_TASK, task_key="kiosk", title="Set up kiosk",
        required_skill="kiosk", note="", status=VariationStatus.APPROVED,
    )  # fmt: skip
    assert gate(work_order, Gate.TECHNICIAN).reason == "Missing skill: Kiosk setup."


# --- Packet ------------------------------------------------------------------------------------------


def test_packet_gate_is_red_without_an_acknowledged_packet(world):
    work_order = prepared(world, "scheduled", gate_overrides={})
    result = gate(work_order, Gate.PACKET)
    assert not result.passed and result.reason
    assert NO_PACKET_YET.lower() in result.reason.lower() or "packet" in result.reason.lower()


# --- Overrides and dispatch ----------------------------------------------------------------------------


def test_dispatch_is_blocked_until_every_gate_is_green(tenant, world, pm):
    from rollout.errors import InvalidTransition

    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    with pytest.raises(InvalidTransition) as refused:
        services.work_order_transition(
            organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="dispatched"
        )
    assert refused.value.code == "not_ready"
    assert "Site contact confirmed: Nobody has confirmed the visit" in refused.value.message
    services.work_order_confirm_site_contact(organization=tenant.organization, actor=pm, work_order_id=work_order.pk)
    moved = services.work_order_transition(
        organization=tenant.organization, actor=pm, work_order_id=work_order.pk, to_status="dispatched"
    )
    assert moved.status == "dispatched"


def test_override_is_audited_shown_and_for_planners_only(tenant, world, pm):
    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    kwargs = {"organization": tenant.organization, "work_order_id": work_order.pk, "gate": Gate.SITE_CONTACT}
    # a coordinator may not override
    with pytest.raises(Exception) as refused:
        gate_overrides.work_order_gate_override(**kwargs, actor=access_of(tenant, Role.COORDINATOR), reason="Trust me")
    assert (refused.value.code, refused.value.status_code) == ("override_not_allowed", 403)
    # a reason is required
    with pytest.raises(Exception) as no_reason:
        gate_overrides.work_order_gate_override(**kwargs, actor=pm, reason=" ")
    assert no_reason.value.code == "reason_required"
    # a PM may, with a reason: audited, and shown on the checklist with who and why
    gate_overrides.work_order_gate_override(**kwargs, actor=pm, reason="Manager confirmed by text")
    result = gate(work_order, Gate.SITE_CONTACT)
    assert (result.passed, result.green, result.overridden) == (False, True, True)
    assert (result.override.reason, result.override.by_label) == ("Manager confirmed by text", pm.user.email)
    event = AuditEvent.objects.get(verb="work_order.gate_overridden")
    assert event.reason == "Manager confirmed by text"
    assert event.after == {"gate": "site_contact", "failing_reason": result.reason}
    # a green gate needs no override
    with pytest.raises(Conflict) as green:
        gate_overrides.work_order_gate_override(**{**kwargs, "gate": Gate.SOW}, actor=pm, reason="Not needed at all")
    assert green.value.code == "gate_green"
    # and the override can be withdrawn (audited)
    gate_overrides.work_order_gate_override_revoke(
        organization=tenant.organization, actor=pm, work_order_id=work_order.pk, gate=Gate.SITE_CONTACT
    )
    assert not gate(work_order, Gate.SITE_CONTACT).green
    assert AuditEvent.objects.filter(verb="work_order.gate_override_revoked").count() == 1


# --- Lists in a fixed number of queries -----------------------------------------------------------------


def test_a_list_is_evaluated_in_a_fixed_number_of_queries(tenant, world):
    from workorders.models import WorkOrder

    def evaluate():
        rows = list(WorkOrder.objects.for_organization(tenant.organization).with_summary())
        with CaptureQueriesContext(connection) as queries:
            results = work_orders_readiness(organization=tenant.organization, work_orders=rows)
        return len(queries.captured_queries), results

    for status in ("scheduled", "ready", "draft"):
        prepared(world, status)
    small, _ = evaluate()
    other = TechnicianFactory(organization=tenant.organization, skills=[world["skill"]])
    for n in range(15):
        prepared(world, "scheduled", technician=other if n % 2 else world["technician"])
        SiteVariationFactory(enrollment=prepared(world, "ready").enrollment)
    large, results = evaluate()
    assert large == small
    assert len(results) == 33


# --- Duration ----------------------------------------------------------------------------------------


def test_duration_gate_is_red_when_the_window_is_shorter_than_the_packets_estimate(world):
    # given a prepared work order whose SOW tasks add up to 3 h 50 min
    work_order = prepared(world, "scheduled")
    sow = work_order.program.sows.filter(status="approved").first()
    tasks = list(sow.tasks.all())
    tasks[0].__class__.objects.filter(pk=tasks[0].pk).update(estimated_minutes=230)
    tasks[0].__class__.objects.filter(pk__in=[t.pk for t in tasks[1:]]).update(estimated_minutes=0)
    # when the window is 1 h 30 min
    WorkOrder = work_order.__class__
    WorkOrder.objects.filter(pk=work_order.pk).update(planned_end=work_order.planned_start + timedelta(minutes=90))
    red = gate(work_order, Gate.DURATION)
    # then the gate is red and says why and what to do
    assert not red.passed
    assert "1 h 30 min" in red.reason and "3 h 50 min" in red.reason and "longer window" in red.reason
    # and a window of four hours turns it green
    WorkOrder.objects.filter(pk=work_order.pk).update(planned_end=work_order.planned_start + timedelta(hours=4))
    green = gate(work_order, Gate.DURATION)
    assert green.passed and "3 h 50 min" in green.reason


def test_window_shorter_than_estimate_words():
    start = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert window_shorter_than_estimate(minutes=230, start=start, end=start + timedelta(minutes=90)).startswith(
        "The window is 1 h 30 min, shorter than the packet's estimate of 3 h 50 min"
    )
    assert window_shorter_than_estimate(minutes=90, start=start, end=start + timedelta(minutes=90)) == ""
    assert window_shorter_than_estimate(minutes=0, start=start, end=start + timedelta(minutes=10)) == ""
