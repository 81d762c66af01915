"""One FilterSet per list, shared by the HTML pages and the API.

Choice filters over tenant rows get their queryset from the request's access, so a foreign id is
"not a valid choice" (a 400), never a way to probe another organization.
"""

import django_filters
from django.db.models import Q

from programs.choices import EvidenceKind, ProgramStatus, SowStatus
from programs.models import Program, Sow, SowMaterial, SowTask, Wave
from programs.selectors import responsible_pm_candidates
from rollout.models import Client, User


def _visible(model):
    """A django-filter queryset callable: the model's rows visible to the request's access (none without)."""

    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


def _planners(request):
    access = getattr(request, "access", None) if request is not None else None
    if access is None:
        return User.objects.none()
    return responsible_pm_candidates(organization=access.organization)


class ProgramFilterSet(django_filters.FilterSet):
    client = django_filters.ModelChoiceFilter(queryset=_visible(Client))
    status = django_filters.MultipleChoiceFilter(choices=ProgramStatus.choices)
    responsible_pm = django_filters.ModelChoiceFilter(queryset=_planners, label="Responsible PM")
    code = django_filters.CharFilter(lookup_expr="iexact")
    active_on = django_filters.DateFilter(method="filter_active_on", label="Running on (date)")
    q = django_filters.CharFilter(method="filter_text", label="Search")

    class Meta:
        model = Program
        fields = ["client", "status", "responsible_pm", "code", "active_on", "q"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(client__name__icontains=value))


class WaveFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    name = django_filters.CharFilter(lookup_expr="icontains")
    active_on = django_filters.DateFilter(method="filter_active_on", label="Running on (date)")

    class Meta:
        model = Wave
        fields = ["program", "name", "active_on"]

    def filter_active_on(self, queryset, name, value):
        return queryset.filter(start_date__lte=value, end_date__gte=value)


class SowFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    status = django_filters.ChoiceFilter(choices=SowStatus.choices)
    version = django_filters.NumberFilter()

    class Meta:
        model = Sow
        fields = ["program", "status", "version"]


class SowTaskFilterSet(django_filters.FilterSet):
    sow = django_filters.ModelChoiceFilter(queryset=_visible(Sow))
    program = django_filters.ModelChoiceFilter(field_name="sow__program", queryset=_visible(Program))
    key = django_filters.CharFilter()
    evidence_kind = django_filters.ChoiceFilter(choices=EvidenceKind.choices)
    required_skill = django_filters.CharFilter()
    conditional = django_filters.BooleanFilter(field_name="condition", lookup_expr="exact", method="filter_conditional")

    class Meta:
        model = SowTask
        fields = ["sow", "program", "key", "evidence_kind", "required_skill", "conditional"]

    def filter_conditional(self, queryset, name, value):
        return queryset.exclude(condition="") if value else queryset.filter(condition="")


class SowMaterialFilterSet(django_filters.FilterSet):
    sow = django_filters.ModelChoiceFilter(queryset=_visible(Sow))
    program = django_filters.ModelChoiceFilter(field_name="sow__program", queryset=_visible(Program))
    key = django_filters.CharFilter()
    part_number = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = SowMaterial
        fields = ["sow", "program", "key", "part_number"]
