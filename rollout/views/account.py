"""Account pages: sign-in, password reset, invitation acceptance, and the member's profile."""

from __future__ import annotations

import uuid

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import urlencode
from django.views import View

from rollout import services
from rollout.choices import ALL_ROLES, Role
from rollout.errors import ApplicationError
from rollout.forms import EmailAuthenticationForm, InvitationSignupForm, TuttiPasswordResetForm, TuttiSetPasswordForm
from rollout.homes import profile_links
from rollout.models import ApiToken, User
from rollout.sign_in import PasswordResetThrottled, password_reset_throttle
from rollout.tasks import password_reset_send_task
from rollout.views.base import OrgTemplateView

# Several authentication backends are configured (django-axes first); a fresh account is logged in
# with the model backend explicitly.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


class TuttiLoginView(auth_views.LoginView):
    """E-mail + password. django-axes counts failures and answers with the locked-out page."""

    form_class = EmailAuthenticationForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class TuttiPasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link. Limited per client address and per e-mail (rollout.sign_in); the account is looked
    up and the e-mail sent by a background task, so the answer is the same, in the same time, either way."""

    form_class = TuttiPasswordResetForm
    success_url = reverse_lazy("core:password_reset_done")  # Django's default names no namespace

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        try:
            password_reset_throttle(self.request, email)
        except PasswordResetThrottled:
            return render(self.request, "registration/password_reset_throttled.html", status=429)
        password_reset_send_task.delay_on_commit(
            request_key=uuid.uuid4().hex,
            email=email,
            domain=self.request.get_host(),
            use_https=self.request.is_secure(),
        )
        return HttpResponseRedirect(self.get_success_url())


class TuttiPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = TuttiSetPasswordForm
    success_url = reverse_lazy("core:password_reset_complete")


class InvitationAcceptView(View):
    """/invitations/<token>/ — the link from the e-mail. Public: the token is the credential.

    Four situations: signed in as the invited e-mail (Accept), signed in as someone else (explain),
    anonymous with an existing account (sign in first), anonymous without one (create it here).
    """

    template_name = "invitations/accept.html"

    def dispatch(self, request, *args, token: str, **kwargs):
        self.token = token
        try:
            self.invitation = services.invitation_get_by_token(token)
        except services.InvitationExpired as exc:
            return self.refusal(exc, status=410)
        except services.InvitationInvalid as exc:
            return self.refusal(exc, status=404)
        return super().dispatch(request, *args, **kwargs)

    def refusal(self, exc: ApplicationError, *, status: int):
        context = {"error": exc, "expired": status == 410}
        return render(self.request, "invitations/invalid.html", context, status=status)

    def situation(self) -> str:
        user = self.request.user
        if user.is_authenticated:
            return "accept" if user.email.lower() == self.invitation.email.lower() else "wrong_account"
        if User.objects.filter(email__iexact=self.invitation.email).exists():
            return "sign_in"
        return "sign_up"

    def render_page(self, situation: str, form=None, error: str = "", status: int = 200):
        login_url = reverse("core:login") + "?" + urlencode({"next": self.request.path})
        context = {
            "invitation": self.invitation,
            "situation": situation,
            "form": form,
            "error": error,
            "login_url": login_url,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        situation = self.situation()
        form = InvitationSignupForm() if situation == "sign_up" else None
        return self.render_page(situation, form)

    def post(self, request, *args, **kwargs):
        situation = self.situation()
        if situation == "accept":
            return self.accept(user=request.user)
        if situation != "sign_up":
            return self.render_page(situation, status=400)
        form = InvitationSignupForm(request.POST)
        if not form.is_valid():
            return self.render_page(situation, form)
        try:
            membership = services.invitation_accept(
                token=self.token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"]
            )
        except ApplicationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self.render_page(situation, form)
        login(request, membership.user, backend=MODEL_BACKEND)
        return redirect("core:org-home", org=membership.organization.slug)

    def accept(self, *, user: User):
        try:
            membership = services.invitation_accept(token=self.token, user=user)
        except ApplicationError as exc:
            return self.render_page(self.situation(), error=exc.message, status=400)
        return redirect("core:org-home", org=membership.organization.slug)


class ProfileView(OrgTemplateView):
    """The signed-in member: who they are, their organizations, sign out. Every role has one."""

    template_name = "account/profile.html"
    roles = {"read": ALL_ROLES}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        role = self.access.role
        context["layout"] = (
            "layouts/phone.html"
            if role == Role.TECHNICIAN
            else "layouts/portal.html"
            if role == Role.CLIENT
            else "layouts/staff.html"
        )
        context["client"] = self.access.membership.client if self.access.membership else None
        if role == Role.TECHNICIAN:
            context["app_tokens"] = list(ApiToken.objects.visible_to(self.access).usable().order_by("-created_at"))
        context["profile_links"] = [
            (link, reverse(link.url_name, kwargs={"org": self.access.organization.slug}))
            for link in profile_links(role)
        ]
        return context
