"""Program pages: role matrix, cross-organization 404s, the SOW editor's flows, safe Markdown, query budgets."""

import re
from datetime import date

import pytest

from programs.choices import ProgramStatus, SowStatus
from programs.models import Program, Sow, SowTask
from rollout.choices import Role
from tests.programs.builders import browser, url
from tests.programs.factories import ProgramFactory, SowMaterialFactory, SowTaskFactory, WaveFactory, approved_sow

READERS = [Role.ADMIN, Role.PM, Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT]
PLANNERS = [Role.ADMIN, Role.PM]
NOT_PLANNERS = [Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, Role.TECHNICIAN]


def read_pages(program, sow, wave):
    task, material = sow.tasks.first(), sow.materials.first()
    return {
        "programs:programs": {},
        "programs:program-detail": {"pk": program.pk},
        "programs:sow-detail": {"pk": sow.pk},
        "programs:sow-diff": {"pk": sow.pk},
        "_write": {
            "programs:program-create": {},
            "programs:program-edit": {"pk": program.pk},
            "programs:wave-create": {"pk": program.pk},
            "programs:wave-edit": {"wave": wave.pk},
            "programs:wave-delete": {"wave": wave.pk},
            "programs:sow-create": {"pk": program.pk},
            "programs:sow-approve": {"pk": sow.pk},
            "programs:sow-delete": {"pk": sow.pk},
            "programs:sow-task-create": {"pk": sow.pk},
            "programs:sow-task-edit": {"line": task.pk},
            "programs:sow-task-delete": {"line": task.pk},
            "programs:sow-material-create": {"pk": sow.pk},
            "programs:sow-material-edit": {"line": material.pk},
            "programs:sow-material-delete": {"line": material.pk},
        },
    }


@pytest.fixture
def plan(program, draft):
    return {"program": program, "sow": draft, "wave": WaveFactory(program=program, name="Pilot")}


READ_NAMES = ["programs:programs", "programs:program-detail", "programs:sow-detail", "programs:sow-diff"]
WRITE_NAMES = [
    "programs:program-create",
    "programs:program-edit",
    "programs:wave-create",
    "programs:wave-edit",
    "programs:wave-delete",
    "programs:sow-create",
    "programs:sow-approve",
    "programs:sow-delete",
    "programs:sow-task-create",
    "programs:sow-task-edit",
    "programs:sow-task-delete",
    "programs:sow-material-create",
    "programs:sow-material-edit",
    "programs:sow-material-delete",
]


def _kwargs(plan, name):
    pages = read_pages(plan["program"], plan["sow"], plan["wave"])
    return pages[name] if name in pages else pages["_write"][name]


@pytest.mark.parametrize("name", READ_NAMES)
@pytest.mark.parametrize("role", [*READERS, Role.TECHNICIAN, None])
def test_read_pages_role_matrix(tenant, plan, name, role):
    # given a program with a wave and a draft SOW
    # when a member with `role` opens the page
    response = browser(tenant, role).get(url(tenant, name, **_kwargs(plan, name)))
    # then readers see it, technicians are refused, anonymous visitors are sent to sign in
    expected = {None: 302, Role.TECHNICIAN: 403}.get(role, 200)
    assert response.status_code == expected, (role, name)


@pytest.mark.parametrize("name", WRITE_NAMES)
@pytest.mark.parametrize("role", [*PLANNERS, *NOT_PLANNERS])
def test_write_pages_role_matrix(tenant, plan, name, role):
    # given a program with a wave and a draft SOW
    # when a member with `role` opens the page
    response = browser(tenant, role).get(url(tenant, name, **_kwargs(plan, name)))
    # then only PMs and admins get it
    assert response.status_code == (200 if role in PLANNERS else 403), (role, name)


@pytest.mark.parametrize(
    "name", [n for n in READ_NAMES + WRITE_NAMES if n not in ("programs:programs", "programs:program-create")]
)
def test_another_organizations_objects_are_404(tenant, other_tenant, name):
    # given another organization's program, wave and draft SOW
    program = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    sow = approved_sow(program)
    sow = Sow.objects.create(organization=program.organization, program=program, version=2, based_on=sow)
    SowTaskFactory(sow=sow)
    SowMaterialFactory(sow=sow)
    foreign = {"program": program, "sow": sow, "wave": WaveFactory(program=program)}
    # when our admin opens it under our organization
    response = browser(tenant, Role.ADMIN).get(url(tenant, name, **_kwargs(foreign, name)))
    # then it does not exist
    assert response.status_code == 404


def test_a_client_viewer_sees_only_their_clients_programs(tenant, program):
    # given a program of another client of the same organization
    from tests.factories import ClientFactory

    other = ProgramFactory(
        organization=tenant.organization, client=ClientFactory(organization=tenant.organization), code="other-co"
    )
    viewer = browser(tenant, Role.CLIENT)
    # when the client viewer lists programs and opens the other one
    listing = viewer.get(url(tenant, "programs:programs"))
    detail = viewer.get(url(tenant, "programs:program-detail", pk=other.pk))
    # then only their own is listed, in the portal, and the other is a 404
    assert program.code in listing.content.decode()
    assert "other-co" not in listing.content.decode()
    assert "Client portal" in listing.content.decode()
    assert detail.status_code == 404


