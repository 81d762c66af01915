"""Forms of the webhook pages: an endpoint's URL, description, event types (checkboxes from the catalogue) and, when
editing, whether it is active. The service checks the URL (SSRF guard) and the names; its refusals land on the
field they name."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html

from rollout.events import event_types
from rollout.forms import StyledFormMixin


class WebhookEndpointForm(StyledFormMixin, forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        help_text="https only, reachable on the internet. Tutti POSTs each event here, signed.",
        widget=forms.URLInput(attrs={"autofocus": True, "placeholder": "https://hooks.example.com/tutti"}),
    )
    description = forms.CharField(
        label="Description", max_length=200, required=False, help_text="Which system receives it, e.g. “ERP sync”."
    )
    event_types = forms.MultipleChoiceField(
        label="Events",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose none to receive every event type, including the ones added later.",
    )
    is_active = forms.BooleanField(label="Active: send events to this endpoint", required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = [
            (spec.name, format_html("{} <code>{}</code>", spec.title, spec.name)) for spec in event_types()
        ]
        if not editing:
            del self.fields["is_active"]
