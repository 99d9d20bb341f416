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


def fts_query(fragment: str) -> str:
    """`"w1" OR "w2" ...` over the fragment's distinct words (short ones dropped if others exist)."""
    words = list(dict.fromkeys(TOKEN.findall(fragment)))
    longer = [w for w in words if len(w) > 2]
    words = (longer or words)[:MAX_TOKENS]
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
