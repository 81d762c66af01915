"""OpenAPI generation: one error shape, the roles and error codes of every operation, and fields as they answer.

Every operation's description ends with the roles that may call it (read from the view's declared `roles`, the
same rules rollout.permissions enforces; also as `x-roles`) and its error responses, each with the stable codes
known for it (rollout.api.error_codes reads them from the services the view calls; also as `x-error-codes`).
"""

from __future__ import annotations

import typing

from django.db import models
from drf_spectacular.drainage import has_override
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from drf_standardized_errors.openapi import AutoSchema
from rest_framework import serializers

from rollout.api import errors
from rollout.api.error_codes import operation_error_codes
from rollout.authentication import TOKEN_MESSAGES
from rollout.choices import TOKEN_ROLES, Role
from rollout.permissions import allowed_roles

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

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

# The codes the framework itself answers with, by status (DRF and our base classes), whatever the operation.
FRAMEWORK_CODES = {
    400: ("parse_error",),
    401: ("not_authenticated", "authentication_failed", *TOKEN_MESSAGES),
    403: ("permission_denied",),
    404: ("not_found",),
    405: ("method_not_allowed",),
    406: ("not_acceptable",),
    413: ("request_too_large",),
    415: ("unsupported_media_type",),
    429: ("throttled",),
}
# Codes of POST's Idempotency-Key handling (rollout.api.idempotency).
IDEMPOTENCY_CODES = {
    400: ("idempotency_key_invalid",),
    409: ("idempotency_key_in_progress",),
    422: ("idempotency_key_reused",),
}
# A time of day as Django answers and accepts it: HH:MM[:SS[.ffffff]], no offset. (JSON Schema's `time` format
# requires an offset, which would make every answer invalid.)
TIME_OF_DAY = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "08:00"}
ROLE_ORDER = list(Role)


def role_list(roles) -> str:
    return ", ".join(f"`{role.value}`" for role in ROLE_ORDER if role in roles) or "nobody"


