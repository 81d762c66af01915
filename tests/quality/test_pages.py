"""Quality pages: role matrix, cross-organization 404s, the review page (tasks beside evidence, duplicate serials
flagged, accept and reject from the page, then the next work order), the Quality home and drill-down figures, the
home's DRFT tile and the sidebar, and query budgets."""

import pytest
from django.urls import reverse
from django.utils import timezone

from quality.models import QaReview
from rollout.choices import Role
from tests.quality.support import accept, browser, close, defect_code, reject, submitted_work_order
from tests.workorders.builders.visits import build_field_world, ready_work_order
from workorders.models import TaskResult, VisitPhoto, WorkOrder

READERS = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR]
ALL = [None, Role.TECHNICIAN, Role.CLIENT, Role.COORDINATOR, Role.PM, Role.ADMIN, Role.INTEGRATOR]


@pytest.fixture
def world(tenant):
    return build_field_world(tenant)


def url(tenant, name, **kwargs) -> str:
    return reverse(name, kwargs={"org": tenant.organization.slug, **kwargs})


@pytest.mark.parametrize("role", ALL)
def test_page_role_matrix(tenant, world, role):
    work_order = ready_work_order(world, status="submitted")
    client = browser(tenant, role)
    for name, kwargs in [
        ("quality:home", {}),
        ("quality:drill", {}),
        ("quality:queue", {}),
        ("quality:review", {"pk": work_order.pk}),
    ]:
        response = client.get(url(tenant, name, **kwargs))
        if role is None:
            assert response.status_code == 302 and "/login/" in response["Location"]
        elif role in READERS:
            assert response.status_code == 200, (role, name)
        else:
            assert response.status_code == 403, (role, name)
    decided = client.post(url(tenant, "quality:review", pk=work_order.pk), {"decision": "accept"})
    if role in (Role.ADMIN, Role.PM, Role.COORDINATOR):
        assert decided.status_code == 302 and QaReview.objects.filter(work_order=work_order).exists()
    else:
        assert decided.status_code in (302, 403) and not QaReview.objects.exists()


def test_another_organizations_work_order_is_404(tenant, other_tenant):
    foreign = build_field_world(other_tenant, code="foreign")
    theirs = ready_work_order(foreign, status="submitted")
    client = browser(tenant, Role.ADMIN)
    assert client.get(url(tenant, "quality:review", pk=theirs.pk)).status_code == 404
    assert client.post(url(tenant, "quality:review", pk=theirs.pk), {"decision": "accept"}).status_code == 404
    assert theirs.number not in client.get(url(tenant, "quality:queue")).content.decode()


def test_the_review_page_shows_tasks_beside_their_evidence(tenant, world):
    # given a submitted work order whose serial was already recorded elsewhere and whose measurement is out of range
    work_order = submitted_work_order(world)
    TaskResult.objects.filter(visit__work_order=work_order, task_key="mount").update(serial_duplicate=True)
    TaskResult.objects.filter(visit__work_order=work_order, task_key="cable").update(measurement=42)
    # when the coordinator opens it
    page = browser(tenant, Role.COORDINATOR).get(url(tenant, "quality:review", pk=work_order.pk)).content.decode()
    # then every task is there with its evidence
    for title in ("Photograph the checkout area", "Mount the terminal", "Measure the cable run", "Tidy up"):
        assert title in page
    photo = VisitPhoto.objects.filter(visit__work_order=work_order).first()
    assert url(tenant, "visits:visit-photo-thumbnail", pk=photo.pk) in page
    assert 'data-testid="duplicate-serial"' in page
    assert "Out of range" in page and "range 0.5–30 m" in page
    assert "Dana Store-Manager" in page and "On site" in page


