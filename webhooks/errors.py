"""Errors of the webhooks app: each a stable `code` on the product's one ApplicationError base."""

from rollout.errors import ApplicationError, Conflict


class UrlRefused(ApplicationError):
    """A webhook URL the SSRF guard refuses. The code says why: `url_invalid`, `url_scheme_not_allowed` (not https),
    `url_unresolvable` (no address), `url_address_not_allowed` (a private, loopback, link-local, multicast, reserved
    or metadata address)."""

    code = "url_invalid"

    def __init__(self, message: str, *, code: str = "url_invalid"):
        super().__init__(message, code=code, field="url")


class EndpointDisabled(Conflict):
    code = "endpoint_disabled"
    default_message = "This endpoint is disabled: enable it first."


class DeliveryInProgress(Conflict):
    code = "delivery_in_progress"
    default_message = "A worker is sending this delivery right now; try again in a minute."
