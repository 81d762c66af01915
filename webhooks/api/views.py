"""API views of the webhooks app: endpoints (CRUD, rotate the secret, send a test event) and their delivery log
(list, detail with attempts, redeliver). Admins and integrators only; another organization's row is a 404."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rollout.api.base import OrgGenericViewSet, OrgServiceViewSet
from webhooks import services
from webhooks.api import serializers as s
from webhooks.choices import WEBHOOK_ROLES
from webhooks.filtersets import WebhookDeliveryFilterSet, WebhookEndpointFilterSet
from webhooks.models import WebhookDelivery, WebhookEndpoint

ROLES = {"read": WEBHOOK_ROLES, "write": WEBHOOK_ROLES}


@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(OrgServiceViewSet):
    """Webhook endpoints: a URL, the event types it subscribes to (the `x-webhooks` section of this schema lists the
    catalogue) and a signing secret shown once, on create and on rotation. An endpoint that keeps failing is
    disabled automatically (`disabled_reason`); PATCH `is_active: true` enables it again."""

    queryset = WebhookEndpoint.objects.all()
    serializer_class = s.WebhookEndpointSerializer
    filterset_class = WebhookEndpointFilterSet
    search_fields = ["url", "description"]
    ordering_fields = ["url", "created_at"]
    ordering = ["url", "id"]
    roles = ROLES
    secret_response_fields = frozenset({"secret"})

    create_input, create_service = s.WebhookEndpointInputSerializer, services.webhook_endpoint_create
    update_input, update_service = s.WebhookEndpointInputSerializer, services.webhook_endpoint_update
    delete_service = services.webhook_endpoint_delete

    def _with_secret(self, endpoint, status_code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=endpoint.pk)
        return Response(s.WebhookEndpointSecretSerializer(fresh).data, status=status_code)

    @extend_schema(
        responses={201: s.WebhookEndpointSecretSerializer},
        description=(
            "Add an endpoint. The answer carries the signing `secret`, the only time it is shown. 400 `url_invalid`, "
            "`url_scheme_not_allowed` (not https), `url_unresolvable`, `url_address_not_allowed` (a private, "
            "loopback, link-local, metadata… address), `unknown_event_type`."
        ),
    )
    def create(self, request, *args, **kwargs):
        endpoint = self.call_service(self.create_service, self.input(self.create_input))
        return self._with_secret(endpoint, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses=s.WebhookEndpointSecretSerializer,
        description=(
            "Replace the signing secret; the answer carries the new one, shown only now. For 24 hours "
            "(TUTTI_WEBHOOKS_SECRET_OVERLAP_HOURS) deliveries carry a second signature made with the old secret."
        ),
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        endpoint = self.get_object()
        rotated = services.webhook_endpoint_rotate_secret(**self.service_kwargs(), webhook_endpoint_id=endpoint.pk)
        return self._with_secret(rotated)

    @extend_schema(
        request=None,
        responses={202: s.WebhookDeliverySerializer},
        description=(
            "Send a `webhook.test` event to this endpoint only; the answer is its delivery (follow it in the log). "
            "409 `endpoint_disabled`."
        ),
    )
    @action(detail=True, methods=["post"], url_path="send-test")
    def send_test(self, request, pk=None):
        endpoint = self.get_object()
        delivery = services.webhook_endpoint_send_test(**self.service_kwargs(), webhook_endpoint_id=endpoint.pk)
        fresh = WebhookDelivery.objects.visible_to(self.access).select_related("event").get(pk=delivery.pk)
        return Response(s.WebhookDeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["webhooks"])
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """The delivery log: one row per event and endpoint (filter by `endpoint`, `status`, `event_type`), newest
    first; the detail lists every attempt (request headers and body excerpt, response status and excerpt, latency,
    error)."""

    queryset = WebhookDelivery.objects.select_related("event")
    serializer_class = s.WebhookDeliverySerializer
    filterset_class = WebhookDeliveryFilterSet
    ordering_fields = ["created_at", "last_attempt_at"]
    ordering = ["-created_at", "-id"]
    roles = ROLES

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("attempt_rows")
        return queryset

    def get_serializer_class(self):
        return s.WebhookDeliveryDetailSerializer if self.action == "retrieve" else s.WebhookDeliverySerializer

    @extend_schema(
        request=None,
        responses={202: s.WebhookDeliverySerializer},
        description=(
            "Send this delivery again now, once, with the same `webhook-id`. 409 `endpoint_disabled`, "
            "`delivery_in_progress`."
        ),
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, pk=None):
        delivery = self.get_object()
        services.webhook_delivery_redeliver(**self.service_kwargs(), webhook_delivery_id=delivery.pk)
        fresh = self.get_queryset().get(pk=delivery.pk)
        return Response(s.WebhookDeliverySerializer(fresh).data, status=status.HTTP_202_ACCEPTED)
