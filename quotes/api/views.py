"""The researchers' API over quotes, speakers, venues, tags and citations.

Quote reads skip per-row serializers: selectors filter, pagination picks the page's rows with
`.values()`, representation.py builds dicts (three queries per page) and orjson renders them.
"""

import re

from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import NotFound
from rest_framework.utils.urls import replace_query_param

from archive.api.base import SLUG_REGEX, ApiModelViewSet, ApiViewSetMixin, json_response
from archive.api.errors import PreconditionFailed
from quotes.api.pagination import QuoteCursorPagination, page_size_from, paginate_quotes
from quotes.api.permissions import QuotePermissions, ReadAnyoneWriteEditors
from quotes.api.representation import represent_quotes
from quotes.api.rows import quote_rows_by_id
from quotes.api.serializers import (
    CitationSerializer,
    QuoteSerializer,
    QuoteWriteSerializer,
    SpeakerSerializer,
    TagSerializer,
    VenueSerializer,
)
from quotes.filtersets import QuoteFilterSet, SpeakerFilterSet, TagFilterSet, VenueFilterSet
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from quotes.selectors import select_quotes
from quotes.services import record_evidence_change, withdraw_quote
from quotes.verification import verify_quote

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag you last read; the write is refused with 412 if the quote changed since.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Resending the same key and body within 24 hours returns the first response.",
)
_VERSION_TAG = re.compile(r"q(\d+)\.v(\d+)")


def quote_version_tag(pk: int, version: int) -> str:
    return f"q{pk}.v{version}"


def can_see_drafts(user) -> bool:
    return bool(user and user.is_authenticated and user.has_perm("quotes.view_quote"))


@extend_schema_view(
    list=extend_schema(
        summary="List and search published quotes",
        responses={200: QuoteSerializer, 400: OpenApiResponse(description="An invalid parameter.")},
    ),
    retrieve=extend_schema(
        summary="One quote (published, or retracted and marked so)", responses=QuoteSerializer
    ),
    create=extend_schema(
        request=QuoteWriteSerializer, responses={201: QuoteSerializer}, parameters=[IDEMPOTENCY_KEY]
    ),
    update=extend_schema(request=QuoteWriteSerializer, responses=QuoteSerializer, parameters=[IF_MATCH]),
    partial_update=extend_schema(
        request=QuoteWriteSerializer, responses=QuoteSerializer, parameters=[IF_MATCH]
    ),
    destroy=extend_schema(
        summary=(
            "Retract a quote that has been published (reviewers only; the permalink stays, marked "
            "retracted), or delete one never published (editors and reviewers)"
        ),
        parameters=[IF_MATCH],
        responses={204: None},
    ),
)
class QuoteViewSet(ApiViewSetMixin, viewsets.GenericViewSet):
    """Quotes: anyone lists and searches published ones; editors write; reviewers publish and retract."""

    queryset = Quote.objects.all()
    serializer_class = QuoteWriteSerializer
    permission_classes = [QuotePermissions]
    filter_backends = [DjangoFilterBackend]
    filterset_class = QuoteFilterSet
    pagination_class = QuoteCursorPagination  # documents the pages; list() pages with paginate_quotes()
    lookup_value_regex = "[0-9]+"

    def list(self, request):
        params = request.query_params
        selection = select_quotes(params, user=request.user)
        page = paginate_quotes(selection, cursor=params.get("cursor"), page_size=page_size_from(params))
        url = request.build_absolute_uri()
        data = {
            "next": replace_query_param(url, "cursor", page.next_cursor) if page.next_cursor else None,
            "previous": replace_query_param(url, "cursor", page.previous_cursor)
            if page.previous_cursor
            else None,
            "results": represent_quotes(page.rows, base_url=self.base_url()),
        }
        last_modified = max((row["updated_at"] for row in page.rows), default=None)
        return json_response(request, data, last_modified=last_modified)

    def retrieve(self, request, pk=None):
        return self.quote_response(request, pk)

    def create(self, request):
        serializer = QuoteWriteSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        quote = serializer.save()
        response = self.quote_response(request, quote.pk, status=201)
        response["Location"] = f"{self.base_url()}/api/v1/quotes/{quote.pk}/"
        return response

    def update(self, request, pk=None, partial=False):
        with transaction.atomic():
            quote = self.locked_quote(request, pk)
            text_hash_before = quote.text_hash
            serializer = QuoteWriteSerializer(
                quote, data=request.data, partial=partial, context=self.get_serializer_context()
            )
            serializer.is_valid(raise_exception=True)
            quote = serializer.save()
            if quote.text_hash != text_hash_before:
                verify_quote(quote=quote)  # new words: look for them in the sources again
        return self.quote_response(request, pk)

    def partial_update(self, request, pk=None):
        return self.update(request, pk, partial=True)

    def destroy(self, request, pk=None):
        # Words once public are retracted (a reviewer's right), never deleted; a quote never
        # published is deleted (services.withdraw_quote).
        with transaction.atomic():
            quote = self.locked_quote(request, pk)
            withdraw_quote(quote=quote, user=request.user, via="through the API")
        return HttpResponse(status=204)

    # --- helpers ---------------------------------------------------------------------------

    def base_url(self) -> str:
        return self.request.build_absolute_uri("/").rstrip("/")

    def locked_quote(self, request, pk) -> Quote:
        """The quote, locked until the transaction ends, after checking If-Match against its version."""
        quote = get_object_or_404(Quote.objects.select_for_update(), pk=pk)
        header = request.headers.get("If-Match")
        if header and header.strip() != "*":
            sent = {(int(a), int(b)) for a, b in _VERSION_TAG.findall(header)}
            if (quote.pk, quote.version) not in sent:
                raise PreconditionFailed()
        return quote

    def quote_response(self, request, pk, *, status: int = 200):
        statuses = None if can_see_drafts(request.user) else Quote.PUBLIC_STATUSES
        rows = quote_rows_by_id([int(pk)], statuses=statuses)
        if not rows:
            raise NotFound("No published quote has this id.")
        row = rows[0]
        data = represent_quotes(rows, base_url=self.base_url())[0]
        return json_response(
            request,
            data,
            etag_prefix=quote_version_tag(row["id"], row["version"]),
            last_modified=row["updated_at"],
            status=status,
        )


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
    create=extend_schema(parameters=[IDEMPOTENCY_KEY]),
)
class SpeakerViewSet(ApiModelViewSet):
    """People and organisations quoted (or talked about), by slug."""

    queryset = Speaker.objects.order_by("name", "id")
    serializer_class = SpeakerSerializer
    filterset_class = SpeakerFilterSet
    permission_classes = [ReadAnyoneWriteEditors]
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
    create=extend_schema(parameters=[IDEMPOTENCY_KEY]),
)
class VenueViewSet(ApiModelViewSet):
    """Where things were said."""

    queryset = Venue.objects.order_by("name", "id")
    serializer_class = VenueSerializer
    filterset_class = VenueFilterSet
    permission_classes = [ReadAnyoneWriteEditors]
    lookup_value_regex = "[0-9]+"


class TagViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Subject labels; filter quotes with `tag=<slug>`."""

    queryset = Tag.objects.order_by("name")
    serializer_class = TagSerializer
    filterset_class = TagFilterSet
    lookup_field = "slug"
    lookup_value_regex = SLUG_REGEX


@extend_schema_view(
    update=extend_schema(parameters=[IF_MATCH]),
    partial_update=extend_schema(parameters=[IF_MATCH]),
    destroy=extend_schema(parameters=[IF_MATCH]),
    create=extend_schema(parameters=[IDEMPOTENCY_KEY]),
)
class CitationViewSet(ApiModelViewSet):
    """The evidence for quotes; anyone reads those of public quotes, editors write."""

    serializer_class = CitationSerializer
    permission_classes = [ReadAnyoneWriteEditors]
    lookup_value_regex = "[0-9]+"
    filterset_fields = ["quote", "source", "role"]
    queryset = Citation.objects.order_by("id")

    # A citation added, changed or removed changes the quote's evidence: a new version of the
    # quote (an If-Match sent for the old one is stale), checked again against the sources.
    def perform_create(self, serializer):
        record_evidence_change(quote=serializer.save().quote)

    def perform_update(self, serializer):
        previous_quote = serializer.instance.quote
        citation = serializer.save()
        record_evidence_change(quote=citation.quote)
        if previous_quote.pk != citation.quote_id:
            record_evidence_change(quote=previous_quote)

    def perform_destroy(self, instance):
        quote = instance.quote
        instance.delete()
        record_evidence_change(quote=quote)

    def get_queryset(self):
        citations = Citation.objects.order_by("id")
        if not can_see_drafts(self.request.user):
            citations = citations.filter(quote__status__in=Quote.PUBLIC_STATUSES)
        return citations
