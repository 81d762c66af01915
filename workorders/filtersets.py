"""One FilterSet per list, shared by the HTML pages and the API.

Choice filters over tenant rows get their queryset from the request's access, so a foreign id is "not a
valid choice" (a 400), never a way to probe another organization.
"""

import django_filters
from django.db.models import Q

from programs.models import Program, Wave
from rollout.models import Client
from sites.models import Site
from technicians.models import Technician
from workorders.choices import ShipmentStatus, WorkOrderStatus
from workorders.models import Shipment, WorkOrder


def _visible(model):
    """A django-filter queryset callable: the model's rows visible to the request's access (none without)."""

    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


class WorkOrderFilterSet(django_filters.FilterSet):
    """Work orders by program, wave, status, client, site, region (state), technician, planned dates, text."""

    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    wave = django_filters.ModelChoiceFilter(field_name="enrollment__wave", queryset=_visible(Wave))
    status = django_filters.MultipleChoiceFilter(choices=WorkOrderStatus.choices)
    client = django_filters.ModelChoiceFilter(field_name="program__client", queryset=_visible(Client))
    site = django_filters.ModelChoiceFilter(queryset=_visible(Site))
    state = django_filters.CharFilter(field_name="site__state", lookup_expr="iexact", label="State / region")
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician))
    unassigned = django_filters.BooleanFilter(field_name="technician", lookup_expr="isnull", label="No technician")
    planned_from = django_filters.DateFilter(
        field_name="planned_start", lookup_expr="date__gte", label="Planned from", help_text="Visit starts on or after."
    )
    planned_to = django_filters.DateFilter(
        field_name="planned_start",
        lookup_expr="date__lte",
        label="Planned until",
        help_text="Visit starts on or before.",
    )
    q = django_filters.CharFilter(
        method="filter_text", label="Search", help_text="Work order number, or site code or name."
    )

    class Meta:
        model = WorkOrder
        fields = [
            "program",
            "wave",
            "status",
            "client",
            "site",
            "state",
            "technician",
            "unassigned",
            "planned_from",
            "planned_to",
            "q",
        ]

    def filter_text(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(number__icontains=text) | Q(site__code__icontains=text) | Q(site__name__icontains=text)
        )


class ShipmentFilterSet(django_filters.FilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=_visible(WorkOrder))
    program = django_filters.ModelChoiceFilter(field_name="work_order__program", queryset=_visible(Program))
    status = django_filters.ChoiceFilter(choices=ShipmentStatus.choices)
    carrier = django_filters.CharFilter(lookup_expr="iexact")
    tracking_number = django_filters.CharFilter()

    class Meta:
        model = Shipment
        fields = ["work_order", "program", "status", "carrier", "tracking_number"]


def selected_work_order_ids(data: dict, queryset, request) -> list[int]:
    """The work order ids a bulk action's filter selects (the list's own filters). Raises FilterInvalid."""
    filterset = WorkOrderFilterSet(
        {k: v for k, v in data.items() if v not in (None, "", [])}, queryset=queryset, request=request
    )
    if not filterset.is_valid():
        raise FilterInvalid(filterset.errors)
    return list(filterset.qs.order_by("pk").values_list("pk", flat=True))


class FilterInvalid(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__(str(errors))
