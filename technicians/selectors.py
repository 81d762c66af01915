"""Reads of the technicians app, including who qualifies for a piece of work and why others do not.

Every read is scoped: `visible_to(access)` or `for_organization(org)`. The eligibility rules live in
one function (`_assess`), used to pick qualified technicians, to explain one technician's refusal and to
judge a page of assignments at once (`technician_eligibility_many`), so the picker, the explanation and the
badges can never disagree. Each reads a fixed number of queries, however many technicians the organization has.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from rollout.choices import Role
from rollout.errors import NotFound
from rollout.geo import haversine_km
from rollout.models import Membership
from rollout.tenancy import Access
from technicians.choices import (
    EXPIRING_WITHIN_DAYS,
    MEMBER_TRAINING_ROLES,
    TRAINING_ROLES,
    WEEKDAYS,
    EligibilityProblemCode,
    TrainingState,
    Weekday,
)
from technicians.models import (
    Certification,
    Course,
    Skill,
    Technician,
    TechnicianSkill,
    TimeOff,
    TrainingRecord,
    Vendor,
)

Code = EligibilityProblemCode


def _day(value: date) -> str:
    return f"{value:%b %-d, %Y}"


def describe_days(days: Iterable[str]) -> str:
    """Weekday codes in words, runs joined: ["mon", …, "fri", "sun"] → "Mon–Fri, Sun"."""
    indexes = sorted(WEEKDAYS.index(day) for day in set(days) if day in WEEKDAYS)
    if not indexes:
        return "no days"
    runs, start, previous = [], indexes[0], indexes[0]
    for index in [*indexes[1:], None]:
        if index is not None and index == previous + 1:
            previous = index
            continue
        short = [Weekday(WEEKDAYS[i]).label[:3] for i in (start, previous)]
        runs.append(short[0] if start == previous else f"{short[0]}–{short[1]}")
        if index is not None:
            start = previous = index
    return ", ".join(runs)


# --- Lists ------------------------------------------------------------------------------------------


def vendor_list(*, access: Access) -> QuerySet[Vendor]:
    """The vendors the caller may see, with their technician counts."""
    return Vendor.objects.visible_to(access).with_counts()


def vendor_get(*, access: Access, vendor_id: int) -> Vendor:
    vendor = vendor_list(access=access).filter(pk=vendor_id).first()
    if vendor is None:
        raise NotFound()
    return vendor


def skill_list(*, access: Access) -> QuerySet[Skill]:
    """The skills catalogue, with how many technicians have each skill."""
    return Skill.objects.visible_to(access).with_counts()


def technician_list(*, access: Access, on: date | None = None) -> QuerySet[Technician]:
    """The technicians the caller may see (a technician: themselves), with vendor, skills and certificate counts."""
    return Technician.objects.visible_to(access).with_summary(on=on or timezone.localdate())


def technician_get(*, access: Access, technician_id: int) -> Technician:
    technician = technician_list(access=access).filter(pk=technician_id).first()
    if technician is None:
        raise NotFound()
    return technician


def certification_list(*, access: Access) -> QuerySet[Certification]:
    return Certification.objects.visible_to(access).select_related("technician", "skill")


def time_off_list(*, access: Access) -> QuerySet[TimeOff]:
    return TimeOff.objects.visible_to(access).select_related("technician")


def course_list(*, access: Access) -> QuerySet[Course]:
    """The organization's training path, with how many records each course has."""
    return Course.objects.visible_to(access).with_counts()


def training_record_list(*, access: Access) -> QuerySet[TrainingRecord]:
    """Training records the caller may read (a technician: their own), with course and person in the same query."""
    return TrainingRecord.objects.visible_to(access).select_related("course", "technician", "member__user")


