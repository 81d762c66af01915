"""Services of the programs app: programs and their status table, waves, SOW versions, lines, diff."""

from datetime import date
from decimal import Decimal

import pytest

from programs import selectors, services, sows
from programs.choices import PROGRAM_TRANSITIONS, EvidenceKind, ProgramStatus, SowStatus
from programs.conditions import ConditionError
from programs.errors import DraftExists, ProgramClosed, SowApproved
from programs.models import Program, Sow, SowMaterial, SowTask
from rollout.choices import Role
from rollout.errors import ApplicationError, Conflict, InvalidTransition, NotFound
from rollout.models import AuditEvent
from tests.programs.factories import ProgramFactory, SowFactory, SowTaskFactory, WaveFactory

ALL_MOVES = [(a, b) for a in ProgramStatus.values for b in ProgramStatus.values]
ALLOWED = [(a, b) for a, b in ALL_MOVES if b in PROGRAM_TRANSITIONS[a]]
REFUSED = [(a, b) for a, b in ALL_MOVES if b not in PROGRAM_TRANSITIONS[a]]


def verbs(organization, target) -> list[str]:
    return list(
        AuditEvent.objects.for_organization(organization)
        .filter(target_type=target._meta.label_lower, target_id=str(target.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- Programs ---------------------------------------------------------------------------------------


def test_program_create_records_an_audited_program_in_planning(tenant, pm):
    # given a PM of the organization
    # when they create a program with a responsible PM
    program = services.program_create(
        organization=tenant.organization,
        actor=pm,
        client=tenant.client,
        code="sco-2026",
        name="Self-checkout 2026",
        start_date=date(2026, 1, 1),
        end_date=date(2026, 6, 30),
        responsible_pm=tenant.members[Role.PM].user,
        checkin_grace_minutes=45,
    )
    # then it starts in planning with the policy defaults, and the creation is audited
    program.refresh_from_db()
    assert program.status == ProgramStatus.PLANNING
    assert program.target_drft_percent == Decimal("99.70")
    assert (program.checkin_grace_minutes, program.warranty_window_days) == (45, 30)
    assert (program.geofence_radius_m, program.geofence_enforced) == (300, False)
    event = AuditEvent.objects.get(verb="program.created", target_id=str(program.pk))
    assert event.after["code"] == "sco-2026"
    assert event.actor_user == pm.user


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"code": "taken"}, "code", "duplicate_code"),
        ({"end_date": date(2025, 12, 31)}, "end_date", "invalid_dates"),
        ({"target_drft_percent": Decimal("101")}, "target_drft_percent", "invalid_percent"),
    ],
)
def test_program_create_refuses_bad_values_by_field(tenant, pm, changes, field, code):
    # given an existing program with code "taken"
    ProgramFactory(organization=tenant.organization, client=tenant.client, code="taken")
    values = {"code": "new", "name": "New", "start_date": date(2026, 1, 1), "end_date": date(2026, 2, 1)}
    # when a program is created with a bad value
    with pytest.raises(ApplicationError) as caught:
        services.program_create(
            organization=tenant.organization, actor=pm, client=tenant.client, **{**values, **changes}
        )
    # then the error names the field
    assert (caught.value.field, caught.value.code) == (field, code)


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.TECHNICIAN, Role.CLIENT, Role.INTEGRATOR])
def test_responsible_pm_must_be_a_pm_or_admin_of_the_organization(tenant, pm, role):
    # given a member who is not a planner
    user = tenant.members[role].user
    # when they are named responsible PM
    with pytest.raises(ApplicationError) as caught:
        services.program_create(
            organization=tenant.organization,
            actor=pm,
            client=tenant.client,
            code="x",
            name="X",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 2, 1),
            responsible_pm=user,
        )
    # then
    assert (caught.value.field, caught.value.code) == ("responsible_pm", "not_a_planner")


def test_responsible_pm_of_another_organization_is_refused(tenant, other_tenant, program, pm):
    # given a PM of another organization
    stranger = other_tenant.members[Role.PM].user
    # when
    with pytest.raises(ApplicationError) as caught:
        services.program_update(
            organization=tenant.organization, actor=pm, program_id=program.pk, responsible_pm=stranger
        )
    # then
    assert caught.value.code == "not_a_planner"


