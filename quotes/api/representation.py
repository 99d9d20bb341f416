"""Quotes as the API and the export show them, built from plain rows without per-row serializers.

`quote_dicts()` takes ids or a queryset and returns JSON-ready dicts in the same order, in three
queries whatever the number of quotes (four for a queryset, whose ids come first): the quotes
with speaker, venue and correct attribution (joined), their tags, and their citations with
sources (statements in quotes/api/rows.py).
"""

from django.conf import settings
from django.db.models import QuerySet

from quotes.api.rows import citation_rows_by_quote, quote_rows_by_id, tag_slugs_by_quote
from quotes.models import Quote


def quote_rows(queryset: QuerySet) -> list[dict]:
    """The rows `represent_quotes()` needs for the quotes of `queryset`, in its order (two queries)."""
    return quote_rows_by_id(list(queryset.values_list("id", flat=True)), using=queryset.db)


def quote_dicts(ids_or_queryset, *, base_url: str | None = None) -> list[dict]:
    """Quotes as the API shows them, in the order given (ids missing from the archive are skipped)."""
    if isinstance(ids_or_queryset, QuerySet):
        rows = quote_rows(ids_or_queryset)
    else:
        rows = quote_rows_by_id(ids_or_queryset)
    return represent_quotes(rows, base_url=base_url)


def represent_quotes(rows: list[dict], *, base_url: str | None = None) -> list[dict]:
    """Turn quote rows (quotes.api.rows) into API dicts: two more queries, tags and citations."""
    if not rows:
        return []
    base = (settings.SITE_URL if base_url is None else base_url).rstrip("/")
    ids = [row["id"] for row in rows]
    tags = tag_slugs_by_quote(ids)
    citations = citation_rows_by_quote(ids)
    dicts = []
    for row in rows:
        pk = row["id"]
        cited = [citation_dict(citation) for citation in citations.get(pk, ())]
        dicts.append(quote_dict(row, tags.get(pk, []), cited, base))
    return dicts


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def citation_dict(row: dict) -> dict:
    selector = None
    if row["selector_exact"]:
        selector = {
            "type": "TextQuoteSelector",
            "exact": row["selector_exact"],
            "prefix": row["selector_prefix"],
            "suffix": row["selector_suffix"],
        }
    return {
        "id": row["id"],
        "role": row["role"],
        "locator": row["locator"],
        "source": {
            "id": row["source_id"],
            "url": row["source__url"],
            "title": row["source__title"],
            "publisher": row["source__publisher"],
            "published_on": _iso(row["source__published_on"]),
        },
        "selector": selector,
        "match": row["match"],
    }


def quote_dict(row: dict, tags: list[str], citations: list[dict], base: str) -> dict:
    pk = row["id"]
    venue = None
    if row["venue_id"] is not None:
        venue = {
            "name": row["venue__name"],
            "kind": row["venue__kind"],
            "location": row["venue__location"],
            "url": row["venue__url"],
        }
    return {
        "id": pk,
        "url": f"{base}/api/v1/quotes/{pk}/",
        "text": row["text"],
        "speaker": {
            "slug": row["speaker__slug"],
            "name": row["speaker__name"],
            "wikidata_qid": row["speaker__wikidata_qid"],
            "url": f"{base}/api/v1/speakers/{row['speaker__slug']}/",
        },
        "speaker_role": row["speaker_role"],
        "said_on": _iso(row["said_on"]),
        "date_precision": row["date_precision"],
        "venue": venue,
        "language": row["language"],
        "context": row["context"],
        "verification": row["verification"],
        "status": row["status"],
        "misattribution": misattribution_dict(row, base),
        "tags": tags,
        "citations": citations,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "permalink": f"{base}/q/{pk}/",
        "embed_url": f"{base}/embed/q/{pk}/",
    }


def misattribution_dict(row: dict, base: str) -> dict | None:
    """For a misattributed quote: why, and the record of who really said it (when public)."""
    if row["verification"] != Quote.Verification.MISATTRIBUTED:
        return None
    correct = None
    if row["correct_attribution_id"] and row["correct_attribution__status"] in Quote.PUBLIC_STATUSES:
        correct_id = row["correct_attribution_id"]
        correct = {
            "id": correct_id,
            "url": f"{base}/api/v1/quotes/{correct_id}/",
            "speaker": {
                "slug": row["correct_attribution__speaker__slug"],
                "name": row["correct_attribution__speaker__name"],
            },
        }
    return {"note": row["verification_note"], "correct_attribution": correct}
