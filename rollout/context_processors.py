"""What the UI shell needs on every page: the caller's organizations for the switcher, and its role."""

from django.conf import settings

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


def sign_in_limits(request):
    """The sign-in and reset limits in force, for the pages that explain them (locked out, too many resets)."""
    return {
        "sign_in_limits": {
            "per_account_and_address": settings.AXES_FAILURE_LIMIT,
            "per_account": settings.SIGN_IN_FAILURES_PER_ACCOUNT,
            "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "resets_per_window": settings.PASSWORD_RESET_PER_ACCOUNT,
            "reset_window_minutes": int(settings.PASSWORD_RESET_THROTTLE_WINDOW.total_seconds() // 60),
        }
    }
