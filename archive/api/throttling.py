"""One throttle per request: the "anon" rate per client address, the "user" rate per account.

Counts are shared by every server process and incremented atomically, in one statement a
request: an upsert on the RequestCounter table by default, or Redis INCR when the cache is
Redis (REDIS_URL). A fixed window keeps one small integer per client and window, where DRF's
sliding window rewrites the time of every request in the window (and, on the database cache,
reads then writes, so simultaneous requests on two workers could both slip under the limit).
Rates are read from REST_FRAMEWORK at each request, so a deployment (or a test) can change
them without re-importing anything.
"""

import datetime
import random
import time

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.utils import timezone
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from archive.db import prepared_statements
from archive.models import RequestCounter

#: One request in this many that opens a window also sweeps counters of windows that ended.
SWEEP_ONE_IN = 50


def count_request_in_database(*, key: str, window_ends_at: datetime.datetime) -> int:
    """Add one to the client's counter for this window and return the new count, atomically."""
    table = connection.ops.quote_name(RequestCounter._meta.db_table)
    ends = connection.ops.adapt_datetimefield_value(window_ends_at)
    with connection.cursor() as cursor, prepared_statements(connection):
        cursor.execute(
            f'INSERT INTO {table} ("key", "window_ends_at", "count") VALUES (%s, %s, 1) '  # noqa: S608
            f'ON CONFLICT ("key") DO UPDATE SET "count" = {table}."count" + 1 RETURNING "count"',
            [key, ends],
        )
        count = cursor.fetchone()[0]
    if count == 1 and random.randrange(SWEEP_ONE_IN) == 0:
        RequestCounter.objects.filter(window_ends_at__lt=timezone.now()).delete()
    return count


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
        key = f"throttle_{self.scope}_{ident}_{duration}_{window}"
        cache = caches["default"]
        if isinstance(cache, DatabaseCache):
            ends = datetime.datetime.fromtimestamp((window + 1) * duration, tz=datetime.UTC)
            count = count_request_in_database(key=key, window_ends_at=ends)
        else:
            cache.add(key, 0, timeout=duration + 1)
            count = cache.incr(key)
        if count > limit:
            self.wait_seconds = (window + 1) * duration - now
            return False
        return True

    def wait(self):
        return self.wait_seconds
