"""The bell with the unread count, for every signed-in layout: one COUNT query per page."""

from django import template

from notifications.selectors import notification_unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context, variant: str = "dark"):
    """The bell of the shell's top bar, linking to the inbox; nothing without a signed-in member."""
    access = context.get("shell_access")
    request = context.get("request")
    user = getattr(request, "user", None)
    if access is None or user is None or not user.is_authenticated:
        return {"show": False}
    count = notification_unread_count(organization_id=access.organization.pk, user_id=user.pk)
    return {
        "show": True,
        "count": count,
        "org": access.organization,
        "variant": variant,
        "current": request.resolver_match.url_name if request.resolver_match else "",
    }
