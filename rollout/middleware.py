"""Request plumbing: a request id for logs and audit, and the organization of browser pages."""

import json
import re
import uuid
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.middleware.common import CommonMiddleware
from django.utils import timezone
from django.utils.cache import patch_cache_control

from rollout.access import access_for_page
from rollout.request_context import request_id_var
from rollout.rls import rls_set_organization

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class HealthCheckMiddleware:
    """GET /healthz answers before host validation and the HTTPS redirect: load balancers and compose's health
    check probe the server by its address over plain HTTP from inside the network (rollout.views.health)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            from rollout.views.health import healthz

            return healthz(request)
        return self.get_response(request)


class RequestIdMiddleware:
    """Takes X-Request-ID from the caller when well-formed, otherwise makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request.id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request.id
        return response


API_PREFIX = "/api/"
#: The error code of a response the API did not write itself (Django's 404 / 500 / 400 pages, in any mode).
API_ERROR_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "request_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}
API_ERROR_DETAILS = {
    400: "Bad request.",
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
    500: "Server Error (500)",
}
KEPT_ERROR_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "X-Request-ID")


def api_error_response(status: int) -> HttpResponse:
    """The API's error shape (drf-standardized-errors) for a bare status: what Django's own pages are replaced by."""
    error_type = "server_error" if status >= 500 else "client_error"
    code = "error" if status >= 500 else API_ERROR_CODES.get(status, "error")
    detail = API_ERROR_DETAILS.get(status, "The request could not be completed.")
    body = {"type": error_type, "errors": [{"code": code, "detail": detail, "attr": None}]}
    return HttpResponse(json.dumps(body), status=status, content_type="application/json")


class ApiErrorShapeMiddleware:
    """Every error under /api/ answers in the API's JSON error shape, whatever produced it.

    DRF views already do (drf-standardized-errors); this catches the rest: an unknown `/api/…` path or a malformed id
    (Django's 404 — under DEBUG its page lists every URL), a crash outside a DRF view (Django's 500 — under DEBUG
    its page shows the code and settings), and Django's 400 page. The traceback is still logged by Django.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith(API_PREFIX) or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # already the API's shape (or a JSON body the view chose)
        if request.path.startswith(("/api/docs/", "/api/redoc/")) and response.status_code < 500:
            return response  # the HTML documentation pages keep their own 4xx
        shaped = api_error_response(response.status_code)
        for header in KEPT_ERROR_HEADERS:
            if header in response:
                shaped[header] = response[header]
        return shaped


class ApiCommonMiddleware(CommonMiddleware):
    """Django's CommonMiddleware, except that an API write to a path without its trailing slash is a 404.

    Django would redirect it (losing the body) or, under DEBUG, raise a RuntimeError (a 500)."""

    def should_redirect_with_slash(self, request):
        if request.path_info.startswith(API_PREFIX) and request.method not in ("GET", "HEAD", "OPTIONS"):
            return False
        return super().should_redirect_with_slash(request)


class OrganizationMiddleware:
    """For pages under /o/<org>/: sign-in required, then the one resolver sets `request.access` (or 404), and times
    render on the organization's clock (a site's own times are converted to the site's zone where they are shown)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = None
        try:
            return self.get_response(request)
        finally:
            if request.access is not None:
                rls_set_organization(None)
                timezone.deactivate()

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.access = access_for_page(request, slug)
        rls_set_organization(request.access.organization.pk)
        timezone.activate(ZoneInfo(request.access.organization.timezone))
        return None


class SignedInNoStoreMiddleware:
    """A signed-in user's page is theirs alone: `Cache-Control: private, no-store`, so no browser cache, proxy or
    shared computer keeps a copy (the API does the same in rollout.api.base). A response that chose its own
    caching keeps it (a photo's `private, max-age`, the field app's service worker's `no-cache`); static files are
    answered before this (WhiteNoise) and public pages have no user. The field app's service worker keeps the
    technician's pages in the Cache API, which HTTP caching headers do not govern."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Cache-Control" not in response and request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
