"""Forms of the programs pages. Inputs only: the services decide and write.

Choice fields over tenant data take their queryset from the caller's organization. The condition
field is checked here too, so its error (with the column) appears next to the field with the others.
"""

from __future__ import annotations

from django import forms

from programs.choices import VARIATION_FIELDS, AttributeType, EvidenceKind, VariationKind
from programs.conditions import ConditionError, validate_condition
from programs.selectors import responsible_pm_candidates
from rollout.forms import StyledFormMixin, client_choices_for
from technicians.models import Skill

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


def skill_choice(form: forms.Form, organization) -> None:
    """The form's `required_skill` as a choice of the organization's skills catalogue (a slug already on the task
    but no longer in the catalogue stays choosable, so editing never loses it)."""
    skills = list(Skill.objects.for_organization(organization).order_by("name").values_list("slug", "name"))
    current = form.initial.get("required_skill") or (form.data.get("required_skill") if form.is_bound else "")
    if current and current not in {slug for slug, _ in skills}:
        skills.append((current, f"{current} (not in the skills catalogue)"))
    old = form.fields["required_skill"]
    form.fields["required_skill"] = forms.ChoiceField(
        label=old.label,
        required=False,
        choices=[("", "No particular skill"), *[(slug, f"{name} ({slug})") for slug, name in skills]],
        help_text="The skill a technician needs for this task, from the skills catalogue.",
        widget=forms.Select(attrs={"class": "form-select"}),
    )


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

    def __init__(self, *args, with_key: bool = True, organization=None, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_key:
            del self.fields["key"]
        if organization is not None:
            skill_choice(self, organization)


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


# --- Sites in programs ------------------------------------------------------------------------------


class WaveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, wave):
        return f"{wave.name} ({wave.start_date:%b %-d} – {wave.end_date:%b %-d, %Y})"


class BulkWaveForm(StyledFormMixin, forms.Form):
    """The wave a bulk enroll or set-wave puts the sites in (blank: none; enroll: keep theirs)."""

    wave = WaveChoiceField(queryset=None, required=False, empty_label="No wave")

    def __init__(self, *args, waves, empty_label: str = "No wave", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = waves
        self.fields["wave"].empty_label = empty_label


class ProgramAttributeForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        max_length=64,
        help_text="Its name on sites and in conditions: lowercase letters, digits and _, e.g. store_format.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "class": "font-monospace", "autocomplete": "off"}),
    )
    label = forms.CharField(max_length=120, required=False, help_text="What people read. Blank: made from the name.")
    type = forms.ChoiceField(choices=AttributeType.choices)
    allowed_values = forms.CharField(
        label="Allowed values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="For a choice: one value per line.",
    )
    required = forms.BooleanField(required=False, label="Every site must have it")
    help_text = forms.CharField(max_length=500, required=False, label="Help text")

    def clean_allowed_values(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("allowed_values") or "").splitlines() if line.strip()]


def sow_task_choices(tasks, empty: str) -> list[tuple[str, str]]:
    return [("", empty), *((task.key, f"{task.position}. {task.title} ({task.key})") for task in tasks)]


class SiteVariationForm(StyledFormMixin, forms.Form):
    """All kinds in one form; the page shows only the chosen kind's fields (the server keeps only those)."""

    site = forms.ModelChoiceField(queryset=None, empty_label="Choose an enrolled site…")
    kind = forms.ChoiceField(choices=VariationKind.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), help_text="Why this site differs.")
    task_key = forms.ChoiceField(label="SOW task", required=False, help_text="A task of the program's latest SOW.")
    new_task_key = forms.SlugField(
        label="Key of the new task", max_length=60, required=False, help_text="Blank: made from the title."
    )
    after_task_key = forms.ChoiceField(label="Place it after", required=False)
    title = forms.CharField(max_length=200, required=False)
    instructions = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text="Markdown, shown in the packet."
    )
    required_skill = forms.SlugField(max_length=60, required=False)
    estimated_minutes = forms.IntegerField(min_value=0, max_value=100_000, required=False)
    evidence_kind = forms.ChoiceField(choices=EvidenceKind.choices, label="Evidence required", required=False)
    photo_min_count = forms.IntegerField(label="Minimum photos", min_value=1, max_value=100, required=False)
    serial_pattern = forms.CharField(label="Serial number format", max_length=200, required=False)
    measurement_unit = forms.CharField(label="Unit", max_length=20, required=False)
    measurement_min = forms.DecimalField(label="Minimum", max_digits=12, decimal_places=3, required=False)
    measurement_max = forms.DecimalField(label="Maximum", max_digits=12, decimal_places=3, required=False)
    part_number = forms.CharField(max_length=80, required=False)
    description = forms.CharField(max_length=255, required=False)
    quantity = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0.01, required=False, initial=1)
    unit = forms.CharField(max_length=20, required=False, initial="ea")
    note = forms.CharField(label="Access note", widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, sites=None, tasks=(), fixed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed:
            del self.fields["site"]
            del self.fields["kind"]
        else:
            self.fields["site"].queryset = sites
        self.fields["task_key"].choices = sow_task_choices(tasks, "Choose a task…")
        self.fields["after_task_key"].choices = sow_task_choices(tasks, "At the end")

    def service_values(self, kind: str) -> dict:
        """The cleaned values as the services take them (the add-task key has its own field here)."""
        values = {name: value for name, value in self.cleaned_data.items() if name not in ("site", "kind")}
        new_key = values.pop("new_task_key", "")
        if kind == VariationKind.ADD_TASK:
            values["task_key"] = new_key
        return {name: value for name, value in values.items() if name in VARIATION_FIELDS[kind] or name == "reason"}


class DecisionForm(StyledFormMixin, forms.Form):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Note")


class ProgramSiteImportForm(StyledFormMixin, forms.Form):
    file = forms.FileField(
        label="Site file",
        help_text="CSV (UTF-8) or Excel .xlsx, first row = column names (see the site import page).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
