"""Webhook pages, beside API tokens in the organization's settings: the endpoints list, create and edit (the secret
is shown once, in the answer to the POST, never redirected to), an endpoint's page with its delivery log (filter,
sort, pagination), a delivery's attempts, and the actions (send a test event, redeliver; delete and rotate the
secret after a confirmation). Admins and integrators only."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from rollout.errors import ApplicationError
from rollout.forms import add_service_error
from rollout.tables import OrgTableView
from rollout.views.base import OrgConfirmView, OrgFormView, OrgTemplateView
from webhooks import selectors, services
from webhooks.choices import WEBHOOK_ROLES
from webhooks.filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from webhooks.forms import WebhookEndpointForm
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.tables import WebhookDeliveryTable, WebhookEndpointTable, delivery_status, endpoint_status, org_time

ROLES = {"read": WEBHOOK_ROLES, "write": WEBHOOK_ROLES}


class WebhookPageMixin:
    roles = ROLES

    def get_endpoint(self) -> WebhookEndpoint:
        return self.visible_or_404(WebhookEndpoint.objects, self.kwargs["pk"], "webhook endpoint")

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "section": "webhooks"}

    def secret_response(self, endpoint: WebhookEndpoint, *, rotated: bool):
        """The secret, rendered in the answer to the POST: never redirected to, never cached."""
        response = self.response_class(
            request=self.request,
            template=["webhooks/secret.html"],
            context={**self.get_context_data(), "endpoint": endpoint, "rotated": rotated},
            using=self.template_engine,
        )
        add_never_cache_headers(response)
        return response


class EndpointListView(WebhookPageMixin, OrgTableView):
    template_name = "webhooks/endpoint_list.html"
    queryset = WebhookEndpoint.objects.all()
    filterset_class = WebhookEndpointFilterSet
    table_class = WebhookEndpointTable

    def get_queryset(self):
        self.queryset = selectors.webhook_endpoint_list(access=self.access)
        return super().get_queryset()

    def prepare_filter_form(self, form):
        form.fields["is_active"].label = "Status"
        form.fields["is_active"].widget.choices = [("", "Any status"), ("true", "Active"), ("false", "Disabled")]


class EndpointCreateView(WebhookPageMixin, OrgFormView):
    template_name = "webhooks/endpoint_form.html"
    form_class = WebhookEndpointForm

    def form_valid(self, form):
        try:
            endpoint = services.webhook_endpoint_create(**self.service_kwargs(), **form.cleaned_data)
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return self.secret_response(endpoint, rotated=False)


class EndpointEditView(WebhookPageMixin, OrgFormView):
    template_name = "webhooks/endpoint_form.html"
    form_class = WebhookEndpointForm

    def get_form_kwargs(self):
        self.endpoint = self.get_endpoint()
        initial = {
            "url": self.endpoint.url,
            "description": self.endpoint.description,
            "event_types": self.endpoint.event_types,
            "is_active": self.endpoint.is_active,
        }
        return {**super().get_form_kwargs(), "editing": True, "initial": initial}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "endpoint": self.endpoint}

    def form_valid(self, form):
        try:
            services.webhook_endpoint_update(
                **self.service_kwargs(), webhook_endpoint_id=self.endpoint.pk, **form.cleaned_data
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "The endpoint was saved.")
        return redirect(self.org_url("webhooks:webhook-endpoint-detail", pk=self.endpoint.pk))


class EndpointDetailView(WebhookPageMixin, OrgTableView):
    """The endpoint and its delivery log."""

    template_name = "webhooks/endpoint_detail.html"
    queryset = WebhookDelivery.objects.all()
    filterset_class = WebhookDeliveryFilterSet
    table_class = WebhookDeliveryTable
    table_pagination = {"per_page": 25}

    def get_queryset(self):
        self.endpoint = self.get_endpoint()
        self.queryset = selectors.webhook_delivery_list(access=self.access, endpoint_id=self.endpoint.pk)
        return super().get_queryset()

    def prepare_filter_form(self, form):
        del form.fields["endpoint"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organization = self.access.organization
        context.update(
            endpoint=self.endpoint,
            status_badge=endpoint_status(self.endpoint),
            last_success=org_time(self.endpoint.last_success_at, organization, "never"),
            last_failure=org_time(self.endpoint.last_failure_at, organization, "never"),
            disabled_at=org_time(self.endpoint.disabled_at, organization),
        )
        return context


class ConfirmEndpointView(WebhookPageMixin, OrgConfirmView):
    """GET asks for confirmation, POST acts (delete, rotate the secret)."""

    def confirm_endpoint(self, endpoint) -> dict:
        raise NotImplementedError

    def confirm(self) -> dict:
        endpoint = self.get_endpoint()
        return {
            "details": [("URL", endpoint.url), ("Description", endpoint.description or "—")],
            "cancel_url": self.org_url("webhooks:webhook-endpoint-detail", pk=endpoint.pk),
            **self.confirm_endpoint(endpoint),
        }


class EndpointDeleteView(ConfirmEndpointView):
    def confirm_endpoint(self, endpoint) -> dict:
        return {
            "title": "Delete this webhook endpoint?",
            "message": "No more events are sent to it, and its delivery log is deleted with it. This cannot be undone.",
            "action_label": "Delete endpoint",
            "tone": "danger",
            "icon": "trash",
        }

    def post(self, request, *args, **kwargs):
        endpoint = self.get_endpoint()
        services.webhook_endpoint_delete(**self.service_kwargs(), webhook_endpoint_id=endpoint.pk)
        messages.success(request, f"The endpoint {endpoint.url} was deleted.")
        return redirect(self.org_url("webhooks:webhook-endpoints"))


class EndpointRotateSecretView(ConfirmEndpointView):
    def confirm_endpoint(self, endpoint) -> dict:
        return {
            "title": "Rotate the signing secret?",
            "message": "A new secret is generated and shown once. For the next 24 hours deliveries carry two "
            "signatures, with the new secret and the old one, so your receiver keeps verifying while you switch it "
            "over; after that, only the new secret signs.",
            "action_label": "Rotate secret",
            "tone": "danger",
            "icon": "arrow-repeat",
        }

    def post(self, request, *args, **kwargs):
        endpoint = services.webhook_endpoint_rotate_secret(
            **self.service_kwargs(), webhook_endpoint_id=self.get_endpoint().pk
        )
        return self.secret_response(endpoint, rotated=True)


class EndpointSendTestView(WebhookPageMixin, OrgTemplateView):
    """POST only: send a `webhook.test` event to this endpoint."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        endpoint = self.get_endpoint()
        try:
            services.webhook_endpoint_send_test(**self.service_kwargs(), webhook_endpoint_id=endpoint.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "A test event is on its way: it appears in the delivery log below.")
        return redirect(self.org_url("webhooks:webhook-endpoint-detail", pk=endpoint.pk))


