from django.db import connections, transaction

from quotes.lookup.base import LookupBackend, LookupHit

# `<%` is answered by the GIN trigram index quote_search_trgm_idx (migration 0002) and keeps
# only rows whose word_similarity reaches pg_trgm.word_similarity_threshold, set per query
# (SET LOCAL semantics through set_config(..., true), inside the transaction). Ties (a
# fragment wholly inside several quotes) go to the quote closest to it as a whole. The inner
# LIMIT bounds the work for a fragment of only common words, which nearly every quote resembles.
LOOKUP_SQL = """
    SELECT id, score FROM (
        SELECT q.id, word_similarity(%s, q.search_text) AS score, similarity(%s, q.search_text) AS whole
        FROM quotes_quote q
        WHERE %s <%% q.search_text AND q.status = 'published'
        LIMIT %s
    ) AS candidates
    ORDER BY score DESC, whole DESC, id
    LIMIT %s
"""


class PostgresLookupBackend(LookupBackend):
    #: word_similarity a quote must reach: a 6–12 word fragment with a typo or a missing word
    #: scores 0.6–0.9 against its quote; unrelated quotes sharing a few words stay below 0.5.
    THRESHOLD = 0.5
    MAX_CANDIDATES = 1000

    def find(self, fragment: str, *, limit: int) -> list[LookupHit]:
        with transaction.atomic(using=self.using), connections[self.using].cursor() as cursor:
            cursor.execute(
                "SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(self.THRESHOLD)]
            )
            cursor.execute(LOOKUP_SQL, [fragment, fragment, fragment, self.MAX_CANDIDATES, limit])
            rows = cursor.fetchall()
        return [LookupHit(pk, round(float(score), 4)) for pk, score in rows]
