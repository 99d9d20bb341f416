"""One JSON shape for every API error, from a bad filter to a crash.

    {"error": {"code": "invalid", "message": "Some parameters are invalid.",
               "fields": {"said_after": ["Enter a valid date."]}}}

`code` is machine-readable (DRF's error codes, plus `precondition_failed`, `conflict`,
`server_error`); `fields` appears only when particular fields or parameters are at fault.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

logger = logging.getLogger(__name__)


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since you fetched it (If-Match does not match its ETag)."
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def _translate(exc):
    if isinstance(exc, DjangoValidationError):
        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, ProtectedError):
        return Conflict("Other records still refer to this one; it cannot be deleted.")
    if isinstance(exc, IntegrityError):  # a write another request made impossible meanwhile
        logger.warning("A write clashed with another request's: %s", exc)
        return Conflict("Another request changed the same records at the same moment; send this one again.")
    return exc


def field_messages(detail, where: str = "") -> list[str]:
    """A field's errors as the documented flat list of strings, nested items named by position.

    DRF nests the errors of list items and sub-objects ({"aliases": {"0": [...]}}); clients get
    ["item 0: Ensure this field has no more than 255 characters."] instead.
    """
    if isinstance(detail, dict):
        return [
            message
            for key, inner in detail.items()
            for message in field_messages(inner, f"{where}{'item ' if str(key).isdigit() else ''}{key}: ")
        ]
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return [f"{where}{item}" for item in detail]
        return [
            message
            for index, inner in enumerate(detail)
            if inner
            for message in field_messages(inner, f"{where}item {index}: ")
        ]
    return [f"{where}{detail}"]


def api_exception_handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # unexpected: Django's handler500 answers (in JSON under /api/)
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        general = detail.get("non_field_errors") or detail.get("detail")
        fields = {k: field_messages(v) for k, v in detail.items() if k not in ("non_field_errors", "detail")}
        message = " ".join(str(m) for m in general) if isinstance(general, list) else str(general or "")
        response.data = error_body("invalid", message or "Some fields or parameters are invalid.", fields)
    else:
        code = getattr(exc, "default_code", "error")
        detail = getattr(exc, "detail", "")
        codes = exc.get_codes() if hasattr(exc, "get_codes") else None
        if isinstance(codes, str):
            code = codes
        response.data = error_body(code, str(detail))
    return response


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(error_body("not_found", "No such resource."), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(error_body("server_error", "Something went wrong on our side."), status=500)
    return defaults.server_error(request)
