"""Serializers: read shapes (documentation of what the fast read path returns) and write shapes.

Reads of quotes never go through these per row (see representation.py); the read serializers
describe that output in the OpenAPI schema. Write serializers list exactly what a client may
set: never created_by, version or history; `status` only under the reviewers' rule enforced
by quotes.services.save_quote.
"""

import re

from django.db import transaction
from rest_framework import serializers

from archive.api.base import SLUG_REGEX
from archive.api.serializers import FullCleanModelSerializer
from archive.models import Source
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from quotes.services import save_quote

# --- Read shapes of a quote (schema only) -----------------------------------------------------


class QuoteSpeakerSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    wikidata_qid = serializers.CharField(allow_null=True)
    url = serializers.URLField()


class QuoteVenueSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=Venue.Kind.choices)
    location = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)


class CitedSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    title = serializers.CharField(allow_blank=True)
    publisher = serializers.CharField(allow_blank=True)
    published_on = serializers.DateField(allow_null=True)


class TextQuoteSelectorSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["TextQuoteSelector"])
    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)


class QuoteCitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.ChoiceField(choices=Citation.Role.choices)
    locator = serializers.CharField(allow_blank=True)
    source = CitedSourceSerializer()
    selector = TextQuoteSelectorSerializer(allow_null=True)
    match = serializers.ChoiceField(choices=Citation.Match.choices)


class CorrectAttributionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    speaker = serializers.DictField(child=serializers.CharField())


class MisattributionSerializer(serializers.Serializer):
    note = serializers.CharField(allow_blank=True)
    correct_attribution = CorrectAttributionSerializer(allow_null=True)


class QuoteSerializer(serializers.Serializer):
    """A quote as every read endpoint returns it."""

    id = serializers.IntegerField()
    url = serializers.URLField()
    text = serializers.CharField(help_text="Verbatim, exactly as said.")
    speaker = QuoteSpeakerSerializer()
    speaker_role = serializers.CharField(allow_blank=True)
    said_on = serializers.DateField(
        allow_null=True, help_text="First day of the period at month/year precision."
    )
    date_precision = serializers.ChoiceField(choices=Quote.Precision.choices)
    venue = QuoteVenueSerializer(allow_null=True)
    language = serializers.CharField()
    context = serializers.CharField(allow_blank=True)
    verification = serializers.ChoiceField(choices=Quote.Verification.choices)
    status = serializers.ChoiceField(
        choices=Quote.Status.choices, help_text="published, or retracted (detail only; kept for permalinks)."
    )
    misattribution = MisattributionSerializer(allow_null=True, help_text="Only for misattributed quotes.")
    tags = serializers.ListField(child=serializers.SlugField(), help_text="Tag slugs.")
    citations = QuoteCitationSerializer(many=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    permalink = serializers.URLField()
    embed_url = serializers.URLField()


# --- Writes ------------------------------------------------------------------------------------


SLUG_PATTERN = re.compile(SLUG_REGEX)


class SlugField(serializers.SlugRelatedField):
    """A relation by slug that refuses what no slug can be (PostgreSQL rejects a NUL byte outright)."""

    default_error_messages = {
        **serializers.SlugRelatedField.default_error_messages,
        "invalid_slug": "{value!r} is not a slug (letters, digits, hyphens and underscores).",
    }

    def to_internal_value(self, data):
        if isinstance(data, str) and not SLUG_PATTERN.fullmatch(data):
            self.fail("invalid_slug", value=data)
        return super().to_internal_value(data)


class IdField(serializers.PrimaryKeyRelatedField):
    """A relation by numeric id that takes only a whole number (3 or "3"): 1.5, 1.0, true or "1.5"
    would otherwise be cut down to an existing id by the database lookup (1.5 finding 1)."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "not_whole_number": "An id is a whole number; received {value!r}.",
    }

    def to_internal_value(self, data):
        is_int = isinstance(data, int) and not isinstance(data, bool)
        if not is_int and not (isinstance(data, str) and data.isascii() and data.isdigit()):
            self.fail("not_whole_number", value=data)
        return super().to_internal_value(data)


class QuoteWriteSerializer(serializers.ModelSerializer):
    """What an editor's tool may set on a quote. Publishing needs a reviewer (services.save_quote)."""

    speaker = SlugField(slug_field="slug", queryset=Speaker.objects.all())
    venue = IdField(queryset=Venue.objects.all(), allow_null=True, required=False)
    tags = SlugField(slug_field="slug", queryset=Tag.objects.all(), many=True, required=False)
    about = SlugField(slug_field="slug", queryset=Speaker.objects.all(), many=True, required=False)
    correct_attribution = IdField(queryset=Quote.objects.all(), allow_null=True, required=False)
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=255, help_text="Kept in the history."
    )

    class Meta:
        model = Quote
        fields = [
            "text",
            "speaker",
            "speaker_role",
            "said_on",
            "date_precision",
            "venue",
            "language",
            "context",
            "verification",
            "verification_note",
            "status",
            "status_note",
            "correct_attribution",
            "tags",
            "about",
            "change_reason",
        ]
        validators = []  # the model's full_clean (in save_quote) checks uniqueness and dates
        # Verbatim: kept to the byte, leading and trailing spaces included (DRF trims by default).
        # Empty or blank text is still refused, by the model's clean().
        extra_kwargs = {"text": {"trim_whitespace": False}}

    @transaction.atomic
    def save(self, **kwargs):
        data = {**self.validated_data}
        tags, about = data.pop("tags", None), data.pop("about", None)
        reason = data.pop("change_reason", "")
        quote = self.instance or Quote()
        for name, value in data.items():
            setattr(quote, name, value)
        save_quote(quote=quote, user=self.context["request"].user, change_reason=reason)
        if tags is not None:
            quote.tags.set(tags)
        if about is not None:
            quote.about.set(about)
        self.instance = quote
        return quote


