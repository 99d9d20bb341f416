"""One throttle per request: the "anon" rate per client address, the "user" rate per account.

Counted in Django's default cache, which settings make shared by every server process (a
database table, or Redis with REDIS_URL). Rates are read from REST_FRAMEWORK at each request,
so a deployment (or a test) can change them without re-importing anything.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class AnonOrUserRateThrottle(SimpleRateThrottle):
    cache_format = "throttle_%(scope)s_%(ident)s"

    def __init__(self):
        # The scope (hence the rate) depends on the request; chosen in allow_request().
        pass

    def allow_request(self, request, view):
        authenticated = bool(request.user and request.user.is_authenticated)
        self.scope = "user" if authenticated else "anon"
        self.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        authenticated = bool(request.user and request.user.is_authenticated)
        ident = request.user.pk if authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
