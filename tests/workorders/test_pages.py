"""Work order pages: role matrix, cross-organization 404s, the bulk move flow (confirmation with the count,
then a per-item result), detail (checklist, override, allowed moves only), assignment, shipments, budgets."""

import pytest
from django.test import Client as BrowserClient
from django.urls import reverse

from rollout.choices import Role
from rollout.models import AuditEvent
from tests.workorders.builders.work_orders import VISIT_DAY, prepared
from workorders.choices import Gate
from workorders.models import Shipment, WorkOrder

READERS = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT]
WRITERS = [Role.ADMIN, Role.PM, Role.COORDINATOR]
ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


def browser(tenant, role) -> BrowserClient:
    client = BrowserClient()
    if role is not None:
        client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


@pytest.fixture
def pages(tenant, world):
    work_order = prepared(world, "scheduled")
    return {
        "work_order": work_order,
        "read": [("workorders:work-orders", {}), ("workorders:work-order-detail", {"pk": work_order.pk})],
        "write": [
            ("workorders:work-order-create", {}),
            ("workorders:work-order-assign", {"pk": work_order.pk}),
            ("workorders:shipment-create", {"pk": work_order.pk}),
            ("workorders:shipment-edit", {"pk": work_order.pk, "shipment": work_order.shipments.first().pk}),
            ("workorders:shipment-delete", {"pk": work_order.pk, "shipment": work_order.shipments.first().pk}),
        ],
    }


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, pages, role):
    # given a scheduled work order
    client = browser(tenant, role)
    # when each page is opened
    for name, kwargs in pages["read"]:
        response = client.get(url(tenant, name, **kwargs))
        # then readers see it (clients in the portal), technicians are refused, anonymous go to sign in
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"]
        elif role in READERS:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)
    for name, kwargs in pages["write"]:
        response = client.get(url(tenant, name, **kwargs))
        if role is None:
            assert response.status_code == 302
        elif role in WRITERS:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)
    moved = client.get(url(tenant, "workorders:work-order-transition", pk=pages["work_order"].pk) + "?to=dispatched")
    assert moved.status_code == (200 if role in WRITERS else 302 if role is None else 403)


def test_the_sidebar_links_work_orders(tenant, pages):
    response = browser(tenant, Role.PM).get(url(tenant, "core:org-home"))
    assert f'href="{url(tenant, "workorders:work-orders")}"' in response.content.decode()


def test_another_organizations_work_order_is_404(tenant, world, foreign):
    # given another organization's work order and shipment
    client = browser(tenant, Role.ADMIN)
    work_order, shipment = foreign["work_order"], foreign["shipment"]
    # when our admin opens or posts to any of its pages
    gets = [
        url(tenant, "workorders:work-order-detail", pk=work_order.pk),
        url(tenant, "workorders:work-order-assign", pk=work_order.pk),
        url(tenant, "workorders:work-order-transition", pk=work_order.pk) + "?to=draft",
        url(tenant, "workorders:shipment-create", pk=work_order.pk),
        url(tenant, "workorders:shipment-edit", pk=work_order.pk, shipment=shipment.pk),
        url(tenant, "workorders:shipment-delete", pk=work_order.pk, shipment=shipment.pk),
    ]
    for address in gets:
        assert client.get(address).status_code == 404, address
    posts = [
        (url(tenant, "workorders:work-order-transition", pk=work_order.pk), {"to_status": "draft"}),
        (url(tenant, "workorders:work-order-site-contact", pk=work_order.pk), {}),
        (url(tenant, "workorders:work-order-override", pk=work_order.pk), {"gate_key": "packet"}),
        (url(tenant, "workorders:shipment-delete", pk=work_order.pk, shipment=shipment.pk), {}),
    ]
    for address, body in posts:
        assert client.post(address, body).status_code == 404, address
    # and a bulk move naming its id refuses it as not found
    response = client.post(
        url(tenant, "workorders:work-orders-bulk"),
        {"step": "apply", "to_status": "draft", "work_order_ids": str(work_order.pk)},
    )
    assert "No such work order." in response.content.decode()
    # then nothing of theirs is listed or changed
    listed = client.get(url(tenant, "workorders:work-orders")).content.decode()
    assert work_order.number not in listed
    assert WorkOrder.objects.get(pk=work_order.pk).status == "ready"
    assert Shipment.objects.filter(pk=shipment.pk).exists()