def test_program_list_filters_and_sorts(tenant, program):
    # given programs in several statuses
    ProgramFactory(organization=tenant.organization, client=tenant.client, code="zz-active", status="active")
    pm = browser(tenant, Role.PM)
    # when filtered by status and sorted by code descending
    active = pm.get(url(tenant, "programs:programs"), {"status": "active"}).content.decode()
    ordered = pm.get(url(tenant, "programs:programs"), {"sort": "-code"}).content.decode()
    # then
    assert "zz-active" in active
    assert "sco-2026" not in active
    assert ordered.index("zz-active") < ordered.index("sco-2026")


def test_program_list_query_budget(tenant, django_assert_max_num_queries):
    # given many programs with waves and SOW versions
    for n in range(30):
        program = ProgramFactory(organization=tenant.organization, client=tenant.client, code=f"p-{n:02d}")
        WaveFactory(program=program)
        approved_sow(program, tasks=1, materials=0)
    pm = browser(tenant, Role.PM)
    pm.get(url(tenant, "programs:programs"))  # warm the session
    # when the list is rendered
    with django_assert_max_num_queries(12):
        response = pm.get(url(tenant, "programs:programs"))
    # then
    assert response.status_code == 200
    assert "p-29" in response.content.decode()


def test_pm_creates_a_program_and_sees_field_errors(tenant):
    # given a PM on the new program form
    pm = browser(tenant, Role.PM)
    values = {
        "client": tenant.client.pk,
        "code": "kiosk-26",
        "name": "Kiosks",
        "start_date": "2026-03-01",
        "end_date": "2026-02-01",
        "target_drft_percent": "99.7",
        "checkin_grace_minutes": 30,
        "warranty_window_days": 30,
        "geofence_radius_m": 300,
    }
    # when the dates are backwards
    response = pm.post(url(tenant, "programs:program-create"), values)
    # then the error sits next to the end date
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == ["The end date must be on or after the start date."]
    # and when fixed, the program is created
    response = pm.post(url(tenant, "programs:program-create"), {**values, "end_date": "2026-09-30"})
    program = Program.objects.get(code="kiosk-26")
    assert response.status_code == 302
    assert response["Location"] == url(tenant, "programs:program-detail", pk=program.pk)


def test_transition_page_moves_the_status(tenant, program):
    # given a program in planning
    pm = browser(tenant, Role.PM)
    # when the PM confirms the move to pilot, then tries an illegal move
    page = pm.get(url(tenant, "programs:program-transition", pk=program.pk) + "?to=pilot")
    pm.post(url(tenant, "programs:program-transition", pk=program.pk), {"to_status": "pilot", "reason": "ready"})
    refused = pm.post(url(tenant, "programs:program-transition", pk=program.pk), {"to_status": "closed"}, follow=True)
    # then
    assert page.status_code == 200
    program.refresh_from_db()
    assert program.status == ProgramStatus.PILOT
    assert "cannot move from Pilot to Closed" in refused.content.decode()


def test_sow_editor_flow(tenant, program):
    # given a PM on a program without SOW
    pm = browser(tenant, Role.PM)
    pm.post(url(tenant, "programs:sow-create", pk=program.pk))
    sow = Sow.objects.get(program=program)
    # when they add a task with a condition that does not parse
    bad = pm.post(
        url(tenant, "programs:sow-task-create", pk=sow.pk),
        {"title": "Mount", "estimated_minutes": 20, "evidence_kind": "none", "condition": 'store_format = "mall" and'},
    )
    # then the error, with its column, is shown next to the condition field and nothing is saved
    assert bad.status_code == 200
    errors = bad.context["form"].errors["condition"]
    assert errors == ["Expected an attribute name, a value, “not” or “(”, found the end of the condition (column 26)."]
    assert 'id="id_condition_error"' in bad.content.decode()
    assert not sow.tasks.exists()
    # and when fixed, with a second task and a material
    pm.post(
        url(tenant, "programs:sow-task-create", pk=sow.pk),
        {"title": "Mount", "estimated_minutes": 20, "evidence_kind": "photo", "photo_min_count": 2},
    )
    pm.post(
        url(tenant, "programs:sow-task-create", pk=sow.pk),
        {"title": "Test", "estimated_minutes": 5, "evidence_kind": "none"},
    )
    pm.post(
        url(tenant, "programs:sow-material-create", pk=sow.pk), {"part_number": "BR-1", "quantity": "2", "unit": "ea"}
    )
    test = sow.tasks.get(key="test")
    pm.post(url(tenant, "programs:sow-task-move", line=test.pk), {"direction": "up"})
    # then the editor shows them in the new order
    assert list(sow.tasks.order_by("position").values_list("key", flat=True)) == ["test", "mount"]
    page = pm.get(url(tenant, "programs:sow-detail", pk=sow.pk)).content.decode()
    assert page.index("Test") < page.index("Mount")
    # and approving freezes it: the editor is gone and edits are refused
    pm.post(url(tenant, "programs:sow-approve", pk=sow.pk))
    sow.refresh_from_db()
    assert sow.status == SowStatus.APPROVED
    page = pm.get(url(tenant, "programs:sow-detail", pk=sow.pk)).content.decode()
    assert "Add task" not in page
    assert "This version is frozen" in page
    edit = pm.get(url(tenant, "programs:sow-task-edit", line=test.pk), follow=True)
    assert "approved and can no longer be changed" in edit.content.decode()
    post = pm.post(
        url(tenant, "programs:sow-task-edit", line=test.pk),
        {"title": "Changed", "estimated_minutes": 1, "evidence_kind": "none"},
    )
    assert post.status_code == 302
    test.refresh_from_db()
    assert test.title == "Test"


