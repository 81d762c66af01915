"""The defect list's FilterSet (its export, page link and API): program, wave, code, severity, root cause and the
review's day. Choice filters over tenant rows read through the request's access (a foreign id is "not a valid
choice")."""

from __future__ import annotations

import django_filters

from programs.models import Program, Wave
from quality.choices import RootCause, Severity
from quality.models import Defect, DefectCode


def _visible(model):
    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


class DefectFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        field_name="review__work_order__program", queryset=_visible(Program), empty_label="Any program"
    )
    wave = django_filters.ModelChoiceFilter(
        field_name="review__work_order__enrollment__wave", queryset=_visible(Wave), empty_label="Any wave"
    )
    code = django_filters.ModelChoiceFilter(queryset=_visible(DefectCode), empty_label="Any code")
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    root_cause = django_filters.ChoiceFilter(choices=RootCause.choices, empty_label="Any root cause")
    since = django_filters.DateFilter(field_name="review__decided_at", lookup_expr="date__gte", label="From day")
    until = django_filters.DateFilter(field_name="review__decided_at", lookup_expr="date__lte", label="Until day")

    class Meta:
        model = Defect
        fields = ["program", "wave", "code", "severity", "root_cause", "since", "until"]
