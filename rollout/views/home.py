from django.http import HttpResponse

from rollout.views.base import OrgTemplateView


def home_redirect(request):
    return HttpResponse("home")


class RoleHomeView(OrgTemplateView):
    template_name = "home.html"


class AuditLogView(OrgTemplateView):
    template_name = "home.html"