def test_reject_from_the_page_then_next_work_order(tenant, world):
    # given two submitted work orders and a catalogue
    first = submitted_work_order(world)
    second = submitted_work_order(world)
    code = defect_code(world)
    photo = VisitPhoto.objects.filter(visit__work_order=first).first()
    client = browser(tenant, Role.COORDINATOR)
    # when the first is rejected with one defect row filled (the others left empty)
    response = client.post(
        url(tenant, "quality:review", pk=first.pk),
        {
            "decision": "reject",
            "then": "next",
            "defect_code": [str(code.pk), "", ""],
            "defect_severity": ["critical", "", ""],
            "defect_root_cause": ["materials", "other", "other"],
            "defect_task": ["survey", "", ""],
            "defect_photo": [str(photo.pk), "", ""],
            "defect_comment": ["Wrong bracket", "", ""],
        },
    )
    # then it goes to rework and the page moves on to the next work order
    assert response.status_code == 302 and response["Location"] == url(tenant, "quality:review", pk=second.pk)
    assert WorkOrder.objects.get(pk=first.pk).status == "rework"
    [defect] = QaReview.objects.get(work_order=first).defects.all()
    assert (defect.severity, defect.root_cause, defect.photo_id, defect.comment) == (
        "critical",
        "materials",
        photo.pk,
        "Wrong bracket",
    )
    # and a rejection without a defect is refused with the reason shown
    refused = client.post(url(tenant, "quality:review", pk=second.pk), {"decision": "reject"}, follow=True)
    assert "at least one defect" in refused.content.decode()
    assert WorkOrder.objects.get(pk=second.pk).status == "submitted"


def test_quality_home_drill_down_and_the_home_tile_show_computed_drft(
    tenant, world, django_capture_on_commit_callbacks
):
    # given one closed DRFT work order, one closed after a rejection, and one waiting for review
    with django_capture_on_commit_callbacks(execute=True):
        good = submitted_work_order(world)
        accept(world, good)
        close(world, good)
        bad = submitted_work_order(world)
        reject(world, bad)
    from tests.quality.support import return_visit, work_visit

    second = return_visit(world, WorkOrder.objects.get(pk=bad.pk))
    with django_capture_on_commit_callbacks(execute=True):
        work_visit(world, second)
        accept(world, WorkOrder.objects.get(pk=bad.pk))
        close(world, WorkOrder.objects.get(pk=bad.pk))
    waiting = ready_work_order(world, status="submitted")
    WorkOrder.objects.filter(pk=waiting.pk).update(submitted_at=timezone.now())
    client = browser(tenant, Role.PM)
    # when the pages are read
    home = client.get(url(tenant, "quality:home")).content.decode()
    tile = client.get(url(tenant, "core:org-home")).content.decode()
    drill = client.get(url(tenant, "quality:drill") + f"?program={world.program.pk}").content.decode()
    leaf = client.get(
        url(tenant, "quality:drill")
        + f"?program={world.program.pk}&wave=&region={bad.site.state}&vendor=&technician={world.technician.pk}"
    ).content.decode()
    # then
    assert 'data-testid="drft-total">50.0 %' in home and "1 of 2 closed" in home
    assert 'data-testid="queue-size">1<' in home
    assert "QA rejected" in home and "Technician error" in home
    assert 'data-testid="drft-tile">50.0 %' in tile and "Soon" not in tile.split("Quality")[0][-300:]
    assert f'href="{url(tenant, "quality:home")}"' in tile
    assert "By wave" in drill and "50.0 %" in drill
    assert f"Program {world.program.code}</li>" in drill  # the crumb names the program, not its id
    assert good.number in leaf and bad.number in leaf and "QA rejected" in leaf


def test_queue_query_budget_does_not_grow_with_rows(tenant, world, django_assert_max_num_queries):
    client = browser(tenant, Role.COORDINATOR)

    def add(count):
        for _ in range(count):
            work_order = ready_work_order(world, status="submitted")
            WorkOrder.objects.filter(pk=work_order.pk).update(submitted_at=timezone.now())

    add(2)
    with django_assert_max_num_queries(40) as small:
        client.get(url(tenant, "quality:queue"))
        client.get(url(tenant, "quality:home"))
    add(15)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        page = client.get(url(tenant, "quality:queue")).content.decode()
        client.get(url(tenant, "quality:home"))
    # then the queue lists every row with the same few queries (the first read also loaded the session)
    assert page.count("Review<span") == 17
    assert len(large.captured_queries) <= len(small.captured_queries)
