"""Forms of the programs pages. Inputs only: the services decide and write.

Choice fields over tenant data take their queryset from the caller's organization. The condition
field is checked here too, so its error (with the column) appears next to the field with the others.
"""

from __future__ import annotations

from django import forms

from programs.choices import EvidenceKind
from programs.conditions import ConditionError, validate_condition
from programs.selectors import responsible_pm_candidates
from rollout.forms import StyledFormMixin, client_choices_for

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CONDITION_HELP = (
    'Optional. Applies only to sites whose attributes match, e.g. store_format = "mall" and ceiling_height_m > 4, '
    'floors >= 2 or has_basement, region in ("NE", "SE"), not is_franchise. Blank: every site.'
)


class PlannerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class ProgramForm(StyledFormMixin, forms.Form):
    client = forms.ModelChoiceField(queryset=None, empty_label="Choose a client")
    code = forms.SlugField(max_length=40, help_text="Short and unique, letters, digits and hyphens: e.g. sco-2026.")
    name = forms.CharField(max_length=160)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)
    responsible_pm = PlannerChoiceField(queryset=None, required=False, label="Responsible PM", empty_label="Nobody yet")
    target_drft_percent = forms.DecimalField(
        label="Target DRFT %", max_digits=5, decimal_places=2, min_value=0, max_value=100, initial="99.70"
    )
    checkin_grace_minutes = forms.IntegerField(
        label="Check-in grace (minutes)",
        min_value=0,
        max_value=1440,
        initial=30,
        help_text="How late a technician may check in before it escalates.",
    )
    warranty_window_days = forms.IntegerField(
        label="Warranty window (days)",
        min_value=0,
        max_value=3650,
        initial=30,
        help_text="A return visit within this window means the work was not done right first time.",
    )
    geofence_radius_m = forms.IntegerField(label="Geofence radius (m)", min_value=10, max_value=100_000, initial=300)
    geofence_enforced = forms.BooleanField(
        label="Refuse check-ins outside the geofence",
        required=False,
    )

    def __init__(self, *args, organization, with_client: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_client:
            self.fields["client"].queryset = client_choices_for(organization)
        else:
            del self.fields["client"]
        self.fields["responsible_pm"].queryset = responsible_pm_candidates(organization=organization)


class WaveForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=80, help_text="e.g. Pilot, Wave 1.")
    order = forms.IntegerField(min_value=0, max_value=32767, required=False, help_text="Blank: after the others.")
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE)


class ConditionFieldMixin:
    def clean_condition(self):
        try:
            return validate_condition(self.cleaned_data.get("condition"))
        except ConditionError as error:
            raise forms.ValidationError(error.message, code=error.code) from error


class SowTaskForm(StyledFormMixin, ConditionFieldMixin, forms.Form):
    title = forms.CharField(max_length=200)
    key = forms.SlugField(
        max_length=60,
        required=False,
        help_text="Stable across versions (used by diffs and packets). Blank: made from the title.",
    )
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        help_text="Markdown: **bold**, lists, links. Shown to the technician in the packet.",
    )
    required_skill = forms.SlugField(max_length=60, required=False, help_text="e.g. pos-install, low-voltage.")
    estimated_minutes = forms.IntegerField(min_value=0, max_value=100_000, initial=15)
    evidence_kind = forms.ChoiceField(choices=EvidenceKind.choices, label="Evidence required")
    photo_min_count = forms.IntegerField(label="Minimum photos", min_value=1, max_value=100, required=False)
    serial_pattern = forms.CharField(
        label="Serial number format",
        max_length=200,
        required=False,
        help_text="A regular expression the whole serial must match, e.g. ^SN[0-9]{8}$.",
    )
    measurement_unit = forms.CharField(label="Unit", max_length=20, required=False)
    measurement_min = forms.DecimalField(label="Minimum", max_digits=12, decimal_places=3, required=False)
    measurement_max = forms.DecimalField(label="Maximum", max_digits=12, decimal_places=3, required=False)
    condition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "font-monospace"}),
        max_length=2000,
        required=False,
        help_text=CONDITION_HELP,
    )

    def __init__(self, *args, with_key: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_key:
            del self.fields["key"]


class SowMaterialForm(StyledFormMixin, ConditionFieldMixin, forms.Form):
    part_number = forms.CharField(max_length=80)
    key = forms.SlugField(
        max_length=60, required=False, help_text="Stable across versions. Blank: made from the part number."
    )
    description = forms.CharField(max_length=255, required=False)
    quantity = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0.01, initial=1)
    unit = forms.CharField(max_length=20, initial="ea")
    condition = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "font-monospace"}),
        max_length=2000,
        required=False,
        help_text=CONDITION_HELP,
    )

    def __init__(self, *args, with_key: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_key:
            del self.fields["key"]


class SowNotesForm(StyledFormMixin, forms.Form):
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, help_text="What this version changes, and why."
    )


class TransitionForm(StyledFormMixin, forms.Form):
    to_status = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="Optional; kept in the audit log."
    )
