"""The scoped base classes of the REST API. Every API view over tenant data derives from these.

They resolve the caller's `Access` right after authentication (one resolver, rollout.access), scope
every queryset with `visible_to(access)`, check the role rules declared on the view, and honour
`Idempotency-Key` on POST. Concrete viewsets declare only queryset, serializers, filters and roles.
"""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets
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
        super().perform_authentication(request)
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
        if self.access is not None:
            rls_set_organization(None)
        return response

    # Writes go through services: an input serializer checks the shape, the output serializer answers.
    def service_kwargs(self) -> dict:
        """The keyword arguments every service takes from the request: organization and actor."""
        return {"organization": self.access.organization, "actor": self.access}

    def input(self, serializer_class, *, partial: bool = False) -> dict:
        """Validated request data, through an input serializer (400 with field errors otherwise)."""
        data = serializer_class(data=self.request.data, partial=partial, context=self.get_serializer_context())
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


class OrgModelViewSet(OrgAPIMixin, viewsets.ModelViewSet):
    pass


class OrgCreateListRetrieveViewSet(
    OrgAPIMixin, mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    pass


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
    "OrgCreateListRetrieveViewSet",
    "OrgGenericViewSet",
    "OrgModelViewSet",
    "OrgPrimaryKeyRelatedField",
    "OrgReadOnlyViewSet",
]