class TuttiAutoSchema(AutoSchema):
    """Our errors, roles and headers; and a declared write's request body (`create_input`, `update_input`) and
    status (`create_status`) read from the viewset's declarations (rollout.api.base.OrgServiceViewSet)."""

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

    # --- what each operation says about itself -------------------------------------------------------------
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        roles = allowed_roles(self.view, self.method)
        codes = self._error_codes()
        operation["x-roles"] = [role.value for role in ROLE_ORDER if role in roles]
        lines = [operation.get("description", "").rstrip(), self._roles_line(roles)]
        error_lines, documented = [], {}
        for status_code, response in operation.get("responses", {}).items():
            if not str(status_code).startswith(("4", "5")):
                continue
            known = codes.get(int(status_code), ())
            response["description"] = self._error_description(int(status_code), known)
            error_lines.append(f"- `{status_code}` {response['description']}")
            documented[str(status_code)] = list(known)
        operation["x-error-codes"] = documented
        lines.append(
            "**Errors** — body `{type, errors: [{code, detail, attr}]}`; the stable codes known for each status "
            "(a `validation_error` also carries each field's own codes: `required`, `invalid`, `null`, `blank`, "
            "`max_length`, …):\n\n" + "\n".join(error_lines)
        )
        operation["description"] = "\n\n".join(line for line in lines if line)
        return operation

    def _roles_line(self, roles) -> str:
        tokens = [role for role in ROLE_ORDER if role in roles and role in TOKEN_ROLES]
        line = f"**Roles:** {role_list(roles)}."
        if tokens and set(tokens) != set(roles) - {Role.TECHNICIAN}:
            line += f" API tokens: {role_list(tokens)}."
        return line

    def _handler_name(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def _error_codes(self) -> dict[int, tuple[str, ...]]:
        """Stable codes by status: the framework's, idempotency's on POST, and those the view's code raises."""
        found: dict[int, set[str]] = {status: set(codes) for status, codes in FRAMEWORK_CODES.items()}
        if self.method == "POST":
            for status, codes in IDEMPOTENCY_CODES.items():
                found.setdefault(status, set()).update(codes)
        for error in operation_error_codes(type(self.view), self._handler_name()):
            found.setdefault(error.status, set()).add(error.code)
        return {status: tuple(sorted(codes, key=lambda code: (code == "…", code))) for status, codes in found.items()}

    @staticmethod
    def _error_description(status_code: int, codes) -> str:
        shape = "`validation_error` or `client_error`" if status_code == 400 else "`client_error`"
        if status_code >= 500:
            shape = "`server_error`"
        known = ", ".join(f"`{code}`" for code in codes)
        return shape + (f": {known}" if known else "")

    # --- which error responses an operation documents ------------------------------------------------------
    def _should_add_error_response(self, responses: dict, status_code: str) -> bool:
        if status_code in responses:
            return False
        if status_code == "409":
            # POST answers 409 to a retry of an Idempotency-Key still in progress; any method, where its code
            # (the services it calls) refuses with a conflict: a row in use, an approved version, a decided variation.
            return self.method == "POST" or any(error.status == 409 for error in self._raised())
        if status_code == "422":
            return self.method == "POST"
        if status_code == "413":
            return self.method in WRITE_METHODS
        if status_code == "400":
            return True  # every operation parses its query string or body
        if status_code == "403":
            return True
        return super()._should_add_error_response(responses, status_code)

    def _raised(self):
        return operation_error_codes(type(self.view), self._handler_name())

    def _get_error_response_serializer(self, status_code: str):
        if status_code == "400":
            return errors.BadRequestResponseSerializer
        if status_code == "500":
            return errors.ServerErrorResponseSerializer
        return errors.ClientErrorResponseSerializer

    # --- request headers ---------------------------------------------------------------------------------
    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        parameters.append(ORGANIZATION_HEADER)
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    # --- fields as they really answer -------------------------------------------------------------------
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        _adopt_model_field(field)
        if isinstance(field, serializers.TimeField) and not _has_field_override(field):
            meta = self._get_serializer_field_meta(field, direction)
            return {**TIME_OF_DAY, **meta}
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is None:
            return None
        if isinstance(field, serializers.SerializerMethodField) and _method_may_return_none(field):
            schema = {**schema, "nullable": True}
        return schema

    def _insert_field_validators(self, field, schema):
        super()._insert_field_validators(field, schema)
        if getattr(field, "allow_blank", False):
            _allow_blank(schema)


def _has_field_override(field) -> bool:
    return has_override(field, "field")


def _adopt_model_field(field) -> None:
    """A read-only field of a ModelSerializer loses the model field's `blank` and `null` (DRF drops them with
    read_only): give them back, so that the schema admits the empty strings and nulls it will answer."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    source = getattr(field, "source", None)
    if model is None or not source or "." in source or source == "*" or not field.read_only:
        return
    try:
        model_field = model._meta.get_field(source)
    except Exception:  # noqa: BLE001 - a property or annotation, not a model field
        return
    if getattr(model_field, "null", False) and not model_field.many_to_many:
        field.allow_null = True
    if getattr(model_field, "blank", False) and isinstance(model_field, (models.CharField, models.TextField)):
        field.allow_blank = True


def _method_may_return_none(field) -> bool:
    method = getattr(field.parent, field.method_name, None)
    try:
        hint = typing.get_type_hints(method).get("return")
    except Exception:  # noqa: BLE001 - an unresolvable annotation says nothing either way
        return False
    return hint is not None and type(None) in typing.get_args(hint)


def _allow_blank(schema: dict) -> None:
    """A string that may also be empty: its pattern admits "", and a format ("" is no e-mail or URI) is dropped."""
    if schema.get("type") != "string":
        return
    if "pattern" in schema and not schema["pattern"].startswith("^$|"):
        schema["pattern"] = f"^$|{schema['pattern']}"
    if schema.get("format") in ("email", "uri", "uuid", "ipv4", "ipv6", "hostname"):
        schema.pop("format")
    if schema.get("minLength", 0) > 0:
        schema.pop("minLength")


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
