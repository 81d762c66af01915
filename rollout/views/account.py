from django.contrib.auth.views import LoginView
from django.views.generic import TemplateView

TuttiLoginView = LoginView
InvitationAcceptView = TemplateView
