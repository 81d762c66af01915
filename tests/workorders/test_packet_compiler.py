"""The packet compiler: conditions, every kind of variation, quantities, and the checksum."""

from decimal import Decimal

import pytest

from programs.choices import EvidenceKind, VariationKind
from sites.models import Site
from tests.sites.factories import SiteContactFactory
from tests.workorders.builders.packets import approved_variation, build_plan, compile_plan, pending_variation
from workorders.packets.compiler import snapshot_checksum

BASE_TASKS = ["survey", "mount", "upstairs", "test"]


def keys(snapshot) -> list[str]:
    return [task["key"] for task in snapshot.content["tasks"]]


@pytest.fixture
def plan(tenant):
    return build_plan(tenant)


def test_conditions_decide_which_tasks_and_materials_apply(plan):
    # given a two-floor mall store without a loading dock

    # when
    snapshot = compile_plan(plan)

    # then street-front and loading-dock work drop out; the upper-floor cable stays
    content = snapshot.content
    assert keys(snapshot) == BASE_TASKS
    assert [task["number"] for task in content["tasks"]] == [1, 2, 3, 4]
    assert [line["key"] for line in content["materials"]] == ["terminal", "riser"]
    assert all(line["source"] == "sow" for line in [*content["tasks"], *content["materials"]])
    assert content["summary"] == {
        "task_count": 4,
        "estimated_minutes": 80,
        "material_lines": 2,
        "evidence": {"photo": 1, "serial": 1, "measurement": 1, "signature": 1},
        "skills": [],
        "site_specific": 0,
    }


def test_condition_flips_with_the_site_attributes(plan):
    # given the store turns out to be a one-floor street store
    Site.objects.filter(pk=plan.site.pk).update(attributes={"store_format": "street", "floors": 1})

    # when
    snapshot = compile_plan(plan)

    # then
    assert keys(snapshot) == ["survey", "mount", "street-sign", "test"]
    assert [line["key"] for line in snapshot.content["materials"]] == ["terminal", "sign"]


ADD = VariationKind.ADD_TASK
SKIP = VariationKind.SKIP_TASK
MODIFY = VariationKind.MODIFY_TASK
EXTRA = VariationKind.EXTRA_MATERIAL
NOTE = VariationKind.ACCESS_NOTE

