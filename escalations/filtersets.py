"""The escalation list's FilterSet, shared by the page and the API: state (tab), program, rule, level, age and
assignee. Choice filters over tenant rows read through the request's access (a foreign id is "not a valid
choice")."""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.contrib.auth import get_user_model
from django.utils import timezone

from escalations.choices import EscalationState, RuleKey
from escalations.models import Escalation
from programs.models import Program
from rollout.choices import STAFF_ROLES
from rollout.selectors import organization_users


def _programs(request):
    access = getattr(request, "access", None) if request is not None else None
    return Program.objects.none() if access is None else Program.objects.visible_to(access)


def _assignees(request):
    access = getattr(request, "access", None) if request is not None else None
    if access is None:
        return get_user_model().objects.none()
    return organization_users(access.organization, roles=STAFF_ROLES)


class EscalationFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=EscalationState.choices, empty_label="Any state")
    program = django_filters.ModelChoiceFilter(queryset=_programs, empty_label="Any program")
    rule = django_filters.ChoiceFilter(choices=RuleKey.choices, empty_label="Any rule")
    level = django_filters.NumberFilter(min_value=1, max_value=10)
    assignee = django_filters.ModelChoiceFilter(queryset=_assignees, empty_label="Anyone", label="Assignee")
    older_than_hours = django_filters.NumberFilter(
        method="filter_older_than", label="Breached more than (hours) ago", min_value=0, max_value=24 * 365
    )

    class Meta:
        model = Escalation
        fields = ["state", "program", "rule", "level", "assignee", "older_than_hours"]

    def filter_older_than(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(breach_at__lt=timezone.now() - timedelta(hours=float(value)))
