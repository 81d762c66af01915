"""FilterSets of packet lists (API and pages). Choice filters over tenant rows get their queryset from the
request's access, so a foreign id is "not a valid choice", never a way to probe another organization."""

import django_filters

from programs.models import Program, Wave
from workorders.choices import PacketJobStatus, PacketStatus
from workorders.models import Packet, PacketGenerationJob, WorkOrder


def _visible(model):
    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


class PacketFilterSet(django_filters.FilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=_visible(WorkOrder))
    program = django_filters.ModelChoiceFilter(field_name="work_order__program", queryset=_visible(Program))
    status = django_filters.MultipleChoiceFilter(choices=PacketStatus.choices)
    current = django_filters.BooleanFilter(method="filter_current", label="Only current versions")
    checksum = django_filters.CharFilter()

    class Meta:
        model = Packet
        fields = ["work_order", "program", "status", "current", "checksum"]

    def filter_current(self, queryset, name, value):
        current = queryset.current()
        return current if value else queryset.exclude(pk__in=current.values("pk"))


class PacketGenerationJobFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))
    wave = django_filters.ModelChoiceFilter(queryset=_visible(Wave))
    status = django_filters.MultipleChoiceFilter(choices=PacketJobStatus.choices)

    class Meta:
        model = PacketGenerationJob
        fields = ["program", "wave", "status"]
