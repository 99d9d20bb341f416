""" "Who said this?" — GET /api/v1/lookup/?text=<a remembered fragment>.

Up to 10 published quotes ranked by similarity (`score`, 0 to 1), each as the quote endpoint
shows it plus the earliest-dated citation; a misattributed quote says so in words ("Commonly
misattributed to X; first recorded from Y"). Nothing close enough gives {"results": []}.
"""

from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from quotes.api.representation import quote_dicts
from quotes.api.serializers import MisattributionSerializer, QuoteCitationSerializer, QuoteSerializer
from quotes.dates import format_said_on
from quotes.lookup import MAX_LENGTH, MAX_RESULTS, MIN_LENGTH, lookup_quotes
from quotes.models import Quote


class LookupQuerySerializer(serializers.Serializer):
    # DRF's CharField also refuses NUL characters (a 400 naming `text`, never a database error).
    text = serializers.CharField(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        help_text=f"The fragment you remember, {MIN_LENGTH}–{MAX_LENGTH} characters.",
    )


class LookupMisattributionSerializer(MisattributionSerializer):
    commonly_attributed_to = serializers.CharField(help_text="The speaker the words are usually credited to.")
    message = serializers.CharField(help_text='e.g. "Commonly misattributed to X; first recorded from Y."')


class LookupResultSerializer(QuoteSerializer):
    score = serializers.FloatField(help_text="Similarity to the fragment, 0 to 1.")
    earliest_citation = QuoteCitationSerializer(
        allow_null=True, help_text="The citation whose source was published first."
    )
    misattribution = LookupMisattributionSerializer(allow_null=True)


class LookupResponseSerializer(serializers.Serializer):
    results = LookupResultSerializer(many=True)


def earliest_citation(citations: list[dict]) -> dict | None:
    def when(citation):
        published = citation["source"]["published_on"]
        return (published is None, published or "", citation["id"])

    return min(citations, key=when) if citations else None


def explain_misattributions(results: list[dict]) -> None:
    """Add who the words are credited to, and who first said them, to misattributed results."""
    wrong = [r for r in results if r["misattribution"] is not None]
    correct_ids = [
        r["misattribution"]["correct_attribution"]["id"]
        for r in wrong
        if r["misattribution"]["correct_attribution"]
    ]
    dates = {}
    if correct_ids:
        rows = Quote.objects.filter(pk__in=correct_ids).values("id", "said_on", "date_precision")
        dates = {row["id"]: row for row in rows}
    for result in wrong:
        info = result["misattribution"]
        credited = result["speaker"]["name"]
        info["commonly_attributed_to"] = credited
        correct = info["correct_attribution"]
        if correct is None:
            info["message"] = f"Commonly misattributed to {credited}; who first said it is not known."
            continue
        row = dates.get(correct["id"])
        said = ""
        if row and row["said_on"]:
            said = f" ({format_said_on(row['said_on'], row['date_precision'])})"
        first = correct["speaker"]["name"]
        info["message"] = f"Commonly misattributed to {credited}; first recorded from {first}{said}."


class QuoteLookupView(APIView):
    """Who said this? Published quotes that resemble a remembered fragment."""

    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="lookup_quotes",
        summary="Who said this?",
        description=(
            "Finds published quotes resembling a remembered fragment: misspelt, with words missing, "
            "or with other punctuation or quotation marks. Returns up to 10, best first, with a "
            "similarity score, the speaker, the date and the earliest-dated citation. Misattributed "
            "quotes say whom the words are commonly credited to and who really said them. A fragment "
            'that resembles nothing gives {"results": []}.'
        ),
        parameters=[
            OpenApiParameter(
                "text",
                str,
                required=True,
                description=f"The fragment, {MIN_LENGTH}–{MAX_LENGTH} characters.",
                examples=[OpenApiExample("A typo", value="I strongly sugest they make a deal")],
            )
        ],
        responses={200: LookupResponseSerializer},
        tags=["lookup"],
    )
    def get(self, request):
        query = LookupQuerySerializer(data={"text": request.query_params.get("text", "")})
        query.is_valid(raise_exception=True)
        hits = lookup_quotes(text=query.validated_data["text"], limit=MAX_RESULTS)
        base = request.build_absolute_uri("/").rstrip("/")
        results = quote_dicts([hit.quote_id for hit in hits], base_url=base)
        scores = {hit.quote_id: hit.score for hit in hits}
        for result in results:
            result["score"] = scores[result["id"]]
            result["earliest_citation"] = earliest_citation(result["citations"])
        explain_misattributions(results)
        return Response({"results": results})
