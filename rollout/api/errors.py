"""One error format for the whole API (drf-standardized-errors), fed by our ApplicationError codes.

{"type": "validation_error" | "client_error" | "server_error",
 "errors": [{"code": "stable_machine_code", "detail": "Words for people.", "attr": "field" | null}]}
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_standardized_errors.handler import ExceptionHandler
from rest_framework import exceptions, serializers, status

from rollout.errors import ApplicationError


class ApplicationAPIException(exceptions.APIException):
    """An ApplicationError carried through DRF with its own status and code."""

    def __init__(self, error: ApplicationError):
        self.status_code = error.status_code
        super().__init__(detail=error.message, code=error.code)


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def enforce_body_limit(request) -> None:
    """Refuse oversized bodies before parsing: DRF's parsers read the stream past Django's own limit.

    Multipart uploads (site imports, photos) may be larger than other bodies; files stream to disk.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    multipart = request.content_type.startswith("multipart/")
    limit = settings.TUTTI_MAX_UPLOAD_BYTES if multipart else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and length > limit:
        raise RequestTooLarge(f"The request body is {length:,} bytes; the limit is {limit:,} bytes.")


class TuttiExceptionHandler(ExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if isinstance(exc, ApplicationError):
            if exc.field and exc.status_code == status.HTTP_400_BAD_REQUEST:
                return exceptions.ValidationError({exc.field: [exceptions.ErrorDetail(exc.message, code=exc.code)]})
            return ApplicationAPIException(exc)
        if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent)):
            return RequestTooLarge()
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            return exceptions.ValidationError(detail)
        return super().convert_known_exceptions(exc)


# The `type` of an error body, by kind of response (named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
BAD_REQUEST_TYPES = [("validation_error", "validation_error"), ("client_error", "client_error")]
CLIENT_ERROR_TYPES = [("client_error", "client_error")]
SERVER_ERROR_TYPES = [("server_error", "server_error")]


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable and machine-readable: match on it (each operation lists its own).")
    detail = serializers.CharField(help_text="Words for people; may change.")
    attr = serializers.CharField(
        allow_null=True, help_text="The field at fault (`a.b`, `items.0.name`), or null for the whole request."
    )


class ClientErrorResponseSerializer(serializers.Serializer):
    """A 4xx: the request was refused, with a stable code per error (see each operation's description)."""

    type = serializers.ChoiceField(choices=CLIENT_ERROR_TYPES)
    errors = ErrorSerializer(many=True)


class BadRequestResponseSerializer(serializers.Serializer):
    """A 400: `validation_error` names the fields at fault; `client_error` refuses the request as a whole
    (a body that is not JSON, a malformed header)."""

    type = serializers.ChoiceField(choices=BAD_REQUEST_TYPES)
    errors = ErrorSerializer(many=True)


class ServerErrorResponseSerializer(serializers.Serializer):
    """A 500: our fault, logged with the request id; retrying later may work."""

    type = serializers.ChoiceField(choices=SERVER_ERROR_TYPES)
    errors = ErrorSerializer(many=True)
