import math

from django.db import connections
from django.db.models import BooleanField, FloatField, QuerySet
from django.db.models.expressions import RawSQL

from quotes.search.base import SearchBackend
from quotes.search.query import SearchQuery
from quotes.search.statistics import WordFrequencies

# The vector is a generated column over the accent-free `search_text`, with the 'simple'
# configuration: no stemming or stop words, so phrases and short words ("no", "not") are kept.
# pg_trgm is for lookup's word_similarity() on a handful of candidates; no trigram index is kept
# (migration 0005): lookup takes its candidates from the tsvector index (quotes/lookup/postgres.py).
INSTALL_SQL = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    DO $$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                     WHERE table_name = 'quotes_quote' AND column_name = 'search_vector') THEN
        ALTER TABLE quotes_quote ADD COLUMN search_vector tsvector
          GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, search_text)) STORED;
      END IF;
    END $$
    """,
    "CREATE INDEX IF NOT EXISTS quote_search_vector_idx ON quotes_quote USING GIN (search_vector)",
]


PHRASE_SQL = "phraseto_tsquery('simple'::regconfig, %s)"


def tsquery_sql(query: SearchQuery) -> tuple[str, list[str]]:
    """The query as a tsquery expression: PostgreSQL's own parser tokenizes each phrase
    (phraseto_tsquery, as to_tsvector did the text), groups are ||, all of them &&, exclusions !!."""

    parts = ["(" + " || ".join([PHRASE_SQL] * len(group)) + ")" for group in query.groups]
    parts += ["!!" + PHRASE_SQL for _ in query.excluded]
    params = [p.text for group in query.groups for p in group] + [p.text for p in query.excluded]
    return "(" + " && ".join(parts) + ")", params


MATCH_SQL = "quotes_quote.search_vector @@ {tsquery}"
# Cover density divided by 1 + log(the quote's length in words) (normalization 1): without it
# every quote holding a single searched word once scores the same 0.1, and the ranking says
# nothing; with it the shorter quote, where the word weighs more, comes first (as bm25 does).
RANK_SQL = "ts_rank_cd(quotes_quote.search_vector, {tsquery}, 1)"


class PostgresSearchBackend(SearchBackend):
    """tsvector over the accent-free text with a GIN index; ranking by ts_rank_cd on a bounded set."""

    def install(self) -> None:
        with connections[self.using].cursor() as cursor:
            for statement in INSTALL_SQL:
                cursor.execute(statement)

    def matching(self, queryset: QuerySet, query: SearchQuery) -> QuerySet:
        tsquery, params = tsquery_sql(query)
        match = RawSQL(MATCH_SQL.format(tsquery=tsquery), params, output_field=BooleanField())  # noqa: S611
        return queryset.filter(match)

    def matching_ids(self, query: SearchQuery) -> RawSQL:
        # MATCH_SQL names the table: in a queryset used as a subquery Django aliases it (U0), and
        # "quotes_quote" would then be the outer query's row. Here it is this query's own.
        tsquery, params = tsquery_sql(query)
        return RawSQL(f"SELECT id FROM quotes_quote WHERE {MATCH_SQL.format(tsquery=tsquery)}", params)  # noqa: S611

    def ranked(self, queryset: QuerySet, query: SearchQuery, *, limit: int) -> list[tuple[int, float]]:
        if not query.groups:
            # Only exclusions: nothing to rank (ts_rank_cd of a negated tsquery scores quotes by
            # the excluded words they do hold). Every row's rank would cost, for no order.
            return super().ranked(queryset, query, limit=limit)
        # ORDER BY id DESC LIMIT n first, then rank: PostgreSQL evaluates the rank only for the
        # rows that survive the LIMIT, so a word found in 3% of a million quotes costs n ranks.
        tsquery, params = tsquery_sql(query)
        rank = RawSQL(RANK_SQL.format(tsquery=tsquery), params, output_field=FloatField())  # noqa: S611
        newest = (
            self.matching(queryset, query)
            .annotate(search_rank=rank)
            .order_by("-id")
            .values_list("id", "search_rank")
        )
        floor = self.window_floor(query, limit=limit)
        if floor is None:
            return list(newest[:limit])
        # The newest ids first (the GIN bitmap ANDed with a primary-key range: only the pages of
        # the matches inside the window are read), the rest only if the window held too few.
        rows = list(newest.filter(id__gt=floor)[:limit])
        if len(rows) < limit:
            rows += newest.filter(id__lte=floor)[: limit - len(rows)]
        return rows

    def window_floor(self, query: SearchQuery, *, limit: int) -> int | None:
        """The id above which the `limit` newest matches should lie, for a query whose words are
        neither rare nor very common by the statistics (else None: no window).

        A rare word's few matches are read straight from the GIN index; a very common word's
        newest matches are met at once walking the primary key backwards. In between (a word in
        0.2%-5% of quotes) neither is cheap: the walk meets 500 matches only after 10,000-250,000
        rows and the bitmap reads every match's page. A window of the newest ids, twice as many
        as the expected share needs, bounds both.
        """
        share = estimated_share(query, WordFrequencies.get(self.using))
        if not self.WINDOW_MIN_SHARE <= share <= self.WINDOW_MAX_SHARE:
            return None
        floor = WordFrequencies.max_id(self.using) - math.ceil(self.WINDOW_MARGIN * limit / share)
        return floor if floor > 0 else None

    WINDOW_MIN_SHARE = 0.002
    WINDOW_MAX_SHARE = 0.05
    WINDOW_MARGIN = 2


def estimated_share(query: SearchQuery, frequencies: dict[str, float]) -> float:
    """The share of quotes expected to match, from the words' own shares taken as independent
    (a word missing from the statistics counts as 0: rare). Exclusions are ignored."""
    if not query.groups:
        return 1.0
    share = 1.0
    for group in query.groups:
        any_of = 0.0
        for phrase in group:
            all_of = 1.0
            for token in phrase:
                all_of *= frequencies.get(token, 0.0)
            any_of += all_of
        share *= min(any_of, 1.0)
    return share
