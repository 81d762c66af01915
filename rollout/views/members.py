"""Members pages: the member list with pending invitations, inviting, editing, (de)activating, revoking.

Admins change things; PMs and coordinators may read the list. Every write goes through a service
in rollout/services.py; a refusal (`ApplicationError`) is shown next to the field it names.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse

from rollout import services
from rollout.choices import Role
from rollout.errors import ApplicationError
from rollout.filtersets import MembershipFilterSet
from rollout.forms import InviteForm, MemberForm, add_service_error
from rollout.models import Invitation, Membership
from rollout.tables import MembershipTable, OrgTableView
from rollout.views.base import OrgConfirmView, OrgFormView

ADMIN_ONLY = frozenset({Role.ADMIN})
MEMBER_READERS = frozenset({Role.ADMIN, Role.PM, Role.COORDINATOR})


class OrgUrlMixin:
    """`org_url("core:members")` → /o/<this org>/members/."""

    def org_url(self, name: str, **kwargs) -> str:
        return reverse(name, kwargs={"org": self.access.organization.slug, **kwargs})


class MemberListView(OrgUrlMixin, OrgTableView):
    """Members with sorting, filters and pagination; admins also see and revoke pending invitations."""

    template_name = "members/list.html"
    queryset = Membership.objects.select_related("user", "client")
    filterset_class = MembershipFilterSet
    table_class = MembershipTable
    roles = {"read": MEMBER_READERS, "write": ADMIN_ONLY}

    def prepare_filter_form(self, form):
        form.fields["email"].label = "E-mail"
        form.fields["email"].widget = forms.TextInput(attrs={"type": "search", "placeholder": "Search by e-mail"})
        form.fields["role"].empty_label = "Any role"
        form.fields["role"].choices = Role.choices  # rebuilds the options with this field's empty label
        form.fields["is_active"].label = "Status"
        form.fields["is_active"].widget.choices = [("", "Any status"), ("true", "Active"), ("false", "Deactivated")]
        form.order_fields(["email", "role", "is_active"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.can_write():
            context["invitations"] = list(
                Invitation.objects.visible_to(self.access)
                .pending()
                .select_related("client", "invited_by")
                .order_by("-created_at")
            )
        return context


class MemberObjectMixin(OrgUrlMixin):
    """The membership named by the URL, within the caller's organization (another's is a 404)."""

    def get_membership(self) -> Membership:
        if not hasattr(self, "_membership"):
            self._membership = self.visible_or_404(
                Membership.objects.select_related("user", "client"), self.kwargs["pk"], "member"
            )
        return self._membership


class InviteView(OrgUrlMixin, OrgFormView):
    template_name = "members/invite.html"
    form_class = InviteForm
    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            issued = services.invitation_create(
                organization=self.access.organization,
                actor=self.access,
                email=data["email"],
                role=data["role"],
                client=data["client"],
            )
        except ApplicationError as exc:
            add_service_error(form, exc)
            return self.form_invalid(form)
        invitation = issued.invitation
        messages.success(
            self.request, f"Invitation sent to {invitation.email} as {invitation.get_role_display().lower()}."
        )
        return redirect(self.org_url("core:members"))


class MemberEditView(MemberObjectMixin, OrgFormView):
    """Change a member's role (and client); links to deactivation, which asks for confirmation."""

    template_name = "members/edit.html"
    form_class = MemberForm
    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organization": self.access.organization}

    def get_initial(self):
        membership = self.get_membership()
        return {"role": membership.role, "client": membership.client}

    def get_context_data(self, **kwargs):
        return super().get_context_data(membership=self.get_membership(), **kwargs)

    def form_valid(self, form):
        membership = self.get_membership()
        if not form.has_changed():
            messages.info(self.request, "Nothing changed.")
            return redirect(self.org_url("core:members"))
        try:
            membership = services.membership_update(
                organization=self.access.organization,
                actor=self.access,
                membership_id=membership.pk,
                role=form.cleaned_data["role"],
                client=form.cleaned_data["client"],
            )
        except ApplicationError as exc:
            # The last-admin rule is about the role being given up: show it under the role select.
            add_service_error(form, exc, field_map={None: "role"} if exc.code == "last_admin" else None)
            return self.form_invalid(form)
        messages.success(
            self.request, f"{membership.user.display_name} is now {membership.get_role_display().lower()}."
        )
        return redirect(self.org_url("core:members"))


class MemberStatusView(MemberObjectMixin, OrgConfirmView):
    """Deactivate or reactivate a member: GET asks for confirmation, POST does it."""

    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def confirm(self) -> dict:
        membership = self.get_membership()
        user = membership.user
        details = [("E-mail", user.email), ("Role", membership.get_role_display())]
        cancel_url = self.org_url("core:member-edit", pk=membership.pk)
        if membership.is_active:
            return {
                "title": f"Deactivate {user.display_name}?",
                "message": (
                    f"{user.display_name} will be signed out of {self.access.organization.name} and can no longer "
                    "open its pages or act in it. Their history stays in the audit log. You can reactivate them later."
                ),
                "action_label": "Deactivate member",
                "tone": "danger",
                "icon": "person-slash",
                "fields": {"is_active": "false"},
                "details": details,
                "cancel_url": cancel_url,
            }
        return {
            "title": f"Reactivate {user.display_name}?",
            "message": f"{user.display_name} regains access to {self.access.organization.name} as "
            f"{membership.get_role_display().lower()}.",
            "action_label": "Reactivate member",
            "tone": "primary",
            "icon": "person-check",
            "fields": {"is_active": "true"},
            "details": details,
            "cancel_url": cancel_url,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = "members"
        return context

    def post(self, request, *args, **kwargs):
        membership = self.get_membership()
        is_active = request.POST.get("is_active") == "true"
        try:
            membership = services.membership_set_active(
                organization=self.access.organization,
                actor=self.access,
                membership_id=membership.pk,
                is_active=is_active,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect(self.org_url("core:member-edit", pk=membership.pk))
        name = membership.user.display_name
        messages.success(request, f"{name} was {'reactivated' if is_active else 'deactivated'}.")
        if not is_active and membership.user_id == request.user.pk:
            return HttpResponseRedirect(reverse("core:home"))  # they just left this organization
        return redirect(self.org_url("core:members"))


class InvitationRevokeView(OrgUrlMixin, OrgConfirmView):
    """Withdraw a pending invitation: GET asks for confirmation, POST does it."""

    roles = {"read": ADMIN_ONLY, "write": ADMIN_ONLY}

    def get_invitation(self) -> Invitation:
        return self.visible_or_404(
            Invitation.objects.select_related("client", "invited_by"), self.kwargs["pk"], "invitation"
        )

    def confirm(self) -> dict:
        invitation = self.get_invitation()
        details = [("E-mail", invitation.email), ("Role", invitation.get_role_display())]
        if invitation.client:
            details.append(("Client", invitation.client.name))
        return {
            "title": f"Revoke the invitation for {invitation.email}?",
            "message": "The link in the e-mail stops working at once. You can invite this address again later.",
            "action_label": "Revoke invitation",
            "tone": "danger",
            "icon": "envelope-x",
            "details": details,
            "cancel_url": self.org_url("core:members"),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["section"] = "members"
        return context

    def post(self, request, *args, **kwargs):
        invitation = self.get_invitation()
        try:
            services.invitation_revoke(
                organization=self.access.organization, actor=self.access, invitation_id=invitation.pk
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"The invitation for {invitation.email} was revoked.")
        return redirect(self.org_url("core:members"))
