"""The FilterSet of the schedule run list, shared by the page and the API; the program's choices are the caller's
visible programs, so a foreign id is "not a valid choice" (400), never a probe."""

from __future__ import annotations

import django_filters

from programs.models import Program
from scheduling.choices import RunStatus
from scheduling.models import ScheduleRun


def _visible_programs(request):
    access = getattr(request, "access", None) if request is not None else None
    return Program.objects.none() if access is None else Program.objects.visible_to(access)


class ScheduleRunFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible_programs)
    status = django_filters.ChoiceFilter(choices=RunStatus.choices)

    class Meta:
        model = ScheduleRun
        fields = ["program", "status"]
