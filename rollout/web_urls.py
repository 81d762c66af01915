"""The core's pages, namespace `core`, included at the root by rollout.urls: signing in and out, password reset and
invitations at the root; the organization's home, profile, members, API tokens and audit log under /o/<org>/."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from rollout.views import account, home, members, tokens

app_name = "core"

org_patterns = [
    path("", home.RoleHomeView.as_view(), name="org-home"),
    path("profile/", account.ProfileView.as_view(), name="profile"),
    path("members/", members.MemberListView.as_view(), name="members"),
    path("members/invite/", members.InviteView.as_view(), name="member-invite"),
    path("members/<int:pk>/", members.MemberEditView.as_view(), name="member-edit"),
    path("members/<int:pk>/status/", members.MemberStatusView.as_view(), name="member-status"),
    path("invitations/<int:pk>/revoke/", members.InvitationRevokeView.as_view(), name="invitation-revoke"),
    path("api-tokens/", tokens.ApiTokenListView.as_view(), name="api-tokens"),
    path("api-tokens/new/", tokens.ApiTokenCreateView.as_view(), name="api-token-create"),
    path("api-tokens/<int:pk>/revoke/", tokens.ApiTokenRevokeView.as_view(), name="api-token-revoke"),
    path("profile/app-tokens/new/", tokens.PersonalTokenCreateView.as_view(), name="personal-token-create"),
    path("audit/", home.AuditLogView.as_view(), name="audit-log"),
]

urlpatterns = [
    path("", home.home_redirect, name="home"),
    path("login/", account.TuttiLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", account.TuttiPasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account.TuttiPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitations/<str:token>/", account.InvitationAcceptView.as_view(), name="invitation-accept"),
    path("o/<slug:org>/", include(org_patterns)),
]
