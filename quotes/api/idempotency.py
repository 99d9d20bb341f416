"""Idempotency-Key on API POSTs: the same key and body within 24 hours replays the first answer.

A middleware, so that every POST under /api/ (quotes, sources, citations...) gets it. The record
is inserted *before* the request runs, under the (user, key) unique constraint: of two
concurrent POSTs with one key, exactly one runs; the other is told it is in progress (409), and
a later retry receives the stored response.

The stored response is the first one's body and the headers a client acts on (content type,
ETag for the next If-Match, Location of what was created, caching): the record has one binary
field, so they are kept in it, in a small envelope ahead of the body (see `pack_response`).
"""

import datetime
import hashlib
import json

from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed

from archive.api.errors import error_body
from quotes.api.authentication import ApiTokenAuthentication
from quotes.models import IdempotencyRecord

REPLAY_WINDOW = datetime.timedelta(hours=24)
HEADER = "Idempotency-Key"
#: The headers of the first response that a replay repeats.
REPLAYED_HEADERS = ("Content-Type", "ETag", "Last-Modified", "Location", "Cache-Control", "Vary")
#: Marks a stored response kept with its headers; records written before hold the bare body.
ENVELOPE = b"verbatim-idempotent-response/1\n"


def pack_response(response) -> bytes:
    """ENVELOPE, one line of JSON with the replayed headers, then the body as sent."""
    headers = {name: response[name] for name in REPLAYED_HEADERS if response.has_header(name)}
    return ENVELOPE + json.dumps(headers).encode() + b"\n" + response.content


def unpack_response(stored: bytes) -> tuple[dict[str, str], bytes]:
    """The headers and body of a stored response (a bare body: a JSON answer without headers)."""
    if not stored.startswith(ENVELOPE):
        return {"Content-Type": "application/json"}, stored
    headers, _, body = stored[len(ENVELOPE) :].partition(b"\n")
    return json.loads(headers), body


def _user(request):
    try:
        found = ApiTokenAuthentication().authenticate(request)
    except AuthenticationFailed:
        return None
    if found:
        return found[0]
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


class IdempotencyKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255 or "\x00" in key:
            return JsonResponse(
                error_body("invalid", "Invalid Idempotency-Key.", {HEADER: ["Use at most 255 characters."]}),
                status=400,
            )
        user = _user(request)
        if user is None:
            return self.get_response(request)  # the view answers 401
        request_hash = hashlib.sha256(
            request.method.encode() + request.path.encode() + request.body
        ).hexdigest()
        IdempotencyRecord.objects.filter(
            user=user, key=key, created_at__lt=timezone.now() - REPLAY_WINDOW
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, method=request.method, path=request.path, request_hash=request_hash
                )
        except IntegrityError:
            return self.replay(user, key, request_hash)
        try:
            response = self.get_response(request)
        except Exception:
            record.delete()
            raise
        if response.status_code >= 500 or response.streaming:
            record.delete()  # let the client retry
            return response
        record.status_code = response.status_code
        record.response_body = pack_response(response)
        record.save(update_fields=["status_code", "response_body"])
        return response

    @staticmethod
    def replay(user, key: str, request_hash: str):
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None or record.status_code is None:
            body = error_body("conflict", "A request with this Idempotency-Key is still in progress.")
            return JsonResponse(body, status=409)
        if record.request_hash != request_hash:
            body = error_body(
                "idempotency_key_reused", "This Idempotency-Key was used with a different request."
            )
            return JsonResponse(body, status=422)
        headers, body = unpack_response(bytes(record.response_body))
        content_type = headers.pop("Content-Type", "application/json")
        response = HttpResponse(body, status=record.status_code, content_type=content_type)
        for name, value in headers.items():
            response[name] = value
        response["Idempotent-Replayed"] = "true"
        return response