def test_bulk_move_confirms_the_count_then_reports_each_item(tenant, world):
    # given two drafts and a closed work order
    first, second, closed = prepared(world, "draft"), prepared(world, "draft"), prepared(world, "closed")
    client = browser(tenant, Role.PM)
    # when a PM ticks the three and asks to mark them ready
    confirm = client.post(
        url(tenant, "workorders:work-orders-bulk"),
        {"to_status": "ready", "scope": "selected", "work_order": [first.pk, second.pk, closed.pk]},
    )
    # then a confirmation says how many, and nothing moved yet
    page = confirm.content.decode()
    assert "Move 3 work orders to Ready?" in page
    assert WorkOrder.objects.get(pk=first.pk).status == "draft"
    # when they confirm
    ids = ",".join(str(pk) for pk in (first.pk, second.pk, closed.pk))
    result = client.post(
        url(tenant, "workorders:work-orders-bulk"), {"step": "apply", "to_status": "ready", "work_order_ids": ids}
    )
    # then the result lists each work order: two moved, the closed one refused with the reason
    page = result.content.decode()
    assert "Moved to Ready: 2 of 3" in page
    assert closed.number in page and "cannot move from Closed to Ready" in page
    assert WorkOrder.objects.filter(pk__in=[first.pk, second.pk], status="ready").count() == 2


def test_bulk_move_all_matching_uses_the_list_filters(tenant, world):
    drafts = [prepared(world, "draft") for _ in range(2)]
    prepared(world, "scheduled")
    client = browser(tenant, Role.PM)
    confirm = client.post(
        url(tenant, "workorders:work-orders-bulk"), {"to_status": "ready", "scope": "all", "filters": "status=draft"}
    )
    assert "Move 2 work orders to Ready?" in confirm.content.decode()
    assert {str(d.pk) for d in drafts} == set(
        confirm.content.decode().split('name="work_order_ids" value="')[1].split('"')[0].split(",")
    )


def test_detail_shows_the_checklist_and_only_allowed_moves(tenant, world):
    # given a scheduled work order whose site contact is not confirmed
    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    # when a PM opens it
    page = browser(tenant, Role.PM).get(url(tenant, "workorders:work-order-detail", pk=work_order.pk)).content.decode()
    # then every gate is listed with its reason, the red one offers an override, the packet override shows
    assert "Readiness to dispatch" in page
    for gate in Gate:
        assert gate.label in page
    assert "Nobody has confirmed the visit with the site contact yet." in page
    assert "Override this gate" in page
    assert "Printed packet handed over" in page
    # and the moves offered are exactly the allowed ones; dispatch shows but is blocked while a gate is red
    assert "?to=ready" in page and "?to=cancelled" in page
    assert "?to=dispatched" not in page and 'Dispatch <span class="small">(1 gate red)</span>' in page
    assert "?to=closed" not in page and "?to=in_progress" not in page
    # a coordinator sees no override form; a client sees no buttons at all
    coordinator = browser(tenant, Role.COORDINATOR).get(url(tenant, "workorders:work-order-detail", pk=work_order.pk))
    assert "Override this gate" not in coordinator.content.decode()
    client_page = browser(tenant, Role.CLIENT).get(url(tenant, "workorders:work-order-detail", pk=work_order.pk))
    assert "?to=" not in client_page.content.decode()


def test_override_from_the_page_is_audited_and_unblocks_dispatch(tenant, world):
    work_order = prepared(world, "scheduled", site_contact_confirmed_at=None)
    client = browser(tenant, Role.PM)
    client.post(
        url(tenant, "workorders:work-order-override", pk=work_order.pk),
        {"gate_key": "site_contact", "gate-site_contact-gate": "site_contact", "gate-site_contact-reason": "ok"},
    )  # too short: refused with a message
    assert not WorkOrder.objects.get(pk=work_order.pk).gate_overrides.get("site_contact")
    client.post(
        url(tenant, "workorders:work-order-override", pk=work_order.pk),
        {
            "gate_key": "site_contact",
            "gate-site_contact-gate": "site_contact",
            "gate-site_contact-reason": "Manager confirmed by phone to the PM",
        },
    )
    assert AuditEvent.objects.filter(verb="work_order.gate_overridden", reason__startswith="Manager").exists()
    moved = client.post(url(tenant, "workorders:work-order-transition", pk=work_order.pk), {"to_status": "dispatched"})
    assert moved.status_code == 302
    assert WorkOrder.objects.get(pk=work_order.pk).status == "dispatched"


