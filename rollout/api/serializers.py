"""Serializers of the core API: input and output kept apart where they differ."""

from rest_framework import serializers

from rollout.api.base import OrgPrimaryKeyRelatedField
from rollout.choices import TOKEN_ROLE_CHOICES, Role
from rollout.models import ApiToken, AuditEvent, Client, Invitation, Membership


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = Client
        fields = ["id", "code", "name", "contact_name", "contact_email", "created_at"]
        read_only_fields = ["id", "created_at"]


class UserSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    email = serializers.EmailField(read_only=True)
    full_name = serializers.CharField(read_only=True)


class MembershipSerializer(serializers.ModelSerializer):
    user = UserSummarySerializer(read_only=True)

    class Meta:
        model = Membership
        fields = ["id", "user", "role", "client", "is_active", "created_at"]
        read_only_fields = fields


class MembershipUpdateInputSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all(), required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class InvitationSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=Invitation.Status.choices, read_only=True)
    invited_by = serializers.EmailField(source="invited_by.email", read_only=True, allow_null=True)

    class Meta:
        model = Invitation
        fields = ["id", "email", "role", "client", "status", "invited_by", "created_at", "expires_at", "accepted_at"]
        read_only_fields = fields


class InvitationCreateInputSerializer(serializers.Serializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all(), required=False, allow_null=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    created_by = serializers.EmailField(source="created_by.email", read_only=True, allow_null=True)
    user = serializers.EmailField(
        source="user.email",
        read_only=True,
        allow_null=True,
        help_text="A personal token acts as this member (a technician's app token); null for a system's token.",
    )

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "role",
            "client",
            "user",
            "prefix",
            "created_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
        ]
        read_only_fields = fields


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(read_only=True, help_text="The secret. Shown once: store it now.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiTokenCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    role = serializers.ChoiceField(choices=TOKEN_ROLE_CHOICES, default=Role.INTEGRATOR)
    client = OrgPrimaryKeyRelatedField(queryset=Client.objects.all(), required=False, allow_null=True)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ApiTokenPersonalCreateInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, help_text="Which app or phone it is for, e.g. “Pixel 8 field app”.")
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "actor_label",
            "verb",
            "target_type",
            "target_id",
            "target_label",
            "before",
            "after",
            "reason",
            "request_id",
            "created_at",
        ]
        read_only_fields = fields


class OrganizationSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    timezone = serializers.CharField()


class MeSerializer(serializers.Serializer):
    organization = OrganizationSummarySerializer()
    role = serializers.ChoiceField(choices=Role.choices)
    client = serializers.IntegerField(allow_null=True, source="client_id")
    user = UserSummarySerializer(allow_null=True)
    token = serializers.CharField(
        allow_null=True, source="token.prefix", default=None, help_text="The prefix of the API token in use, if any."
    )


class ApiRootSerializer(serializers.Serializer):
    """The API root: its name and version, and links to the OpenAPI schema and the interactive documentation."""

    name = serializers.CharField()
    version = serializers.CharField()
    schema = serializers.URLField(help_text="The OpenAPI 3 schema (YAML; `?format=json` for JSON).")
    docs = serializers.URLField(help_text="Swagger UI.")
    redoc = serializers.URLField(help_text="Redoc.")