def test_program_create_for_another_organizations_client_is_not_found(tenant, other_tenant, pm):
    # given another organization's client
    # when / then
    with pytest.raises(NotFound):
        services.program_create(
            organization=tenant.organization,
            actor=pm,
            client=other_tenant.client,
            code="x",
            name="X",
            start_date=date(2026, 1, 1),
            end_date=date(2026, 2, 1),
        )


def test_program_update_audits_before_and_after(tenant, pm, program):
    # given a program
    # when its name and grace change
    services.program_update(
        organization=tenant.organization, actor=pm, program_id=program.pk, name="Renamed", checkin_grace_minutes=10
    )
    # then
    event = AuditEvent.objects.get(verb="program.updated", target_id=str(program.pk))
    assert event.after == {"checkin_grace_minutes": 10, "name": "Renamed"}
    assert event.before["checkin_grace_minutes"] == 30


def test_program_client_cannot_change(tenant, pm, program):
    # given another client of the same organization
    from tests.factories import ClientFactory

    other_client = ClientFactory(organization=tenant.organization)
    # when / then
    with pytest.raises(ApplicationError) as caught:
        services.program_update(organization=tenant.organization, actor=pm, program_id=program.pk, client=other_client)
    assert caught.value.code == "client_immutable"


def test_program_dates_cannot_shrink_past_a_wave(tenant, pm, program):
    # given a wave in March
    WaveFactory(program=program, name="Wave 1", start_date=date(2026, 3, 1), end_date=date(2026, 3, 31))
    # when the program is made to end in February
    with pytest.raises(ApplicationError) as caught:
        services.program_update(
            organization=tenant.organization, actor=pm, program_id=program.pk, end_date=date(2026, 2, 28)
        )
    # then
    assert (caught.value.field, caught.value.code) == ("end_date", "waves_outside_dates")
    assert "Wave 1" in caught.value.message


@pytest.mark.parametrize(("from_status", "to_status"), ALLOWED)
def test_program_transition_allows_every_move_in_the_table(tenant, pm, from_status, to_status):
    # given a program in `from_status`
    program = ProgramFactory(organization=tenant.organization, client=tenant.client, status=from_status)
    # when it moves to `to_status`
    services.program_transition(
        organization=tenant.organization, actor=pm, program_id=program.pk, to_status=to_status, reason="go"
    )
    # then the move is made and audited with from/to
    program.refresh_from_db()
    assert program.status == to_status
    event = AuditEvent.objects.get(verb="program.transitioned", target_id=str(program.pk))
    assert (event.before, event.after, event.reason) == ({"status": from_status}, {"status": to_status}, "go")


@pytest.mark.parametrize(("from_status", "to_status"), REFUSED)
def test_program_transition_refuses_every_move_not_in_the_table(tenant, pm, from_status, to_status):
    # given a program in `from_status`
    program = ProgramFactory(organization=tenant.organization, client=tenant.client, status=from_status)
    # when it is asked to move to `to_status`
    with pytest.raises(InvalidTransition) as caught:
        services.program_transition(
            organization=tenant.organization, actor=pm, program_id=program.pk, to_status=to_status
        )
    # then the message names both states, and nothing changed
    message = caught.value.message
    assert f"from {ProgramStatus(from_status).label} to {ProgramStatus(to_status).label}" in message
    assert caught.value.code == "invalid_transition"
    program.refresh_from_db()
    assert program.status == from_status
    assert not AuditEvent.objects.filter(verb="program.transitioned").exists()


def test_the_status_table_is_the_documented_lifecycle():
    # given / when / then: closed is final and every status can be reached from planning
    assert PROGRAM_TRANSITIONS[ProgramStatus.CLOSED] == frozenset()
    reachable, frontier = {ProgramStatus.PLANNING}, [ProgramStatus.PLANNING]
    while frontier:
        for nxt in PROGRAM_TRANSITIONS[frontier.pop()]:
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(ProgramStatus.values)


def test_program_of_another_organization_is_not_found(tenant, pm, foreign):
    # given another organization's program
    # when / then
    with pytest.raises(NotFound):
        services.program_transition(
            organization=tenant.organization, actor=pm, program_id=foreign["program"].pk, to_status="pilot"
        )
    with pytest.raises(NotFound):
        services.program_update(organization=tenant.organization, actor=pm, program_id=foreign["program"].pk, name="x")


