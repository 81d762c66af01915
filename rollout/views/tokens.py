"""API token pages: admins list, create (the key is shown once) and revoke the organization's tokens; a technician
creates and revokes their own app tokens (personal tokens, acting as them) from their profile, on the phone."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

from rollout import services
from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.filtersets import ApiTokenFilterSet
from rollout.forms import TOKEN_ROLE_CHOICES, ApiTokenForm, PersonalTokenForm, add_service_error
from rollout.models import ApiToken
from rollout.tables import ApiTokenTable, OrgTableView
from rollout.views.base import OrgConfirmView, OrgFormView
from rollout.views.members import ADMIN_ONLY, OrgUrlMixin


class ApiTokenListView(OrgTableView):
    template_name = "tokens/list.html"
    queryset = ApiToken.objects.select_related("created_by", "client", "user")
    filterset_class = ApiTokenFilterSet
    table_class = ApiTokenTable
    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def prepare_filter_form(self, form):
        form.fields["role"].empty_label = "Any role"
        form.fields["role"].choices = TOKEN_ROLE_CHOICES
        form.fields["revoked"].label = "Status"
        form.fields["revoked"].widget.choices = [("", "Any status"), ("false", "Not revoked"), ("true", "Revoked")]


class ApiTokenCreateView(OrgUrlMixin, OrgFormView):
    """Issue a token. The full key is rendered once, in the response to the POST, and never stored."""

    template_name = "tokens/create.html"
    form_class = ApiTokenForm
    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            issued = services.api_token_create(
                organization=self.access.organization,
                actor=self.access,
                name=data["name"],
                role=data["role"],
                client=data["client"],
                expires_at=form.expires_at_datetime(),
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return created_response(self, issued)


def created_response(view, issued: services.IssuedToken):
    """The new token's key, rendered in the response to the POST — never redirected (a redirect would need the key
    stored somewhere to show it again) and never cached."""
    response = view.response_class(
        request=view.request,
        template=["tokens/created.html"],
        context=view.get_context_data(issued=issued, token=issued.token),
        using=view.template_engine,
    )
    add_never_cache_headers(response)
    return response


class PersonalTokenCreateView(OrgUrlMixin, OrgFormView):
    """A technician connects an app on their phone: a personal token that acts as them (their own visits only)."""

    template_name = "tokens/personal_create.html"
    form_class = PersonalTokenForm
    roles = {"read": {Role.TECHNICIAN}, "write": {Role.TECHNICIAN}}

    def form_valid(self, form):
        try:
            issued = services.api_token_create_personal(**self.service_kwargs(), name=form.cleaned_data["name"])
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        return created_response(self, issued)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return {**context, "layout": "layouts/phone.html", "back_url": self.org_url("core:profile")}


class ApiTokenRevokeView(OrgUrlMixin, OrgConfirmView):
    """Revoke a token: GET asks for confirmation, POST does it. Technicians reach only their own app tokens
    (ApiToken.objects.visible_to), from their profile."""

    roles = {"read": ADMIN_ONLY | {Role.TECHNICIAN}, "write": ADMIN_ONLY | {Role.TECHNICIAN}}

    @property
    def back_url(self) -> str:
        return self.org_url("core:profile" if self.access.role == Role.TECHNICIAN else "core:api-tokens")

    def get_token(self) -> ApiToken:
        return self.visible_or_404(ApiToken.objects.select_related("client"), self.kwargs["pk"], "token")

    def confirm(self) -> dict:
        token = self.get_token()
        details = [("Name", token.name), ("Key", f"tutti_{token.prefix}_…"), ("Role", token.get_role_display())]
        if token.client:
            details.append(("Client", token.client.name))
        return {
            "title": f"Revoke “{token.name}”?",
            "message": "Every request made with this key fails from now on. This cannot be undone: "
            "the system using it will need a new token.",
            "action_label": "Revoke token",
            "tone": "danger",
            "icon": "key",
            "details": details,
            "cancel_url": self.back_url,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = "api-tokens"
        if self.access.role == Role.TECHNICIAN:
            context["layout"] = "layouts/phone.html"
        return context

    def post(self, request, *args, **kwargs):
        token = services.api_token_revoke(
            organization=self.access.organization, actor=self.access, token_id=self.get_token().pk
        )
        messages.success(request, f"The token “{token.name}” was revoked.")
        return redirect(self.back_url)
