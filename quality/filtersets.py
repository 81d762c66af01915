"""One FilterSet per list of the quality app, shared by the HTML pages and the API. Choice filters over tenant rows
get their queryset from the request's access, so a foreign id is "not a valid choice" (400), never a probe."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.utils import timezone

from programs.models import Program, Wave
from quality.choices import ExclusionCause, ReviewDecision, Severity
from quality.models import DefectCode, DrftExclusion, QaReview, SamplingPolicy, WarrantyReport
from technicians.models import Technician, Vendor
from workorders.models import WorkOrder


def _visible(model):
    def queryset(request):
        access = getattr(request, "access", None) if request is not None else None
        return model.objects.none() if access is None else model.objects.visible_to(access)

    return queryset


class ReviewQueueFilterSet(django_filters.FilterSet):
    """Submitted work orders by program, wave, vendor, technician and age (hours since submission)."""

    program = django_filters.ModelChoiceFilter(queryset=_visible(Program), empty_label="Any program")
    wave = django_filters.ModelChoiceFilter(
        field_name="enrollment__wave", queryset=_visible(Wave), label="Wave", empty_label="Any wave"
    )
    vendor = django_filters.ModelChoiceFilter(
        field_name="technician__vendor", queryset=_visible(Vendor), label="Vendor", empty_label="Any vendor"
    )
    technician = django_filters.ModelChoiceFilter(queryset=_visible(Technician), empty_label="Any technician")
    older_than_hours = django_filters.NumberFilter(
        method="filter_older_than", label="Waiting more than (hours)", min_value=0, max_value=24 * 365
    )

    class Meta:
        model = WorkOrder
        fields = ["program", "wave", "vendor", "technician", "older_than_hours"]

    def filter_older_than(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(submitted_at__lt=timezone.now() - timedelta(hours=float(value)))


class QaReviewFilterSet(django_filters.FilterSet):
    work_order = django_filters.ModelChoiceFilter(queryset=_visible(WorkOrder))
    program = django_filters.ModelChoiceFilter(field_name="work_order__program", queryset=_visible(Program))
    decision = django_filters.ChoiceFilter(choices=ReviewDecision.choices)
    since = django_filters.IsoDateTimeFilter(field_name="decided_at", lookup_expr="gte")

    class Meta:
        model = QaReview
        fields = ["work_order", "program", "decision", "since"]


class DefectCodeFilterSet(django_filters.FilterSet):
    active = django_filters.BooleanFilter()
    default_severity = django_filters.ChoiceFilter(choices=Severity.choices, label="Default severity")

    class Meta:
        model = DefectCode
        fields = ["active", "default_severity"]


class DrftExclusionFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        field_name="work_order__program", queryset=_visible(Program), label="Program", empty_label="Any program"
    )
    cause = django_filters.ChoiceFilter(choices=ExclusionCause.choices, empty_label="Any cause")

    class Meta:
        model = DrftExclusion
        fields = ["program", "cause"]


class WarrantyReportFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(
        field_name="work_order__program", queryset=_visible(Program), label="Program", empty_label="Any program"
    )
    work_order = django_filters.ModelChoiceFilter(queryset=_visible(WorkOrder))

    class Meta:
        model = WarrantyReport
        fields = ["program", "work_order"]


class SamplingPolicyFilterSet(django_filters.FilterSet):
    program = django_filters.ModelChoiceFilter(queryset=_visible(Program))

    class Meta:
        model = SamplingPolicy
        fields = ["program"]
