"""FilterSets of visit lists, shared by the API and the dispatch pages. Choice filters over tenant rows get their
queryset from the request's access, so a foreign id is "not a valid choice", never a way to probe another
organization."""

import django_filters
from django.utils import timezone

from programs.models import Program
from sites.models import Site
from technicians.models import Technician
from workorders.choices import BEFORE_ARRIVAL, VisitState, VisitStatus
from workorders.models import Visit, VisitPhoto, WorkOrder


def _visible(model):
    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


class VisitFilterSet(django_filters.FilterSet):
    """Visits by day (the site's local date) or a range of days, technician, status, board state (incl. late),
    program, work order and site."""

    date = django_filters.DateFilter(field_name="local_date", label="Day", help_text="The visit's day at the site.")
    date_from = django_filters.DateFilter(field_name="local_date", lookup_expr="gte", label="From day")
    date_to = django_filters.DateFilter(field_name="local_date", lookup_expr="lte", label="Until day")
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician))
    status = django_filters.MultipleChoiceFilter(choices=VisitStatus.choices)
    state = django_filters.ChoiceFilter(
        choices=VisitState.choices, method="filter_state", label="State", help_text="The status, or late."
    )
    program = django_filters.ModelChoiceFilter(field_name="work_order__program", queryset=_visible(Program))
    work_order = django_filters.ModelChoiceFilter(queryset=_visible(WorkOrder))
    site = django_filters.ModelChoiceFilter(field_name="work_order__site", queryset=_visible(Site))

    class Meta:
        model = Visit
        fields = ["date", "date_from", "date_to", "technician", "status", "state", "program", "work_order", "site"]

    def filter_state(self, queryset, name, value):
        if value == VisitState.LATE:
            return queryset.late()
        if value in BEFORE_ARRIVAL:
            return queryset.filter(status=value, checkin_due_by__gte=timezone.now())
        return queryset.filter(status=value)


class VisitPhotoFilterSet(django_filters.FilterSet):
    visit = django_filters.ModelChoiceFilter(queryset=_visible(Visit))
    task_key = django_filters.CharFilter()

    class Meta:
        model = VisitPhoto
        fields = ["visit", "task_key"]
