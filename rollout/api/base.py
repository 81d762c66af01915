"""The scoped base classes of the REST API. Every API view over tenant data derives from these.

They resolve the caller's `Access` right after authentication (one resolver, rollout.access), scope
every queryset with `visible_to(access)`, check the role rules declared on the view, and honour
`Idempotency-Key` on POST. Concrete viewsets declare only queryset, serializers, filters and roles —
and, for writes, which input serializer and which service each of create, update and delete uses
(`OrgServiceViewSet`): the base checks the input, calls the service and answers with the output
serializer, and the OpenAPI schema is read from the same declarations (rollout.api.schema).
"""

from __future__ import annotations

import inspect
import re
from functools import cache

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.cache import patch_vary_headers
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from rollout.access import access_for_api_request
from rollout.api.errors import enforce_body_limit
from rollout.api.idempotency import IdempotentReplay, idempotency_begin, idempotency_finish, idempotency_release
from rollout.rls import rls_set_organization


class OrgAPIMixin:
    """Resolves `request.access` and scopes querysets. Must come before DRF's view classes in the MRO."""

    #: Declared per view: {"read": roles, "write": roles, "<action>": roles}. See rollout.permissions.
    roles: dict = {}
    #: Response fields shown once and never kept for Idempotency-Key replays (they replay as null).
    secret_response_fields: frozenset = frozenset()
    access = None
    _idempotency_record = None

    def perform_authentication(self, request):
        # A session caller's CSRF check makes DRF parse the body from the stream, after which the raw body the
        # Idempotency-Key fingerprint hashes could no longer be read: read (and cache) it first. Multipart bodies
        # are fingerprinted from their parsed parts, so they are left alone.
        if request.method == "POST" and not request.content_type.startswith("multipart/"):
            request._request.body  # noqa: B018 - caches the raw body on the Django request
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed:
            # A made-up token per request must not walk past the rate limit: refused callers count by address.
            self.check_throttles(request)
            raise
        self.access = request.access = access_for_api_request(request)
        if self.access is not None:
            rls_set_organization(self.access.organization.pk)

    def check_permissions(self, request):
        # Throttle first, so that anonymous and refused callers are rate-limited too.
        self.check_throttles(request)
        super().check_permissions(request)

    def check_throttles(self, request):
        if getattr(request, "_throttle_checked", False):
            return
        request._throttle_checked = True
        super().check_throttles(request)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        enforce_body_limit(request)
        if self.access is not None:
            self._idempotency_record = idempotency_begin(request, self.access)

    def handle_exception(self, exc):
        if isinstance(exc, IdempotentReplay):
            return exc.response()
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self._idempotency_record is not None:
            record, self._idempotency_record = self._idempotency_record, None
            try:
                idempotency_finish(record, response, self.secret_response_fields)
            except Exception:
                idempotency_release(record)  # never leave a key "in progress" for good
                raise
        if self.access is not None or request.user.is_authenticated:
            # A signed-in caller's answer is theirs alone: no browser, proxy or CDN may keep it.
            response["Cache-Control"] = "no-store"
            patch_vary_headers(response, ("Authorization", "Cookie"))
        if self.access is not None:
            rls_set_organization(None)
        return response

    # Writes go through services: an input serializer checks the shape, the output serializer answers.
    def service_kwargs(self) -> dict:
        """The keyword arguments every service takes from the request: organization and actor."""
        return {"organization": self.access.organization, "actor": self.access}

    def input(self, serializer_class, *, partial: bool = False, instance=None) -> dict:
        """Validated request data, through an input serializer (400 with field errors otherwise)."""
        data = serializer_class(
            instance, data=self.request.data, partial=partial, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        return dict(data.validated_data)

    def output(self, instance, *, status_code: int = 200) -> Response:
        """The view's output serializer for `instance`, re-read through the scoped queryset (annotations)."""
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["access"] = self.access
        context["organization"] = self.access.organization if self.access else None
        return context

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.access is None:  # schema generation, or a request refused before this point
            return queryset.none()
        return queryset.visible_to(self.access)


class OrgAPIView(OrgAPIMixin, APIView):
    """A plain API view over tenant data (no queryset): e.g. the caller's own context."""


class OrgGenericViewSet(OrgAPIMixin, viewsets.GenericViewSet):
    """Base for viewsets that pick their own mixins and actions."""


class OrgReadOnlyViewSet(OrgAPIMixin, viewsets.ReadOnlyModelViewSet):
    pass


# --- Declared writes -----------------------------------------------------------------------------------
#
#     class WaveViewSet(OrgServiceViewSet):
#         queryset = Wave.objects.select_related("program")
#         serializer_class = s.WaveSerializer                       # the answer (and the reads)
#         create_input, create_service = s.WaveCreateInputSerializer, services.wave_create
#         update_input, update_service = s.WaveUpdateInputSerializer, services.wave_update
#         delete_service = services.wave_delete
#
# Services take `organization` and `actor` (service_kwargs), and the row they change as `<id_name>` (by default
# `<model>_id`, e.g. `wave_id`). A row picked in the input (an OrgPrimaryKeyRelatedField `program`) is passed as
# `program_id` when the service takes `program_id` and no `program` — as our services do — else as the row.
# Custom actions stay explicit methods with their own `extend_schema`.

SERVICE_ATTRIBUTES = ("create_service", "update_service", "delete_service")
NO_PUT = ["get", "post", "patch", "delete", "head", "options"]


@cache
def _service_parameters(service) -> frozenset[str]:
    return frozenset(inspect.signature(service).parameters)


def service_arguments(service, values: dict) -> dict:
    """`values` as `service` takes them: a picked row (or null) for `x` becomes `x_id` where the service
    names `x_id` and not `x`."""
    parameters = _service_parameters(service)
    arguments = {}
    for name, value in values.items():
        as_id = f"{name}_id"
        if (value is None or isinstance(value, models.Model)) and name not in parameters and as_id in parameters:
            arguments[as_id] = None if value is None else value.pk
        else:
            arguments[name] = value
    return arguments


class ServiceWritesMixin:
    """Shared by the declared-write mixins: the declarations and how a service is called."""

    #: The keyword the update and delete services take the row's id as; default `<model>_id` (snake case).
    id_name: str = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # A plain function declared on the class would bind as a method: keep services static.
        for name in SERVICE_ATTRIBUTES:
            value = cls.__dict__.get(name)
            if inspect.isfunction(value):
                setattr(cls, name, staticmethod(value))

    def service_id_name(self) -> str:
        if self.id_name:
            return self.id_name
        model_name = self.queryset.model.__name__
        return re.sub(r"(?<!^)(?=[A-Z])", "_", model_name).lower() + "_id"

    def call_service(self, service, values: dict, **extra):
        if service is None:
            raise ImproperlyConfigured(f"{type(self).__name__} routes {self.action} but declares no service for it.")
        return service(**self.service_kwargs(), **service_arguments(service, values), **extra)


class ServiceCreateMixin(ServiceWritesMixin):
    """POST: `create_input` checks the body, `create_service` creates, the output serializer answers
    (`create_status`, 201 unless the service only starts background work)."""

    create_input: type[serializers.Serializer] | None = None
    create_service = None
    create_status: int = status.HTTP_201_CREATED

    def create(self, request, *args, **kwargs):
        created = self.call_service(self.create_service, self.input(self.create_input))
        return self.output(created, status_code=self.create_status)


class ServiceUpdateMixin(ServiceWritesMixin):
    """PATCH (and PUT where routed): `update_input` checks the body against the row, `update_service` changes
    it. PATCH checks only the fields given unless `update_partial` is False (the input is the whole state)."""

    update_input: type[serializers.Serializer] | None = None
    update_service = None
    update_partial: bool = True

    def update(self, request, *args, partial: bool = False, **kwargs):
        instance = self.get_object()
        values = self.input(self.update_input, partial=partial and self.update_partial, instance=instance)
        updated = self.call_service(self.update_service, values, **{self.service_id_name(): instance.pk})
        return self.output(updated)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)


