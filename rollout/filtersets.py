"""One FilterSet per list, shared by the HTML pages and the API."""

import django_filters

from rollout.choices import Role
from rollout.models import ApiToken, AuditEvent, Client, Invitation, Membership


class ClientFilterSet(django_filters.FilterSet):
    class Meta:
        model = Client
        fields = {"code": ["exact"], "name": ["icontains"]}


class MembershipFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    is_active = django_filters.BooleanFilter()
    email = django_filters.CharFilter(field_name="user__email", lookup_expr="icontains")

    class Meta:
        model = Membership
        fields = ["role", "is_active", "email"]


class InvitationFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    email = django_filters.CharFilter(lookup_expr="icontains")
    pending = django_filters.BooleanFilter(method="filter_pending", label="Only pending")

    class Meta:
        model = Invitation
        fields = ["role", "email", "pending"]

    def filter_pending(self, queryset, name, value):
        pending = queryset.pending()
        return pending if value else queryset.exclude(pk__in=pending.values("pk"))


class ApiTokenFilterSet(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices)
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = ApiToken
        fields = ["role", "revoked"]


class AuditEventFilterSet(django_filters.FilterSet):
    actor = django_filters.NumberFilter(field_name="actor_user_id", label="Actor (user id)")
    verb = django_filters.CharFilter()
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["actor", "verb", "target_type", "target_id", "since", "until"]
