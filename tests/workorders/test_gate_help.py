"""A work order with a booked visit and red gates says why each gate is red, what to do about it, and offers the
override to PMs; Dispatch says why it is blocked. A client viewer reads none of it."""

import pytest
from django.urls import reverse

from programs.models import Sow
from rollout.choices import Role
from tests.workorders.builders.visits import book, build_field_world, ready_work_order

pytestmark = pytest.mark.django_db


def page(client, tenant, role, work_order):
    client.force_login(tenant.members[role].user)
    return client.get(
        reverse("workorders:work-order-detail", kwargs={"org": tenant.organization.slug, "pk": work_order.pk})
    )


def test_red_gates_of_a_booked_work_order_say_why_and_what_to_do_and_offer_the_override(client, tenant):
    # given a work order with a booked visit whose packet is not acknowledged yet
    world = build_field_world(tenant)
    work_order = ready_work_order(world)
    book(world, work_order)
    # when the PM opens it
    response = page(client, tenant, Role.PM, work_order)
    html = response.content.decode()
    red = [item for item in response.context["checklist"] if not item["result"].green]
    # then every red gate shows its reason and a next step, and the override is offered
    assert red
    for item in red:
        assert item["reason"] == item["result"].reason and item["next_step"] is not None
        assert item["next_step"][0] in html
    assert response.context["can_override_now"] is True
    assert "Override this gate" in html
    assert "Why blocked:" in html


def test_a_client_viewer_reads_gate_states_only(client, tenant):
    # given the same work order
    world = build_field_world(tenant)
    work_order = ready_work_order(world)
    book(world, work_order)
    # when a client viewer opens it
    response = page(client, tenant, Role.CLIENT, work_order)
    # then no reason, next step or override shows
    assert response.status_code == 200
    html = response.content.decode()
    for item in response.context["checklist"]:
        assert item["next_step"] is None
        assert item["result"].reason not in html or item["result"].green
    assert "Override this gate" not in html


def test_booking_a_window_shorter_than_the_packets_estimate_warns(client, tenant):
    # given a work order whose SOW tasks add up to 3 h 50 min
    world = build_field_world(tenant)
    work_order = ready_work_order(world)
    tasks = list(Sow.objects.filter(program=work_order.program, status="approved").first().tasks.all())
    type(tasks[0]).objects.filter(pk__in=[t.pk for t in tasks]).update(estimated_minutes=0)
    type(tasks[0]).objects.filter(pk=tasks[0].pk).update(estimated_minutes=230)
    client.force_login(tenant.members[Role.COORDINATOR].user)
    url = reverse("visits:visit-schedule", kwargs={"org": tenant.organization.slug, "pk": work_order.pk})
    # when the coordinator checks a 1 h 30 min window, then a 4 h one
    short = client.get(url, {"day": "2027-03-02", "start": "09:00", "end": "10:30"})
    long = client.get(url, {"day": "2027-03-02", "start": "09:00", "end": "13:00"})
    # then only the short one warns, in words
    assert "1 h 30 min, shorter than the packet's estimate of 3 h 50 min" in short.context["too_short"]
    assert "shorter than the packet" in short.content.decode().replace("&#x27;", "'")
    assert long.context["too_short"] == ""
