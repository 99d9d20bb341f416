"""GET /api/v1/quotes/export/?format=csv|ndjson: the filtered archive, streamed."""

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from quotes.exporting.formats import CONTENT_TYPES, export_chunks
from quotes.exporting.selection import EXPORT_FORMATS, export_quotes_queryset
from quotes.filtersets import QuoteFilterSet


class FormatIsNotARenderer(DefaultContentNegotiation):
    """`format` names the export's file format here, not one of DRF's renderers (used for errors)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type


def _filter_parameters() -> list[OpenApiParameter]:
    parameters = []
    for name, declared in QuoteFilterSet.base_filters.items():
        choices = getattr(declared, "extra", {}).get("choices")
        enum = [value for value, _ in choices] if isinstance(choices, (list, tuple)) else None
        if name == "ordering":
            continue  # an export is always in id order
        parameters.append(
            OpenApiParameter(
                name,
                OpenApiTypes.DATE if name in ("said_after", "said_before") else OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description=str(declared.extra.get("help_text", "")),
                enum=enum,
            )
        )
    return parameters


class QuoteExportView(APIView):
    """Every quote matching the list endpoint's filters, as one CSV or NDJSON download.

    Streamed in id order (on PostgreSQL straight from one COPY of lines the database writes):
    the server never holds the whole result.
    Anonymous users export published quotes; editors (who may change quotes) export all statuses.
    """

    permission_classes = [AllowAny]
    content_negotiation_class = FormatIsNotARenderer

    @extend_schema(
        operation_id="quotes_export",
        summary="Export quotes as CSV or NDJSON",
        parameters=[
            OpenApiParameter(
                "format",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                enum=list(EXPORT_FORMATS),
                default="csv",
                description="csv: one row a quote, lists as JSON cells. ndjson: one JSON quote a line.",
            ),
            *_filter_parameters(),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV with a header row."),
            (200, "application/x-ndjson"): OpenApiResponse(OpenApiTypes.STR, description="One quote a line."),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="A bad parameter, named."),
        },
        tags=["quotes"],
    )
    def get(self, request):
        fmt = request.query_params.get("format", "csv")
        if fmt not in EXPORT_FORMATS:
            raise ValidationError({"format": [f"Choose csv or ndjson, not {fmt[:20]!r}."]})
        params = request.query_params.copy()
        params.pop("format", None)
        queryset = export_quotes_queryset(params, user=request.user)
        response = StreamingHttpResponse(export_chunks(queryset, fmt), content_type=CONTENT_TYPES[fmt])
        filename = f"verbatim-quotes-{timezone.localdate():%Y-%m-%d}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = (
            "private, no-store" if request.user.is_authenticated else "public, max-age=60"
        )
        return response
