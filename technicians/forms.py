"""Forms of the technicians pages. Inputs only: the services decide and write.

Choice fields over tenant data (vendor, skills) take their queryset from the caller's organization;
a technician's or certificate's current choice stays selectable even when it has since been retired.
"""

from __future__ import annotations

from functools import cache

from django import forms

from rollout.forms import StyledFormMixin
from rollout.geo import timezone_names
from technicians.choices import DEFAULT_WORKING_DAYS, TRAINING_ROLE_CHOICES, Weekday
from technicians.models import Course, Skill, Vendor
from technicians.selectors import course_choices, skill_choices, training_person_choices, vendor_choices

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


@cache
def timezone_choices() -> list[tuple[str, str]]:
    names = sorted(name for name in timezone_names() if "/" in name and not name.startswith(("Etc/", "SystemV/")))
    return [(name, name.replace("_", " ")) for name in names]


class VendorForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=160, widget=forms.TextInput(attrs={"autofocus": True}))
    code = forms.SlugField(max_length=40, help_text="Short and unique, letters, digits and hyphens: e.g. lakeshore.")
    contact_name = forms.CharField(label="Contact name", max_length=120, required=False)
    contact_email = forms.EmailField(label="Contact e-mail", required=False)
    contact_phone = forms.CharField(label="Contact phone", max_length=40, required=False)
    insurance_expires_on = forms.DateField(
        label="Insurance expires on",
        widget=DATE,
        required=False,
        help_text="After this day none of the vendor's technicians can be assigned. Blank: not on file (also blocks).",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class SkillForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=120, widget=forms.TextInput(attrs={"autofocus": True}))
    slug = forms.SlugField(
        max_length=60,
        help_text="What SOW tasks name as their required skill, e.g. pos-install. It cannot change later.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    requires_certification = forms.BooleanField(
        label="Requires a valid certification",
        required=False,
        help_text="Work needing this skill goes only to technicians holding an unexpired certification for it.",
    )

    def __init__(self, *args, with_slug: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_slug:
            del self.fields["slug"]


class VendorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, vendor):
        return vendor.name if vendor.active else f"{vendor.name} (inactive)"


class SkillChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, skill):
        suffix = " · certification required" if skill.requires_certification else ""
        return f"{skill.name}{suffix}" if skill.active else f"{skill.name} (retired)"


