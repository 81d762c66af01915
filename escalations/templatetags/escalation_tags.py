"""The navigation's escalation badge: the open count for the caller, in one COUNT query."""

from django import template

from escalations.selectors import escalation_open_count
from rollout.choices import Role

register = template.Library()


@register.simple_tag
def escalation_open_badge(access) -> int:
    if access is None or access.role == Role.TECHNICIAN:
        return 0
    return escalation_open_count(access=access)