def test_program_delete_only_in_planning_without_approved_sow(tenant, pm, program, approved):
    # given a program with an approved SOW
    # when / then
    with pytest.raises(Conflict) as caught:
        services.program_delete(organization=tenant.organization, actor=pm, program_id=program.pk)
    assert caught.value.code == "program_in_use"
    # and a fresh program with only a draft and a wave can go
    fresh = ProgramFactory(organization=tenant.organization, client=tenant.client)
    SowTaskFactory(sow=SowFactory(program=fresh))
    WaveFactory(program=fresh)
    services.program_delete(organization=tenant.organization, actor=pm, program_id=fresh.pk)
    assert not Program.objects.filter(pk=fresh.pk).exists()
    assert "program.deleted" in verbs(tenant.organization, fresh)


# --- Waves ------------------------------------------------------------------------------------------


def test_wave_create_appends_in_order_and_audits(tenant, pm, program):
    # given a program with one wave
    WaveFactory(program=program, name="Pilot", order=1)
    # when another is added without an order
    wave = services.wave_create(
        organization=tenant.organization,
        actor=pm,
        program_id=program.pk,
        name="Wave 1",
        start_date=date(2026, 4, 1),
        end_date=date(2026, 5, 31),
    )
    # then it goes last and is audited
    assert wave.order == 2
    assert verbs(tenant.organization, wave) == ["wave.created"]


@pytest.mark.parametrize(
    ("start", "end", "name", "field", "code"),
    [
        (date(2025, 12, 1), date(2026, 1, 31), "W", "start_date", "outside_program_dates"),
        (date(2026, 12, 1), date(2027, 1, 31), "W", "end_date", "outside_program_dates"),
        (date(2026, 3, 1), date(2026, 2, 1), "W", "end_date", "invalid_dates"),
        (date(2026, 3, 1), date(2026, 4, 1), "pilot", "name", "duplicate_name"),
    ],
)
def test_wave_create_refuses_bad_values_by_field(tenant, pm, program, start, end, name, field, code):
    # given a program (2026) with a wave "Pilot"
    WaveFactory(program=program, name="Pilot")
    # when
    with pytest.raises(ApplicationError) as caught:
        services.wave_create(
            organization=tenant.organization, actor=pm, program_id=program.pk, name=name, start_date=start, end_date=end
        )
    # then
    assert (caught.value.field, caught.value.code) == (field, code)


def test_wave_update_and_delete(tenant, pm, program):
    # given a wave
    wave = WaveFactory(program=program, name="Pilot")
    # when it is renamed, then deleted
    services.wave_update(organization=tenant.organization, actor=pm, wave_id=wave.pk, name="Pilot A")
    wave.refresh_from_db()
    assert wave.name == "Pilot A"
    services.wave_delete(organization=tenant.organization, actor=pm, wave_id=wave.pk)
    # then both are audited
    assert verbs(tenant.organization, wave) == ["wave.updated", "wave.deleted"]


def test_a_closed_programs_plan_cannot_change(tenant, pm):
    # given a closed program with a wave
    program = ProgramFactory(organization=tenant.organization, client=tenant.client, status=ProgramStatus.CLOSED)
    wave = WaveFactory(program=program)
    # when / then
    with pytest.raises(ProgramClosed):
        services.wave_update(organization=tenant.organization, actor=pm, wave_id=wave.pk, name="x")
    with pytest.raises(ProgramClosed):
        sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=program.pk)


# --- SOW versions -----------------------------------------------------------------------------------


def test_first_draft_is_an_empty_version_one(tenant, pm, program):
    # given a program without SOW
    # when a draft is started
    sow = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=program.pk, notes="v1")
    # then
    assert (sow.version, sow.status, sow.based_on) == (1, SowStatus.DRAFT, None)
    assert not sow.tasks.exists()
    assert verbs(tenant.organization, sow) == ["sow.draft_created"]


def test_one_draft_at_a_time(tenant, pm, draft):
    # given a program with a draft
    # when another draft is asked for
    with pytest.raises(DraftExists) as caught:
        sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=draft.program_id)
    # then
    assert caught.value.code == "draft_exists"
    assert "v1" in caught.value.message


