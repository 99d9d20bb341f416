"""Filters for the quotes, speakers, venues and tags APIs (and the export, which reuses them).

Every value is validated: a bad one is a 400 naming the field, never a 500 and never silently
ignored. Relations are filtered by slug; many-valued relations (tags, about, citations) through
EXISTS subqueries, so a quote is never listed twice.
"""

import django_filters
from django.db.models import Exists, OuterRef, Q, Subquery

from archive.filtersets import (
    BooleanChoiceFilter,
    IntegerFilter,
    StrictFilterSet,
    clean_domain,
    domain_validator,
)
from archive.text import search_form
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from quotes.models.quotes import validate_language_tag
from quotes.models.speakers import qid_validator
from quotes.search import get_search_backend
from quotes.search.query import parse_query

#: `ordering` values and the column each sorts on (ties are always broken by id, same direction).
ORDERINGS = {
    "said_on": ("said_on", False),
    "-said_on": ("said_on", True),
    "created": ("created_at", False),
    "-created": ("created_at", True),
    "relevance": (None, True),
}
DEFAULT_ORDERING = "-said_on"
SEARCH_ORDERING = "relevance"
ISO_DATE = ["%Y-%m-%d"]


class QuoteFilterSet(StrictFilterSet):
    """What researchers narrow the archive by. `ordering` is validated here and applied by the selector."""

    speaker = django_filters.CharFilter(method="filter_speaker", help_text="Speaker slug.")
    speaker_qid = django_filters.CharFilter(
        field_name="speaker__wikidata_qid", validators=[qid_validator], help_text="Wikidata QID, e.g. Q22686."
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=500,
        help_text='Full-text search: words, "exact phrase", OR, -excluded. Accents and case are ignored.',
    )
    said_after = django_filters.DateFilter(
        field_name="said_on",
        lookup_expr="gte",
        input_formats=ISO_DATE,
        help_text="ISO date, inclusive. A quote dated to a month or year counts as said on its first day.",
    )
    said_before = django_filters.DateFilter(
        field_name="said_on", lookup_expr="lte", input_formats=ISO_DATE, help_text="ISO date, inclusive."
    )
    about = django_filters.CharFilter(
        method="filter_about", help_text="Slug of a speaker the quote is about."
    )
    venue = IntegerFilter(field_name="venue_id", help_text="Venue id.")
    venue_kind = django_filters.ChoiceFilter(field_name="venue__kind", choices=Venue.Kind.choices)
    source_domain = django_filters.CharFilter(
        method="filter_source_domain",
        validators=[domain_validator],
        help_text="Host of any cited source, subdomains included (nytimes.com matches www.nytimes.com).",
    )
    publisher = django_filters.CharFilter(
        method="filter_publisher", help_text="Publisher of any cited source (case-insensitive)."
    )
    tag = django_filters.CharFilter(method="filter_tag", help_text="Tag slug.")
    language = django_filters.CharFilter(
        field_name="language",
        lookup_expr="iexact",  # BCP 47 tags are case-insensitive: EN, en-gb and en-GB are the same
        validators=[validate_language_tag],
        help_text="BCP 47 tag, e.g. en (any case).",
    )
    verification = django_filters.ChoiceFilter(choices=Quote.Verification.choices)
    has_primary_source = BooleanChoiceFilter(
        method="filter_has_primary_source", help_text="true: at least one primary citation; false: none."
    )
    ordering = django_filters.ChoiceFilter(
        method="keep",
        choices=[(key, key) for key in ORDERINGS],
        help_text="Default: relevance when q is given, else -said_on. Ties are broken by id.",
    )

    class Meta:
        model = Quote
        fields = [
            "speaker",
            "speaker_qid",
            "q",
            "said_after",
            "said_before",
            "about",
            "venue",
            "venue_kind",
            "source_domain",
            "publisher",
            "tag",
            "language",
            "verification",
            "has_primary_source",
            "ordering",
        ]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        data = self.form.cleaned_data if valid else {}
        if valid and data.get("ordering") == SEARCH_ORDERING and not parse_query(data.get("q") or ""):
            self.form.add_error("ordering", "Ordering by relevance needs a search (q).")
            return False
        return valid

    @property
    def ordering_key(self) -> str:
        """The ordering asked for, or the default (relevance when searching)."""
        data = self.form.cleaned_data
        if data.get("ordering"):
            return data["ordering"]
        return SEARCH_ORDERING if parse_query(data.get("q") or "") else DEFAULT_ORDERING

    @property
    def search_query(self):
        return parse_query(self.form.cleaned_data.get("q") or "")

    def keep(self, queryset, name, value):
        return queryset

    def filter_q(self, queryset, name, value):
        query = parse_query(value)
        if not query:
            return queryset
        return get_search_backend(queryset.db).matching(queryset, query)

    def filter_speaker(self, queryset, name, value):
        # By id, not by a join on the slug: the planner then walks the (speaker, status, said_on)
        # index in page order instead of sorting every quote of a prolific speaker.
        speaker_id = Speaker.objects.filter(slug=value).values("id")[:1]
        return queryset.filter(speaker_id=Subquery(speaker_id))

    def filter_about(self, queryset, name, value):
        about = Quote.about.through.objects.filter(quote_id=OuterRef("pk"), speaker__slug=value)
        return queryset.filter(Exists(about))

    def filter_tag(self, queryset, name, value):
        tagged = Quote.tags.through.objects.filter(quote_id=OuterRef("pk"), tag__slug=value)
        return queryset.filter(Exists(tagged))

    def filter_source_domain(self, queryset, name, value):
        host = clean_domain(value)
        on_host = Q(source__domain=host) | Q(source__domain__subdomain_of=host)  # archive/hosts.py
        return queryset.filter(Exists(Citation.objects.filter(on_host, quote_id=OuterRef("pk"))))

    def filter_publisher(self, queryset, name, value):
        cited = Citation.objects.filter(quote_id=OuterRef("pk"), source__publisher__iexact=value.strip())
        return queryset.filter(Exists(cited))

    def filter_has_primary_source(self, queryset, name, value):
        primary = Exists(Citation.objects.filter(quote_id=OuterRef("pk"), role=Citation.Role.PRIMARY))
        return queryset.filter(primary) if value == "true" else queryset.exclude(primary)


class SpeakerFilterSet(StrictFilterSet):
    """Speakers by name or alias (accents ignored) or by Wikidata QID."""

    q = django_filters.CharFilter(
        method="filter_q", max_length=200, help_text="Part of a name or alias; accents and case ignored."
    )
    qid = django_filters.CharFilter(field_name="wikidata_qid", validators=[qid_validator])

    class Meta:
        model = Speaker
        fields = ["q", "qid"]

    def filter_q(self, queryset, name, value):
        needle = search_form(value)
        return queryset.filter(search_names__contains=needle) if needle else queryset


class VenueFilterSet(StrictFilterSet):
    """Venues by kind or by words in the name."""

    kind = django_filters.ChoiceFilter(choices=Venue.Kind.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Venue
        fields = ["kind", "q"]


class TagFilterSet(StrictFilterSet):
    """Tags by words in the name."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", max_length=200)

    class Meta:
        model = Tag
        fields = ["q"]
