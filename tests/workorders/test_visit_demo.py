"""The demo's day of visits: today (Northwind's time zone), every board state, Tomás's profile among the
technicians, his confirmed visit ready to check in, and a second run that changes nothing."""

from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone

from rollout.models import AuditEvent, Membership, Organization
from rollout.tenancy import Access
from workorders.choices import VisitState
from workorders.demo import visits as demo_visits
from workorders.models import Visit, VisitPhoto, WorkOrder
from workorders.readiness import visit_window_problems
from workorders.visits.services import field_actions

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_day_of_visits_in_every_state_once():
    # given
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    visits = Visit.objects.for_organization(northwind).select_related("technician", "work_order")
    # then
    today = timezone.now().astimezone(ZoneInfo(northwind.timezone)).date()
    assert {visit.local_date for visit in visits} == {today}
    states = {visit.state for visit in visits}
    # Late is derived from the clock: it shows whenever the seed runs after the first half hour of the day.
    assert set(VisitState.values) - {VisitState.LATE} <= states
    assert any(visit.outcome == "incomplete" for visit in visits)
    mine = [visit for visit in visits if visit.technician.email == "tech@northwind.example"]
    assert len(mine) >= 2
    # and Tomás can check in his confirmed visit from the phone
    membership = Membership.objects.get(organization=northwind, user__email="tech@northwind.example")
    access = Access(organization=northwind, role=membership.role, user=membership.user, membership=membership)
    confirmed = next(visit for visit in mine if visit.status == "confirmed")
    field_actions.visit_check_in(
        organization=northwind, actor=access, visit_id=confirmed.pk, client_action_id="demo-check-in-test",
        device_time=timezone.now(), location_status="denied",
    )  # fmt: skip
    assert Visit.objects.get(pk=confirmed.pk).work_order.status == "in_progress"
    # when the demo is seeded again, nothing changes
    counts = (Visit.objects.count(), VisitPhoto.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo", stdout=None)
    assert (Visit.objects.count(), VisitPhoto.objects.count(), AuditEvent.objects.count()) == counts


def test_each_demo_visit_agrees_with_its_work_order():
    # given
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    # then every open visit's work order is scheduled or further, with the visit's technician and window
    open_visits = Visit.objects.for_organization(northwind).open().select_related("work_order")
    assert open_visits
    for visit in open_visits:
        work_order = visit.work_order
        assert work_order.status in {"scheduled", "dispatched", "in_progress"}, (visit.state, work_order.status)
        assert (work_order.technician_id, work_order.planned_start) == (visit.technician_id, visit.window_start)


@pytest.mark.parametrize("utc_hour", [None, 8, 15, 23])
def test_each_demo_visit_lies_inside_the_sites_access_hours_and_the_technicians_hours(monkeypatch, utc_hour):
    # given the demo seeded now, or at night (02:00 in Chicago), mid-morning or late afternoon
    if utc_hour is not None:
        moment = timezone.now().replace(hour=utc_hour, minute=9)
        monkeypatch.setattr(demo_visits, "timezone", SimpleNamespace(now=lambda: moment))
    call_command("seed_demo", stdout=None)
    northwind = Organization.objects.get(slug="northwind")
    visits = Visit.objects.for_organization(northwind).select_related("technician", "work_order__site")
    # then every window fits the store's access hours and the technician's working hours, read in the site's zone
    for visit in visits:
        site, technician = visit.work_order.site, visit.technician
        problems = visit_window_problems(site=site, planned_start=visit.window_start, planned_end=visit.window_end)
        assert not [p for p in problems if "access hours" in p], (visit.work_order.number, problems)
        home = ZoneInfo(technician.timezone)
        start, end = visit.window_start.astimezone(home), visit.window_end.astimezone(home)
        assert start.date() == end.date()
        assert technician.work_start <= start.time() and end.time() <= technician.work_end, (start, end)
    # and no override note reads as made-up data
    for work_order in WorkOrder.objects.for_organization(northwind).exclude(gate_overrides={}):
        for override in (work_order.gate_overrides or {}).values():
            assert "demo" not in override.get("reason", "").lower()
