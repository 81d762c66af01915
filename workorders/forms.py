"""Forms of the work order pages. Inputs only: workorders.services decides and writes.

Choice fields over tenant rows take their choices from the caller's organization (programs, waves,
qualified technicians), never `.all()`. Times typed on the pages are the site's local time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms

from programs.models import Program, Wave
from rollout.forms import StyledFormMixin
from technicians.models import Technician
from workorders.choices import Gate, ShipmentStatus, WorkOrderStatus

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class TransitionForm(StyledFormMixin, forms.Form):
    to_status = forms.ChoiceField(choices=WorkOrderStatus.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=2000,
        help_text="Kept in the audit trail. Required to cancel, send to rework or recall.",
    )


class BulkTransitionForm(StyledFormMixin, forms.Form):
    to_status = forms.ChoiceField(label="Move to", choices=[("", "Choose a status"), *WorkOrderStatus.choices])
    reason = forms.CharField(required=False, max_length=2000, help_text="Required to cancel, send to rework or recall.")


class CreateWorkOrdersForm(StyledFormMixin, forms.Form):
    """Which program (and optionally which wave) to create work orders for."""

    program = forms.ModelChoiceField(queryset=Program.objects.none(), empty_label="Choose a program")
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(),
        required=False,
        empty_label="Every enrolled site",
        help_text="Only the sites enrolled in this wave.",
    )

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.visible_to(access).order_by("code")
        self.fields["wave"].queryset = (
            Wave.objects.visible_to(access).select_related("program").order_by("program__code", "order")
        )
        self.fields["wave"].label_from_instance = lambda wave: f"{wave.program.code} · {wave.name}"

    def clean(self):
        cleaned = super().clean()
        program, wave = cleaned.get("program"), cleaned.get("wave")
        if program and wave and wave.program_id != program.pk:
            self.add_error("wave", f"That wave is not a wave of {program.code}.")
        return cleaned


class AssignForm(StyledFormMixin, forms.Form):
    """A visit day and window (site's local time) and one of the technicians qualified for it."""

    day = forms.DateField(label="Visit day", widget=DATE)
    start = forms.TimeField(label="From", widget=TIME)
    end = forms.TimeField(label="Until", widget=TIME)
    technician = forms.TypedChoiceField(coerce=int, choices=(), widget=forms.RadioSelect, label="Technician")
    schedule = forms.BooleanField(required=False, initial=True, label="Also move it to Scheduled")

    def __init__(self, *args, site_timezone: str, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(site_timezone)
        # Any of the organization's technicians is a valid input (the page lists the qualified ones); the
        # service then says why one who does not qualify cannot take the visit.
        self.fields["technician"].choices = list(
            Technician.objects.for_organization(organization).order_by("full_name").values_list("pk", "full_name")
        )

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("day"), cleaned.get("start"), cleaned.get("end")
        if day and start and end:
            cleaned["planned_start"] = datetime.combine(day, start, tzinfo=self.zone)
            cleaned["planned_end"] = datetime.combine(day, end, tzinfo=self.zone)
            if cleaned["planned_end"] <= cleaned["planned_start"]:
                self.add_error("end", "The visit must end after it starts.")
        return cleaned


class GateOverrideForm(StyledFormMixin, forms.Form):
    gate = forms.ChoiceField(choices=Gate.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label="Why may this gate pass?",
        widget=forms.Textarea(attrs={"rows": 2}),
        min_length=5,
        max_length=2000,
        help_text="Shown on the checklist and kept in the audit trail.",
    )


class SiteContactForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        required=False,
        max_length=500,
        label="Note",
        help_text="Optional: who you spoke to, anything they said.",
    )


class ShipmentForm(StyledFormMixin, forms.Form):
    carrier = forms.CharField(max_length=80)
    tracking_number = forms.CharField(max_length=120, required=False)
    status = forms.ChoiceField(
        choices=[("", "From the dates"), *ShipmentStatus.choices],
        required=False,
        help_text="Leave “From the dates” unless there is a delivery problem or the shipment was cancelled.",
    )
    shipped_on = forms.DateField(required=False, widget=DATE)
    expected_delivery = forms.DateField(required=False, widget=DATE)
    delivered_on = forms.DateField(required=False, widget=DATE)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
