"""The admin cannot change an approved SOW or its lines; it checks conditions like the services do."""

import pytest
from django.test import Client as BrowserClient

from programs.models import SowTask
from rollout.models import User


@pytest.fixture
def admin_browser(db) -> BrowserClient:
    superuser = User.objects.create_superuser(email="root@example.com", password="x-long-password-1")
    browser = BrowserClient()
    browser.force_login(superuser)
    return browser


def test_an_approved_sow_is_read_only_in_the_admin(admin_browser, approved):
    # given an approved SOW with lines
    task = approved.tasks.first()
    # when the admin opens and posts its change pages
    sow_page = admin_browser.get(f"/admin/programs/sow/{approved.pk}/change/")
    sow_post = admin_browser.post(f"/admin/programs/sow/{approved.pk}/change/", {"notes": "changed"})
    task_page = admin_browser.get(f"/admin/programs/sowtask/{task.pk}/change/")
    task_post = admin_browser.post(f"/admin/programs/sowtask/{task.pk}/change/", {"title": "changed"})
    delete_sow = admin_browser.post(f"/admin/programs/sow/{approved.pk}/delete/", {"post": "yes"})
    delete_task = admin_browser.post(f"/admin/programs/sowtask/{task.pk}/delete/", {"post": "yes"})
    bulk = admin_browser.post(
        "/admin/programs/sow/", {"action": "delete_selected", "_selected_action": [approved.pk], "post": "yes"}
    )
    # then the pages are view-only and every write is refused
    assert sow_page.status_code == 200
    assert 'name="_save"' not in sow_page.content.decode()
    assert task_page.status_code == 200
    assert 'name="_save"' not in task_page.content.decode()
    assert (sow_post.status_code, task_post.status_code) == (403, 403)
    assert (delete_sow.status_code, delete_task.status_code, bulk.status_code) == (403, 403, 403)
    approved.refresh_from_db()
    task.refresh_from_db()
    assert approved.notes == ""
    assert task.title != "changed"


def test_adding_a_line_to_an_approved_sow_in_the_admin_is_refused(admin_browser, approved):
    # given an approved SOW
    # when a task is added to it from the task admin
    response = admin_browser.post(
        "/admin/programs/sowtask/add/",
        {
            "organization": approved.organization_id,
            "sow": approved.pk,
            "key": "sneaky",
            "position": 9,
            "title": "Sneaky",
            "estimated_minutes": 1,
            "evidence_kind": "none",
        },
    )
    # then the form refuses it
    assert response.status_code == 200
    assert "approved and can no longer be changed" in response.content.decode()
    assert not SowTask.objects.filter(key="sneaky").exists()


def test_a_draft_is_editable_in_the_admin_but_conditions_must_parse(admin_browser, draft):
    # given a draft's task
    task = draft.tasks.get(key="mount")
    values = {
        "organization": draft.organization_id,
        "sow": draft.pk,
        "key": task.key,
        "position": task.position,
        "title": "Mount it",
        "estimated_minutes": 10,
        "evidence_kind": "none",
    }
    # when a bad condition, then a good one, is saved
    bad = admin_browser.post(f"/admin/programs/sowtask/{task.pk}/change/", {**values, "condition": "a = "})
    good = admin_browser.post(f"/admin/programs/sowtask/{task.pk}/change/", {**values, "condition": "a = 1"})
    # then
    assert bad.status_code == 200
    assert "Expected a value after “=”" in bad.content.decode()
    assert good.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.condition) == ("Mount it", "a = 1")


def test_site_planning_admin_pages_open_and_decided_variations_are_read_only(admin_browser, program):
    # given an enrollment, an attribute, and an approved variation
    from tests.programs.factories import EnrollmentFactory, ProgramAttributeFactory, SiteVariationFactory

    enrollment = EnrollmentFactory(program=program)
    ProgramAttributeFactory(program=program)
    variation = SiteVariationFactory(enrollment=enrollment, status="approved")
    # when the admin lists them and opens the decided variation
    lists = [
        admin_browser.get(f"/admin/programs/{name}/") for name in ("enrollment", "programattribute", "sitevariation")
    ]
    page = admin_browser.get(f"/admin/programs/sitevariation/{variation.pk}/change/")
    post = admin_browser.post(f"/admin/programs/sitevariation/{variation.pk}/delete/", {"post": "yes"})
    # then the lists open and the decided variation cannot be changed or deleted
    assert [response.status_code for response in lists] == [200, 200, 200]
    assert 'name="_save"' not in page.content.decode()
    assert post.status_code == 403
