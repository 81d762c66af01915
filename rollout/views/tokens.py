from rollout.views.base import OrgTemplateView

ApiTokenListView = ApiTokenRevokeView = OrgTemplateView
