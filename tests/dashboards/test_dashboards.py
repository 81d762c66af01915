"""Dashboards: the program dashboard's figures equal direct counts, the forecast on a constructed history, the
portfolio's flags, roles, cross-organization and other-client 404s (pages and API), CSV exports, the client
portal without internal notes, and query budgets that do not grow with the data."""

import re
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import selectors
from dashboards.selectors import Progress
from rollout.choices import Role
from rollout.tenancy import Access
from tests.dashboards.builders import SECRET_CANCEL, SECRET_OVERRIDE, SECRET_RESOLUTION, SECRET_REVIEW, program_world
from tests.factories import ClientFactory
from tests.quality.support import browser
from workorders.models import WorkOrder

STAFF = [Role.ADMIN, Role.PM, Role.COORDINATOR]
ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


def text(response) -> str:
    """A page's or a streamed download's body as text (a CSV's BOM dropped)."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8-sig")


def access(tenant, role) -> Access:
    member = tenant.members[role]
    return Access(organization=tenant.organization, role=role, user=member.user, client_id=member.client_id)


def test_forecast_on_a_constructed_history():
    today = date(2026, 3, 2)
    # 40 of 100 done, 14 in the last 28 days: 60 remaining at 0.5 a day = 120 days.
    row = Progress(
        "",
        "W",
        planned=100,
        completed=40,
        recent=14,
        last_completed=today,
        planned_finish=date(2026, 6, 1),
        today=today,
    )
    assert row.forecast_finish == today + timedelta(days=120)
    assert row.variance_days == (today + timedelta(days=120) - date(2026, 6, 1)).days
    assert row.rate_per_week == 3.5 and row.percent == 40
    done = Progress(
        "",
        "W",
        planned=5,
        completed=5,
        recent=0,
        last_completed=date(2026, 2, 1),
        planned_finish=date(2026, 2, 10),
        today=today,
    )
    assert done.forecast_finish == date(2026, 2, 1) and done.variance_days == -9
    stalled = Progress(
        "", "W", planned=5, completed=1, recent=0, last_completed=None, planned_finish=today, today=today
    )
    assert stalled.forecast_finish is None and stalled.variance_days is None


def test_dashboard_figures_equal_direct_counts(tenant):
    program, waves, _ = program_world(tenant, sites=12)
    data = selectors.program_dashboard(access=access(tenant, Role.PM), program=program)
    rows = WorkOrder.objects.filter(program=program)
    assert data["total"].planned == rows.count() == 12
    assert data["total"].completed == rows.filter(status__in=["accepted", "closed"]).count() == 4
    for wave, row in zip(waves, data["waves"], strict=True):
        assert row.planned == rows.filter(enrollment__wave=wave).count()
        assert row.completed == rows.filter(enrollment__wave=wave, status__in=["accepted", "closed"]).count()
    assert [w.key for w in data["weeks"]] == ["2026-W01", "2026-W02", "2026-W03"]
    assert data["drft"].numerator == 8 and data["drft"].denominator == 10
    assert data["pareto"][0]["count"] == 2 and data["pareto"][0]["cumulative"] == 100
    assert [(e["level"], e["total"], e["d1_3"]) for e in data["escalations"]] == [(2, 1, 1)]
    assert sum(v["count"] for v in data["visits_today"]) == 1
    assert data["technicians"][0]["jobs"] == rows.exclude(status="cancelled").count()
    # The one draft work order: its SOW gate is overridden (so not held), the packet gate holds it.
    blockers = {b["gate"]: b["count"] for b in data["blockers"]}
    assert blockers["sow"] == 0 and blockers["packet"] == rows.filter(status__in=["draft", "ready"]).count() == 1


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, role):
    program, _, _ = program_world(tenant, sites=4)
    client = browser(tenant, role)
    for name, kwargs, allowed in [
        ("dashboards:program-dashboard", {"pk": program.pk}, STAFF),
        ("dashboards:portfolio", {}, STAFF),
        ("dashboards:client-program", {"pk": program.pk}, [Role.CLIENT]),
    ]:
        response = client.get(url(tenant, name, **kwargs))
        if role is None:
            assert response.status_code == 302, name
        elif role in allowed:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)


def test_other_organization_and_other_client_are_404(tenant, other_tenant):
    foreign, _, _ = program_world(other_tenant, sites=2, code="foreign")
    other_client = ClientFactory(organization=tenant.organization, code="other-client")
    theirs, _, _ = program_world(tenant, sites=2, code="theirs", client=other_client)
    pm, client = browser(tenant, Role.PM), browser(tenant, Role.CLIENT)
    assert pm.get(url(tenant, "dashboards:program-dashboard", pk=foreign.pk)).status_code == 404
    assert client.get(url(tenant, "dashboards:client-program", pk=foreign.pk)).status_code == 404
    assert client.get(url(tenant, "dashboards:client-program", pk=theirs.pk)).status_code == 404
    theirs_csv = url(tenant, "dashboards:client-program", pk=theirs.pk) + "?format=csv&table=sites"
    assert client.get(theirs_csv).status_code == 404
    foreign_csv = url(tenant, "dashboards:program-dashboard", pk=foreign.pk) + "?format=csv&table=waves"
    assert pm.get(foreign_csv).status_code == 404
    assert "theirs" not in client.get(url(tenant, "core:org-home")).content.decode()
    api = tenant.api(Role.PM)
    assert api.get(f"/api/v1/program-dashboards/{foreign.pk}/").status_code == 404
    codes = [row["code"] for row in tenant.api(Role.CLIENT).get("/api/v1/portfolio/").json()]
    assert "theirs" not in codes and "foreign" not in codes
    assert "foreign" not in [row["code"] for row in api.get("/api/v1/portfolio/").json()]


def test_client_pages_show_progress_and_never_internal_notes(tenant):
    program, _, _ = program_world(tenant, sites=6)
    client = browser(tenant, Role.CLIENT)
    home = client.get(url(tenant, "core:org-home")).content.decode()
    assert url(tenant, "dashboards:client-program", pk=program.pk) in home
    page = client.get(url(tenant, "dashboards:client-program", pk=program.pk)).content.decode()
    assert "Wave A" in page and "Upcoming visits" in page and "Dana" in page
    assert "Quist" not in page  # the technician by first name only
    api = tenant.api(Role.CLIENT).get("/api/v1/portfolio/").content.decode()
    exports = [
        client.get(url(tenant, "dashboards:client-program", pk=program.pk) + f"?format=csv&table={table}")
        for table in ("waves", "visits", "sites")
    ]
    assert all(e.status_code == 200 and e["Content-Type"].startswith("text/csv") for e in exports)
    files = [text(e) for e in exports]
    assert "Dana" in files[1] and "Quist" not in files[1]
    for body in (home, page, api, *files):
        for secret in (SECRET_OVERRIDE, SECRET_CANCEL, SECRET_REVIEW, SECRET_RESOLUTION):
            assert secret not in body


def test_csv_exports(tenant):
    program, _, _ = program_world(tenant, sites=6, code="=cmd")
    pm = browser(tenant, Role.PM)
    response = pm.get(url(tenant, "dashboards:portfolio") + "?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    body = text(response)
    assert body.splitlines()[0].startswith("Program,Name,Client,Status")
    assert "'=cmd" in body  # formula-injection safe
    for table in ("waves", "burnup", "drft", "pareto", "escalations", "visits", "blockers", "vendors", "technicians"):
        answer = pm.get(url(tenant, "dashboards:program-dashboard", pk=program.pk) + f"?format=csv&table={table}")
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv"), table
    waves = pm.get(url(tenant, "dashboards:program-dashboard", pk=program.pk) + "?format=csv&table=waves")
    assert "Wave A,3," in text(waves)
    assert pm.get(url(tenant, "dashboards:program-dashboard", pk=program.pk) + "?format=csv&table=x").status_code == 404


def test_api_matches_the_page(tenant):
    program, _, _ = program_world(tenant, sites=9)
    body = tenant.api(Role.PM).get(f"/api/v1/program-dashboards/{program.pk}/").json()
    assert body["total"]["planned"] == 9 and body["total"]["completed"] == 3
    assert [w["label"] for w in body["waves"]] == ["Wave A", "Wave B"]
    assert body["drft"]["numerator"] == 8 and len(body["weeks"]) == 3
    assert body["burn_up"][-1]["cumulative"] == body["total"]["completed"]
    assert tenant.api(Role.CLIENT).get(f"/api/v1/program-dashboards/{program.pk}/").status_code == 403
    portfolio = tenant.api(Role.PM).get("/api/v1/portfolio/").json()
    assert portfolio[0]["flag"] in ("red", "amber", "green") and portfolio[0]["reason"]


def test_portfolio_flags(tenant):
    program, _, _ = program_world(tenant, sites=6)
    row = next(r for r in selectors.portfolio(access=access(tenant, Role.PM)) if r.program.pk == program.pk)
    # DRFT 80 % against the default target, one open escalation.
    assert row.open_escalations == 1
    assert row.flag in ("amber", "red") and "open escalation" in row.reason


def _queries(client, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_query_budget_does_not_grow_with_work_orders(tenant, other_tenant):
    small, _, _ = program_world(tenant, sites=10, code="small")
    large, _, _ = program_world(other_tenant, sites=100, code="large")
    counts = []
    for world, program in ((tenant, small), (other_tenant, large)):
        pm, api = browser(world, Role.PM), world.api(Role.PM)
        counts.append(
            (
                _queries(pm, url(world, "dashboards:program-dashboard", pk=program.pk)),
                _queries(api, f"/api/v1/program-dashboards/{program.pk}/"),
                _queries(pm, url(world, "dashboards:portfolio")),
                _queries(browser(world, Role.CLIENT), url(world, "dashboards:client-program", pk=program.pk)),
                _queries(
                    browser(world, Role.CLIENT),
                    url(world, "dashboards:client-site", pk=program.pk, site=program.work_orders.first().site_id),
                ),
            )
        )
    print("query counts (dashboard page, API, portfolio, client page):", counts)
    assert counts[0] == counts[1], counts


def test_portfolio_queries_do_not_grow_with_programs(tenant, other_tenant):
    program_world(tenant, sites=3, code="one")
    for index in range(5):
        program_world(other_tenant, sites=3, code=f"many-{index}")
    one = _queries(browser(tenant, Role.PM), url(tenant, "dashboards:portfolio"))
    many = _queries(browser(other_tenant, Role.PM), url(other_tenant, "dashboards:portfolio"))
    api_one = _queries(tenant.api(Role.PM), "/api/v1/portfolio/")
    api_many = _queries(other_tenant.api(Role.PM), "/api/v1/portfolio/")
    client_one = _queries(browser(tenant, Role.CLIENT), url(tenant, "core:org-home"))
    client_many = _queries(browser(other_tenant, Role.CLIENT), url(other_tenant, "core:org-home"))
    assert (one, api_one, client_one) == (many, api_many, client_many)


def test_client_site_timeline(tenant, other_tenant):
    program, _, work_orders = program_world(tenant, sites=6)
    accepted = work_orders[0]
    scheduled = next(wo for wo in work_orders if wo.status == "scheduled")
    client = browser(tenant, Role.CLIENT)
    page = client.get(url(tenant, "dashboards:client-site", pk=program.pk, site=accepted.site_id)).content.decode()
    assert accepted.number in page and "Report a problem" in page and "Skill" in page
    for secret in (SECRET_OVERRIDE, SECRET_REVIEW, SECRET_RESOLUTION):
        assert secret not in page
    visits = client.get(url(tenant, "dashboards:client-site", pk=program.pk, site=scheduled.site_id)).content.decode()
    assert "Dana" in visits and "Quist" not in visits
    foreign, _, foreign_orders = program_world(other_tenant, sites=2, code="foreign")
    other = url(tenant, "dashboards:client-site", pk=program.pk, site=foreign_orders[0].site_id)
    assert client.get(other).status_code == 404
    assert (
        client.get(url(tenant, "dashboards:client-site", pk=foreign.pk, site=foreign_orders[0].site_id)).status_code
        == 404
    )
    assert (
        browser(tenant, Role.PM)
        .get(url(tenant, "dashboards:client-site", pk=program.pk, site=accepted.site_id))
        .status_code
        == 403
    )


def test_every_number_links_to_a_list_that_answers(tenant):
    program, _, _ = program_world(tenant, sites=6)
    pm = browser(tenant, Role.PM)
    page = pm.get(url(tenant, "dashboards:program-dashboard", pk=program.pk)).content.decode()
    links = set(re.findall(r'href="(/o/[^"]+\?[^"]+)"', page))
    assert len(links) > 10
    for link in sorted(links):
        link = link.replace("&amp;", "&")
        if "format=csv" in link:
            continue
        assert pm.get(link).status_code == 200, link
