"""What the UI shell needs on every page: the caller's organizations for the switcher, and its role."""

from rollout.selectors import memberships_for_user


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    access = getattr(request, "access", None)
    return {
        "shell_memberships": memberships_for_user(user),
        "shell_access": access,
        "shell_role": access.role if access else None,
    }
