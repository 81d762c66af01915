"""Site variation rules: kinds and their fields, task keys against the latest SOW, pending-only edits,
planner-only audited decisions, and the approved-only selector for packets."""

from decimal import Decimal

import pytest

from programs import selectors, variations
from programs.errors import NotAllowed, VariationDecided
from programs.models import SiteVariation
from rollout.choices import Role
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from tests.programs.builders import access_of
from tests.programs.factories import (
    EnrollmentFactory,
    ProgramFactory,
    SiteVariationFactory,
    SowFactory,
    SowTaskFactory,
    approved_sow,
)
from tests.sites.factories import SiteFactory


@pytest.fixture
def enrolled(program, draft):
    """A site enrolled in the program, whose latest SOW (the draft v1) has tasks `mount` and `test`."""
    return EnrollmentFactory(program=program).site


def create(tenant, actor, program, site, kind, reason="Mall rules", **fields):
    return variations.site_variation_create(
        organization=tenant.organization,
        actor=actor,
        program_id=program.pk,
        site_id=site.pk,
        kind=kind,
        reason=reason,
        **fields,
    )


def test_each_kind_keeps_its_own_fields(tenant, pm, program, enrolled):
    # given a site enrolled in a program with a SOW
    # when one variation of each kind is captured, with stray fields of other kinds
    added = create(
        tenant, pm, program, enrolled, "add_task", title="Install bollard", after_task_key="mount",
        evidence_kind="photo", part_number="X-1", note="stray",
    )  # fmt: skip
    skipped = create(tenant, pm, program, enrolled, "skip_task", task_key="test", title="stray")
    modified = create(
        tenant, pm, program, enrolled, "modify_task", task_key="mount", instructions="Use the **long** bracket.",
        estimated_minutes=45,
    )  # fmt: skip
    material = create(tenant, pm, program, enrolled, "extra_material", part_number="BR-9", quantity="3")
    note = create(tenant, pm, program, enrolled, "access_note", note="Badge at the mall office first.")
    # then each is pending, with its own fields only and the SOW task rules applied to an added task
    added.refresh_from_db()
    assert (added.task_key, added.after_task_key, added.evidence_kind, added.photo_min_count) == (
        "install-bollard",
        "mount",
        "photo",
        1,
    )
    assert (added.part_number, added.note, added.estimated_minutes) == ("", "", 0)
    assert (skipped.task_key, skipped.title) == ("test", "")
    assert (modified.instructions, modified.estimated_minutes) == ("Use the **long** bracket.", 45)
    material.refresh_from_db()
    assert (material.part_number, material.quantity, material.unit) == ("BR-9", Decimal("3.00"), "ea")
    assert note.status == "pending"
    assert AuditEvent.objects.filter(verb="site_variation.created").count() == 5
    assert material.summary == "3 ea × BR-9"


@pytest.mark.parametrize(
    ("kind", "fields", "field", "code"),
    [
        ("skip_task", {"task_key": "nope"}, "task_key", "unknown_task"),
        ("skip_task", {}, "task_key", "required"),
        ("modify_task", {"task_key": "mount"}, "instructions", "required"),
        ("add_task", {}, "title", "required"),
        ("add_task", {"title": "X", "after_task_key": "nope"}, "after_task_key", "unknown_task"),
        ("add_task", {"title": "X", "task_key": "mount"}, "task_key", "duplicate_key"),
        ("add_task", {"title": "X", "evidence_kind": "serial", "serial_pattern": "(["}, "serial_pattern",
         "invalid_pattern"),
        ("extra_material", {"part_number": ""}, "part_number", "required"),
        ("extra_material", {"part_number": "P", "quantity": "0"}, "quantity", "invalid_quantity"),
        ("access_note", {"note": "  "}, "note", "required"),
        ("teleport", {}, "kind", "invalid_choice"),
    ],
)  # fmt: skip
def test_bad_variations_are_refused_by_field(tenant, pm, program, enrolled, kind, fields, field, code):
    # when / then
    with pytest.raises(ApplicationError) as caught:
        create(tenant, pm, program, enrolled, kind, **fields)
    assert (caught.value.field, caught.value.code) == (field, code)
    assert not SiteVariation.objects.exists()


def test_a_reason_is_required(tenant, pm, program, enrolled):
    with pytest.raises(ApplicationError) as caught:
        create(tenant, pm, program, enrolled, "access_note", reason=" ", note="n")
    assert (caught.value.field, caught.value.code) == ("reason", "required")


