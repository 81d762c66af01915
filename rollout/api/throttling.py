from rest_framework.throttling import SimpleRateThrottle

from rollout.client_address import client_address


class PrincipalRateThrottle(SimpleRateThrottle):
    """Rate limit per caller: the token or user when known, the client address otherwise.

    The address is the trusted-proxy resolution (rollout.client_address), not DRF's reading of X-Forwarded-For:
    a header anyone can send must not make each request a new caller."""

    scope = "principal"

    def get_ident(self, request):
        return client_address(request)

    def get_cache_key(self, request, view):
        access = getattr(request, "access", None)
        if access is not None:
            ident = access.principal
        else:
            self.rate = self.THROTTLE_RATES.get("anon", self.rate)
            self.num_requests, self.duration = self.parse_rate(self.rate)
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
