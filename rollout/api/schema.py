"""OpenAPI generation: standardized error responses for every operation, plus our extra errors and headers."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema

from rollout.api.errors import ClientErrorResponseSerializer

WRITE_METHODS = ("POST", "PUT", "PATCH")

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (a UUID is ideal). Retrying with the same key and body returns the first "
        "response (with `Idempotent-Replayed: true`); the same key with a different body is refused "
        "with 422 `idempotency_key_reused`; a retry while the first is still running gets 409 "
        "`idempotency_key_in_progress`. Keys are remembered for 24 hours. Secrets shown once (an API key, an "
        "invitation link) replay as null."
    ),
)
ORGANIZATION_HEADER = OpenApiParameter(
    name="X-Organization",
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Session callers only: the slug of the organization to act in (defaults to the one chosen in the "
        "browser). API tokens are bound to their organization and ignore it."
    ),
)


class TuttiAutoSchema(AutoSchema):
    """Our errors and headers; and a declared write's request body (`create_input`, `update_input`) and status
    (`create_status`) read from the viewset's declarations (rollout.api.base.OrgServiceViewSet)."""

    def _declared(self, name: str):
        return getattr(self.view, name, None)

    def get_request_serializer(self):
        action = getattr(self.view, "action", None)
        declared = {"create": "create_input", "update": "update_input", "partial_update": "update_input"}.get(action)
        if declared and self._declared(declared) is not None:
            return self._declared(declared)
        return super().get_request_serializer()

    def get_response_serializers(self):
        serializers = super().get_response_serializers()
        create_status = self._declared("create_status")
        if self._is_create_operation() and self._declared("create_input") is not None and create_status != 201:
            return {create_status: serializers}
        return serializers

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        parameters.append(ORGANIZATION_HEADER)
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in ("409", "422"):
            # Idempotency conflicts on POST; state conflicts where a view declares them.
            declared = status_code == "409" and self.view.__class__.__dict__.get("raises_conflict", False)
            return status_code not in responses and (self.method == "POST" or declared)
        if status_code == "413":
            return status_code not in responses and self.method in WRITE_METHODS
        return super()._should_add_error_response(responses, status_code)

    def _get_error_response_serializer(self, status_code: str):
        if status_code in ("409", "413", "422"):
            return ClientErrorResponseSerializer
        return super()._get_error_response_serializer(status_code)


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer tutti_…` for every operation."""

    target_class = "rollout.authentication.ApiTokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "tutti_<prefix>_<secret>",
            "description": "An organization API token (create one under Settings → API tokens, or with "
            "`manage.py create_api_token`). The token fixes the organization and the role.",
        }
