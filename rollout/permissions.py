"""Role permissions, declared on each view in one readable attribute and enforced by one class.

    class ProgramViewSet(OrgServiceViewSet):
        roles = {"read": STAFF_ROLES | {Role.CLIENT, Role.INTEGRATOR}, "write": PLANNER_ROLES,
                 "approve": {Role.PM}}

An action's own entry wins; otherwise safe methods use "read" and the rest "write". What a role
may *see* is decided by the model's `visible_to`; these rules decide what it may *do*.
"""

from rest_framework import exceptions, permissions

from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES

DEFAULT_ROLES = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES}


def allowed_roles(view, method: str) -> frozenset:
    rules = {**DEFAULT_ROLES, **getattr(view, "roles", {})}
    action = getattr(view, "action", None)
    if action and action in rules:
        return frozenset(rules[action])
    return frozenset(rules["read" if method in permissions.SAFE_METHODS else "write"])


class RolePermission(permissions.BasePermission):
    """Allows the request when the caller's role is among those the view declares for the action."""

    message = "Your role does not allow this action."

    def has_permission(self, request, view):
        access = getattr(request, "access", None)
        if access is None:
            if not request.user or not request.user.is_authenticated:
                raise exceptions.NotAuthenticated()
            return False
        return access.role in allowed_roles(view, request.method)
