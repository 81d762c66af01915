"""Forms of the visit pages. Inputs only: workorders.visits.services decides and writes.

Choice fields over tenant rows take their choices from the caller's organization, never `.all()`. Days and times
typed here are the site's local time.
"""

from __future__ import annotations

from django import forms

from programs.models import Program
from rollout.forms import StyledFormMixin
from technicians.models import Technician
from workorders.choices import VisitState

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# Where a service's refusal goes on the forms (services name the API's fields).
FIELD_MAP = {"date": "day", "start_time": "start", "end_time": "end"}


def technician_choices(organization) -> list[tuple[int, str]]:
    """Any of the organization's technicians is a valid input (the page lists the qualified ones first); the
    service then says why one who does not qualify cannot take the visit."""
    return list(Technician.objects.for_organization(organization).order_by("full_name").values_list("pk", "full_name"))


class WindowForm(StyledFormMixin, forms.Form):
    day = forms.DateField(label="Visit day", widget=DATE)
    start = forms.TimeField(label="From", widget=TIME)
    end = forms.TimeField(label="Until", widget=TIME)

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start and end.hour + end.minute:
            self.add_error("end", "The visit must end after it starts.")
        return cleaned


class VisitScheduleForm(WindowForm):
    """A day and window (site's local time) and one of the technicians qualified for it."""

    technician = forms.TypedChoiceField(coerce=int, choices=(), widget=forms.RadioSelect, label="Technician")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].choices = technician_choices(organization)


class VisitRescheduleForm(WindowForm):
    reason = forms.CharField(required=False, max_length=2000, help_text="Kept in the audit trail.")


class VisitReassignForm(StyledFormMixin, forms.Form):
    technician = forms.TypedChoiceField(coerce=int, choices=(), widget=forms.RadioSelect, label="Technician")
    reason = forms.CharField(required=False, max_length=2000, help_text="Kept in the audit trail.")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["technician"].choices = technician_choices(organization)


class VisitCancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="Told to the technician and kept in the audit trail.",
    )


class DispatchFilterForm(StyledFormMixin, forms.Form):
    """The board's filters: day, program, technician and state (choices scoped to the caller)."""

    date = forms.DateField(required=False, widget=DATE, label="Day")
    program = forms.ModelChoiceField(queryset=Program.objects.none(), required=False, empty_label="Any program")
    technician = forms.ModelChoiceField(
        queryset=Technician.objects.none(), required=False, empty_label="Any technician"
    )
    state = forms.ChoiceField(choices=[("", "Any state"), *VisitState.choices], required=False)

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.visible_to(access).order_by("code")
        self.fields["program"].label_from_instance = lambda program: f"{program.code} · {program.name}"
        self.fields["technician"].queryset = Technician.objects.visible_to(access).order_by("full_name")