class TechnicianForm(StyledFormMixin, forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150)
    email = forms.EmailField(label="E-mail")
    phone = forms.CharField(max_length=40, required=False, help_text="For texts about visits.")
    vendor = VendorChoiceField(queryset=Vendor.objects.none(), required=False, empty_label="In-house (no vendor)")
    skills = SkillChoiceField(queryset=Skill.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    home_address = forms.CharField(label="Home base address", max_length=255, required=False)
    home_latitude = forms.DecimalField(
        label="Latitude", max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    home_longitude = forms.DecimalField(
        label="Longitude", max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    service_radius_km = forms.IntegerField(
        label="Service radius (km)", min_value=1, max_value=2000, initial=80, help_text="How far from home they go."
    )
    working_days = forms.MultipleChoiceField(
        label="Working days",
        choices=Weekday.choices,
        initial=DEFAULT_WORKING_DAYS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    work_start = forms.TimeField(label="Day starts", widget=TIME, initial="08:00")
    work_end = forms.TimeField(label="Day ends", widget=TIME, initial="17:00")
    timezone = forms.ChoiceField(label="Time zone", choices=())

    def __init__(self, *args, organization, technician=None, **kwargs):
        super().__init__(*args, **kwargs)
        vendors = vendor_choices(organization=organization)
        skills = skill_choices(organization=organization)
        if technician is not None:
            # Keep what the technician already has selectable, even if retired since.
            scoped_vendors = Vendor.objects.for_organization(organization)
            scoped_skills = Skill.objects.for_organization(organization)
            if technician.vendor_id:
                vendors = scoped_vendors.filter(pk__in=[*vendors.values_list("pk", flat=True), technician.vendor_id])
            current = list(technician.skills.values_list("pk", flat=True))
            skills = scoped_skills.filter(pk__in=[*skills.values_list("pk", flat=True), *current])
        self.fields["vendor"].queryset = vendors.order_by("name")
        self.fields["skills"].queryset = skills.order_by("name")
        self.fields["timezone"].choices = timezone_choices()
        self.fields["timezone"].initial = organization.timezone
        if technician is not None and technician.user_id:
            self.fields["email"].disabled = True
            self.fields["email"].help_text = "They signed up with this e-mail; it can no longer change here."

    def clean(self):
        data = super().clean()
        latitude, longitude = data.get("home_latitude"), data.get("home_longitude")
        if (latitude is None) != (longitude is None) and not self.errors.get("home_latitude"):
            self.add_error("home_longitude" if latitude is not None else "home_latitude", "Give both, or neither.")
        start, end = data.get("work_start"), data.get("work_end")
        if start and end and end <= start:
            self.add_error("work_end", "The day must end after it starts.")
        return data


class InviteTechnicianForm(StyledFormMixin, forms.Form):
    full_name = forms.CharField(label="Full name", max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    email = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "inputmode": "email"}),
        help_text="We e-mail a link valid for 7 days. You also get the link to send by text.",
    )
    phone = forms.CharField(max_length=40, required=False)
    vendor = VendorChoiceField(queryset=Vendor.objects.none(), required=False, empty_label="In-house (no vendor)")
    skills = SkillChoiceField(queryset=Skill.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = vendor_choices(organization=organization)
        self.fields["skills"].queryset = skill_choices(organization=organization)


class CertificationForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=160, help_text="e.g. BICSI Installer 2, OSHA 10.")
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.none(),
        required=False,
        empty_label="No particular skill",
        help_text="The skill it certifies (for skills that require certification).",
    )
    issued_on = forms.DateField(label="Issued on", widget=DATE, required=False)
    expires_on = forms.DateField(label="Expires on", widget=DATE, required=False, help_text="Blank: does not expire.")
    reference = forms.CharField(max_length=120, required=False, help_text="Certificate number or issuer reference.")

    def __init__(self, *args, organization, certification=None, **kwargs):
        super().__init__(*args, **kwargs)
        skills = skill_choices(organization=organization)
        if certification is not None and certification.skill_id:
            skills = Skill.objects.for_organization(organization).filter(
                pk__in=[*skills.values_list("pk", flat=True), certification.skill_id]
            )
        self.fields["skill"].queryset = skills.order_by("name")

    def clean(self):
        data = super().clean()
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", "A certification cannot expire before it is issued.")
        return data


class TimeOffForm(StyledFormMixin, forms.Form):
    start_date = forms.DateField(label="First day", widget=DATE)
    end_date = forms.DateField(label="Last day", widget=DATE, help_text="Inclusive; the same day for a single day.")
    reason = forms.CharField(max_length=200, required=False, help_text="e.g. Vacation, training.")

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "Time off must end on or after the day it starts.")
        return data


# --- Training path ----------------------------------------------------------------------------------


class CourseForm(StyledFormMixin, forms.Form):
    name = forms.CharField(max_length=160, widget=forms.TextInput(attrs={"autofocus": True}))
    roles = forms.MultipleChoiceField(
        label="For",
        choices=TRAINING_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who takes this course. A program can require it only of these roles.",
    )
    validity_months = forms.IntegerField(
        label="Valid for (months)",
        min_value=1,
        max_value=240,
        required=False,
        help_text="How long a completion counts. Blank: it does not expire.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


class TrainingRecordForm(StyledFormMixin, forms.Form):
    """A completion: the person is a technician or a PM/coordinator of the organization, picked in one list."""

    person = forms.ChoiceField(help_text="Technicians, then PMs and coordinators.")
    course = forms.ModelChoiceField(queryset=Course.objects.none(), empty_label="Choose a course")
    completed_on = forms.DateField(label="Completed on", widget=DATE)
    expires_on = forms.DateField(
        label="Expires on",
        widget=DATE,
        required=False,
        help_text="Blank: completion + the course's validity (or never, for a course that does not expire).",
    )
    certificate = forms.FileField(
        required=False,
        help_text="PDF, PNG or JPEG, at most 10 MB. Kept private: only your organization can open it.",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = course_choices(organization=organization)
        self.fields["person"].choices = [("", "Choose a person"), *training_person_choices(organization=organization)]

    def service_values(self) -> dict:
        data = self.cleaned_data
        kind, _, pk = data["person"].partition("-")
        return {
            "course_id": data["course"].pk,
            "technician_id": int(pk) if kind == "technician" else None,
            "member_id": int(pk) if kind == "member" else None,
            "completed_on": data["completed_on"],
            "expires_on": data["expires_on"],
            "certificate": data["certificate"] or None,
        }