class DeliveryDetailView(WebhookPageMixin, OrgTemplateView):
    """One delivery with every attempt: request headers and body excerpt, response, latency, error."""

    template_name = "webhooks/delivery_detail.html"

    def get_delivery(self) -> WebhookDelivery:
        return self.visible_or_404(
            WebhookDelivery.objects.select_related("endpoint", "event"), self.kwargs["pk"], "delivery"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        delivery = self.get_delivery()
        organization = self.access.organization
        attempts = list(selectors.webhook_attempt_list(access=self.access, delivery_id=delivery.pk))
        for attempt in attempts:
            attempt.started_label = org_time(attempt.started_at, organization)
        context.update(
            delivery=delivery,
            endpoint=delivery.endpoint,
            attempts=attempts,
            status_badge=delivery_status(delivery),
            next_attempt=org_time(delivery.next_attempt_at, organization),
            created=org_time(delivery.created_at, organization),
        )
        return context


class DeliveryRedeliverView(WebhookPageMixin, OrgTemplateView):
    """POST only: send the delivery again now, once, with the same webhook-id."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        delivery = self.visible_or_404(WebhookDelivery.objects, self.kwargs["pk"], "delivery")
        try:
            services.webhook_delivery_redeliver(**self.service_kwargs(), webhook_delivery_id=delivery.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "The delivery is being sent again, with the same webhook-id.")
        return redirect(self.org_url("webhooks:webhook-delivery-detail", pk=delivery.pk))
