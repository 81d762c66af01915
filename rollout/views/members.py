from rollout.views.base import OrgTemplateView

MemberListView = InviteView = MemberEditView = InvitationRevokeView = OrgTemplateView
