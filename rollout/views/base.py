"""The scoped base classes of the browser UI. Every page over tenant data derives from `OrgPageMixin`.

The organization comes from the URL (`/o/<org>/…`) and is resolved by OrganizationMiddleware into
`request.access`; these classes check the page's declared roles and scope every queryset with
`visible_to(access)`, so a concrete view only declares model, template and roles.
"""

from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views.generic import DetailView, FormView, ListView, TemplateView

from rollout.choices import FULL_READ_ROLES, PLANNER_ROLES
from rollout.client_view import CLIENT_VIEW


class OrgPageMixin:
    """Checks `roles` ({"read": …, "write": …}) against request.access; scopes querysets."""

    roles: dict = {}

    def dispatch(self, request, *args, **kwargs):
        self.access = getattr(request, "access", None)
        if self.access is None:  # the URL has no <org>: a wiring mistake, never a fallback
            raise PermissionDenied("This page needs an organization.")
        if self.access.role not in self.allowed_roles(request.method):
            raise PermissionDenied("Your role does not allow this page.")
        return super().dispatch(request, *args, **kwargs)

    def allowed_roles(self, method: str) -> frozenset:
        rules = {"read": FULL_READ_ROLES, "write": PLANNER_ROLES, **self.roles}
        return frozenset(rules["read" if method in ("GET", "HEAD", "OPTIONS") else "write"])

    def service_kwargs(self) -> dict:
        """The keyword arguments every service takes from the request: organization and actor."""
        return {"organization": self.access.organization, "actor": self.access}

    def org_url(self, name: str, **kwargs) -> str:
        """reverse() for a page of this organization."""
        return reverse(name, kwargs={"org": self.access.organization.slug, **kwargs})

    def visible_or_404(self, queryset, pk, what: str, **filters):
        """Row `pk` of `queryset` (a tenant model's manager or queryset) as this caller may see it, else a 404
        "No such <what>." — another organization's row, or another client's, looks exactly like a missing one."""
        found = queryset.visible_to(self.access).filter(pk=pk, **filters).first() if str(pk).isdigit() else None
        if found is None:
            raise Http404(f"No such {what}.")
        return found

    def can_write(self) -> bool:
        return self.access.role in self.allowed_roles("POST")

    def get_queryset(self):
        return super().get_queryset().visible_to(self.access)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["access"] = self.access
        context["organization"] = self.access.organization
        context["can_write"] = self.can_write()
        context["client_view"] = CLIENT_VIEW.flags(self.access)
        # A client viewer reads every page in the portal layout: the staff navigation leads to refusals.
        context.setdefault(
            "layout", "layouts/portal.html" if CLIENT_VIEW.applies(self.access) else "layouts/staff.html"
        )
        return context


class OrgTemplateView(OrgPageMixin, TemplateView):
    pass


class OrgConfirmView(OrgTemplateView):
    """The UI shell's confirmation pattern: GET shows what will happen (`confirm()`: title, message, details,
    action label, tone, icon, cancel URL), POST does it (the concrete view's `post`)."""

    template_name = "components/confirm_page.html"

    def confirm(self) -> dict:
        raise NotImplementedError

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        defaults = {"tone": "primary", "icon": "question-circle", "fields": {}, "details": []}
        context["confirm"] = {**defaults, **self.confirm()}
        return context


class OrgListView(OrgPageMixin, ListView):
    paginate_by = 50


class OrgDetailView(OrgPageMixin, DetailView):
    pass


class OrgFormView(OrgPageMixin, FormView):
    """A form page. `refresh_fields`: a "Check" button (`name="refresh"`) posts the form, and the page comes back
    as a GET with only those fields in its address (no CSRF token in the URL, and the URL can be shared)."""

    refresh_fields: tuple[str, ...] = ()

    def post(self, request, *args, **kwargs):
        if self.refresh_fields and "refresh" in request.POST:
            query = urlencode({name: request.POST[name] for name in self.refresh_fields if request.POST.get(name)})
            return redirect(f"{request.path}?{query}")
        return super().post(request, *args, **kwargs)