CASES = [
    # (case, kind, variation fields, expected task keys, expected material keys or None, not applied)
    ("add after a task", ADD, {"task_key": "ups", "title": "Fit UPS", "after_task_key": "mount"},
     ["survey", "mount", "ups", "upstairs", "test"], None, False),
    ("add at the end", ADD, {"task_key": "ups", "title": "Fit UPS"}, [*BASE_TASKS, "ups"], None, False),
    ("add after a task that does not apply here", ADD,
     {"task_key": "ups", "title": "Fit UPS", "after_task_key": "street-sign"},
     ["survey", "mount", "ups", "upstairs", "test"], None, False),
    ("skip a task", SKIP, {"task_key": "upstairs"}, ["survey", "mount", "test"], None, False),
    ("skip a task whose condition is false", SKIP, {"task_key": "street-sign"}, BASE_TASKS, None, True),
    ("change a task", MODIFY, {"task_key": "mount", "title": "Mount on the wall", "instructions": "Use anchors."},
     BASE_TASKS, None, False),
    ("change a task the SOW no longer has", MODIFY, {"task_key": "gone", "instructions": "x"}, BASE_TASKS, None, True),
    ("extra material", EXTRA, {"part_number": "SCO-T1", "quantity": Decimal("1"), "unit": "ea"},
     BASE_TASKS, ["terminal", "riser", "extra-{id}"], False),
    ("access note", NOTE, {"note": "Use the rear door after 9 pm."}, BASE_TASKS, None, False),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "fields", "expected_tasks", "expected_materials", "refused"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_kind_of_variation(plan, kind, fields, expected_tasks, expected_materials, refused):
    # given one approved variation of the site
    variation = approved_variation(plan.program, plan.site, kind, reason="Because this store differs.", **fields)

    # when
    snapshot = compile_plan(plan)

    # then
    content = snapshot.content
    assert keys(snapshot) == expected_tasks
    if expected_materials is not None:
        assert [line["key"] for line in content["materials"]] == [
            key.format(id=variation.pk) for key in expected_materials
        ]
    if refused:
        assert content["variations_applied"] == []
        assert [item["id"] for item in content["variations_not_applied"]] == [variation.pk]
        assert all(task["source"] == "sow" for task in content["tasks"])
    else:
        assert content["variations_applied"] == [variation.pk]
        assert content["variations_not_applied"] == []
        assert content["summary"]["site_specific"] >= (0 if kind == SKIP else 1)


def test_added_task_carries_its_source_note_and_evidence(plan):
    # given
    variation = approved_variation(
        plan.program,
        plan.site,
        ADD,
        task_key="ups",
        title="Fit UPS",
        after_task_key="mount",
        instructions="Plug the **UPS** in.",
        estimated_minutes=15,
        evidence_kind=EvidenceKind.PHOTO,
        photo_min_count=3,
        reason="Frequent power cuts at this store.",
    )

    # when
    task = compile_plan(plan).content["tasks"][2]

    # then
    assert task == {
        "key": "ups",
        "number": 3,
        "title": "Fit UPS",
        "instructions": "Plug the **UPS** in.",
        "required_skill": "",
        "estimated_minutes": 15,
        "evidence": {"kind": "photo", "photo_min_count": 3},
        "source": f"variation:{variation.pk}",
        "site_note": "Frequent power cuts at this store.",
        "modified": [],
    }


def test_changed_task_keeps_its_place_and_says_what_changed(plan):
    # given a change of instructions and minutes (blank title: the SOW's title stays)
    variation = approved_variation(
        plan.program, plan.site, MODIFY, task_key="mount", instructions="Wall mount.", estimated_minutes=45
    )

    # when
    task = compile_plan(plan).content["tasks"][1]

    # then
    assert task["key"] == "mount"
    assert task["title"] == "Mount the terminal"
    assert task["instructions"] == "Wall mount."
    assert task["estimated_minutes"] == 45
    assert task["modified"] == ["estimated_minutes", "instructions"]
    assert task["source"] == f"variation:{variation.pk}"
    assert task["evidence"] == {"kind": "serial", "serial_pattern": r"^SCO\d{6}$"}


def test_skipped_task_is_listed_with_its_reason(plan):
    # given
    variation = approved_variation(plan.program, plan.site, SKIP, task_key="upstairs", reason="Cable already run.")

    # when
    content = compile_plan(plan).content

    # then
    assert content["skipped_tasks"] == [
        {
            "key": "upstairs",
            "title": "Run cable to the upper floor",
            "variation_id": variation.pk,
            "reason": "Cable already run.",
        }
    ]


def test_material_quantities_are_exact_and_totalled_per_part(plan):
    # given two extra terminals on top of the SOW's two
    approved_variation(plan.program, plan.site, EXTRA, part_number="SCO-T1", quantity=Decimal("2.50"), unit="ea")

    # when
    content = compile_plan(plan).content

    # then
    assert [line["quantity"] for line in content["materials"]] == ["2", "15.5", "2.5"]
    assert content["material_totals"] == [
        {"part_number": "SCO-T1", "description": "Mounting bracket", "unit": "ea", "quantity": "4.5", "lines": 2},
        {"part_number": "CAB-RISER", "description": "Mounting bracket", "unit": "ea", "quantity": "15.5", "lines": 1},
    ]


def test_measurement_bounds_are_exact_text(plan):
    # when
    upstairs = compile_plan(plan).content["tasks"][2]

    # then
    assert upstairs["evidence"] == {
        "kind": "measurement",
        "measurement_unit": "m",
        "measurement_min": "0.5",
        "measurement_max": "30",
    }


def test_pending_and_rejected_variations_never_shape_the_packet(plan):
    # given
    pending_variation(plan.program, plan.site)

    # when
    content = compile_plan(plan).content

    # then
    assert content["access_notes"] == []
    assert content["variations_applied"] == []


def test_cover_data(plan):
    # when
    content = compile_plan(plan).content

    # then
    site = content["site"]
    assert site["code"] == "HF-0042"
    assert site["timezone"] == "America/Chicago"
    assert site["access_hours"] == {"mon": ["06:00-22:00"], "sat": ["08:00-20:00"]}
    assert site["access_hours_rows"][0] == {"day": "Monday", "windows": ["06:00-22:00"]}
    assert site["blackout_dates"] == ["2026-12-25"]
    assert site["address"][-2:] == ["Chicago, IL 60601", "US"]
    assert content["contacts"][0]["name"] == "Dana Store-Manager"
    assert content["contacts"][0]["is_primary"] is True
    assert content["program"]["code"] == "sco-2026"
    assert content["sow"] == {"id": plan.sow.pk, "version": 1}
    assert content["work_order_number"] == "WO-000001"


# --- Checksum -------------------------------------------------------------------------------------------


def test_same_inputs_give_the_same_checksum(plan):
    # given
    approved_variation(plan.program, plan.site, NOTE, note="Rear door.")
    approved_variation(plan.program, plan.site, ADD, task_key="ups", title="Fit UPS", after_task_key="mount")

    # when compiled twice from separate reads
    first, second = compile_plan(plan), compile_plan(plan)

    # then
    assert first.checksum == second.checksum
    assert len(first.checksum) == 64
    assert snapshot_checksum(first.to_json()) == first.checksum  # the stored form verifies itself


CHANGES = [
    ("site attribute", lambda plan: Site.objects.filter(pk=plan.site.pk).update(attributes={"floors": 1})),
    ("access hours", lambda plan: Site.objects.filter(pk=plan.site.pk).update(access_hours={"mon": ["07:00-09:00"]})),
    ("contact", lambda plan: SiteContactFactory(site=plan.site, name="Night manager")),
    ("variation", lambda plan: approved_variation(plan.program, plan.site, NOTE, note="Call first.")),
]


@pytest.mark.parametrize("change", [case[1] for case in CHANGES], ids=[case[0] for case in CHANGES])
def test_any_change_of_content_changes_the_checksum(plan, change):
    # given
    before = compile_plan(plan).checksum

    # when
    change(plan)

    # then
    assert compile_plan(plan).checksum != before


def test_work_order_number_is_part_of_the_content(plan):
    assert (
        compile_plan(plan, work_order_number="WO-1").checksum != compile_plan(plan, work_order_number="WO-2").checksum
    )
