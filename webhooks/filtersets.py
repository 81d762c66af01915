"""One FilterSet per list of the webhooks app, shared by the HTML pages and the API. The endpoint filter's choices
are the caller's visible endpoints, so a foreign id is "not a valid choice" (400), never a probe."""

from __future__ import annotations

import django_filters

from rollout.events import event_types
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery, WebhookEndpoint


def _visible_endpoints(request):
    access = getattr(request, "access", None) if request is not None else None
    return WebhookEndpoint.objects.none() if access is None else WebhookEndpoint.objects.visible_to(access)


def event_type_choices() -> list[tuple[str, str]]:
    return [(spec.name, spec.title) for spec in event_types()]


class WebhookEndpointFilterSet(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(label="Active")

    class Meta:
        model = WebhookEndpoint
        fields = ["is_active"]


class WebhookDeliveryFilterSet(django_filters.FilterSet):
    """Deliveries by endpoint, status and event type."""

    endpoint = django_filters.ModelChoiceFilter(queryset=_visible_endpoints, empty_label="Any endpoint")
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices, empty_label="Any status")
    event_type = django_filters.ChoiceFilter(choices=event_type_choices, empty_label="Any event type")

    class Meta:
        model = WebhookDelivery
        fields = ["endpoint", "status", "event_type"]
