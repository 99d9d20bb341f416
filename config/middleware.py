"""Request-level plumbing for operators: request ids, access logs and the real client address."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from config.logging import request_id_var

access_log = logging.getLogger("verbatim.access")

# A caller's id is kept only when it is short and made of safe characters, so that it cannot
# inject anything into log lines or response headers.
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def client_ip(request) -> str:
    """The address of the client, trusting exactly TRUSTED_PROXY_COUNT proxies in front of us.

    The same rule as DRF's throttles (`NUM_PROXIES`): with no trusted proxy, X-Forwarded-For is
    ignored (a client can write anything there); with N proxies, the N-th address from the right
    is the one our outermost proxy saw.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))]


def _user_id(request):
    """The signed-in user's id, without forcing a session lookup the view did not need."""
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject):
        user = None if user._wrapped is empty else user._wrapped
    if user is not None and getattr(user, "is_authenticated", False):
        return user.pk
    return None


class RequestIdMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it is safe, else a new one),
    returns it in the X-Request-ID response header, attaches it to every log line written
    while the request runs, and writes one access-log line when the response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.META.get("HTTP_X_REQUEST_ID", "")
        if not _SAFE_REQUEST_ID.fullmatch(request_id):
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "%s %s %s",
                    request.method,
                    request.path,
                    response.status_code,
                    extra={
                        "method": request.method,
                        "path": request.path,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "user_id": _user_id(request),
                        "client_ip": client_ip(request),
                    },
                )
            return response
        finally:
            request_id_var.reset(token)
