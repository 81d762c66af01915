"""The dashboard's vendor and technician tables (on-time % and score from this program's visits and reviews, by the
scorecard's formula), the forecast from the technicians booked, and the SVG map of the sites by status."""

import re
from datetime import date, timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from dashboards import selectors
from dashboards.map import project
from dashboards.selectors import Progress
from quality.scorecards import Scorecard
from rollout.choices import Role
from rollout.tenancy import Access
from sites.models import Site
from tests.dashboards.builders import program_world
from tests.quality.support import browser
from workorders.models import Visit, WorkOrder


def pm_access(tenant) -> Access:
    member = tenant.members[Role.PM]
    return Access(organization=tenant.organization, role=Role.PM, user=member.user, client_id=None)


def _worked_visit(work_order, *, late: bool, sequence: int = 1):
    now = timezone.now() - timedelta(days=3)
    return Visit.objects.create(
        organization=work_order.organization,
        work_order=work_order,
        technician=work_order.technician,
        window_start=now,
        window_end=now + timedelta(hours=3),
        local_date=now.date(),
        checkin_due_by=now + timedelta(minutes=30),
        checked_in_at=now + timedelta(minutes=45 if late else 10),
        checked_out_at=now + timedelta(hours=2),
        status="checked_out",
        outcome="complete",
        sequence=sequence,
    )


def test_on_time_and_score_equal_direct_counts(tenant):
    # given three worked visits of Dana in the program, one late
    program, _, work_orders = program_world(tenant, sites=6)
    done = [wo for wo in work_orders if wo.status == "accepted"]
    for index, work_order in enumerate([*done, done[0]]):
        _worked_visit(work_order, late=index == 0, sequence=2 if index == len(done) else 1)
    # when
    vendors, technicians = selectors.people(access=pm_access(tenant), program=program)
    # then
    dana = technicians[0]
    worked = Visit.objects.filter(work_order__program=program, status="checked_out")
    on_time = sum(1 for v in worked if v.checked_in_at <= v.checkin_due_by)
    assert (dana["worked"], dana["on_time"]) == (worked.count(), on_time) == (3, 2)
    assert dana["on_time_percent"] == Decimal("66.7")
    expected = Scorecard(technician_id=0, worked=3, on_time=2, visits=3, reviewed=1, qa_passed=0).score
    assert dana["score"] == expected  # no closed DRFT job: the DRFT share counts as 1, as on the scorecard
    assert vendors[0]["on_time_percent"] == Decimal("66.7") and vendors[0]["score"] == expected
    page = browser(tenant, Role.PM).get(
        reverse("dashboards:program-dashboard", kwargs={"org": tenant.organization.slug, "pk": program.pk})
    )
    assert "66.7 %" in page.content.decode()


def test_the_forecast_uses_the_technicians_booked_when_they_go_faster():
    today = date(2026, 3, 2)
    # 60 to go; 14 done in the last four weeks, but 28 sites booked in the next four weeks
    row = Progress(
        "",
        "W",
        planned=100,
        completed=40,
        recent=14,
        last_completed=today,
        planned_finish=None,
        today=today,
        booked=28,
        crew=3,
    )
    assert row.forecast_basis == "booked" and row.forecast_finish == today + timedelta(days=60)
    slow = Progress(
        "",
        "W",
        planned=100,
        completed=40,
        recent=14,
        last_completed=today,
        planned_finish=None,
        today=today,
        booked=7,
        crew=1,
    )
    assert slow.forecast_basis == "recent" and slow.forecast_finish == today + timedelta(days=120)
    idle = Progress(
        "",
        "W",
        planned=10,
        completed=0,
        recent=0,
        last_completed=None,
        planned_finish=None,
        today=today,
        booked=5,
        crew=1,
    )
    assert idle.forecast_finish == today + timedelta(days=56)


def test_booked_counts_come_from_the_visits(tenant):
    program, _, _ = program_world(tenant, sites=9)
    total, waves = selectors.wave_progress(access=pm_access(tenant), program=program)
    booked = Visit.objects.filter(work_order__program=program, status="scheduled", local_date__gte=total.today)
    assert total.booked == booked.values("work_order").distinct().count() == 1 and total.crew == 1
    assert sum(w.booked for w in waves) == 1


def test_the_map_draws_each_site_by_status_and_counts_every_site(tenant):
    program, _, work_orders = program_world(tenant, sites=8)
    for index, work_order in enumerate(work_orders):
        Site.objects.filter(pk=work_order.site_id).update(latitude=40 + index, longitude=-90 + index * 2)
    Site.objects.filter(pk=work_orders[-1].site_id).update(latitude=None, longitude=None)
    url = reverse("dashboards:program-dashboard", kwargs={"org": tenant.organization.slug, "pk": program.pk})
    body = browser(tenant, Role.PM).get(url).content.decode()
    svg = body[body.index('class="dash-map"') : body.index("</svg>", body.index('class="dash-map"'))]
    assert svg.count("<circle") == 7
    assert svg.count("dash-bar-success") == WorkOrder.objects.filter(program=program, status="accepted").count()
    site = work_orders[0].site_id
    assert f"/sites/{site}/" in svg
    assert re.search(r"1 site not drawn", body)
    assert browser(tenant, Role.CLIENT).get(url).status_code == 403


def test_projection_keeps_north_up_and_inside_the_box():
    points, height = project([(41.0, -88.0), (42.0, -87.0), (30.0, -97.0)])
    assert all(0 <= x <= 1000 and 0 <= y <= height for x, y in points)
    assert points[1][1] < points[0][1] < points[2][1]  # north is up
    assert points[2][0] < points[0][0] < points[1][0]  # west is left