def training_person_choices(*, organization) -> list[tuple[str, str]]:
    """("technician-<id>" | "member-<id>", label) for everyone who may hold a training record: active technicians,
    then active PMs and coordinators. Two queries."""
    technicians = Technician.objects.for_organization(organization).active().order_by("full_name", "id")
    members = (
        Membership.objects.for_organization(organization)
        .active()
        .filter(role__in=sorted(MEMBER_TRAINING_ROLES))
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [(f"technician-{t.pk}", f"{t.full_name} · Technician") for t in technicians] + [
        (f"member-{m.pk}", f"{m.user.full_name or m.user.email} · {m.get_role_display()}") for m in members
    ]


def course_choices(*, organization) -> QuerySet[Course]:
    """Courses offered in pickers: the organization's active ones."""
    return Course.objects.for_organization(organization).active().order_by("name")


def vendor_choices(*, organization) -> QuerySet[Vendor]:
    """Vendors a technician may be assigned to: the organization's active ones."""
    return Vendor.objects.for_organization(organization).active().order_by("name")


def skill_choices(*, organization) -> QuerySet[Skill]:
    """Skills offered in pickers: the organization's active ones."""
    return Skill.objects.for_organization(organization).active().order_by("name")


# --- Eligibility ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EligibilityProblem:
    """One reason a technician may not take the work: a stable code and a sentence for a coordinator."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Eligibility:
    """Whether one technician may take the work, how far away it is, and every reason they may not."""

    technician: Technician
    distance_km: float | None
    problems: list[EligibilityProblem] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.problems


def _clean_skills(skills: Iterable[str]) -> list[str]:
    return sorted({slug.strip() for slug in skills if slug and slug.strip()})


def _required_skills(organization, slugs: list[str]) -> dict[str, Skill | None]:
    """slug → the catalogue's Skill (None for a slug the catalogue does not know)."""
    known = {skill.slug: skill for skill in Skill.objects.for_organization(organization).filter(slug__in=slugs)}
    return {slug: known.get(slug) for slug in slugs}


def _clean_courses(courses: Iterable[int]) -> list[int]:
    return sorted({int(course) for course in courses or ()})


def _required_courses(organization, course_ids: list[int]) -> dict[int, Course]:
    """course id → the organization's Course (another organization's id is ignored: it requires nothing here)."""
    if not course_ids:
        return {}
    return {course.pk: course for course in Course.objects.for_organization(organization).filter(pk__in=course_ids)}


def _with_eligibility_data(
    queryset: QuerySet[Technician],
    organization,
    slugs: list[str],
    on_date: date,
    until: date | None = None,
    course_ids: list[int] = (),
):
    """Everything `_assess` reads, in a fixed number of queries (vendor joined; skills, certificates, training
    records of the required courses, time off overlapping `on_date`, or the days from `on_date` to `until`)."""
    return queryset.select_related("vendor").prefetch_related(
        Prefetch(
            "training_records",
            queryset=TrainingRecord.objects.for_organization(organization)
            .filter(course_id__in=list(course_ids))
            .order_by("-completed_on", "id"),
            to_attr="eligibility_training",
        ),
        Prefetch("skills", queryset=Skill.objects.for_organization(organization), to_attr="eligibility_skills"),
        Prefetch(
            "certifications",
            queryset=Certification.objects.for_organization(organization)
            .filter(skill__slug__in=slugs)
            .select_related("skill")
            .order_by("-expires_on", "id"),
            to_attr="eligibility_certifications",
        ),
        Prefetch(
            "time_off",
            queryset=TimeOff.objects.for_organization(organization)
            .filter(start_date__lte=until or on_date, end_date__gte=on_date)
            .order_by("start_date"),
            to_attr="eligibility_time_off",
        ),
    )


def _local_moment(technician: Technician, on_date: date, at_time: time | None, location_timezone: str | None):
    """The day (and time) of the work in the technician's own time zone."""
    if at_time is None:
        return on_date, None
    if not location_timezone or location_timezone == technician.timezone:
        return on_date, at_time
    moment = datetime.combine(on_date, at_time, tzinfo=ZoneInfo(location_timezone))
    local = moment.astimezone(ZoneInfo(technician.timezone))
    return local.date(), local.time()


def _validity_problem(held: list, on_date: date, *, starts: str, codes: tuple, expired, not_yet, missing: str):
    """Why none of `held` (the certifications of one skill, or the training records of one course) is valid on
    `on_date`: the latest that expired, else the first not yet valid (from its `starts` date), else none held;
    None when one is valid. `expired`/`not_yet` word the problem for the record concerned."""
    if any(record.is_valid_on(on_date) for record in held):
        return None
    lapsed = [record for record in held if record.expires_on is not None and record.expires_on < on_date]
    if lapsed:
        return EligibilityProblem(codes[0], expired(max(lapsed, key=lambda record: record.expires_on)))
    future = [record for record in held if getattr(record, starts) is not None and getattr(record, starts) > on_date]
    if future:
        return EligibilityProblem(codes[1], not_yet(min(future, key=lambda record: getattr(record, starts))))
    return EligibilityProblem(codes[2], missing)


def _certification_problem(technician: Technician, skill: Skill, on_date: date) -> EligibilityProblem | None:
    return _validity_problem(
        [c for c in technician.eligibility_certifications if c.skill_id == skill.pk],
        on_date,
        starts="issued_on",
        codes=(Code.CERTIFICATION_EXPIRED, Code.CERTIFICATION_NOT_YET_VALID, Code.CERTIFICATION_MISSING),
        expired=lambda c: f"Certification “{c.name}” for {skill.name} expired on {_day(c.expires_on)}.",
        not_yet=lambda c: f"Certification “{c.name}” for {skill.name} is valid only from {_day(c.issued_on)}.",
        missing=f"No certification for {skill.name}, which requires one.",
    )


def _training_problem(technician: Technician, course: Course, on_date: date) -> EligibilityProblem | None:
    """Why the technician's training records of a required course do not cover `on_date` (None: one does)."""
    required = f"Training “{course.name}”, which this program requires,"
    return _validity_problem(
        [r for r in technician.eligibility_training if r.course_id == course.pk],
        on_date,
        starts="completed_on",
        codes=(Code.TRAINING_EXPIRED, Code.TRAINING_NOT_YET_VALID, Code.TRAINING_MISSING),
        expired=lambda r: f"{required} expired on {_day(r.expires_on)}.",
        not_yet=lambda r: f"{required} is completed only on {_day(r.completed_on)}.",
        missing=f"No training record for “{course.name}”, which this program requires.",
    )


def _assess(
    technician: Technician,
    *,
    required: dict[str, Skill | None],
    on_date: date,
    latitude,
    longitude,
    at_time: time | None,
    location_timezone: str | None,
    courses: Iterable[Course] = (),
) -> Eligibility:
    """Every rule, in the order a coordinator would check them. Reads only what _with_eligibility_data loaded."""
    problems: list[EligibilityProblem] = []

    def refuse(code: str, message: str) -> None:
        problems.append(EligibilityProblem(code, message))

    if not technician.active:
        refuse(Code.INACTIVE, f"{technician.full_name} is inactive and takes no work.")
    vendor = technician.vendor
    if vendor is not None:
        if not vendor.active:
            refuse(Code.VENDOR_INACTIVE, f"Their vendor, {vendor.name}, is inactive.")
        if vendor.insurance_expires_on is None:
            refuse(Code.INSURANCE_MISSING, f"Their vendor, {vendor.name}, has no insurance expiry date on file.")
        elif vendor.insurance_expires_on < on_date:
            refuse(
                Code.INSURANCE_EXPIRED,
                f"The insurance of their vendor, {vendor.name}, expired on {_day(vendor.insurance_expires_on)}.",
            )
    held = {skill.slug for skill in technician.eligibility_skills}
    for slug, skill in required.items():
        name = skill.name if skill else slug
        if slug not in held:
            refuse(Code.MISSING_SKILL, f"Missing skill: {name}.")
        elif skill is not None and skill.requires_certification:
            problem = _certification_problem(technician, skill, on_date)
            if problem is not None:
                problems.append(problem)
    for course in courses:
        problem = _training_problem(technician, course, on_date)
        if problem is not None:
            problems.append(problem)
    day, moment = _local_moment(technician, on_date, at_time, location_timezone)
    weekday = WEEKDAYS[day.weekday()]
    if weekday not in (technician.working_days or []):
        refuse(
            Code.NOT_A_WORKING_DAY,
            f"Does not work on {Weekday(weekday).label}s (works {describe_days(technician.working_days or [])}).",
        )
    elif moment is not None and not technician.work_start <= moment < technician.work_end:
        refuse(
            Code.OUTSIDE_WORKING_HOURS,
            f"{moment:%H:%M} is outside their working hours, {technician.work_start:%H:%M}–"
            f"{technician.work_end:%H:%M} ({technician.timezone}).",
        )
    for time_off in technician.eligibility_time_off:
        if time_off.covers(on_date):
            reason = f" ({time_off.reason})" if time_off.reason else ""
            span = (
                _day(time_off.start_date)
                if time_off.start_date == time_off.end_date
                else f"{time_off.start_date:%b %-d} – {_day(time_off.end_date)}"
            )
            refuse(Code.TIME_OFF, f"On time off {span}{reason}.")
            break
    distance = None
    if latitude is not None and longitude is not None:
        if not technician.has_home_base:
            refuse(Code.NO_HOME_BASE, "No home base location on file, so the distance cannot be checked.")
        else:
            distance = round(haversine_km(technician.home_latitude, technician.home_longitude, latitude, longitude), 1)
            if distance > technician.service_radius_km:
                refuse(
                    Code.OUTSIDE_RADIUS,
                    f"Outside their service radius by {distance - technician.service_radius_km:.1f} km: the site is "
                    f"{distance:.1f} km from their home base, their radius is {technician.service_radius_km} km.",
                )
    return Eligibility(technician=technician, distance_km=distance, problems=problems)


def technicians_qualified_for(
    *,
    organization,
    skills: Iterable[str],
    on_date: date,
    latitude,
    longitude,
    at_time: time | None = None,
    location_timezone: str | None = None,
    courses: Iterable[int] = (),
) -> list[Technician]:
    """Active technicians who may take work needing `skills` on `on_date` at (latitude, longitude), nearest first.

    Qualified: has every skill; a valid certification for each skill that requires one; a training record
    valid on `on_date` for each course in `courses` (the ids of the courses the work's program requires of
    technicians: programs.training gives them); an active vendor
    whose insurance has not expired (or no vendor); works that weekday (and at `at_time`, when given, read
    in `location_timezone` or else as the technician's local time); not on time off; the location inside
    their service radius. Each returned technician carries `distance_km`. A fixed number of queries.
    """
    slugs = _clean_skills(skills)
    required = _required_skills(organization, slugs)
    course_ids = _clean_courses(courses)
    required_courses = list(_required_courses(organization, course_ids).values())
    candidates = Technician.objects.for_organization(organization).filter(active=True)
    insured = Q(vendor__active=True, vendor__insurance_expires_on__gte=on_date)
    candidates = candidates.filter(Q(vendor__isnull=True) | insured)
    candidates = candidates.exclude(
        Exists(TimeOff.objects.filter(technician=OuterRef("pk"), start_date__lte=on_date, end_date__gte=on_date))
    )
    if slugs:
        having_all = (
            TechnicianSkill.objects.for_organization(organization)
            .filter(skill__slug__in=slugs)
            .values("technician_id")
            .annotate(matched=Count("skill_id", distinct=True))
            .filter(matched=len(slugs))
            .values("technician_id")
        )
        candidates = candidates.filter(pk__in=having_all)
    qualified = []
    for technician in _with_eligibility_data(candidates, organization, slugs, on_date, course_ids=course_ids):
        verdict = _assess(
            technician,
            required=required,
            on_date=on_date,
            latitude=latitude,
            longitude=longitude,
            at_time=at_time,
            location_timezone=location_timezone,
            courses=required_courses,
        )
        if verdict.eligible:
            technician.distance_km = verdict.distance_km
            qualified.append(technician)
    qualified.sort(key=lambda t: (t.distance_km is None, t.distance_km or 0.0, t.full_name.lower(), t.pk))
    return qualified


def technician_eligibility(
    *,
    organization,
    technician_id: int,
    skills: Iterable[str],
    on_date: date,
    latitude,
    longitude,
    at_time: time | None = None,
    location_timezone: str | None = None,
    courses: Iterable[int] = (),
) -> Eligibility:
    """One technician's verdict for a piece of work (same rules as technicians_qualified_for), or NotFound."""
    slugs = _clean_skills(skills)
    course_ids = _clean_courses(courses)
    queryset = Technician.objects.for_organization(organization).filter(pk=technician_id)
    technician = _with_eligibility_data(queryset, organization, slugs, on_date, course_ids=course_ids).first()
    if technician is None:
        raise NotFound()
    return _assess(
        technician,
        required=_required_skills(organization, slugs),
        on_date=on_date,
        latitude=latitude,
        longitude=longitude,
        at_time=at_time,
        location_timezone=location_timezone,
        courses=list(_required_courses(organization, course_ids).values()),
    )


@dataclass(frozen=True)
class EligibilityQuestion:
    """May technician `technician_id` take work needing `skills` (and the training `courses`, by id) on `on_date`
    (at `at_time`, read in `location_timezone`) at (latitude, longitude)? `key` names the answer (e.g. a work
    order id)."""

    key: object
    technician_id: int
    skills: tuple[str, ...]
    on_date: date
    latitude: object = None
    longitude: object = None
    at_time: time | None = None
    location_timezone: str | None = None
    courses: tuple[int, ...] = ()


def technician_eligibility_many(*, organization, questions: Iterable[EligibilityQuestion]) -> dict[object, Eligibility]:
    """key → verdict for many (technician, work) questions at once — a page of work orders — in a fixed number
    of queries, by the same rules as technician_eligibility. Unknown technicians are left out."""
    questions = list(questions)
    if not questions:
        return {}
    slugs = _clean_skills(slug for question in questions for slug in question.skills)
    days = [question.on_date for question in questions]
    queryset = Technician.objects.for_organization(organization).filter(
        pk__in={question.technician_id for question in questions}
    )
    course_ids = _clean_courses(course for question in questions for course in question.courses)
    loaded = _with_eligibility_data(queryset, organization, slugs, min(days), max(days), course_ids=course_ids)
    technicians = {t.pk: t for t in loaded}
    catalogue = _required_skills(organization, slugs)
    courses = _required_courses(organization, course_ids)
    verdicts = {}
    for question in questions:
        technician = technicians.get(question.technician_id)
        if technician is None:
            continue
        verdicts[question.key] = _assess(
            technician,
            required={slug: catalogue[slug] for slug in _clean_skills(question.skills)},
            on_date=question.on_date,
            latitude=question.latitude,
            longitude=question.longitude,
            at_time=question.at_time,
            location_timezone=question.location_timezone,
            courses=[courses[pk] for pk in _clean_courses(question.courses) if pk in courses],
        )
    return verdicts


def technician_eligibility_problems(
    *,
    organization,
    technician_id: int,
    skills: Iterable[str],
    on_date: date,
    latitude,
    longitude,
    at_time: time | None = None,
    location_timezone: str | None = None,
    courses: Iterable[int] = (),
) -> list[EligibilityProblem]:
    """Why one technician may NOT take the work, in words a coordinator understands (empty: they may)."""
    return technician_eligibility(
        organization=organization,
        technician_id=technician_id,
        skills=skills,
        on_date=on_date,
        latitude=latitude,
        longitude=longitude,
        at_time=at_time,
        location_timezone=location_timezone,
        courses=courses,
    ).problems


# --- Training matrix --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingCell:
    """One person × one course: their best record (the one that counts longest) and where it stands."""

    course: Course
    state: str
    record: TrainingRecord | None = None

    @property
    def counts(self) -> bool:
        """Whether the person holds this course on the day (an expiring record still counts)."""
        return self.state in (TrainingState.VALID, TrainingState.EXPIRING)


@dataclass
class TrainingPerson:
    """A row of the training matrix: a technician (by profile) or a PM or coordinator (by membership)."""

    name: str
    role: str
    technician: Technician | None = None
    member: Membership | None = None
    cells: list[TrainingCell] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"technician-{self.technician.pk}" if self.technician else f"member-{self.member.pk}"

    def cell(self, course_id: int) -> TrainingCell | None:
        return next((cell for cell in self.cells if cell.course.pk == course_id), None)


@dataclass(frozen=True)
class TrainingMatrix:
    """People × courses on one day, and the records that expire within EXPIRING_WITHIN_DAYS of it."""

    on: date
    courses: list[Course]
    people: list[TrainingPerson]
    expiring: list[TrainingRecord]


def _best(records: list[TrainingRecord], on: date) -> TrainingRecord | None:
    """The record that counts on `on` for longest; else the latest one."""
    if not records:
        return None
    far = date.max
    return max(records, key=lambda r: (r.is_valid_on(on), r.expires_on or far, r.completed_on, r.pk))


def training_matrix(
    *,
    organization,
    on: date,
    course_ids: Iterable[int] | None = None,
    roles: Iterable[str] | None = None,
) -> TrainingMatrix:
    """Every active technician and PM/coordinator of the organization × its active courses (or `course_ids`),
    each cell the person's best record and its state on `on`; and the records expiring within 30 days, soonest
    first. Four queries, however many people, courses and records."""
    courses = Course.objects.for_organization(organization).order_by("name", "id")
    courses = list(courses.filter(pk__in=list(course_ids)) if course_ids is not None else courses.active())
    roles = set(roles) if roles is not None else set(TRAINING_ROLES)
    people: list[TrainingPerson] = []
    if Role.TECHNICIAN in roles:
        technicians = Technician.objects.for_organization(organization).active().select_related("vendor")
        for technician in technicians.order_by("full_name", "id"):
            people.append(TrainingPerson(technician.full_name, Role.TECHNICIAN, technician=technician))
    staff_roles = sorted(roles & MEMBER_TRAINING_ROLES)
    if staff_roles:
        members = (
            Membership.objects.for_organization(organization)
            .active()
            .filter(role__in=staff_roles)
            .select_related("user")
            .order_by("role", "user__full_name", "user__email")
        )
        for member in members:
            people.append(TrainingPerson(member.user.full_name or member.user.email, member.role, member=member))
    held: dict[tuple[str, int], list[TrainingRecord]] = {}
    records = (
        TrainingRecord.objects.for_organization(organization)
        .filter(course__in=[course.pk for course in courses])
        .select_related("course", "technician", "member__user")
    )
    for record in records:
        owner = f"technician-{record.technician_id}" if record.technician_id else f"member-{record.member_id}"
        held.setdefault((owner, record.course_id), []).append(record)
    soon = on + timedelta(days=EXPIRING_WITHIN_DAYS)
    expiring = []
    for person in people:
        for course in courses:
            record = _best(held.get((person.key, course.pk), []), on)
            if record is not None:
                state = record.state(on)
            else:
                state = TrainingState.MISSING if course.is_for(person.role) else TrainingState.NOT_FOR_ROLE
            person.cells.append(TrainingCell(course=course, state=state, record=record))
            if record is not None and record.expires_on is not None and on <= record.expires_on <= soon:
                expiring.append(record)
    expiring.sort(key=lambda r: (r.expires_on, r.person_name.lower(), r.pk))
    return TrainingMatrix(on=on, courses=courses, people=people, expiring=expiring)
