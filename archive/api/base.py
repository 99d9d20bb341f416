"""Plumbing every Verbatim API view shares: fast JSON, conditional GET, ordinary pages.

It lives in `archive` (the lower layer) so that both apps' APIs can use it while `archive`
still imports nothing from `quotes`.
"""

import hashlib

from django.db import transaction
from django.http import HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag
from rest_framework import pagination, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from archive.api.errors import PreconditionFailed
from archive.api.renderers import dumps

#: Public data may be cached briefly by browsers and shared caches.
PUBLIC_CACHE_CONTROL = "public, max-age=60"
#: What an editor sees (drafts included) stays out of shared caches.
PRIVATE_CACHE_CONTROL = "private, no-cache"


#: What a slug in a URL or a request body may be (Django's slug characters).
SLUG_REGEX = "[-a-zA-Z0-9_]+"


def cache_control(request) -> str:
    user = getattr(request, "user", None)
    return PRIVATE_CACHE_CONTROL if user is not None and user.is_authenticated else PUBLIC_CACHE_CONTROL


def content_etag(body: bytes) -> str:
    return quote_etag(hashlib.sha256(body).hexdigest()[:16])


def if_match_tags(request) -> list[str] | None:
    """The entity tags of an If-Match header (weakness ignored), or None when absent or "*"."""
    header = request.headers.get("If-Match")
    if not header or header.strip() == "*":
        return None
    return [tag.strip().removeprefix("W/").strip('"') for tag in header.split(",") if tag.strip()]


def reject_nul_bytes(params) -> None:
    """A NUL byte reaches PostgreSQL as an error: refuse it up front, naming the parameter."""
    for name, values in params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise ValidationError({name.replace("\x00", ""): ["Null characters are not allowed."]})


def json_response(request, data, *, etag_prefix: str = "", last_modified=None, status: int = 200):
    """Render `data` once, answer 304 when the client's copy is current, and mark it cacheable.

    The ETag is a digest of the body, after `etag_prefix` (e.g. "q12.v3" for version 3 of quote 12).
    """
    body = dumps(data)
    digest = hashlib.sha256(body).hexdigest()[:16]
    etag = quote_etag(f"{etag_prefix}.{digest}" if etag_prefix else digest)
    timestamp = int(last_modified.timestamp()) if last_modified else None  # HTTP dates are whole seconds
    if request.method in ("GET", "HEAD") and status == 200:
        not_modified = get_conditional_response(request, etag=etag, last_modified=timestamp)
        if not_modified is not None:
            not_modified["Cache-Control"] = cache_control(request)
            return not_modified
    response = HttpResponse(body, status=status, content_type="application/json")
    response["ETag"] = etag
    if timestamp is not None:
        response["Last-Modified"] = http_date(timestamp)
    response["Cache-Control"] = cache_control(request) if request.method in ("GET", "HEAD") else "no-store"
    return response


class NumberedPagination(pagination.PageNumberPagination):
    """Ordinary numbered pages (`page`, `page_size` up to 200) for the small tables, answered as
    {"next", "previous", "results"}: the count is used for the links but not returned."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        params = request.query_params
        for name in ("page", "page_size"):
            raw = params.get(name)
            if raw in (None, ""):
                continue
            if not raw.isdigit() or int(raw) < 1 or (name == "page_size" and int(raw) > self.max_page_size):
                limit = f" from 1 to {self.max_page_size}" if name == "page_size" else " of 1 or more"
                raise ValidationError({name: [f"Enter a whole number{limit}."]})
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters

    def get_paginated_response(self, data):
        return Response({"next": self.get_next_link(), "previous": self.get_previous_link(), "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "previous": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }


class ApiViewSetMixin:
    """Lists and details answered with ETag/Last-Modified, 304s and public Cache-Control."""

    pagination_class = NumberedPagination

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_nul_bytes(request.query_params)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not isinstance(response, Response) or response.status_code not in (200, 201):
            return response
        # Render now so the ETag can be derived from the bytes the client receives; a write's
        # answer carries the new ETag too, ready for the next If-Match.
        response.render()
        etag = response.get("ETag") or content_etag(response.content)
        response["ETag"] = etag
        if request.method not in ("GET", "HEAD"):
            response["Cache-Control"] = "no-store"
            return response
        not_modified = get_conditional_response(request, etag=etag)
        if not_modified is not None:
            not_modified["Cache-Control"] = cache_control(request)
            return not_modified
        response.setdefault("Cache-Control", cache_control(request))
        return response


class ApiModelViewSet(ApiViewSetMixin, viewsets.ModelViewSet):
    """A resource with reads for everyone and writes for editors (see the permission settings).

    PUT, PATCH and DELETE honour If-Match against the ETag of the current representation; the
    row is locked while it is compared and written, so of two concurrent writers sent the same
    ETag one succeeds and the other gets 412.
    """

    def locked_object(self):
        self.queryset = self.get_queryset().select_for_update()
        return self.get_object()

    def check_if_match(self, request, instance) -> None:
        tags = if_match_tags(request)
        if tags is None:
            return
        current = content_etag(dumps(self.get_serializer(instance).data)).strip('"')
        if current not in tags:
            raise PreconditionFailed()

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(request, instance)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        return Response(serializer.data)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(request, instance)
            self.perform_destroy(instance)
        return Response(status=204)
