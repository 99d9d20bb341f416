"""Load a Quotebank file with plain bulk inserts, for developing the benchmark before the
project's importer (`manage.py import_quotes`) exists. The driver uses it only when that command
is missing, and the results then say so: its figures are not the importer's.

    DATABASE_URL=... SECRET_KEY=... python bench/fallback_load.py FILE
"""

import os
import sys
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from archive.models import Source  # noqa: E402
from quotes.models import Citation, Quote, Speaker  # noqa: E402

BATCH = 5_000


def load(path: Path) -> int:
    speakers: dict[str, int] = dict(Speaker.objects.values_list("wikidata_qid", "id"))
    sources: dict[str, int] = {}
    count = 0
    with path.open("rb") as handle:
        batch = []
        for line in handle:
            batch.append(orjson.loads(line))
            if len(batch) >= BATCH:
                count += write(batch, speakers, sources)
                batch = []
        if batch:
            count += write(batch, speakers, sources)
    return count


@transaction.atomic
def write(records: list[dict], speakers: dict[str, int], sources: dict[str, int]) -> int:
    new_speakers = {}
    for record in records:
        qid = record["qids"][0]
        if qid not in speakers and qid not in new_speakers:
            speaker = Speaker(name=record["speaker"], slug=f"{slugify(record['speaker'])}-{qid.lower()}")
            speaker.wikidata_qid = qid
            speaker.derive_search_names()
            new_speakers[qid] = speaker
    for speaker in Speaker.objects.bulk_create(new_speakers.values()):
        speakers[speaker.wikidata_qid] = speaker.id
    new_sources = {}
    for record in records:
        for url in record["urls"]:
            if url not in sources and url not in new_sources:
                source = Source(url=url)
                source.derive_url_fields()
                source.publisher = source.domain
                new_sources[url] = source
    for source in Source.objects.bulk_create(new_sources.values()):
        sources[source.url] = source.id
    quotes = []
    for record in records:
        quote = Quote(
            text=record["quotation"],
            speaker_id=speakers[record["qids"][0]],
            said_on=record["date"][:10],
            status=Quote.Status.PUBLISHED,
            attribution_probability=float(record["probas"][0][1]),
            external_id=record["quoteID"],
        )
        quote.derive_text_fields()
        quotes.append(quote)
    created = Quote.objects.bulk_create(quotes)
    Citation.objects.bulk_create(
        Citation(quote_id=quote.id, source_id=sources[url])
        for quote, record in zip(created, records, strict=True)
        for url in record["urls"]
    )
    return len(created)


if __name__ == "__main__":
    print(f"fallback loader: {load(Path(sys.argv[1])):,} quotes", file=sys.stderr)
