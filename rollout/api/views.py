"""API views of the core: clients, members, invitations, API tokens, audit events, and /me."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from rollout import services
from rollout.api import serializers as s
from rollout.api.base import NO_PUT, OrgAPIView, OrgGenericViewSet, OrgReadOnlyViewSet, OrgServiceViewSet
from rollout.choices import ALL_ROLES, FULL_READ_ROLES, PLANNER_OR_INTEGRATOR, Role
from rollout.filtersets import (
    ApiTokenFilterSet,
    AuditEventFilterSet,
    ClientFilterSet,
    InvitationFilterSet,
    MembershipFilterSet,
)
from rollout.models import ApiToken, AuditEvent, Client, Invitation, Membership

ADMIN_ONLY = frozenset({Role.ADMIN})


class ApiRootView(APIView):
    """GET /api/v1/: the API's front door, public: where its schema and documentation are. No tenant data."""

    authentication_classes = []
    permission_classes = [AllowAny]

    # Left out of the schema: it is the way to the schema, not an operation to integrate with.
    @extend_schema(responses=s.ApiRootSerializer, exclude=True)
    def get(self, request):
        links = {name: reverse(f"api-{name}", request=request) for name in ("schema", "docs", "redoc")}
        return Response({"name": "Tutti API", "version": "v1", **links})


class MeView(OrgAPIView):
    """Who the caller is: organization, role, and the user or token in use."""

    roles = {"read": ALL_ROLES}

    @extend_schema(responses=s.MeSerializer, operation_id="me_retrieve")
    def get(self, request):
        return Response(s.MeSerializer(self.access).data)


class ClientViewSet(OrgServiceViewSet):
    """Clients (customers) of the organization. Client viewers read only their own client."""

    queryset = Client.objects.all()
    serializer_class = s.ClientSerializer
    filterset_class = ClientFilterSet
    search_fields = ["code", "name"]
    ordering_fields = ["code", "name", "created_at"]
    ordering = ["name"]
    roles = {"read": FULL_READ_ROLES | {Role.CLIENT}, "write": PLANNER_OR_INTEGRATOR, "destroy": ADMIN_ONLY}
    http_method_names = [*NO_PUT, "put"]
    create_input, create_service = s.ClientSerializer, services.client_create
    update_input, update_service = s.ClientSerializer, services.client_update
    delete_service = services.client_delete


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Members of the organization. Admins change roles and deactivate; others see themselves."""

    queryset = Membership.objects.select_related("user")
    serializer_class = s.MembershipSerializer
    filterset_class = MembershipFilterSet
    search_fields = ["user__email", "user__full_name"]
    ordering_fields = ["created_at", "role", "user__email"]
    ordering = ["user__email"]
    roles = {"read": ALL_ROLES, "partial_update": ADMIN_ONLY}
    raises_conflict = True

    @extend_schema(request=s.MembershipUpdateInputSerializer, responses=s.MembershipSerializer)
    def partial_update(self, request, pk=None):
        membership = self.get_object()
        data = s.MembershipUpdateInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        organization = self.access.organization
        if "role" in values or "client" in values:
            membership = services.membership_update(
                organization=organization,
                actor=self.access,
                membership_id=membership.pk,
                role=values.get("role", membership.role),
                client=values.get("client", membership.client),
            )
        if "is_active" in values:
            membership = services.membership_set_active(
                organization=organization, actor=self.access, membership_id=membership.pk, is_active=values["is_active"]
            )
        return Response(s.MembershipSerializer(membership).data)


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """Invitations by e-mail. Admins invite and revoke; the link in the e-mail is the only secret."""

    queryset = Invitation.objects.select_related("invited_by")
    serializer_class = s.InvitationSerializer
    filterset_class = InvitationFilterSet
    search_fields = ["email"]
    ordering_fields = ["created_at", "expires_at", "email"]
    ordering = ["-created_at"]
    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}
    raises_conflict = True

    @extend_schema(request=s.InvitationCreateInputSerializer, responses={201: s.InvitationSerializer})
    def create(self, request):
        data = s.InvitationCreateInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        issued = services.invitation_create(
            organization=self.access.organization, actor=self.access, **data.validated_data
        )
        return Response(s.InvitationSerializer(issued.invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.InvitationSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        invitation = self.get_object()
        invitation = services.invitation_revoke(
            organization=self.access.organization, actor=self.access, invitation_id=invitation.pk
        )
        return Response(s.InvitationSerializer(invitation).data)


class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, OrgGenericViewSet):
    """API tokens for integrations. The key is returned once, at creation; only its hash is kept."""

    queryset = ApiToken.objects.select_related("created_by")
    serializer_class = s.ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    search_fields = ["name", "prefix"]
    ordering_fields = ["created_at", "last_used_at", "name"]
    ordering = ["-created_at"]
    # Technicians see, create and revoke only their own personal tokens (ApiToken.objects.visible_to).
    roles = {
        "read": ADMIN_ONLY | {Role.TECHNICIAN},
        "write": ADMIN_ONLY,
        "personal": {Role.TECHNICIAN},
        "revoke": ADMIN_ONLY | {Role.TECHNICIAN},
    }
    secret_response_fields = frozenset({"key"})

    @extend_schema(request=s.ApiTokenCreateInputSerializer, responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request):
        data = s.ApiTokenCreateInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        issued = services.api_token_create(
            organization=self.access.organization, actor=self.access, **data.validated_data
        )
        return self.issued_response(issued)

    @extend_schema(
        request=s.ApiTokenPersonalCreateInputSerializer,
        responses={201: s.ApiTokenCreatedSerializer},
        description=(
            "A technician's own token, for an app on their phone (signed in as themselves, by session): it acts "
            "as them — their own visits only, their name in the audit trail — and stops working when they leave "
            "the organization. The key is returned once. Technicians list and revoke their own tokens here too."
        ),
    )
    @action(detail=False, methods=["post"])
    def personal(self, request):
        values = self.input(s.ApiTokenPersonalCreateInputSerializer)
        return self.issued_response(services.api_token_create_personal(**self.service_kwargs(), **values))

    @staticmethod
    def issued_response(issued: services.IssuedToken) -> Response:
        """201 with the new token and its key: the only time the key is shown."""
        payload = s.ApiTokenCreatedSerializer(issued.token).data
        payload["key"] = issued.key
        return Response(payload, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        token = self.get_object()
        token = services.api_token_revoke(organization=self.access.organization, actor=self.access, token_id=token.pk)
        return Response(s.ApiTokenSerializer(token).data)


class AuditEventViewSet(OrgReadOnlyViewSet):
    """The organization's audit trail, newest first (admins and PMs)."""

    queryset = AuditEvent.objects.all()
    serializer_class = s.AuditEventSerializer
    filterset_class = AuditEventFilterSet
    search_fields = ["verb", "actor_label", "target_label"]
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]
    roles = {"read": frozenset({Role.ADMIN, Role.PM})}
