from django.db import connections

from quotes.lookup.base import TOKEN, LookupBackend, LookupHit
from quotes.search.sqlite import FTS_TABLE

# Candidates: published quotes sharing any word of the fragment, best bm25 first, bounded;
# a misspelt word simply matches nothing while the others still do.
CANDIDATES_SQL = f"""
    SELECT q.id, q.search_text
    FROM {FTS_TABLE} f JOIN quotes_quote q ON q.id = f.rowid
    WHERE {FTS_TABLE} MATCH %s AND q.status = 'published'
    ORDER BY f.rank
    LIMIT %s
"""  # noqa: S608 (table name is a module constant; values are parameters)
MAX_TOKENS = 24
# Words so common that matching them would make almost every quote a candidate.
COMMON = frozenset(
    [
        "the",
        "and",
        "for",
        "that",
        "this",
        "with",
        "you",
        "are",
        "was",
        "were",
        "not",
        "but",
        "have",
        "has",
        "had",
        "they",
        "their",
        "its",
        "our",
        "his",
        "her",
        "she",
        "him",
        "them",
        "from",
        "what",
        "which",
        "who",
        "will",
        "would",
        "there",
        "been",
        "all",
        "can",
        "any",
        "one",
    ]
)


def fts_query(fragment: str) -> str:
    """`"w1" OR "w2" ...` over the fragment's distinct telling words (short and common ones are
    dropped when others remain), so that the candidate set stays small on a large archive."""
    words = list(dict.fromkeys(TOKEN.findall(fragment)))
    telling = [w for w in words if len(w) > 2 and w not in COMMON]
    words = (telling or words)[:MAX_TOKENS]
    return " OR ".join(f'"{w}"' for w in words)


class SQLiteLookupBackend(LookupBackend):
    def find(self, fragment: str, *, limit: int) -> list[LookupHit]:
        query = fts_query(fragment)
        if not query:
            return []
        with connections[self.using].cursor() as cursor:
            cursor.execute(CANDIDATES_SQL, [query, self.MAX_CANDIDATES])
            candidates = cursor.fetchall()
        return self.rerank(fragment, candidates, limit=limit)
