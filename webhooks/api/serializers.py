"""Serializers of the webhooks API. The signing secret appears only in the answers to create and rotate
(`WebhookEndpointSecretSerializer`); every other answer leaves it out."""

from __future__ import annotations

from rest_framework import serializers

from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

ENDPOINT_FIELDS = [
    "id",
    "url",
    "description",
    "event_types",
    "is_active",
    "disabled_reason",
    "disabled_at",
    "consecutive_dead",
    "failing_since",
    "last_success_at",
    "last_failure_at",
    "secret_rotated_at",
    "created_at",
    "updated_at",
]


class WebhookEndpointSerializer(serializers.ModelSerializer):
    event_types = serializers.ListField(
        child=serializers.CharField(), help_text="Catalogue names subscribed to; empty: every event type."
    )

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = ENDPOINT_FIELDS


class WebhookEndpointSecretSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(
        help_text="The Standard Webhooks signing secret (`whsec_…`). Shown only now: keep it in your receiver."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=500, help_text="https only; it must resolve to public addresses (400 `url_*` otherwise)."
    )
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        max_length=200,
        help_text="Names from the event catalogue (400 `unknown_event_type` otherwise); empty or absent: every type.",
    )
    is_active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "id",
            "number",
            "manual",
            "started_at",
            "url",
            "address",
            "request_headers",
            "request_body_excerpt",
            "status_code",
            "response_excerpt",
            "latency_ms",
            "error",
            "succeeded",
        ]
        read_only_fields = fields


DELIVERY_FIELDS = [
    "id",
    "endpoint",
    "event_id",
    "webhook_id",
    "event_type",
    "status",
    "attempts",
    "next_attempt_at",
    "last_attempt_at",
    "last_status_code",
    "last_response_excerpt",
    "last_latency_ms",
    "last_error",
    "succeeded_at",
    "created_at",
]


class WebhookDeliverySerializer(serializers.ModelSerializer):
    webhook_id = serializers.CharField(source="event.uid", help_text="The `webhook-id` header of every attempt.")
    event_id = serializers.IntegerField(source="event.pk")

    class Meta:
        model = WebhookDelivery
        fields = DELIVERY_FIELDS
        read_only_fields = fields


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    attempt_rows = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*DELIVERY_FIELDS, "attempt_rows"]
        read_only_fields = fields
