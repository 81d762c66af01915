"""The demo programs: seed_demo grows a realistic plan, through the services, and a second run changes nothing."""

import time

import pytest
from django.core.management import call_command
from django.db.models import Count

from programs.choices import ProgramStatus, SowStatus, VariationKind, VariationStatus
from programs.demo import seed as demo
from programs.models import Enrollment, Program, ProgramAttribute, SiteVariation, Sow, SowMaterial, SowTask, Wave
from programs.selectors import sow_diff
from quality.demo import history
from rollout.models import AuditEvent
from sites.models import Site

pytestmark = pytest.mark.django_db

MODELS = [Program, Wave, Sow, SowTask, SowMaterial, ProgramAttribute, Enrollment, SiteVariation, Site, AuditEvent]


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_seed_demo_twice_gives_the_same_rows_in_reasonable_time():
    # given a first run of the whole demo (core, sites, programs, technicians)
    started = time.monotonic()
    call_command("seed_demo", stdout=None)
    first_run = time.monotonic() - started
    first = counts()
    # when it runs again
    call_command("seed_demo", stdout=None)
    # then nothing was added, not even an audit event, and the first run stayed well within budget
    assert counts() == first
    # the two programs of this demo, and the quality demo's past program (scale-2026) with its stores
    assert first["Program"] == 3
    assert first["Enrollment"] == 1220 + demo.PHARMACY_PILOT_SIZE + sum(count for *_, count in history.CREWS)
    assert first_run < 60, f"seed_demo took {first_run:.1f} s"


def test_the_self_checkout_program_is_planned_end_to_end():
    # given the seeded demo
    call_command("seed_demo", stdout=None)
    program = Program.objects.get(code=demo.SCO_CODE)
    # then it is Harbor Foods' active program with Priya as PM and a 99.7 % DRFT target
    assert (program.client.code, program.status) == ("harbor", ProgramStatus.ACTIVE)
    assert program.responsible_pm.email == demo.PM_EMAIL
    assert str(program.target_drft_percent) == "99.70"
    # and every one of the 1,220 stores is in a wave: 10 in the pilot, 400 in Wave 1, 810 in Wave 2
    per_wave = dict(
        Enrollment.objects.filter(program=program).values_list("wave__name").annotate(n=Count("id")).order_by()
    )
    assert per_wave == {"Pilot": 10, "Wave 1": 400, "Wave 2": 810}
    assert Site.objects.filter(client=program.client).count() == 1220
    # and the waves lie inside the program's dates, in order
    waves = list(Wave.objects.filter(program=program).order_by("order"))
    assert [wave.name for wave in waves] == ["Pilot", "Wave 1", "Wave 2"]
    assert program.start_date <= waves[0].start_date and waves[-1].end_date <= program.end_date
    # and the attribute schema is declared, with the choice and the required ones
    schema = {attribute.name: attribute for attribute in ProgramAttribute.objects.filter(program=program)}
    assert set(schema) == {"store_format", "ceiling_height_m", "floors", "has_backroom_closet", "is_franchise"}
    assert schema["store_format"].allowed_values == ["supercenter", "neighborhood", "mall", "express"]
    assert schema["store_format"].required and schema["ceiling_height_m"].required


def test_the_sow_has_two_approved_versions_with_a_meaningful_diff():
    # given the seeded demo
    call_command("seed_demo", stdout=None)
    v1, v2 = Sow.objects.filter(program__code=demo.SCO_CODE).order_by("version")
    # then both versions are approved, v2 based on v1
    assert (v1.status, v2.status) == (SowStatus.APPROVED, SowStatus.APPROVED)
    assert v2.based_on_id == v1.pk
    # and v1 has twelve tasks, with the conditional ones and every kind of evidence
    tasks = {task.key: task for task in SowTask.objects.filter(sow=v1)}
    assert len(tasks) == 12
    assert tasks["lift-assisted-mount"].condition == "ceiling_height_m > 4.5"
    assert tasks["mall-access-permit"].condition == 'store_format = "mall"'
    assert tasks["install-network-cabinet"].condition == "not has_backroom_closet"
    assert tasks["power-data-check"].measurement_unit == "V"
    assert (tasks["power-data-check"].measurement_min, tasks["power-data-check"].measurement_max) == (110, 125)
    assert tasks["unbox-stage"].serial_pattern == "^SCO-[0-9]{6}$"
    assert tasks["manager-signoff"].evidence_kind == "signature"
    conditions = dict(SowMaterial.objects.filter(sow=v1).values_list("key", "condition"))
    assert conditions["kiosk-extra"] == "checkout_lanes >= 15"
    assert conditions["wall-bracket"] == "floors >= 2"
    # and the diff says: one task changed, one added, one material's quantity changed
    diff = sow_diff(v1, v2)
    assert [line.key for line in diff.tasks.added] == ["accessibility-check"]
    assert [line.key for line in diff.tasks.changed] == ["test-transactions"]
    assert not diff.tasks.removed and not diff.materials.added and not diff.materials.removed
    [material] = diff.materials.changed
    assert (material.key, [(c.field, c.before, c.after) for c in material.changes]) == (
        "cat6",
        [("quantity", "1", "2")],
    )


def test_variations_cover_every_kind_and_decision():
    # given the seeded demo
    call_command("seed_demo", stdout=None)
    variations = SiteVariation.objects.filter(program__code=demo.SCO_CODE)
    # then about fifteen, of every kind, approved, pending and rejected, each on an enrolled site
    assert variations.count() == 15
    assert set(variations.values_list("kind", flat=True)) == set(VariationKind.values)
    by_status = dict(variations.values_list("status").annotate(n=Count("id")).order_by())
    assert by_status == {VariationStatus.APPROVED: 8, VariationStatus.PENDING: 5, VariationStatus.REJECTED: 2}
    assert all(v.decision_note for v in variations.filter(status=VariationStatus.REJECTED))
    enrolled = set(Enrollment.objects.filter(program__code=demo.SCO_CODE).values_list("site_id", flat=True))
    assert set(variations.values_list("site_id", flat=True)) <= enrolled


def test_pinecrest_has_a_program_in_planning_with_a_draft_sow():
    # given the seeded demo
    call_command("seed_demo", stdout=None)
    program = Program.objects.get(code=demo.PHARMACY_CODE)
    # then it is Pinecrest's, in planning, with a draft v1 and a few pilot stores
    assert (program.client.code, program.status) == ("pinecrest", ProgramStatus.PLANNING)
    assert list(Sow.objects.filter(program=program).values_list("version", "status")) == [(1, SowStatus.DRAFT)]
    assert Enrollment.objects.filter(program=program, wave__name="Pilot").count() == demo.PHARMACY_PILOT_SIZE