def test_next_version_starts_as_a_copy_of_the_latest(tenant, pm, draft):
    # given an approved v1 with a conditional, photo-evidence task
    sows.sow_task_update(
        organization=tenant.organization,
        actor=pm,
        task_id=draft.tasks.get(key="mount").pk,
        evidence_kind=EvidenceKind.PHOTO,
        photo_min_count=3,
        condition='store_format = "mall"',
    )
    sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    # when v2 is started
    v2 = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=draft.program_id)
    # then it copies every line, with the same keys and values
    assert (v2.version, v2.based_on_id, v2.status) == (2, draft.pk, SowStatus.DRAFT)
    copied = {t.key: t for t in v2.tasks.all()}
    assert list(copied) == ["mount", "test"]
    assert (copied["mount"].photo_min_count, copied["mount"].condition) == (3, 'store_format = "mall"')
    assert list(v2.materials.values_list("key", "part_number")) == [("bracket", "BR-1")]
    assert selectors.sow_diff(draft, v2).is_empty


def test_approve_records_who_and_when_and_freezes(tenant, pm, draft):
    # given a draft with tasks
    # when the PM approves it
    sow = sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    # then
    sow.refresh_from_db()
    assert sow.status == SowStatus.APPROVED
    assert sow.approved_by == pm.user
    assert sow.approved_by_label == pm.user.email
    assert sow.approved_at is not None
    event = AuditEvent.objects.get(verb="sow.approved", target_id=str(sow.pk))
    assert event.after == {"status": "approved", "version": 1, "tasks": 2, "materials": 1}
    # and approving again is refused
    with pytest.raises(SowApproved):
        sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)


def test_an_empty_sow_cannot_be_approved(tenant, pm, program):
    # given an empty draft
    sow = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=program.pk)
    # when / then
    with pytest.raises(Conflict) as caught:
        sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=sow.pk)
    assert caught.value.code == "sow_empty"


def test_draft_can_be_discarded(tenant, pm, draft):
    # given a draft
    # when
    sows.sow_delete(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    # then
    assert not Sow.objects.filter(pk=draft.pk).exists()
    assert not SowTask.objects.filter(sow_id=draft.pk).exists()


def _writes(sow):
    task = sow.tasks.first()
    material = sow.materials.first()
    return {
        "sow_update": lambda o, a: sows.sow_update(organization=o, actor=a, sow_id=sow.pk, notes="x"),
        "sow_delete": lambda o, a: sows.sow_delete(organization=o, actor=a, sow_id=sow.pk),
        "sow_approve": lambda o, a: sows.sow_approve(organization=o, actor=a, sow_id=sow.pk),
        "sow_task_add": lambda o, a: sows.sow_task_add(organization=o, actor=a, sow_id=sow.pk, title="x"),
        "sow_task_update": lambda o, a: sows.sow_task_update(organization=o, actor=a, task_id=task.pk, title="x"),
        "sow_task_delete": lambda o, a: sows.sow_task_delete(organization=o, actor=a, task_id=task.pk),
        "sow_task_move": lambda o, a: sows.sow_task_move(organization=o, actor=a, task_id=task.pk, offset=1),
        "sow_task_reorder": lambda o, a: sows.sow_task_reorder(
            organization=o, actor=a, sow_id=sow.pk, task_ids=list(reversed(sow.tasks.values_list("pk", flat=True)))
        ),
        "sow_material_add": lambda o, a: sows.sow_material_add(organization=o, actor=a, sow_id=sow.pk, part_number="x"),
        "sow_material_update": lambda o, a: sows.sow_material_update(
            organization=o, actor=a, material_id=material.pk, quantity=Decimal("5")
        ),
        "sow_material_delete": lambda o, a: sows.sow_material_delete(organization=o, actor=a, material_id=material.pk),
    }


WRITES = [
    "sow_update",
    "sow_delete",
    "sow_approve",
    "sow_task_add",
    "sow_task_update",
    "sow_task_delete",
    "sow_task_move",
    "sow_task_reorder",
    "sow_material_add",
    "sow_material_update",
    "sow_material_delete",
]


@pytest.mark.parametrize("write", WRITES)
def test_every_service_refuses_to_change_an_approved_sow(tenant, pm, approved, write):
    # given an approved SOW and a snapshot of its lines
    before = selectors.sow_diff(approved, approved)
    lines = (list(approved.tasks.values()), list(approved.materials.values()))
    # when any write is attempted
    with pytest.raises(SowApproved) as caught:
        _writes(approved)[write](tenant.organization, pm)
    # then it is refused with the stable code, and nothing changed
    assert caught.value.code == "sow_approved"
    assert before.is_empty
    assert (list(approved.tasks.values()), list(approved.materials.values())) == lines


@pytest.mark.parametrize("write", WRITES)
def test_another_organizations_sow_is_not_found(tenant, pm, foreign, write):
    # given another organization's draft
    # when / then every write reads it as missing
    with pytest.raises(NotFound):
        _writes(foreign["draft"])[write](tenant.organization, pm)


def test_the_models_refuse_to_change_an_approved_sow(approved):
    # given an approved SOW
    task, material = approved.tasks.first(), approved.materials.first()
    # when / then saving or deleting it, or any of its lines, directly is refused
    approved.notes = "sneaky"
    for action in (approved.save, approved.delete, task.save, task.delete, material.save, material.delete):
        with pytest.raises(SowApproved):
            action()
    with pytest.raises(SowApproved):
        SowTaskFactory(sow=approved)


# --- Tasks and materials ----------------------------------------------------------------------------


def test_task_key_defaults_to_a_unique_slug_of_the_title(tenant, pm, draft):
    # given a draft
    # when two tasks with the same title are added
    first = sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, title="Label ports")
    second = sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, title="Label ports")
    # then
    assert (first.key, second.key) == ("label-ports", "label-ports-2")
    assert (first.position, second.position) == (3, 4)
    assert verbs(tenant.organization, first) == ["sow_task.added"]