def test_task_keys_are_checked_against_the_latest_version(tenant, pm, program, enrolled, draft):
    # given v1 approved, and a v2 draft that adds a task `survey`
    draft.status = "approved"
    draft.save()
    v2 = SowFactory(program=program, version=2, based_on=draft)
    SowTaskFactory(sow=v2, key="survey")
    # when variations name a task of v2 and a task only in v1
    ok = create(tenant, pm, program, enrolled, "skip_task", task_key="survey")
    with pytest.raises(ApplicationError) as caught:
        create(tenant, pm, program, enrolled, "skip_task", task_key="mount")
    # then
    assert ok.task_key == "survey"
    assert caught.value.code == "unknown_task"


def test_a_program_without_sow_refuses_task_variations(tenant, pm):
    program = ProgramFactory(organization=tenant.organization, client=tenant.client)
    site = EnrollmentFactory(program=program).site
    with pytest.raises(ApplicationError) as caught:
        create(tenant, pm, program, site, "skip_task", task_key="mount")
    assert caught.value.code == "no_sow"
    assert create(tenant, pm, program, site, "access_note", note="Gate code 1234").pk


def test_one_live_skip_or_change_per_task_and_site(tenant, pm, program, enrolled):
    # given a pending change of `mount`
    first = create(tenant, pm, program, enrolled, "modify_task", task_key="mount", instructions="x")
    # when a skip of `mount` is captured, and after rejecting the first
    with pytest.raises(ApplicationError) as caught:
        create(tenant, pm, program, enrolled, "skip_task", task_key="mount")
    variations.site_variation_reject(organization=tenant.organization, actor=pm, variation_id=first.pk, note="no")
    second = create(tenant, pm, program, enrolled, "skip_task", task_key="mount")
    # then
    assert caught.value.code == "duplicate_variation"
    assert second.status == "pending"


def test_the_site_must_be_enrolled(tenant, other_tenant, pm, program, draft):
    # given a site of the client that is not enrolled, and another organization's site
    outside = SiteFactory(organization=tenant.organization, client=tenant.client)
    foreign = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    for site in (outside, foreign):
        # when / then the same refusal for both
        with pytest.raises(ApplicationError) as caught:
            create(tenant, pm, program, site, "access_note", note="n")
        assert (caught.value.field, caught.value.code) == ("site", "not_enrolled")


def test_only_pending_variations_change(tenant, pm, program, enrolled):
    # given a pending variation that is then approved
    variation = create(tenant, pm, program, enrolled, "access_note", note="Gate code 1234")
    updated = variations.site_variation_update(
        organization=tenant.organization, actor=pm, variation_id=variation.pk, note="Gate code 4321"
    )
    variations.site_variation_approve(organization=tenant.organization, actor=pm, variation_id=variation.pk)
    # when it is changed, deleted or decided again
    attempts = [
        lambda: variations.site_variation_update(
            organization=tenant.organization, actor=pm, variation_id=variation.pk, note="x"
        ),
        lambda: variations.site_variation_delete(organization=tenant.organization, actor=pm, variation_id=variation.pk),
        lambda: variations.site_variation_reject(
            organization=tenant.organization, actor=pm, variation_id=variation.pk, note="late"
        ),
    ]
    # then every attempt is refused and it keeps its approved note
    for attempt in attempts:
        with pytest.raises(VariationDecided):
            attempt()
    variation.refresh_from_db()
    assert (updated.note, variation.note, variation.status) == ("Gate code 4321", "Gate code 4321", "approved")
    assert AuditEvent.objects.filter(verb="site_variation.updated", target_id=str(variation.pk)).count() == 1


def test_a_pending_variation_can_be_withdrawn(tenant, pm, program, enrolled):
    variation = create(tenant, pm, program, enrolled, "access_note", note="n")
    variations.site_variation_delete(organization=tenant.organization, actor=pm, variation_id=variation.pk)
    assert not SiteVariation.objects.exists()
    assert AuditEvent.objects.filter(verb="site_variation.deleted").exists()