def test_cancel_from_the_page_needs_a_reason(tenant, world):
    work_order = prepared(world, "ready")
    client = browser(tenant, Role.COORDINATOR)
    address = url(tenant, "workorders:work-order-transition", pk=work_order.pk)
    refused = client.post(address, {"to_status": "cancelled", "reason": ""})
    assert refused.status_code == 200 and "Say why" in refused.content.decode()
    client.post(address, {"to_status": "cancelled", "reason": "Store closed for good"})
    assert WorkOrder.objects.get(pk=work_order.pk).cancel_reason == "Store closed for good"


def test_assign_page_lists_qualified_technicians_nearest_first_and_saves(tenant, world):
    # given a ready work order without technician
    work_order = prepared(world, "ready", green=False)
    client = browser(tenant, Role.COORDINATOR)
    address = url(tenant, "workorders:work-order-assign", pk=work_order.pk)
    # when the coordinator checks the visit day
    page = client.get(address, {"day": VISIT_DAY.isoformat(), "start": "09:00", "end": "12:00"}).content.decode()
    # then the qualified technician is listed with the distance
    assert "Tomás Alvarez" in page and " km" in page
    # when they save with "also schedule"
    response = client.post(
        address,
        {
            "day": VISIT_DAY.isoformat(),
            "start": "09:00",
            "end": "12:00",
            "technician": world["technician"].pk,
            "schedule": "on",
        },
    )
    assert response.status_code == 302
    work_order.refresh_from_db()
    assert (work_order.status, work_order.technician_id) == ("scheduled", world["technician"].pk)
    # a window outside access hours is refused next to the field
    other = prepared(world, "ready", green=False)
    night = client.post(
        url(tenant, "workorders:work-order-assign", pk=other.pk),
        {"day": VISIT_DAY.isoformat(), "start": "23:00", "end": "23:30", "technician": world["technician"].pk},
    )
    assert night.status_code == 200
    assert "outside the site" in night.content.decode()


def test_shipment_form_records_and_updates(tenant, world):
    work_order = prepared(world, "ready", green=False)
    client = browser(tenant, Role.COORDINATOR)
    client.post(
        url(tenant, "workorders:shipment-create", pk=work_order.pk),
        {"carrier": "FedEx", "tracking_number": "7777", "shipped_on": "2026-02-20"},
    )
    shipment = Shipment.objects.get(work_order=work_order)
    assert shipment.status == "in_transit"
    client.post(
        url(tenant, "workorders:shipment-edit", pk=work_order.pk, shipment=shipment.pk),
        {"carrier": "FedEx", "tracking_number": "7777", "shipped_on": "2026-02-20", "delivered_on": "2026-02-22"},
    )
    shipment.refresh_from_db()
    assert shipment.status == "delivered"
    client.post(url(tenant, "workorders:shipment-delete", pk=work_order.pk, shipment=shipment.pk))
    assert not Shipment.objects.filter(pk=shipment.pk).exists()


def test_create_work_orders_page(tenant, world):
    from tests.workorders.builders.work_orders import enrolled_site

    enrolled_site(world)
    enrolled_site(world)
    response = browser(tenant, Role.PM).post(
        url(tenant, "workorders:work-order-create"), {"program": world["program"].pk}
    )
    assert response.status_code == 302
    assert WorkOrder.objects.filter(program=world["program"]).count() == 2


def test_list_query_budget_does_not_grow_with_rows(tenant, world, django_assert_max_num_queries):
    client = browser(tenant, Role.PM)
    address = url(tenant, "workorders:work-orders")
    for status in ("draft", "scheduled", "ready"):
        prepared(world, status)
    with django_assert_max_num_queries(60) as small:
        assert client.get(address).status_code == 200
    for n in range(20):
        prepared(world, ("draft", "scheduled", "ready", "dispatched")[n % 4])
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(address)
    page = response.content.decode()
    assert page.count("gates") + page.count(">Ready<") >= 1
