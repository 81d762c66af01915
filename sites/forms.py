"""Forms of the sites pages. Inputs only: sites.services decides and writes.

Choice fields over tenant data take their queryset from the caller's access, never `.all()`.
"""

from django import forms

from rollout.models import Client
from rollout.tenancy import Access

WIDGET_CLASSES = {"Select": "form-select", "CheckboxInput": "form-check-input", "NullBooleanSelect": "form-select"}


def style_widgets(form: forms.BaseForm) -> forms.BaseForm:
    """Bootstrap classes on every widget (the UI shell's look), without touching validation."""
    for field in form.fields.values():
        css = WIDGET_CLASSES.get(type(field.widget).__name__, "form-control")
        field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()
    return form


def style_filter_form(form: forms.BaseForm) -> forms.BaseForm:
    """The site list's filter bar: placeholders and compact controls."""
    placeholders = {"q": "Code, name, city…", "attr": "name:value", "state": "e.g. IL", "city": "City"}
    for name, text in placeholders.items():
        if name in form.fields:
            form.fields[name].widget.attrs["placeholder"] = text
    if "q" in form.fields:
        form.fields["q"].widget.input_type = "search"
    return style_widgets(form)


class SiteImportUploadForm(forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose the client…")
    file = forms.FileField(
        label="Site file",
        help_text="CSV (UTF-8) or Excel .xlsx, first row = column names.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, access: Access, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(access).order_by("name")
        style_widgets(self)
