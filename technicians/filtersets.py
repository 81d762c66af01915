"""One FilterSet per list, shared by the HTML pages and the API.

Choice filters over tenant rows get their queryset from the request's access, so a foreign id is
"not a valid choice" (a 400), never a way to probe another organization.
"""

from datetime import timedelta
from itertools import combinations, permutations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from rollout.models import Membership
from technicians.choices import EXPIRING_WITHIN_DAYS, TRAINING_ROLE_CHOICES, TRAINING_ROLES
from technicians.models import Certification, Course, Skill, Technician, TimeOff, TrainingRecord, Vendor

CERTIFICATION_STATES = [
    ("expired", "Has an expired certification"),
    ("expiring", f"Expiring within {EXPIRING_WITHIN_DAYS} days"),
    ("attention", "Expired or expiring"),
]
INSURANCE_STATES = [
    ("expired", "Expired"),
    ("expiring", f"Expiring within {EXPIRING_WITHIN_DAYS} days"),
    ("missing", "Not on file"),
    ("valid", "Valid"),
]


def _visible(model):
    """A django-filter queryset callable: the model's rows visible to the request's access (none without)."""

    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


def _today_and_soon():
    today = timezone.localdate()
    return today, today + timedelta(days=EXPIRING_WITHIN_DAYS)


def _expiry_q(prefix: str, state: str) -> Q:
    """Rows whose `<prefix>expires_on` is in `state` today (expired, expiring, attention = either, valid, missing)."""
    today, soon = _today_and_soon()
    field = f"{prefix}expires_on"
    expired = Q(**{f"{field}__lt": today})
    expiring = Q(**{f"{field}__gte": today, f"{field}__lte": soon})
    return {
        "expired": expired,
        "expiring": expiring,
        "attention": expired | expiring,
        "valid": Q(**{f"{field}__gt": soon}),
        "missing": Q(**{f"{field}__isnull": True}),
    }[state]


class VendorFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    insurance = django_filters.ChoiceFilter(choices=INSURANCE_STATES, method="filter_insurance", label="Insurance")
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Vendor
        fields = ["q", "insurance", "active"]

    def filter_insurance(self, queryset, name, value):
        return queryset.filter(_expiry_q("insurance_", value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value) | Q(contact_name__icontains=value))


class SkillFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    requires_certification = django_filters.BooleanFilter()
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Skill
        fields = ["q", "requires_certification", "active"]

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class TechnicianFilterSet(django_filters.FilterSet):
    vendor = django_filters.ModelChoiceFilter(queryset=_visible(Vendor))
    in_house = django_filters.BooleanFilter(field_name="vendor", lookup_expr="isnull", label="In-house")
    skill = django_filters.ModelChoiceFilter(
        field_name="skills", to_field_name="slug", queryset=_visible(Skill), label="Skill (slug)"
    )
    active = django_filters.BooleanFilter()
    certification = django_filters.ChoiceFilter(
        choices=CERTIFICATION_STATES, method="filter_certification", label="Certifications"
    )
    has_account = django_filters.BooleanFilter(
        field_name="user", lookup_expr="isnull", exclude=True, label="Has joined (account linked)"
    )
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Technician
        fields = ["q", "vendor", "in_house", "skill", "certification", "active", "has_account"]

    def filter_certification(self, queryset, name, value):
        # Correlated to the (already scoped) technician rows and their organization.
        held = Certification.objects.for_outer_organization().filter(_expiry_q("", value), technician=OuterRef("pk"))
        return queryset.filter(Exists(held))

    def filter_text(self, queryset, name, value):
        return queryset.filter(
            Q(full_name__icontains=value) | Q(email__icontains=value) | Q(home_address__icontains=value)
        )


class CertificationFilterSet(django_filters.FilterSet):
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician))
    skill = django_filters.ModelChoiceFilter(to_field_name="slug", queryset=_visible(Skill), label="Skill (slug)")
    state = django_filters.ChoiceFilter(
        choices=[*CERTIFICATION_STATES, ("valid", "Valid"), ("missing", "Does not expire")],
        method="filter_state",
        label="Expiry",
    )
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lt")

    class Meta:
        model = Certification
        fields = ["technician", "skill", "state", "expires_before"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(_expiry_q("", value))


class TimeOffFilterSet(django_filters.FilterSet):
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician))
    on = django_filters.DateFilter(method="filter_on", label="Covers the date")
    ends_after = django_filters.DateFilter(field_name="end_date", lookup_expr="gte", label="Ends on or after")
    starts_before = django_filters.DateFilter(field_name="start_date", lookup_expr="lte", label="Starts on or before")

    class Meta:
        model = TimeOff
        fields = ["technician", "on", "ends_after", "starts_before"]

    def filter_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


def course_roles_q(role: str) -> Q:
    """Courses whose roles include `role`. Portable JSON list membership (SQLite has no JSON containment): a
    course's roles are a few of TRAINING_ROLES, so every list that holds `role`, in any order, is matched exactly."""
    lists = [
        list(ordered)
        for size in range(1, len(TRAINING_ROLES) + 1)
        for chosen in combinations(TRAINING_ROLES, size)
        if role in chosen
        for ordered in permutations(chosen)
    ]
    matches = Q(pk__in=[])
    for roles in lists:
        matches |= Q(roles=roles)
    return matches


class CourseFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    role = django_filters.ChoiceFilter(choices=TRAINING_ROLE_CHOICES, method="filter_role", label="For role")
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Course
        fields = ["q", "role", "active"]

    def filter_role(self, queryset, name, value):
        return queryset.filter(course_roles_q(value))

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(description__icontains=value))


class TrainingRecordFilterSet(django_filters.FilterSet):
    course = django_filters.ModelChoiceFilter(queryset=_visible(Course))
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician))
    member = django_filters.ModelChoiceFilter(queryset=_visible(Membership))
    state = django_filters.ChoiceFilter(
        choices=[*CERTIFICATION_STATES, ("valid", "Valid"), ("missing", "Does not expire")],
        method="filter_state",
        label="Expiry",
    )
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lt")

    class Meta:
        model = TrainingRecord
        fields = ["course", "technician", "member", "state", "expires_before"]

    def filter_state(self, queryset, name, value):
        return queryset.filter(_expiry_q("", value))
