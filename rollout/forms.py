"""Forms of the browser UI. Inputs only: the services in rollout/services.py decide and write.

Every form is styled for Bootstrap in one place (`style_form`), so templates render any field with
`components/field.html` and get labels, help text and errors wired to the input for screen readers.
Choice fields over tenant data take their queryset from the caller's organization, never `.all()`.
"""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm

from rollout.choices import TOKEN_ROLES, Role
from rollout.errors import ApplicationError
from rollout.models import Client, Organization


def control_class(widget: forms.Widget) -> str:
    if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "form-check-input"
    if isinstance(widget, forms.Select):
        return "form-select"
    return "form-control"


def style_form(form: forms.BaseForm) -> forms.BaseForm:
    """Give every widget its Bootstrap class; once validated, mark the fields with errors `is-invalid`."""
    bound_errors = form._errors or {}  # never triggers validation: only marks what is already known
    for name, field in form.fields.items():
        widget = field.widget
        classes = set(widget.attrs.get("class", "").split())
        classes.add(control_class(widget))
        if name in bound_errors:
            classes.add("is-invalid")
        widget.attrs["class"] = " ".join(sorted(classes))
    return form


class StyledFormMixin:
    """Bootstrap classes on construction, and `is-invalid` on the fields that failed validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def full_clean(self):
        super().full_clean()
        style_form(self)

    def add_error(self, field, error):
        super().add_error(field, error)
        if field and field in self.fields:
            widget = self.fields[field].widget
            widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()


def add_service_error(form: forms.BaseForm, exc: ApplicationError, field_map: dict | None = None) -> None:
    """Show a service's refusal next to the field it names, or above the form when it names none."""
    field = (field_map or {}).get(exc.field, exc.field)
    form.add_error(field if field in form.fields else None, exc.message)


def client_choices_for(organization: Organization):
    """The organization's clients: the only valid choices of any client select."""
    return Client.objects.for_organization(organization).order_by("name")


# --- Sign-in and passwords ----------------------------------------------------------------------


class EmailAuthenticationForm(StyledFormMixin, AuthenticationForm):
    """Sign in with e-mail and password. The field stays `username` (django-axes reads it by that name)."""

    username = forms.EmailField(
        label="E-mail",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True, "inputmode": "email"}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That e-mail and password do not match an account. Check both and try again.",
        "inactive": "This account is disabled. Ask your organization admin for help.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "E-mail"


class TuttiPasswordResetForm(StyledFormMixin, PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "E-mail"
        self.fields["email"].widget.attrs.update({"autofocus": True, "inputmode": "email"})


class TuttiSetPasswordForm(StyledFormMixin, SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"


class InvitationSignupForm(StyledFormMixin, forms.Form):
    """Create the account an invitation is addressed to (the e-mail comes from the invitation)."""

    full_name = forms.CharField(
        label="Full name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True})
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        help_text="At least 10 characters; not a common password and not all digits.",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label="Confirm password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", "The two passwords do not match.")
        return data


# --- Members --------------------------------------------------------------------------------------

CLIENT_HELP = "Client viewers see only this client's programs, read-only."


class RoleClientFormMixin:
    """A role select and a client select scoped to the organization (used only for the client role)."""

    def setup_role_client(self, organization: Organization, role_choices) -> None:
        self.fields["role"].choices = role_choices
        self.fields["client"].queryset = client_choices_for(organization)
        self.fields["role"].widget.attrs["data-role-select"] = "true"
        self.fields["client"].widget.attrs["data-client-select"] = "true"

    def clean(self):
        data = super().clean()
        role, client = data.get("role"), data.get("client")
        if role == Role.CLIENT and client is None and "client" not in self.errors:
            self.add_error("client", "Choose the client this viewer may see.")
        if role and role != Role.CLIENT:
            data["client"] = None  # a left-over selection from switching roles is not an error
        return data


class InviteForm(StyledFormMixin, RoleClientFormMixin, forms.Form):
    email = forms.EmailField(
        label="E-mail",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "autofocus": True, "inputmode": "email"}),
        help_text="We e-mail a link that is valid for 7 days.",
    )
    role = forms.ChoiceField(label="Role")
    client = forms.ModelChoiceField(
        label="Client",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Choose a client…",
        help_text=CLIENT_HELP,
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_role_client(organization, Role.choices)


class MemberForm(StyledFormMixin, RoleClientFormMixin, forms.Form):
    role = forms.ChoiceField(label="Role")
    client = forms.ModelChoiceField(
        label="Client",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Choose a client…",
        help_text=CLIENT_HELP,
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_role_client(organization, Role.choices)


# --- API tokens -----------------------------------------------------------------------------------


class PersonalTokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(
        label="Which app is it for?",
        max_length=120,
        help_text="E.g. “Field app on my Pixel”. You can revoke it here at any time.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


TOKEN_ROLE_CHOICES = [(role.value, role.label) for role in Role if role in TOKEN_ROLES]


class ApiTokenForm(StyledFormMixin, RoleClientFormMixin, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="Say which system uses it, e.g. “ServiceNow sync”.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    role = forms.ChoiceField(label="Role", initial=Role.INTEGRATOR)
    client = forms.ModelChoiceField(
        label="Client",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Choose a client…",
        help_text="A client token reads only this client's data.",
    )
    expires_at = forms.DateField(
        label="Expires on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The token stops working at the end of this day (organization time).",
    )

    def __init__(self, *args, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        self.setup_role_client(organization, TOKEN_ROLE_CHOICES)

    def expires_at_datetime(self) -> datetime | None:
        """The chosen day's last second in the organization's time zone."""
        day = self.cleaned_data.get("expires_at")
        if day is None:
            return None
        return datetime.combine(day, time(23, 59, 59), tzinfo=ZoneInfo(self.organization.timezone))
