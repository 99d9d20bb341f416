"""One throttle per request: the "anon" rate per client address, the "user" rate per account.

Counted in Django's default cache, which settings make shared by every server process (a
database table, or Redis with REDIS_URL). A fixed window keeps one small integer per client and
window (one read and one write a request) where DRF's sliding window rewrites the time of every
request in the window. Rates are read from REST_FRAMEWORK at each request, so a deployment
(or a test) can change them without re-importing anything.
"""

import time

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class AnonOrUserRateThrottle(SimpleRateThrottle):
    def __init__(self):
        # The scope (hence the rate) depends on the request; chosen in allow_request().
        self.wait_seconds = None

    def allow_request(self, request, view):
        authenticated = bool(request.user and request.user.is_authenticated)
        self.scope = "user" if authenticated else "anon"
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True
        limit, duration = self.parse_rate(rate)
        now = time.time()
        window = int(now // duration)
        ident = request.user.pk if authenticated else self.get_ident(request)
        key = f"throttle_{self.scope}_{ident}_{window}"
        cache = caches["default"]
        if isinstance(cache, DatabaseCache):
            # One read and one write; simultaneous requests may both read the same count (the
            # database cache has no atomic increment). Redis (REDIS_URL) counts exactly.
            count = (cache.get(key) or 0) + 1
            if count <= limit:
                cache.set(key, count, timeout=duration + 1)
        else:
            cache.add(key, 0, timeout=duration + 1)
            count = cache.incr(key)
        if count > limit:
            self.wait_seconds = (window + 1) * duration - now
            return False
        return True

    def wait(self):
        return self.wait_seconds
