"""Request plumbing: a request id for logs and audit, and the organization of browser pages."""

import re
import uuid

from django.contrib.auth.views import redirect_to_login

from rollout.access import access_for_page
from rollout.request_context import request_id_var
from rollout.rls import rls_set_organization

REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


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


class OrganizationMiddleware:
    """For pages under /o/<org>/: sign-in required, then the one resolver sets `request.access` (or 404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.access = None
        try:
            return self.get_response(request)
        finally:
            if request.access is not None:
                rls_set_organization(None)

    def process_view(self, request, view_func, view_args, view_kwargs):
        slug = view_kwargs.get("org")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        request.access = access_for_page(request, slug)
        rls_set_organization(request.access.organization.pk)
        return None
