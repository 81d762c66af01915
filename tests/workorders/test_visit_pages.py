"""Visit pages: the dispatch board (role matrix, states with late and no-show standing out, filters, the htmx
region, the same number of queries for 50 and 500 visits), a technician's week, booking a visit (qualified
technicians nearest first, refusals on the form), the visit page and its moves, and photo and signature files
(404 across organizations and for another technician)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from programs.models import Enrollment
from rollout.choices import Role
from sites.models import Site
from tests.workorders.builders.visits import (
    CHICAGO,
    VISIT_DAY,
    book,
    booked_visit,
    build_field_world,
    check_in,
    other_technician,
    photo,
    ready_work_order,
    sign,
)
from workorders.choices import VisitStatus
from workorders.models import Visit, VisitPhoto, WorkOrder

V = VisitStatus
CALLERS = [Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]
BOARD_READERS = {Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR}


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def signed_in(client, tenant, role):
    client.force_login(tenant.members[role].user)
    return client


def url(tenant, name, **kwargs):
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


def bulk_visits(world, count: int, *, day, start_index: int = 0) -> None:
    """`count` visits of `day` in every status, written in bulk (sites, enrollments, work orders, visits)."""
    organization, program = world.organization, world.program
    sites = Site.objects.bulk_create(
        Site(organization=organization, client=program.client, code=f"B-{start_index + n:05d}", name=f"Store {n}",
             city="Chicago", state="IL", timezone="America/Chicago", latitude=Decimal("41.9"),
             longitude=Decimal("-87.65"))
        for n in range(count)
    )  # fmt: skip
    enrollments = Enrollment.objects.bulk_create(
        Enrollment(organization=organization, program=program, site=site) for site in sites
    )
    work_orders = WorkOrder.objects.bulk_create(
        WorkOrder(organization=organization, program=program, site_id=e.site_id, enrollment=e, sequence=10_000 + n,
                  number=f"BULK-{start_index + n:06d}", sow=world.sow, status="scheduled")
        for n, e in enumerate(enrollments)
    )  # fmt: skip
    technicians = [world.technician, other_technician(world, full_name=f"Bulk tech {start_index}")]
    statuses = list(V)
    visits = []
    for n, work_order in enumerate(work_orders):
        start = timezone.make_aware(
            timezone.datetime.combine(day, timezone.datetime.min.time()) + timedelta(hours=6, minutes=n % 600),
            CHICAGO,
        )
        visits.append(
            Visit(organization=organization, work_order=work_order, technician=technicians[n % 2],
                  status=statuses[n % len(statuses)], window_start=start, window_end=start + timedelta(hours=2),
                  local_date=day, checkin_due_by=start + timedelta(minutes=30))
        )  # fmt: skip
    Visit.objects.bulk_create(visits)


@pytest.mark.parametrize("caller", CALLERS)
def test_board_role_matrix(client, tenant, world, caller):
    response = signed_in(client, tenant, caller).get(url(tenant, "visits:dispatch"))
    assert response.status_code == (200 if caller in BOARD_READERS else 403)


def test_board_shows_every_state_with_late_and_no_show_standing_out(client, tenant, world):
    # given: today's visits (the sites' local date) in several states, one late
    today = timezone.now().astimezone(CHICAGO).date()
    late = booked_visit(world)
    on_time = book(world, ready_work_order(world, site_code="LATER-1"), start=(13, 0), end=(15, 0))
    now = timezone.now()
    Visit.objects.filter(pk=late.pk).update(
        local_date=today, window_start=now - timedelta(hours=1), window_end=now + timedelta(hours=1),
        checkin_due_by=now - timedelta(minutes=30),
    )  # fmt: skip
    Visit.objects.filter(pk=on_time.pk).update(
        local_date=today, window_start=now + timedelta(hours=2), window_end=now + timedelta(hours=3),
        checkin_due_by=now + timedelta(hours=2, minutes=30),
    )  # fmt: skip
    # when
    response = signed_in(client, tenant, Role.COORDINATOR).get(url(tenant, "visits:dispatch"))
    # then
    assert response.status_code == 200
    board = response.context["board"]
    states = {row.visit.pk: row.state for row in board.rows}
    assert states == {late.pk: "late", on_time.pk: "scheduled"}
    assert board.counts == {"late": 1, "scheduled": 1}
    html = response.content.decode()
    assert f'data-visit="{late.pk}" data-state="late"' in html
    assert "board-row-attention" in html and "no check-in" in html
    assert 'hx-trigger="every 20s"' in html and url(tenant, "visits:dispatch-board") in html


def test_board_filters_and_region(client, tenant, world):
    # given
    bulk_visits(world, 14, day=VISIT_DAY)
    api = signed_in(client, tenant, Role.PM)
    # when
    region = api.get(url(tenant, "visits:dispatch-board") + f"?date={VISIT_DAY}&state=no_show")
    by_technician = api.get(url(tenant, "visits:dispatch") + f"?date={VISIT_DAY}&technician={world.technician.pk}")
    # then
    assert region.status_code == 200
    assert region.content.decode().lstrip().startswith('<div id="dispatch-board"')
    assert "<html" not in region.content.decode()
    assert {row.state for row in region.context["board"].rows} == {"no_show"}
    assert region.context["board"].counts["no_show"] == 2  # counts cover the whole day
    assert {row.visit.technician_id for row in by_technician.context["board"].rows} == {world.technician.pk}
    assert '06:00–08:00</a> <span class="small text-body-secondary">CST</span>' in by_technician.content.decode()


def test_board_refuses_another_organizations_filters(client, tenant, world, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    response = signed_in(client, tenant, Role.PM).get(
        url(tenant, "visits:dispatch") + f"?technician={foreign.technician.pk}"
    )
    assert response.status_code == 200
    assert "technician" in response.context["form"].errors


def test_board_reads_a_fixed_number_of_queries_for_50_or_500_visits(client, tenant, world):
    # given
    api = signed_in(client, tenant, Role.COORDINATOR)
    page = url(tenant, "visits:dispatch") + f"?date={VISIT_DAY}"
    api.get(page)  # warm up (session, caches)
    bulk_visits(world, 50, day=VISIT_DAY)
    with CaptureQueriesContext(connection) as fifty:
        first = api.get(page)
    bulk_visits(world, 450, day=VISIT_DAY, start_index=50)
    with CaptureQueriesContext(connection) as five_hundred:
        second = api.get(page)
    # then
    assert len(first.context["board"].rows) == 50 and len(second.context["board"].rows) == 500
    assert 5 <= len(fifty) == len(five_hundred) <= 12, (len(fifty), len(five_hundred))


@pytest.mark.parametrize("caller", CALLERS)
def test_technician_week_role_matrix_and_content(client, tenant, world, other_tenant, caller):
    # given
    visit = booked_visit(world)
    foreign = build_field_world(other_tenant, code="foreign")
    page = (
        url(tenant, "visits:dispatch-technician-week", pk=world.technician.pk)
        + f"?start={VISIT_DAY - timedelta(days=2)}"
    )
    # when
    response = signed_in(client, tenant, caller).get(page)
    # then
    if caller not in BOARD_READERS:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    days = response.context["days"]
    assert len(days) == 7 and [row.visit.pk for row in days[2].visits] == [visit.pk]
    assert "09:00–12:00" in response.content.decode()  # the site's local time
    assert client.get(url(tenant, "visits:dispatch-technician-week", pk=foreign.technician.pk)).status_code == 404


def test_booking_page_lists_qualified_technicians_nearest_first(client, tenant, world):
    # given
    work_order = ready_work_order(world)
    far = other_technician(world, full_name="Far Away", home_latitude=Decimal("42.3"), home_longitude=Decimal("-87.9"))
    busy = other_technician(world, full_name="Busy Bee")
    book(world, ready_work_order(world, site_code="BUSY-2"), technician=busy, start=(9, 0), end=(10, 0))
    page = url(tenant, "visits:visit-schedule", pk=work_order.pk) + f"?day={VISIT_DAY}&start=09:00&end=12:00"
    # when
    response = signed_in(client, tenant, Role.COORDINATOR).get(page)
    # then
    assert response.status_code == 200
    names = [technician.full_name for technician in response.context["candidates"]]
    assert names.index("Tomás Alvarez") < names.index(far.full_name)
    html = response.content.decode()
    assert "km" in html and "Busy then" in html


def test_check_refreshes_the_technicians_for_another_day_without_booking(client, tenant, world):
    # given a coordinator on the booking page, who changes the day and presses "Check"
    work_order = ready_work_order(world)
    api = signed_in(client, tenant, Role.COORDINATOR)
    page = url(tenant, "visits:visit-schedule", pk=work_order.pk)
    day = (VISIT_DAY + timedelta(days=1)).isoformat()
    body = {"csrfmiddlewaretoken": "x", "day": day, "start": "13:00", "end": "15:00", "refresh": "1"}
    # when
    response = api.post(page, body)
    # then the page comes back for that day, with the day and window in its address and nothing else
    assert response.status_code == 302
    assert response["Location"] == f"{page}?day={day}&start=13%3A00&end=15%3A00"
    assert not Visit.objects.filter(work_order=work_order).exists()
    again = api.get(response["Location"])
    assert again.context["form"].initial["day"].isoformat() == day


def test_booking_page_shows_refusals_on_the_form_and_books(client, tenant, world):
    # given
    work_order = ready_work_order(world, blackout_dates=[VISIT_DAY.isoformat()])
    api = signed_in(client, tenant, Role.COORDINATOR)
    page = url(tenant, "visits:visit-schedule", pk=work_order.pk)
    body = {"day": VISIT_DAY.isoformat(), "start": "09:00", "end": "12:00", "technician": world.technician.pk}
    # when
    refused = api.post(page, body)
    booked = api.post(page, {**body, "day": (VISIT_DAY + timedelta(days=1)).isoformat()})
    # then
    assert refused.status_code == 200
    assert "blackout date" in " ".join(refused.context["form"].errors["day"])
    assert booked.status_code == 302
    visit = Visit.objects.get(work_order=work_order)
    assert booked["Location"] == url(tenant, "visits:visit-detail", pk=visit.pk)


@pytest.mark.parametrize("caller", CALLERS)
def test_visit_page_role_matrix(client, tenant, world, other_tenant, caller):
    # given
    visit = booked_visit(world)
    check_in(world, visit)
    photo(world, visit)
    sign(world, visit)
    foreign = booked_visit(build_field_world(other_tenant, code="foreign"))
    # when
    response = signed_in(client, tenant, caller).get(url(tenant, "visits:visit-detail", pk=visit.pk))
    # then
    readers = BOARD_READERS | {Role.CLIENT}
    assert response.status_code == (200 if caller in readers else 403)
    if response.status_code == 200:
        html = response.content.decode()
        assert "Photograph the checkout area" in html and "Dana Store-Manager" in html
        assert url(tenant, "visits:visit-photo-thumbnail", pk=VisitPhoto.objects.get(visit=visit).pk) in html
    assert client.get(url(tenant, "visits:visit-detail", pk=foreign.pk)).status_code in (403, 404)


def test_reschedule_and_cancel_pages(client, tenant, world):
    visit = booked_visit(world)
    api = signed_in(client, tenant, Role.COORDINATOR)
    assert api.get(url(tenant, "visits:visit-reschedule", pk=visit.pk)).status_code == 200
    moved = api.post(
        url(tenant, "visits:visit-reschedule", pk=visit.pk),
        {"day": (VISIT_DAY + timedelta(days=1)).isoformat(), "start": "05:00", "end": "07:00"},
    )
    assert moved.status_code == 200 and "access hours" in " ".join(moved.context["form"].errors["start"])
    assert api.get(url(tenant, "visits:visit-reassign", pk=visit.pk)).status_code == 200
    cancelled = api.post(url(tenant, "visits:visit-cancel", pk=visit.pk), {"reason": "Store closed"})
    assert cancelled.status_code == 302
    assert Visit.objects.get(pk=visit.pk).status == V.CANCELLED
    assert (
        signed_in(client, tenant, Role.INTEGRATOR).post(url(tenant, "visits:visit-cancel", pk=visit.pk)).status_code
        == 403
    )


def test_photo_and_signature_files_check_access(client, tenant, world, other_tenant):
    # given: Tomás's visit with a photo and a signature; Rosa's visit with a photo
    visit = booked_visit(world)
    check_in(world, visit)
    photo(world, visit)
    sign(world, visit)
    mine = VisitPhoto.objects.get(visit=visit)
    rosa = other_technician(world)
    rosas_visit = book(world, ready_work_order(world, site_code="ROSA-2"), technician=rosa, start=(13, 0), end=(15, 0))
    rosas_photo = VisitPhoto.objects.create(
        organization=world.organization, visit=rosas_visit, task_key="survey", file=mine.file.name,
        thumbnail=mine.thumbnail.name, original_format="JPEG", size=mine.size, width=mine.width, height=mine.height,
        sha256="x" * 64,
    )  # fmt: skip
    # when / then: the technician sees their own files, not Rosa's
    tech = signed_in(client, tenant, Role.TECHNICIAN)
    assert tech.get(url(tenant, "visits:visit-photo", pk=mine.pk)).status_code == 200
    thumbnail = tech.get(url(tenant, "visits:visit-photo-thumbnail", pk=mine.pk))
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    signature = tech.get(url(tenant, "visits:visit-signature", pk=visit.pk))
    assert signature.status_code == 200 and signature["Content-Type"] == "image/png"
    assert tech.get(url(tenant, "visits:visit-photo", pk=rosas_photo.pk)).status_code == 404
    # another organization's admin: 404 under their own organization's URL
    foreign_admin = other_tenant.members[Role.ADMIN].user
    client.force_login(foreign_admin)
    for name, pk in (
        ("visits:visit-photo", mine.pk),
        ("visits:visit-photo-thumbnail", mine.pk),
        ("visits:visit-signature", visit.pk),
    ):
        assert client.get(reverse(name, kwargs={"org": other_tenant.organization.slug, "pk": pk})).status_code == 404


def test_work_order_page_offers_booking_then_lists_its_visits(client, tenant, world):
    # given a ready work order without a visit
    work_order = ready_work_order(world)
    page = url(tenant, "workorders:work-order-detail", pk=work_order.pk)
    coordinator = signed_in(client, tenant, Role.COORDINATOR)
    # when the coordinator opens it
    before = coordinator.get(page)
    # then it offers to book one
    assert before.context["can_book"] is True
    assert url(tenant, "visits:visit-schedule", pk=work_order.pk) in before.content.decode()
    # and once a visit is booked, the page lists it and stops offering a second one
    visit = book(world, work_order)
    after = coordinator.get(page)
    assert [v.pk for v in after.context["visits"]] == [visit.pk]
    assert after.context["can_book"] is False
    assert url(tenant, "visits:visit-detail", pk=visit.pk) in after.content.decode()


def test_the_assign_page_sends_the_planner_to_the_booked_visit(client, tenant, world):
    # given a work order with a booked visit
    work_order = ready_work_order(world)
    visit = book(world, work_order)
    coordinator = signed_in(client, tenant, Role.COORDINATOR)
    assign = url(tenant, "workorders:work-order-assign", pk=work_order.pk)
    # when the coordinator opens the work order, its assign page, or posts a new plan to it
    detail = coordinator.get(url(tenant, "workorders:work-order-detail", pk=work_order.pk))
    opened = coordinator.get(assign)
    posted = coordinator.post(
        assign, {"day": "2027-03-03", "start": "13:00", "end": "15:00", "technician": world.technician.pk}
    )
    # then the work order offers "Change visit 1" instead of its own plan, and both requests land on the visit
    assert detail.context["can_plan"] is False
    assert "ready" not in [move["to_status"] for move in detail.context["moves"]]  # cancel the visit instead
    assert url(tenant, "visits:visit-detail", pk=visit.pk) in detail.content.decode()
    assert opened.status_code == posted.status_code == 302
    assert opened["Location"] == posted["Location"] == url(tenant, "visits:visit-detail", pk=visit.pk)
    work_order.refresh_from_db()
    assert work_order.planned_start == visit.window_start  # nothing changed behind the visit's back