class SpeakerSerializer(FullCleanModelSerializer):
    """A speaker; `aliases` is a list of other names. Quotes are at `quotes_url`."""

    url = serializers.HyperlinkedIdentityField(
        view_name="api-speaker-detail", lookup_field="slug", read_only=True
    )
    aliases = serializers.ListField(child=serializers.CharField(max_length=255), required=False)
    quotes_url = serializers.SerializerMethodField()

    class Meta:
        model = Speaker
        fields = [
            "slug",
            "name",
            "aliases",
            "wikidata_qid",
            "description",
            "url",
            "quotes_url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def get_quotes_url(self, speaker) -> str:
        request = self.context.get("request")
        path = f"/api/v1/quotes/?speaker={speaker.slug}"
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, speaker):
        data = super().to_representation(speaker)
        data["aliases"] = speaker.alias_list
        return data

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        if "aliases" in values:
            values["aliases"] = "\n".join(a.strip() for a in values["aliases"] if a.strip())
        return values


class VenueSerializer(FullCleanModelSerializer):
    class Meta:
        model = Venue
        fields = ["id", "name", "kind", "location", "held_on", "url", "created_at", "updated_at"]
        read_only_fields = ["created_at", "updated_at"]


class TagSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tag
        fields = ["slug", "name"]


class CitationSerializer(FullCleanModelSerializer):
    """The evidence linking a quote to a source; `match` and `checked_at` are set by verification."""

    quote = IdField(queryset=Quote.objects.all())
    source = IdField(queryset=Source.objects.all())

    class Meta:
        model = Citation
        fields = [
            "id",
            "quote",
            "source",
            "role",
            "locator",
            "selector_exact",
            "selector_prefix",
            "selector_suffix",
            "note",
            "match",
            "checked_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["match", "checked_at", "created_at", "updated_at"]
        validators = []  # full_clean checks the one-citation-per-source constraint
