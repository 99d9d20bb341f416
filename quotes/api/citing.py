"""How to cite a published quote, and what was corrected in it since publication.

GET /api/v1/quotes/{id}/cite/?style=apa|mla|chicago|bibtex|ris|csl-json
    APA, MLA and Chicago come as text/plain; BibTeX as application/x-bibtex; RIS as
    application/x-research-info-systems; CSL-JSON as application/vnd.citationstyles.csl+json.
GET /api/v1/quotes/{id}/corrections/
    JSON: {"quote": id, "url": permalink, "corrections": [{corrected_at, reason, changes: [...]}]}.
Drafts and quotes in review are 404; retracted quotes stay citable, marked as retracted.
"""

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from archive.api.errors import error_body
from quotes.citing import CONTENT_TYPES, STYLES, citable_quote, format_citation
from quotes.corrections import correction_as_dict, corrections_for
from quotes.models import Quote
from quotes.web.queries import public_quotes
from quotes.web.urls_abs import absolute_url

ErrorSerializer = inline_serializer(
    name="CitingError",
    fields={
        "error": inline_serializer(
            name="CitingErrorDetail",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        )
    },
)

CorrectionsSerializer = inline_serializer(
    name="QuoteCorrections",
    fields={
        "quote": serializers.IntegerField(),
        "url": serializers.URLField(),
        "corrections": inline_serializer(
            name="QuoteCorrection",
            many=True,
            fields={
                "corrected_at": serializers.DateTimeField(),
                "reason": serializers.CharField(allow_blank=True),
                "changes": inline_serializer(
                    name="QuoteCorrectionChange",
                    many=True,
                    fields={
                        "field": serializers.ChoiceField(
                            choices=["text", "speaker", "date", "venue", "citations"]
                        ),
                        "label": serializers.CharField(),
                        "old": serializers.CharField(allow_null=True),
                        "new": serializers.CharField(allow_null=True),
                    },
                ),
            },
        ),
    },
)


def error(status: int, code: str, message: str, fields: dict | None = None) -> Response:
    return Response(error_body(code, message, fields), status=status)


def not_found() -> Response:
    return error(404, "not_found", "No published quote has this number.")


class PublicQuoteAPIView(APIView):
    """Read-only, open to everyone; answers in its own content types whatever the Accept header."""

    authentication_classes: list = []  # public, read-only: a bad token must not turn it into a 401
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def public_quote(self, pk: int) -> Quote | None:
        return (
            public_quotes()
            .select_related("speaker", "venue")
            .prefetch_related("citations__source")
            .filter(pk=pk)
            .first()
        )


class QuoteCiteView(PublicQuoteAPIView):
    @extend_schema(
        operation_id="quotes_cite",
        summary="Cite a quote",
        description=(
            "The citation of a published (or retracted) quote in one style: the speaker as author, the date "
            "at its precision, the best source (primary before secondary) and the archive permalink with "
            "today's access date."
        ),
        parameters=[
            OpenApiParameter(
                "style", OpenApiTypes.STR, enum=list(STYLES), required=True, description="Style."
            ),
        ],
        responses={
            (200, "text/plain"): OpenApiTypes.STR,
            (200, "application/x-bibtex"): OpenApiTypes.STR,
            (200, "application/x-research-info-systems"): OpenApiTypes.STR,
            (200, "application/vnd.citationstyles.csl+json"): OpenApiTypes.ANY,
            (400, "application/json"): ErrorSerializer,
            (404, "application/json"): ErrorSerializer,
            (429, "application/json"): ErrorSerializer,
        },
        examples=[
            OpenApiExample(
                "Unknown style",
                status_codes=["400"],
                response_only=True,
                value={
                    "error": {
                        "code": "invalid_style",
                        "message": "Unknown citation style.",
                        "fields": {"style": [f"Choose one of: {', '.join(STYLES)}."]},
                    }
                },
            )
        ],
        tags=["quotes"],
    )
    def get(self, request, pk: int):
        style = request.query_params.get("style", "")
        if style not in STYLES:
            return error(
                400,
                "invalid_style",
                f"Unknown citation style {style!r}. Known styles: {', '.join(STYLES)}.",
                {"style": [f"Choose one of: {', '.join(STYLES)}."]},
            )
        quote = self.public_quote(pk)
        if quote is None:
            return not_found()
        permalink = absolute_url(request, quote.get_absolute_url())
        record = citable_quote(quote=quote, permalink=permalink, accessed_on=timezone.localdate())
        response = HttpResponse(format_citation(record, style), content_type=CONTENT_TYPES[style])
        extension = {"bibtex": "bib", "ris": "ris", "csl-json": "json"}.get(style, "txt")
        response["Content-Disposition"] = f'inline; filename="verbatim-quote-{quote.pk}-{style}.{extension}"'
        return response


class QuoteCorrectionsView(PublicQuoteAPIView):
    @extend_schema(
        operation_id="quotes_corrections",
        summary="Corrections to a quote",
        description=(
            "Every change to a published quote's text, speaker, date, venue or citations after its first "
            "publication, oldest first, with the editor's reason."
        ),
        responses={200: CorrectionsSerializer, 404: ErrorSerializer, 429: ErrorSerializer},
        tags=["quotes"],
    )
    def get(self, request, pk: int):
        quote = self.public_quote(pk)
        if quote is None:
            return not_found()
        return Response(
            {
                "quote": quote.pk,
                "url": absolute_url(request, quote.get_absolute_url()),
                "corrections": [correction_as_dict(c) for c in corrections_for(quote=quote)],
            }
        )
