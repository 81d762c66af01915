"""Forms of the quality pages: the defect catalogue, DRFT exclusions and warranty reports. Choice fields over
tenant rows take their queryset from the caller's access (so a foreign id is not a valid choice)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from quality.choices import ExclusionCause, SamplingMode, Severity
from rollout.forms import StyledFormMixin
from workorders.choices import VisitOutcome, VisitStatus, WorkOrderStatus
from workorders.models import WorkOrder


class DefectCodeForm(StyledFormMixin, forms.Form):
    code = forms.SlugField(
        max_length=40,
        widget=forms.TextInput(attrs={"autofocus": True}),
        help_text="Short and stable, e.g. photo-missing (lower case, digits and dashes).",
    )
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
    default_severity = forms.ChoiceField(
        choices=Severity.choices, initial=Severity.MAJOR, help_text="A reviewer may choose another for one defect."
    )
    active = forms.BooleanField(
        required=False, initial=True, label="Offered to reviewers", help_text="Retired codes stay for history."
    )


class WorkOrderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, work_order):
        return f"{work_order.number} · {work_order.site.code} {work_order.site.name} ({work_order.program.code})"


def excludable_work_orders(access):
    """Work orders a PM may exclude: an incomplete first visit, a return visit, or a warranty report."""
    worked = Q(visits__status=VisitStatus.CHECKED_OUT)
    return (
        WorkOrder.objects.visible_to(access)
        .filter(
            (worked & Q(visits__sequence__gt=1))
            | (worked & Q(visits__outcome=VisitOutcome.INCOMPLETE))
            | Q(warranty_reports__isnull=False)
        )
        .select_related("site", "program")
        .distinct()
        .order_by("-pk")
    )


class DrftExclusionForm(StyledFormMixin, forms.Form):
    work_order = WorkOrderChoiceField(
        queryset=WorkOrder.objects.none(),
        help_text="Only work orders with an incomplete first visit, a return visit or a warranty report.",
    )
    cause = forms.ChoiceField(choices=ExclusionCause.choices)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Internal: shown to your team and in the audit log, not to the client.",
    )

    def __init__(self, *args, access=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_order"].queryset = excludable_work_orders(access)


class WarrantyReportForm(StyledFormMixin, forms.Form):
    work_order = WorkOrderChoiceField(
        queryset=WorkOrder.objects.none(), help_text="Accepted work whose warranty window is still open."
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=2000, label="The problem")

    def __init__(self, *args, access=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["work_order"].queryset = (
            WorkOrder.objects.visible_to(access)
            .filter(status=WorkOrderStatus.ACCEPTED)
            .select_related("site", "program")
            .order_by("-accepted_at", "-pk")
        )


class SamplingPolicyForm(StyledFormMixin, forms.Form):
    mode = forms.ChoiceField(choices=SamplingMode.choices)
    percent = forms.IntegerField(
        min_value=0, max_value=100, label="Share drawn for review (%)", help_text="Of the work no rule below requires."
    )
    first_jobs = forms.IntegerField(
        min_value=0, max_value=1000, label="Always review a technician's first jobs in the program"
    )
    score_threshold = forms.DecimalField(
        min_value=0, max_value=100, decimal_places=1, label="Always review technicians scoring below"
    )
    auto_accept_hours = forms.IntegerField(
        min_value=1, max_value=24 * 30, label="Accept work not drawn after (hours)", help_text="Unless reviewed first."
    )