def test_approve_and_reject_are_audited_with_who_and_when(tenant, pm, program, enrolled):
    # given two pending variations
    one = create(tenant, pm, program, enrolled, "access_note", note="n1")
    two = create(tenant, pm, program, enrolled, "access_note", note="n2")
    admin = access_of(tenant, Role.ADMIN)
    # when the admin approves one and rejects the other
    approved = variations.site_variation_approve(
        organization=tenant.organization, actor=admin, variation_id=one.pk, note="fine"
    )
    rejected = variations.site_variation_reject(
        organization=tenant.organization, actor=admin, variation_id=two.pk, note="Not needed: the SOW covers it."
    )
    # then
    assert (approved.status, approved.decided_by, approved.decision_note) == ("approved", admin.user, "fine")
    assert approved.decided_at is not None
    assert (rejected.status, rejected.decided_by_label) == ("rejected", admin.user.email)
    events = AuditEvent.objects.filter(verb__in=["site_variation.approved", "site_variation.rejected"]).order_by("id")
    assert [(e.verb, e.before, e.after["status"], e.actor_user) for e in events] == [
        ("site_variation.approved", {"status": "pending"}, "approved", admin.user),
        ("site_variation.rejected", {"status": "pending"}, "rejected", admin.user),
    ]


def test_a_rejection_needs_a_note(tenant, pm, program, enrolled):
    variation = create(tenant, pm, program, enrolled, "access_note", note="n")
    with pytest.raises(ApplicationError) as caught:
        variations.site_variation_reject(organization=tenant.organization, actor=pm, variation_id=variation.pk, note="")
    assert (caught.value.field, caught.value.code) == ("note", "required")


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.INTEGRATOR, Role.CLIENT, Role.TECHNICIAN])
def test_only_planners_decide(tenant, pm, program, enrolled, role):
    # given a pending variation
    variation = create(tenant, pm, program, enrolled, "access_note", note="n")
    # when another role approves it
    with pytest.raises(NotAllowed):
        variations.site_variation_approve(
            organization=tenant.organization, actor=access_of(tenant, role), variation_id=variation.pk
        )
    # then it stays pending
    variation.refresh_from_db()
    assert variation.status == "pending"


def test_approval_checks_the_task_against_todays_sow(tenant, pm, program, enrolled, draft):
    # given a pending skip of `test`, after which v2 drops that task
    variation = create(tenant, pm, program, enrolled, "skip_task", task_key="test")
    draft.status = "approved"
    draft.save()
    v2 = SowFactory(program=program, version=2, based_on=draft)
    SowTaskFactory(sow=v2, key="mount")
    # when it is approved
    with pytest.raises(ApplicationError) as caught:
        variations.site_variation_approve(organization=tenant.organization, actor=pm, variation_id=variation.pk)
    # then
    assert caught.value.code == "unknown_task"


def test_another_organizations_variation_is_not_found(tenant, other_tenant, pm):
    foreign = SiteVariationFactory(
        enrollment=EnrollmentFactory(program=ProgramFactory(organization=other_tenant.organization))
    )
    for call in (variations.site_variation_approve, variations.site_variation_delete):
        with pytest.raises(NotFound):
            call(organization=tenant.organization, actor=pm, variation_id=foreign.pk)


def test_only_approved_variations_shape_the_packet_in_a_stable_order(tenant, pm, program, enrolled):
    # given approved, pending and rejected variations of a site, and an approved one of another site
    other = EnrollmentFactory(program=program).site
    first = create(tenant, pm, program, enrolled, "access_note", note="first")
    create(tenant, pm, program, enrolled, "access_note", note="pending")
    rejected = create(tenant, pm, program, enrolled, "access_note", note="rejected")
    second = create(tenant, pm, program, enrolled, "extra_material", part_number="P-2")
    elsewhere = create(tenant, pm, program, other, "access_note", note="elsewhere")
    for variation in (second, first, elsewhere):
        variations.site_variation_approve(organization=tenant.organization, actor=pm, variation_id=variation.pk)
    variations.site_variation_reject(organization=tenant.organization, actor=pm, variation_id=rejected.pk, note="x")
    # when the packet's variations are read
    found = selectors.site_variations_for_packet(
        organization=tenant.organization, program_id=program.pk, site_id=enrolled.pk
    )
    # then only the site's approved ones, in the order they were captured
    assert [v.pk for v in found] == [first.pk, second.pk]


def test_approved_sow_task_keys_work_as_well(tenant, pm):
    # given a program whose latest SOW is approved
    program = ProgramFactory(organization=tenant.organization, client=tenant.client)
    sow = approved_sow(program)
    site = EnrollmentFactory(program=program).site
    key = sow.tasks.first().key
    # when / then
    assert create(tenant, pm, program, site, "skip_task", task_key=key).task_key == key
