from rest_framework.throttling import SimpleRateThrottle


class PrincipalRateThrottle(SimpleRateThrottle):
    """Rate limit per caller: the token or user when known, the client address otherwise."""

    scope = "principal"

    def get_cache_key(self, request, view):
        access = getattr(request, "access", None)
        if access is not None:
            ident = access.principal
        else:
            self.rate = self.THROTTLE_RATES.get("anon", self.rate)
            self.num_requests, self.duration = self.parse_rate(self.rate)
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
