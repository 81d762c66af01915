"""Test-only URLs: the product's, plus two views under /api/ that crash (a DRF view and a plain Django view)."""

from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from rollout.urls import urlpatterns as product_urlpatterns


class CrashingApiView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom: secret detail that must not reach the caller")


def crashing_plain_view(request):
    raise RuntimeError("boom: secret detail that must not reach the caller")


urlpatterns = [
    path("api/v1/test-crash/", CrashingApiView.as_view()),
    path("api/v1/test-crash-plain/", crashing_plain_view),
    *product_urlpatterns,
]
