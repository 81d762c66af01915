"""The form that starts a schedule run: program, wave (optional), date range, seed. The service checks the rest;
its refusals land on the field they name."""

from __future__ import annotations

from django import forms

from programs.models import Program, Wave
from rollout.forms import StyledFormMixin


class ScheduleRunForm(StyledFormMixin, forms.Form):
    program = forms.ModelChoiceField(queryset=Program.objects.none(), label="Program")
    wave = forms.ModelChoiceField(
        queryset=Wave.objects.none(),
        label="Wave",
        required=False,
        help_text="Leave empty to plan every ready work order.",
    )
    date_from = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(
        label="Last day", widget=forms.DateInput(attrs={"type": "date"}), help_text="At most 31 days."
    )
    seed = forms.IntegerField(
        label="Seed", min_value=0, initial=0, help_text="The same inputs and seed give the same plan."
    )

    def __init__(self, *args, access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].queryset = Program.objects.visible_to(access).order_by("code")
        self.fields["wave"].queryset = (
            Wave.objects.visible_to(access).select_related("program").order_by("program__code", "order")
        )
        self.fields["wave"].label_from_instance = lambda wave: f"{wave.program.code} · {wave.name}"
