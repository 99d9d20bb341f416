from quotes.lookup.base import TOKEN, LookupBackend, LookupHit
from quotes.models import Quote


class FallbackLookupBackend(LookupBackend):
    """Other databases: quotes containing the fragment's longest word, re-ranked in Python."""

    def find(self, fragment: str, *, limit: int) -> list[LookupHit]:
        longest = max(TOKEN.findall(fragment), key=len)
        candidates = (
            Quote.objects.filter(status=Quote.Status.PUBLISHED, search_text__contains=longest)
            .order_by("-id")
            .values_list("id", "search_text")[: self.MAX_CANDIDATES]
        )
        return self.rerank(fragment, candidates, limit=limit)