class ServiceDestroyMixin(ServiceWritesMixin):
    """DELETE: `delete_service` removes the row (it refuses with 409 when the row is in use); 204."""

    delete_service = None

    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.call_service(self.delete_service, {}, **{self.service_id_name(): instance.pk})
        return Response(status=status.HTTP_204_NO_CONTENT)


class OrgServiceViewSet(
    OrgAPIMixin,
    ServiceCreateMixin,
    ServiceUpdateMixin,
    ServiceDestroyMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, and declared writes: create, update (PATCH; no PUT unless `http_method_names` routes it)
    and delete. A viewset without one of them says so in `http_method_names` or composes the mixins itself."""

    http_method_names = NO_PUT


MAX_ID = 2**63 - 1  # the largest id a row can have (BigAutoField: PostgreSQL bigint, SQLite INTEGER)


class IdField(serializers.IntegerField):
    """A row id in a request body (lists of ids): a positive integer within the database's id range, so that a
    number too large to be an id is refused as invalid (400) instead of reaching the database."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class OrgPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """PK field whose valid choices are the caller's visible rows; others read as 'does not exist'."""

    def get_queryset(self):
        access = self.context.get("access")
        queryset = super().get_queryset()
        return queryset.none() if access is None else queryset.visible_to(access)


__all__ = [
    "IdField",
    "OrgAPIMixin",
    "OrgAPIView",
    "OrgGenericViewSet",
    "OrgPrimaryKeyRelatedField",
    "OrgReadOnlyViewSet",
    "OrgServiceViewSet",
    "ServiceCreateMixin",
    "ServiceDestroyMixin",
    "ServiceUpdateMixin",
]