@pytest.mark.parametrize(
    ("key", "code"), [("mount", "duplicate_key"), ("has space", "invalid_key"), ("é", "invalid_key")]
)
def test_task_key_must_be_a_new_slug(tenant, pm, draft, key, code):
    # given a draft with a task "mount"
    # when / then
    with pytest.raises(ApplicationError) as caught:
        sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, title="x", key=key)
    assert (caught.value.field, caught.value.code) == ("key", code)


def test_task_key_is_stable(tenant, pm, draft):
    # given a task
    task = draft.tasks.get(key="mount")
    # when / then
    with pytest.raises(ApplicationError) as caught:
        sows.sow_task_update(organization=tenant.organization, actor=pm, task_id=task.pk, key="other")
    assert caught.value.code == "key_immutable"


def test_task_inserted_at_a_position_shifts_the_others(tenant, pm, draft):
    # given tasks mount(1), test(2)
    # when a task is inserted first
    sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, title="Survey", position=1)
    # then
    assert list(draft.tasks.order_by("position").values_list("key", "position")) == [
        ("survey", 1),
        ("mount", 2),
        ("test", 3),
    ]


def test_task_delete_closes_ranks_and_reorder_sets_the_order(tenant, pm, draft):
    # given three tasks
    extra = sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, title="Clean up")
    mount = draft.tasks.get(key="mount")
    # when the first is deleted
    sows.sow_task_delete(organization=tenant.organization, actor=pm, task_id=mount.pk)
    # then the others close ranks
    assert list(draft.tasks.order_by("position").values_list("key", "position")) == [("test", 1), ("clean-up", 2)]
    # and when they are reordered
    test = draft.tasks.get(key="test")
    sows.sow_task_reorder(organization=tenant.organization, actor=pm, sow_id=draft.pk, task_ids=[extra.pk, test.pk])
    assert list(draft.tasks.order_by("position").values_list("key", flat=True)) == ["clean-up", "test"]
    assert verbs(tenant.organization, draft)[-1] == "sow.tasks_reordered"


@pytest.mark.parametrize("ids", ["missing-one", "duplicate", "foreign"])
def test_reorder_must_name_every_task_once(tenant, pm, draft, foreign, ids):
    # given a draft with two tasks
    mount, test = draft.tasks.get(key="mount"), draft.tasks.get(key="test")
    task_ids = {
        "missing-one": [mount.pk],
        "duplicate": [mount.pk, mount.pk],
        "foreign": [mount.pk, foreign["task"].pk],
    }[ids]
    # when / then
    with pytest.raises(ApplicationError) as caught:
        sows.sow_task_reorder(organization=tenant.organization, actor=pm, sow_id=draft.pk, task_ids=task_ids)
    assert (caught.value.field, caught.value.code) == ("task_ids", "invalid_order")
    assert test.position == 2


