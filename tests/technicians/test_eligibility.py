"""Who qualifies for a piece of work, and why the others do not: the rules table, distance, query budget."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rollout.geo import haversine_km
from technicians.choices import EligibilityProblemCode as Code
from technicians.selectors import (
    EligibilityQuestion,
    describe_days,
    technician_eligibility_many,
    technician_eligibility_problems,
    technicians_qualified_for,
)
from tests.technicians.builders import WEDNESDAY
from tests.technicians.factories import (
    CertificationFactory,
    SkillFactory,
    TechnicianFactory,
    TimeOffFactory,
    VendorFactory,
)

WRIGLEY_FIELD = (41.948400, -87.655300)  # about 8 km north of the default home base
MILWAUKEE = (43.038900, -87.906500)  # about 130 km north: outside an 80 km radius
WORK = {"skills": {"pos-install", "network-cabling"}, "on_date": WEDNESDAY, "latitude": WRIGLEY_FIELD[0],
        "longitude": WRIGLEY_FIELD[1]}  # fmt: skip


def _inactive(w):
    w["technician"].active = False
    w["technician"].save()


def _vendor_inactive(w):
    w["vendor"].active = False
    w["vendor"].save()


def _insurance_expired(w):
    w["vendor"].insurance_expires_on = WEDNESDAY - timedelta(days=1)
    w["vendor"].save()


def _insurance_missing(w):
    w["vendor"].insurance_expires_on = None
    w["vendor"].save()


def _certification_expired(w):
    w["certification"].expires_on = date(2026, 3, 1)
    w["certification"].save()


def _certification_missing(w):
    w["certification"].delete()


def _certification_not_yet_valid(w):
    w["certification"].issued_on = date(2026, 4, 1)
    w["certification"].expires_on = date(2029, 4, 1)
    w["certification"].save()


def _weekends_only(w):
    w["technician"].working_days = ["sat", "sun"]
    w["technician"].save()


def _time_off(w):
    TimeOffFactory(technician=w["technician"], start_date=date(2026, 3, 2), end_date=date(2026, 3, 6))


def _small_radius(w):
    w["technician"].service_radius_km = 5
    w["technician"].save()


def _no_home_base(w):
    w["technician"].home_latitude = w["technician"].home_longitude = None
    w["technician"].save()


RULES = [
    # (case, change, extra work parameters, expected code, words the coordinator reads)
    ("inactive", _inactive, {}, Code.INACTIVE, "Tomás Alvarez is inactive and takes no work."),
    ("vendor inactive", _vendor_inactive, {}, Code.VENDOR_INACTIVE,
     "Their vendor, Lakeshore Field Services, is inactive."),
    ("insurance expired", _insurance_expired, {}, Code.INSURANCE_EXPIRED,
     "The insurance of their vendor, Lakeshore Field Services, expired on Mar 3, 2026."),
    ("insurance missing", _insurance_missing, {}, Code.INSURANCE_MISSING,
     "Their vendor, Lakeshore Field Services, has no insurance expiry date on file."),
    ("missing skill", None, {"skills": {"pos-install", "kiosk-config"}}, Code.MISSING_SKILL,
     "Missing skill: Kiosk configuration."),
    ("unknown skill", None, {"skills": {"pos-install", "forklift"}}, Code.MISSING_SKILL, "Missing skill: forklift."),
    ("certification expired", _certification_expired, {}, Code.CERTIFICATION_EXPIRED,
     "Certification “BICSI Installer 2” for Structured cabling expired on Mar 1, 2026."),
    ("certification missing", _certification_missing, {}, Code.CERTIFICATION_MISSING,
     "No certification for Structured cabling, which requires one."),
    ("certification not yet valid", _certification_not_yet_valid, {}, Code.CERTIFICATION_NOT_YET_VALID,
     "Certification “BICSI Installer 2” for Structured cabling is valid only from Apr 1, 2026."),
    ("saturday", None, {"on_date": date(2026, 3, 7)}, Code.NOT_A_WORKING_DAY,
     "Does not work on Saturdays (works Mon–Fri)."),
    ("weekend worker", _weekends_only, {}, Code.NOT_A_WORKING_DAY, "Does not work on Wednesdays (works Sat–Sun)."),
    ("after hours", None, {"at_time": time(18, 30)}, Code.OUTSIDE_WORKING_HOURS,
     "18:30 is outside their working hours, 08:00–17:00 (America/Chicago)."),
    ("time off", _time_off, {}, Code.TIME_OFF, "On time off Mar 2 – Mar 6, 2026 (Vacation)."),
    ("too far", None, {"latitude": MILWAUKEE[0], "longitude": MILWAUKEE[1]}, Code.OUTSIDE_RADIUS,
     "Outside their service radius by"),
    ("small radius", _small_radius, {}, Code.OUTSIDE_RADIUS, "their radius is 5 km."),
    ("no home base", _no_home_base, {}, Code.NO_HOME_BASE,
     "No home base location on file, so the distance cannot be checked."),
]  # fmt: skip


def test_a_technician_who_meets_every_rule_qualifies(tenant, workforce):
    # given a certified, insured, active technician with both skills, working on Wednesdays near the site
    # when the coordinator asks who qualifies, and why not for this technician
    qualified = technicians_qualified_for(organization=tenant.organization, **WORK)
    problems = technician_eligibility_problems(
        organization=tenant.organization, technician_id=workforce["technician"].pk, **WORK
    )
    # then they qualify, with the distance, and nothing stands in the way
    assert [t.pk for t in qualified] == [workforce["technician"].pk]
    assert qualified[0].distance_km == pytest.approx(8.0, abs=0.5)
    assert problems == []


@pytest.mark.parametrize(("case", "change", "work", "code", "words"), RULES, ids=[rule[0] for rule in RULES])
def test_each_rule_excludes_the_technician_with_a_reason_in_words(tenant, workforce, case, change, work, code, words):
    # given a qualified technician, and one thing about them or the work that breaks one rule
    SkillFactory(organization=tenant.organization, slug="kiosk-config", name="Kiosk configuration")
    if change is not None:
        change(workforce)
    parameters = {**WORK, **work}
    # when the coordinator asks who qualifies, and why not for this technician
    qualified = technicians_qualified_for(organization=tenant.organization, **parameters)
    problems = technician_eligibility_problems(
        organization=tenant.organization, technician_id=workforce["technician"].pk, **parameters
    )
    # then the technician is not offered, and the one reason says what is wrong
    assert qualified == []
    assert [problem.code for problem in problems] == [code]
    assert words in problems[0].message


def test_every_reason_is_listed_at_once(tenant, workforce):
    # given a technician who breaks several rules
    _insurance_expired(workforce)
    _certification_expired(workforce)
    TimeOffFactory(technician=workforce["technician"], start_date=date(2026, 3, 2), end_date=date(2026, 3, 8))
    # when the coordinator asks why, for a far-away Saturday job
    problems = technician_eligibility_problems(
        organization=tenant.organization,
        technician_id=workforce["technician"].pk,
        **{**WORK, "on_date": date(2026, 3, 7), "latitude": MILWAUKEE[0], "longitude": MILWAUKEE[1]},
    )
    # then every reason is there, in the order a coordinator checks them
    assert [problem.code for problem in problems] == [
        Code.INSURANCE_EXPIRED,
        Code.CERTIFICATION_EXPIRED,
        Code.NOT_A_WORKING_DAY,
        Code.TIME_OFF,
        Code.OUTSIDE_RADIUS,
    ]


def test_certification_edges(tenant, workforce):
    # given a certification expiring on the day of the work, and a skill that needs no certification
    workforce["certification"].expires_on = WEDNESDAY
    workforce["certification"].save()
    # when / then: valid through its last day, and a day later it no longer counts
    assert (
        technician_eligibility_problems(
            organization=tenant.organization, technician_id=workforce["technician"].pk, **WORK
        )
        == []
    )
    later = technician_eligibility_problems(
        organization=tenant.organization,
        technician_id=workforce["technician"].pk,
        **{**WORK, "on_date": WEDNESDAY + timedelta(days=7)},
    )
    assert [p.code for p in later] == [Code.CERTIFICATION_EXPIRED]
    # and a certificate not tied to the skill does not stand in for it
    workforce["certification"].skill = None
    workforce["certification"].save()
    unrelated = technician_eligibility_problems(
        organization=tenant.organization, technician_id=workforce["technician"].pk, **WORK
    )
    assert [p.code for p in unrelated] == [Code.CERTIFICATION_MISSING]


def test_an_in_house_technician_needs_no_insurance(tenant, workforce):
    # given a technician without vendor, and a vendor whose insurance expired (not theirs)
    workforce["technician"].vendor = None
    workforce["technician"].save()
    _insurance_expired(workforce)
    # when / then
    qualified = technicians_qualified_for(organization=tenant.organization, **WORK)
    assert [t.pk for t in qualified] == [workforce["technician"].pk]


def test_a_start_time_in_the_sites_time_zone_is_read_in_the_technicians(tenant, workforce):
    # given a Chicago technician working 08:00–17:00 Chicago time
    technician = workforce["technician"]

    def problems(at, tz):
        return technician_eligibility_problems(
            organization=tenant.organization,
            technician_id=technician.pk,
            **{**WORK, "at_time": at, "location_timezone": tz},
        )

    # when / then: 08:30 in New York is 07:30 in Chicago (too early); 09:30 in New York is 08:30 (fine)
    assert [p.code for p in problems(time(8, 30), "America/New_York")] == [Code.OUTSIDE_WORKING_HOURS]
    assert problems(time(9, 30), "America/New_York") == []
    assert problems(time(16, 59), None) == []
    assert [p.code for p in problems(time(17, 0), None)] == [Code.OUTSIDE_WORKING_HOURS]


def test_qualified_technicians_come_nearest_first_with_their_distance(tenant):
    # given technicians based in the Loop, Evanston and Naperville, all with the skill
    skill = SkillFactory(organization=tenant.organization, slug="pos-install")
    homes = {
        "Naperville": (Decimal("41.750800"), Decimal("-88.153500")),
        "Loop": (Decimal("41.878100"), Decimal("-87.629800")),
        "Evanston": (Decimal("42.045100"), Decimal("-87.687700")),
    }
    for name, (lat, lng) in homes.items():
        TechnicianFactory(
            organization=tenant.organization, full_name=name, home_latitude=lat, home_longitude=lng, skills=[skill]
        )
    # when the coordinator asks who qualifies for work at Wrigley Field
    qualified = technicians_qualified_for(
        organization=tenant.organization,
        skills={"pos-install"},
        on_date=WEDNESDAY,
        latitude=WRIGLEY_FIELD[0],
        longitude=WRIGLEY_FIELD[1],
    )
    # then the nearest comes first, each with its distance
    assert [t.full_name for t in qualified] == ["Loop", "Evanston", "Naperville"]
    distances = [t.distance_km for t in qualified]
    assert distances == sorted(distances)
    assert distances[0] == pytest.approx(8.0, abs=0.5)
    assert distances[2] == pytest.approx(47, abs=1)


def test_only_the_organizations_technicians_qualify(tenant, workforce, foreign):
    # given another organization's technician with the same skill slug, next door
    # when we ask who qualifies
    qualified = technicians_qualified_for(
        organization=tenant.organization,
        skills={"pos-install"},
        on_date=WEDNESDAY,
        latitude=WRIGLEY_FIELD[0],
        longitude=WRIGLEY_FIELD[1],
    )
    # then theirs is never offered, and asking about them directly is a NotFound
    assert [t.pk for t in qualified] == [workforce["technician"].pk]
    from rollout.errors import NotFound

    with pytest.raises(NotFound):
        technician_eligibility_problems(
            organization=tenant.organization, technician_id=foreign["technician"].pk, **WORK
        )


def _qualified_queries(organization) -> int:
    with CaptureQueriesContext(connection) as queries:
        technicians_qualified_for(organization=organization, **WORK)
    return len(queries)


def test_the_qualified_selector_reads_a_fixed_number_of_queries(tenant, workforce):
    # given a few qualified technicians with certifications and (past) time off
    def add_technicians(count):
        for _ in range(count):
            technician = TechnicianFactory(
                organization=tenant.organization,
                vendor=VendorFactory(organization=tenant.organization),
                skills=[workforce["pos"], workforce["cabling"]],
            )
            CertificationFactory(technician=technician, skill=workforce["cabling"])
            TimeOffFactory(technician=technician, start_date=date(2026, 1, 5), end_date=date(2026, 1, 9))

    add_technicians(3)
    few = _qualified_queries(tenant.organization)
    # when the workforce grows tenfold
    add_technicians(30)
    many = _qualified_queries(tenant.organization)
    # then the selector reads the same number of queries, and few of them
    assert many == few
    assert many <= 5
    assert len(technicians_qualified_for(organization=tenant.organization, **WORK)) == 34


def test_haversine_and_days_in_words():
    # given / when / then: Chicago to New York is about 1,145 km; a point to itself is 0
    assert haversine_km(41.8781, -87.6298, 40.7128, -74.0060) == pytest.approx(1145, abs=5)
    assert haversine_km(10, 10, 10, 10) == 0
    assert describe_days(["mon", "tue", "wed", "thu", "fri"]) == "Mon–Fri"
    assert describe_days(["sun", "mon", "wed", "fri", "sat"]) == "Mon, Wed, Fri–Sun"
    assert describe_days([]) == "no days"


def test_the_batch_selector_gives_each_question_the_single_verdict_in_fixed_queries(tenant, workforce):
    # given the rules table's cases as questions about one technician: every day of a week, near and far
    technician = workforce["technician"]
    TimeOffFactory(technician=technician, start_date=WEDNESDAY, end_date=WEDNESDAY)
    questions = [
        EligibilityQuestion(
            key=(day, far),
            technician_id=technician.pk,
            skills=tuple(WORK["skills"]),
            on_date=WEDNESDAY + timedelta(days=day),
            latitude=(MILWAUKEE if far else WRIGLEY_FIELD)[0],
            longitude=(MILWAUKEE if far else WRIGLEY_FIELD)[1],
        )
        for day in range(-3, 4)
        for far in (False, True)
    ]
    # when a page of assignments is judged at once
    with CaptureQueriesContext(connection) as queries:
        verdicts = technician_eligibility_many(organization=tenant.organization, questions=questions)
    # then each verdict is the one the single selector gives, read in a few queries for all of them
    assert len(queries) <= 6
    for question in questions:
        single = technician_eligibility_problems(
            organization=tenant.organization,
            technician_id=technician.pk,
            skills=question.skills,
            on_date=question.on_date,
            latitude=question.latitude,
            longitude=question.longitude,
        )
        assert verdicts[question.key].problems == single, question.key
    assert any(p.code == Code.TIME_OFF for p in verdicts[(0, False)].problems)
    assert verdicts[(1, False)].problems == []
