"""Enrollment services and selectors: bulk enroll, set wave and remove, with per-site outcomes, previews,
one audit event per action, refusals, idempotency and a query count that does not grow with the sites."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from programs import enrollments, selectors, services
from programs.errors import ProgramClosed
from programs.models import Enrollment
from rollout.errors import ApplicationError, NotFound
from rollout.models import AuditEvent
from sites import services as site_services
from sites.models import Site
from tests.factories import ClientFactory
from tests.programs.builders import access_of
from tests.programs.factories import EnrollmentFactory, ProgramFactory, SiteVariationFactory, WaveFactory
from tests.sites.factories import SiteFactory


def sites_of(tenant, count, client=None, **fields):
    return [
        SiteFactory(organization=tenant.organization, client=client or tenant.client, **fields) for _ in range(count)
    ]


def enroll(tenant, pm, program, site_ids, **kwargs):
    return enrollments.enrollment_bulk_create(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=site_ids, **kwargs
    )


def bulk_events(tenant, verb):
    return list(AuditEvent.objects.for_organization(tenant.organization).filter(verb=verb).order_by("id"))


def test_bulk_enroll_creates_refuses_and_audits_once(tenant, other_tenant, pm, program):
    # given sites of the program's client, one inactive, one of another client, one of another organization
    wave = WaveFactory(program=program, name="Pilot")
    ours = sites_of(tenant, 3)
    inactive = SiteFactory(organization=tenant.organization, client=tenant.client, status="inactive")
    other_client = SiteFactory(organization=tenant.organization, client=ClientFactory(organization=tenant.organization))
    foreign = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    ids = [s.pk for s in ours] + [inactive.pk, other_client.pk, foreign.pk, 999_999, ours[0].pk]
    # when they are enrolled in the pilot wave
    result = enroll(tenant, pm, program, ids, wave_id=wave.pk)
    # then each site has its outcome, in the given order (duplicates once), and one event records it all
    assert result.counts == {"created": 3, "updated": 0, "unchanged": 0, "removed": 0, "refused": 4}
    assert [(item.site_id, item.reason) for item in result.refused] == [
        (inactive.pk, "site_inactive"),
        (other_client.pk, "site_client_mismatch"),
        (foreign.pk, "not_found"),
        (999_999, "not_found"),
    ]
    assert set(Enrollment.objects.filter(program=program).values_list("site_id", "wave_id")) == {
        (s.pk, wave.pk) for s in ours
    }
    enrollment = Enrollment.objects.get(program=program, site=ours[0])
    assert (enrollment.enrolled_by, enrollment.enrolled_by_label) == (pm.user, pm.user.email)
    [event] = bulk_events(tenant, "enrollment.bulk_created")
    assert event.target_id == str(program.pk)
    assert event.after["counts"]["created"] == 3
    assert event.after["created"] == [s.pk for s in ours]
    assert event.after["refused"][str(foreign.pk)] == "not_found"
    assert event.after["wave"] == wave.pk


def test_re_enrolling_is_idempotent_and_a_new_wave_moves_sites(tenant, pm, program):
    # given three enrolled sites without a wave
    sites = sites_of(tenant, 3)
    ids = [s.pk for s in sites]
    enroll(tenant, pm, program, ids)
    wave = WaveFactory(program=program)
    # when the same sites are enrolled again, then again with a wave for two of them
    again = enroll(tenant, pm, program, ids)
    moved = enroll(tenant, pm, program, ids[:2], wave_id=wave.pk)
    # then nothing is duplicated; the second call only moves the two
    assert again.counts["unchanged"] == 3
    assert again.changed == 0
    assert moved.counts == {"created": 0, "updated": 2, "unchanged": 0, "removed": 0, "refused": 0}
    assert Enrollment.objects.filter(program=program).count() == 3
    assert Enrollment.objects.filter(program=program, wave=wave).count() == 2
    assert len(bulk_events(tenant, "enrollment.bulk_created")) == 2  # the first and the move; not the no-op


def test_preview_tells_the_outcomes_and_writes_nothing(tenant, pm, program):
    # given one enrolled site and two new ones
    sites = sites_of(tenant, 3)
    enroll(tenant, pm, program, [sites[0].pk])
    wave = WaveFactory(program=program)
    # when the enrollment of all three in a wave is previewed
    preview = enroll(tenant, pm, program, [s.pk for s in sites], wave_id=wave.pk, preview=True)
    # then it says 2 created and 1 moved, and nothing changed
    assert preview.preview is True
    assert (preview.counts["created"], preview.counts["updated"]) == (2, 1)
    assert Enrollment.objects.filter(program=program).count() == 1
    assert len(bulk_events(tenant, "enrollment.bulk_created")) == 1


def test_a_wave_of_another_program_or_organization_is_refused(tenant, other_tenant, pm, program):
    # given a wave of another program of ours, and a wave of another organization
    site = sites_of(tenant, 1)[0]
    other_program = ProgramFactory(organization=tenant.organization, client=tenant.client)
    their_wave = WaveFactory(program=other_program)
    foreign_wave = WaveFactory(program=ProgramFactory(organization=other_tenant.organization))
    for wave in (their_wave, foreign_wave):
        # when sites are enrolled into it
        with pytest.raises(ApplicationError) as caught:
            enroll(tenant, pm, program, [site.pk], wave_id=wave.pk)
        # then the whole action is refused, naming the field, and nothing is enrolled
        assert (caught.value.code, caught.value.field) == ("wave_not_in_program", "wave")
    assert not Enrollment.objects.exists()


def test_another_organizations_program_is_not_found(tenant, other_tenant, pm):
    # given another organization's program
    program = ProgramFactory(organization=other_tenant.organization, client=other_tenant.client)
    site = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    # when / then
    with pytest.raises(NotFound):
        enroll(tenant, pm, program, [site.pk])


def test_a_closed_program_refuses_enrollment_changes(tenant, pm, program):
    # given a closed program
    program.status = "closed"
    program.save()
    site = sites_of(tenant, 1)[0]
    # when / then
    with pytest.raises(ProgramClosed):
        enroll(tenant, pm, program, [site.pk])


def test_too_many_sites_in_one_action_are_refused(tenant, pm, program, monkeypatch):
    # given a lower limit for the test
    monkeypatch.setattr(enrollments, "BULK_LIMIT", 2)
    # when / then
    with pytest.raises(ApplicationError) as caught:
        enroll(tenant, pm, program, [1, 2, 3])
    assert (caught.value.code, caught.value.field) == ("too_many", "site_ids")


def test_set_wave_moves_enrolled_sites_and_refuses_the_others(tenant, other_tenant, pm, program):
    # given two enrolled sites (one already in the target wave), one not enrolled, one foreign
    wave = WaveFactory(program=program)
    in_wave = EnrollmentFactory(program=program, wave=wave)
    no_wave = EnrollmentFactory(program=program)
    outside = sites_of(tenant, 1)[0]
    foreign = SiteFactory(organization=other_tenant.organization, client=other_tenant.client)
    ids = [in_wave.site_id, no_wave.site_id, outside.pk, foreign.pk]
    # when the wave is set, and then cleared
    result = enrollments.enrollment_bulk_set_wave(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=ids, wave_id=wave.pk
    )
    cleared = enrollments.enrollment_bulk_set_wave(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=ids[:2], wave_id=None
    )
    # then
    assert [(i.site_id, i.outcome, i.reason) for i in result.items] == [
        (in_wave.site_id, "unchanged", ""),
        (no_wave.site_id, "updated", ""),
        (outside.pk, "refused", "not_enrolled"),
        (foreign.pk, "refused", "not_found"),
    ]
    assert cleared.counts["updated"] == 2
    assert not Enrollment.objects.filter(program=program, wave__isnull=False).exists()
    events = bulk_events(tenant, "enrollment.bulk_wave_set")
    assert [e.after["counts"]["updated"] for e in events] == [1, 2]
    assert events[0].after["updated"] == [no_wave.site_id]


def test_remove_takes_sites_out_unless_variations_are_pending(tenant, pm, program):
    # given three enrolled sites, one with a pending variation and one with an approved one
    plain = EnrollmentFactory(program=program)
    pending = SiteVariationFactory(enrollment=EnrollmentFactory(program=program))
    approved = SiteVariationFactory(enrollment=EnrollmentFactory(program=program), status="approved")
    never = sites_of(tenant, 1)[0]
    ids = [plain.site_id, pending.site_id, approved.site_id, never.pk]
    # when they are previewed, then removed, then removed again
    preview = enrollments.enrollment_bulk_remove(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=ids, preview=True
    )
    result = enrollments.enrollment_bulk_remove(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=ids
    )
    again = enrollments.enrollment_bulk_remove(
        organization=tenant.organization, actor=pm, program_id=program.pk, site_ids=ids
    )
    # then the pending one stays; the approved variation stays as history; removing twice changes nothing
    assert preview.counts == result.counts == {"created": 0, "updated": 0, "unchanged": 1, "removed": 2, "refused": 1}
    assert [i.reason for i in result.refused] == ["pending_variations"]
    assert list(Enrollment.objects.filter(program=program).values_list("site_id", flat=True)) == [pending.site_id]
    assert approved.__class__.objects.filter(pk=approved.pk).exists()
    assert again.changed == 0
    [event] = bulk_events(tenant, "enrollment.bulk_removed")
    assert sorted(event.after["removed"]) == sorted([plain.site_id, approved.site_id])


def test_an_enrolled_site_cannot_be_deleted_nor_its_wave(tenant, pm, program):
    # given a site enrolled in a wave
    wave = WaveFactory(program=program)
    enrollment = EnrollmentFactory(program=program, wave=wave)
    # when the site and the wave are deleted
    with pytest.raises(ApplicationError) as site_error:
        site_services.site_delete(organization=tenant.organization, actor=access_of(tenant), site_id=enrollment.site_id)
    with pytest.raises(ApplicationError) as wave_error:
        services.wave_delete(organization=tenant.organization, actor=pm, wave_id=wave.pk)
    # then both are refused as in use
    assert site_error.value.code == "site_in_use"
    assert wave_error.value.code == "wave_in_use"
    assert Site.objects.filter(pk=enrollment.site_id).exists()


def test_bulk_enroll_query_count_does_not_grow_with_the_sites(tenant, pm, program):
    # given a wave and 40 sites, then the same action over 400 sites
    wave = WaveFactory(program=program)
    small = [s.pk for s in sites_of(tenant, 40)]
    large = [s.pk for s in sites_of(tenant, 400)]
    # when each is enrolled
    with CaptureQueriesContext(connection) as few:
        enroll(tenant, pm, program, small, wave_id=wave.pk)
    with CaptureQueriesContext(connection) as many:
        enroll(tenant, pm, program, large, wave_id=wave.pk)

    # then both cost the same number of reads and updates; only the batched INSERTs grow (SQLite: ~120 rows each)
    def not_inserts(context):
        return [q for q in context.captured_queries if not q["sql"].startswith("INSERT")]

    def inserts(context):
        return len(context.captured_queries) - len(not_inserts(context))

    assert len(not_inserts(many)) == len(not_inserts(few)) <= 8
    assert inserts(many) <= 1 + 400 // 100
    assert Enrollment.objects.filter(program=program).count() == 440


def test_enrollment_candidates_show_the_enrollment_of_each_site(tenant, pm, program):
    # given two sites of the client, one enrolled in a wave, and a site of another client
    wave = WaveFactory(program=program, name="Wave 1")
    enrolled = EnrollmentFactory(program=program, wave=wave)
    free = sites_of(tenant, 1)[0]
    sites_of(tenant, 1, client=ClientFactory(organization=tenant.organization))
    # when the candidates are listed
    candidates = {site.pk: site for site in selectors.enrollment_candidates(access=pm, program=program)}
    # then only the client's sites, each with its enrollment
    assert set(candidates) == {enrolled.site_id, free.pk}
    assert (candidates[enrolled.site_id].is_enrolled, candidates[enrolled.site_id].enrolled_wave_name) == (
        True,
        "Wave 1",
    )
    assert (candidates[free.pk].is_enrolled, candidates[free.pk].enrolled_wave_name) == (False, None)


def test_enrollment_counts_per_wave(tenant, pm, program):
    # given sites in two waves and one in none
    pilot, wave1 = WaveFactory(program=program, name="Pilot", order=1), WaveFactory(program=program, name="W1", order=2)
    EnrollmentFactory(program=program, wave=pilot)
    EnrollmentFactory(program=program, wave=pilot)
    EnrollmentFactory(program=program)
    # when / then
    counts = selectors.enrollment_counts(access=pm, program=program)
    assert [(c.name, c.count) for c in counts] == [("Pilot", 2), ("W1", 0), ("No wave", 1)]
    assert wave1.pk in [c.wave_id for c in counts]