def test_task_move_goes_up_and_down(tenant, pm, draft):
    # given mount(1), test(2)
    test = draft.tasks.get(key="test")
    # when test moves up
    sows.sow_task_move(organization=tenant.organization, actor=pm, task_id=test.pk, offset=-1)
    # then
    assert list(draft.tasks.order_by("position").values_list("key", flat=True)) == ["test", "mount"]


def test_evidence_parameters_follow_the_kind(tenant, pm, draft):
    # given a photo task
    task = sows.sow_task_add(
        organization=tenant.organization, actor=pm, sow_id=draft.pk, title="Photo", evidence_kind=EvidenceKind.PHOTO
    )
    assert task.photo_min_count == 1  # a photo task asks for at least one photo by default
    # when it becomes a measurement task
    task = sows.sow_task_update(
        organization=tenant.organization,
        actor=pm,
        task_id=task.pk,
        evidence_kind=EvidenceKind.MEASUREMENT,
        measurement_unit="dBm",
        measurement_min=Decimal("-70"),
        measurement_max=Decimal("-30"),
        serial_pattern="ignored",
    )
    # then the photo and serial parameters are cleared
    task.refresh_from_db()
    assert (task.photo_min_count, task.serial_pattern) == (None, "")
    assert (task.measurement_unit, task.measurement_min, task.measurement_max) == (
        "dBm",
        Decimal("-70"),
        Decimal("-30"),
    )


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [
        ({"evidence_kind": "serial", "serial_pattern": "[A-Z"}, "serial_pattern", "invalid_pattern"),
        ({"evidence_kind": "photo", "photo_min_count": 0}, "photo_min_count", "invalid_count"),
        ({"evidence_kind": "measurement"}, "measurement_unit", "required"),
        (
            {"evidence_kind": "measurement", "measurement_unit": "V", "measurement_min": 5, "measurement_max": 1},
            "measurement_max",
            "invalid_range",
        ),
        ({"evidence_kind": "video"}, "evidence_kind", "invalid_choice"),
        ({"title": "  "}, "title", "required"),
    ],
)
def test_task_values_are_checked_by_field(tenant, pm, draft, values, field, code):
    # given a draft
    values = {"title": "Task", **values}
    # when / then
    with pytest.raises(ApplicationError) as caught:
        sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, **values)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_serial_pattern_error_says_where(tenant, pm, draft):
    # given / when
    with pytest.raises(ApplicationError) as caught:
        sows.sow_task_add(
            organization=tenant.organization,
            actor=pm,
            sow_id=draft.pk,
            title="Serial",
            evidence_kind="serial",
            serial_pattern="^SN(",
        )
    # then
    assert "missing ), unterminated subpattern (at position 4)" in caught.value.message


def test_a_bad_condition_is_refused_when_the_line_is_saved(tenant, pm, draft):
    # given a draft task
    task = draft.tasks.get(key="mount")
    # when a condition that does not parse is saved
    with pytest.raises(ConditionError) as caught:
        sows.sow_task_update(
            organization=tenant.organization, actor=pm, task_id=task.pk, condition="ceiling_height_m >"
        )
    # then it names the field, the code and the column, and nothing is saved
    assert (caught.value.field, caught.value.code, caught.value.column) == ("condition", "invalid_condition", 19)
    task.refresh_from_db()
    assert task.condition == ""
    with pytest.raises(ConditionError):
        sows.sow_material_add(
            organization=tenant.organization, actor=pm, sow_id=draft.pk, part_number="X", condition="a = = 1"
        )


def test_a_good_condition_is_stored_trimmed(tenant, pm, draft):
    # given / when
    material = sows.sow_material_add(
        organization=tenant.organization,
        actor=pm,
        sow_id=draft.pk,
        part_number="CAB-6",
        quantity=Decimal("2"),
        condition="  floors >= 2  ",
    )
    # then
    assert material.condition == "floors >= 2"
    assert material.key == "cab-6"