def test_diff_page_shows_changes_between_versions(tenant, pm, draft):
    # given v1 approved and v2 with a changed and an added task
    from programs import sows

    sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    v2 = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=draft.program_id)
    sows.sow_task_update(
        organization=tenant.organization, actor=pm, task_id=v2.tasks.get(key="mount").pk, estimated_minutes=50
    )
    sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=v2.pk, title="Survey the site")
    # when the diff page is opened
    response = browser(tenant, Role.CLIENT).get(url(tenant, "programs:sow-diff", pk=v2.pk), {"against": draft.pk})
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "Survey the site" in page
    assert "Estimated minutes" in page
    assert response.context["diff"].tasks.changed[0].key == "mount"


def test_instructions_markdown_is_rendered_safely(tenant, draft):
    # given a task whose instructions hold Markdown and hostile HTML
    SowTask.objects.filter(sow=draft, key="mount").update(
        instructions="**Torque** to 5 Nm\n\n<script>alert(1)</script>\n\n"
        '[link](javascript:alert(2)) <img src=x onerror="alert(3)">\n\n[manual](https://example.com/manual)'
    )
    # when the SOW is shown
    page = browser(tenant, Role.PM).get(url(tenant, "programs:sow-detail", pk=draft.pk)).content.decode()
    # then the Markdown is rendered and the hostile parts are gone
    assert "<strong>Torque</strong>" in page
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page
    assert "onerror" not in page
    assert 'href="https://example.com/manual" rel="noopener noreferrer nofollow"' in page


def test_wave_form_shows_service_errors_by_field(tenant, program):
    # given a program in 2026
    pm = browser(tenant, Role.PM)
    # when a wave is added that ends after the program
    response = pm.post(
        url(tenant, "programs:wave-create", pk=program.pk),
        {"name": "Late", "start_date": "2026-12-01", "end_date": "2027-01-31"},
    )
    # then
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == ["The wave cannot end after the program does (2026-12-31)."]
    ok = pm.post(
        url(tenant, "programs:wave-create", pk=program.pk),
        {"name": "Pilot", "start_date": "2026-02-01", "end_date": "2026-02-28"},
    )
    assert ok.status_code == 302
    assert program.waves.get().start_date == date(2026, 2, 1)


def test_diff_page_shows_changed_instructions_word_by_word_as_rendered(tenant, pm, draft):
    # given v2 whose task's Markdown instructions change two words and keep the rest
    from programs import sows

    SowTask.objects.filter(sow=draft, key="mount").update(
        instructions="Mount the **scanner** on the left.\n\n- Test scan"
    )
    sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    v2 = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=draft.program_id)
    sows.sow_task_update(
        organization=tenant.organization,
        actor=pm,
        task_id=v2.tasks.get(key="mount").pk,
        instructions="Mount the **new scanner** on the right.\n\n- Test scan",
    )
    # when the diff page is opened
    response = browser(tenant, Role.PM).get(url(tenant, "programs:sow-diff", pk=v2.pk), {"against": draft.pk})
    page = response.content.decode()
    # then only the changed words are marked, on the text as rendered (no Markdown asterisks), the rest kept
    assert re.search(r'<ins class="diff-word-added">\s?new\s?</ins>', page)
    assert '<del class="diff-word-removed">left</del><ins class="diff-word-added">right</ins>' in page
    assert "<span>.\n• Test scan</span>" in page
    assert "**" not in page.split('id="diff-tasks"')[1]


def test_word_diff_marks_single_words_and_keeps_the_rest():
    from rollout.text_diff import word_diff

    segments = [(s.kind, s.text) for s in word_diff("Torque to 5 Nm, then test.", "Torque to 6 Nm, then test twice.")]
    assert segments == [
        ("kept", "Torque to "),
        ("removed", "5"),
        ("added", "6"),
        ("kept", " Nm, then test"),
        ("added", " twice"),
        ("kept", "."),
    ]
    assert word_diff("", "") == []