@pytest.mark.parametrize(
    ("values", "field", "code"),
    [({"quantity": Decimal("0")}, "quantity", "invalid_quantity"), ({"unit": ""}, "unit", "required")],
)
def test_material_values_are_checked(tenant, pm, draft, values, field, code):
    # given / when / then
    with pytest.raises(ApplicationError) as caught:
        sows.sow_material_add(organization=tenant.organization, actor=pm, sow_id=draft.pk, part_number="X", **values)
    assert (caught.value.field, caught.value.code) == (field, code)


def test_material_update_and_delete_are_audited(tenant, pm, draft):
    # given a material line
    material = draft.materials.get(key="bracket")
    # when
    sows.sow_material_update(organization=tenant.organization, actor=pm, material_id=material.pk, quantity=3)
    sows.sow_material_delete(organization=tenant.organization, actor=pm, material_id=material.pk)
    # then
    assert verbs(tenant.organization, material) == ["sow_material.updated", "sow_material.deleted"]
    event = AuditEvent.objects.get(verb="sow_material.updated")
    assert (event.before, event.after) == ({"quantity": "1.00"}, {"quantity": "3.00"})
    assert not SowMaterial.objects.filter(pk=material.pk).exists()


# --- Diff -------------------------------------------------------------------------------------------


def test_diff_lists_lines_added_removed_and_changed_by_key(tenant, pm, draft):
    # given v1 approved and v2 edited from its copy
    o = tenant.organization
    sows.sow_task_add(organization=o, actor=pm, sow_id=draft.pk, title="Clean up")
    sows.sow_approve(organization=o, actor=pm, sow_id=draft.pk)
    v2 = sows.sow_create_draft(organization=o, actor=pm, program_id=draft.program_id)
    mount, test = v2.tasks.get(key="mount"), v2.tasks.get(key="test")
    sows.sow_task_update(organization=o, actor=pm, task_id=mount.pk, title="Mount the terminal", estimated_minutes=45)
    sows.sow_task_delete(organization=o, actor=pm, task_id=test.pk)
    sows.sow_task_add(organization=o, actor=pm, sow_id=v2.pk, title="Survey", position=1)
    sows.sow_task_move(organization=o, actor=pm, task_id=v2.tasks.get(key="clean-up").pk, offset=-5)
    sows.sow_material_update(organization=o, actor=pm, material_id=v2.materials.get().pk, quantity=2)
    sows.sow_material_add(organization=o, actor=pm, sow_id=v2.pk, part_number="CAB-6", condition="floors > 1")
    # when they are diffed
    diff = selectors.sow_diff(draft, v2)
    # then
    assert [line.key for line in diff.tasks.added] == ["survey"]
    assert [line.key for line in diff.tasks.removed] == ["test"]
    changed = {line.key: {c.field: (c.before, c.after) for c in line.changes} for line in diff.tasks.changed}
    assert changed["mount"] == {"title": ("Mount terminal", "Mount the terminal"), "estimated_minutes": (30, 45)}
    assert changed["clean-up"] == {"position": (3, 1)}
    assert [line.key for line in diff.materials.added] == ["cab-6"]
    assert diff.materials.removed == ()
    assert [(c.field, c.before, c.after) for c in diff.materials.changed[0].changes] == [("quantity", "1", "2")]
    # and the reverse diff mirrors it
    reverse = selectors.sow_diff(v2, draft)
    assert [line.key for line in reverse.tasks.removed] == ["survey"]
    assert [line.key for line in reverse.tasks.added] == ["test"]


def test_inserting_a_task_does_not_mark_the_others_as_moved(tenant, pm, draft):
    # given v1 approved and v2 with one task inserted at the top
    sows.sow_approve(organization=tenant.organization, actor=pm, sow_id=draft.pk)
    v2 = sows.sow_create_draft(organization=tenant.organization, actor=pm, program_id=draft.program_id)
    sows.sow_task_add(organization=tenant.organization, actor=pm, sow_id=v2.pk, title="Survey", position=1)
    # when
    diff = selectors.sow_diff(draft, v2)
    # then only the insertion shows
    assert [line.key for line in diff.tasks.added] == ["survey"]
    assert diff.tasks.changed == ()


def test_diff_across_organizations_is_not_found(draft, foreign):
    # given / when / then
    with pytest.raises(NotFound):
        selectors.sow_diff(draft, foreign["sow"])
