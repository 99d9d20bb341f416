"""Set-based writes of a batch of checked records: a few statements per table, not per row.

Speakers, venues and tags are few and cached across batches. Sources, quotes, citations and
tag/about links are loaded into temporary staging tables (PostgreSQL `COPY`, SQLite
`executemany`) and moved with `INSERT ... SELECT ... WHERE NOT EXISTS`, matched on the
natural keys the database enforces (`Source.url_hash`; quote `speaker` + `text_hash`;
citation `quote` + `source`), so that a batch run twice writes nothing the second time.

Raw SQL bypasses `save()`: the derived columns are computed here with the models' own
helpers (`normalize_text`, `search_form`, `normalize_url`), and no history rows are written
(see README "Import and export").
"""

import hashlib
import itertools
from dataclasses import dataclass

from django.db import connections
from django.db.models import Q
from django.utils import timezone

from archive.models import Source
from quotes.importing.copyrows import derived_text  # normalize_text and search_form, faster
from quotes.importing.records import QuoteRecord, SpeakerRef, VenueRef, source_facts
from quotes.models import Citation, Quote, Speaker, Tag, Venue


def prepare(record: QuoteRecord) -> QuoteRecord:
    """The derived values `save()` would compute: normalized text, its hash, the search form, and
    each citation's URL facts (kept on its source). Done by the reading thread while the writer waits
    on the database (see service._run); the writer calls it again only for records that skipped it."""
    if record.derived is None:
        normalized, search_text = derived_text(record.text)
        record.derived = (normalized, hashlib.sha256(normalized.encode()).hexdigest(), search_text)
        for citation in record.citations:
            source_facts(citation.source)
    return record


@dataclass
class BatchResult:
    created: int = 0
    matched: int = 0
    citations_added: int = 0


class Table:
    """A target table and its staging twin: every concrete column, constants pre-computed."""

    def __init__(self, model, connection, variable: tuple[str, ...]) -> None:
        self.model = model
        self.name = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.stage = f"import_stage_{self.name}"
        self.connection = connection
        self.variable = variable
        unknown = set(variable) - {f.attname for f in self.fields}
        assert not unknown, unknown

    def constants(self) -> dict[str, object]:
        now = self.connection.ops.adapt_datetimefield_value(timezone.now())
        values = {}
        for f in self.fields:
            if f.attname in self.variable:
                continue
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                values[f.attname] = now
            else:
                values[f.attname] = f.get_db_prep_save(f.get_default(), self.connection)
        return values

    def row_builder(self):
        """A function turning {attname: value} of the variable columns into a full row tuple."""
        constants = self.constants()
        order = [f.attname for f in self.fields]

        def build(values: dict) -> tuple:
            return tuple([values.get(name, constants.get(name)) for name in order])

        return build

    def stage_ddl(self) -> str:
        columns = ", ".join(f"{f.column} {f.db_type(self.connection)}" for f in self.fields)
        return f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} ({columns})"


class Staging:
    """Loads rows into a temporary table, the fastest way each vendor offers."""

    def __init__(self, connection) -> None:
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"

    def load(self, cursor, table: str, ddl: str, columns: list[str], rows: list[tuple]) -> None:
        cursor.execute(ddl)
        cursor.execute(f"TRUNCATE {table}" if self.postgres else f"DELETE FROM {table}")
        names = ", ".join(columns)
        if self.postgres:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


class BatchWriter:
    """Writes batches of records for one import run, remembering speakers, venues and tags."""

    def __init__(self, *, using: str = "default") -> None:
        self.connection = connections[using]
        self.staging = Staging(self.connection)
        self.speaker_ids: dict[tuple[str, str], int] = {}
        self.venue_ids: dict[VenueRef, int] = {}
        self.tag_ids: dict[str, int] = {}
        self.quotes = Table(
            Quote,
            self.connection,
            (
                "text", "text_normalized", "text_hash", "search_text", "speaker_id", "speaker_role",
                "said_on", "date_precision", "venue_id", "language", "context", "status",
                "verification", "verification_note", "status_note", "attribution_probability", "external_id",
                "first_published_at",
            ),
        )  # fmt: skip
        self.sources = Table(
            Source,
            self.connection,
            ("url", "normalized_url", "url_hash", "domain", "title", "publisher", "author",
             "published_on", "language"),
        )  # fmt: skip
        self.citations = Table(
            Citation,
            self.connection,
            ("quote_id", "source_id", "role", "locator", "selector_exact", "selector_prefix",
             "selector_suffix", "note"),
        )  # fmt: skip

    def relax_commit_durability(self) -> None:
        """PostgreSQL: don't wait for each batch's WAL flush. A crash can lose the last batches
        committed, never corrupt them, and the import is idempotent: running it again restores them."""
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute("SET synchronous_commit TO off")

    # --- The batch ------------------------------------------------------------------------------

    def write(self, records: list[QuoteRecord], *, default_status: str) -> BatchResult:
        result = BatchResult()
        if not records:
            return result
        self._resolve_speakers([r.speaker for r in records] + [s for r in records for s in r.about])
        self._resolve_venues({r.venue for r in records if r.venue})
        self._resolve_tags(r.tags for r in records)
        with self.connection.cursor() as cursor:
            if self.staging.postgres:
                # Each batch probes a few thousand keys in tables of millions of rows: always through
                # the unique indexes. Left to itself the planner may hash-join against a sequential
                # scan of the whole table (stale statistics mid-import), once per batch.
                # (jit: the disabled plans' nominal costs would otherwise trigger JIT compilation.)
                for setting in ("enable_hashjoin", "enable_mergejoin", "enable_seqscan", "jit"):
                    cursor.execute(f"SET LOCAL {setting} = off")
            source_ids = self._write_sources(cursor, records)
            quote_ids, created = self._write_quotes(cursor, records, default_status)
            result.created = created
            result.matched = len(records) - created
            result.citations_added = self._write_citations(cursor, records, quote_ids, source_ids)
            self._write_links(cursor, records, quote_ids)
        return result

    def _write_quotes(self, cursor, records, default_status) -> tuple[list[int], int]:
        table = self.quotes
        build = table.row_builder()
        now = self.connection.ops.adapt_datetimefield_value(timezone.now())
        rows, keys = {}, []
        for record in records:
            prepare(record)
            key = (self.speaker_ids[record.speaker.key], record.derived[1])
            keys.append(key)
            if key in rows:
                continue
            status = record.status or default_status
            rows[key] = build(
                {
                    "text": record.text,
                    "text_normalized": record.derived[0],
                    "text_hash": key[1],
                    "search_text": record.derived[2],
                    "speaker_id": key[0],
                    "speaker_role": record.speaker_role,
                    "said_on": record.said_on,
                    "date_precision": record.date_precision,
                    "venue_id": self.venue_ids[record.venue] if record.venue else None,
                    "language": record.language,
                    "context": record.context,
                    "status": status,
                    "verification": record.verification,
                    "verification_note": record.verification_note,
                    "status_note": record.status_note,
                    "attribution_probability": record.attribution_probability,
                    "external_id": record.external_id,
                    "first_published_at": now if status == Quote.Status.PUBLISHED else None,
                }
            )
        self.staging.load(cursor, table.stage, table.stage_ddl(), table.columns, list(rows.values()))
        join = (
            f"SELECT q.speaker_id, q.text_hash, q.id FROM {table.name} q "
            f"JOIN {table.stage} s ON q.speaker_id = s.speaker_id AND q.text_hash = s.text_hash"
        )
        cursor.execute(join)
        existing = {(speaker_id, text_hash): pk for speaker_id, text_hash, pk in cursor.fetchall()}
        columns = ", ".join(table.columns)
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {table.stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} q "
            "WHERE q.speaker_id = s.speaker_id AND q.text_hash = s.text_hash)"
        )
        cursor.execute(join)
        ids = {(speaker_id, text_hash): pk for speaker_id, text_hash, pk in cursor.fetchall()}
        created = len(ids) - len(existing)
        return [ids[key] for key in keys], created

    def _write_sources(self, cursor, records) -> dict[str, int]:
        """Sources by URL hash; an existing source is kept as it is (its title is not overwritten)."""
        table = self.sources
        build = table.row_builder()
        rows = {}
        for record in records:
            for citation in record.citations:
                source = citation.source
                normalized, url_hash, domain = source_facts(source)
                if url_hash in rows:
                    continue
                rows[url_hash] = build(
                    {
                        "url": source.url,
                        "normalized_url": normalized,
                        "url_hash": url_hash,
                        "domain": domain[:255],
                        "title": source.title,
                        "publisher": source.publisher,
                        "author": source.author,
                        "published_on": source.published_on,
                        "language": source.language,
                    }
                )
        if not rows:
            return {}
        self.staging.load(cursor, table.stage, table.stage_ddl(), table.columns, list(rows.values()))
        columns = ", ".join(table.columns)
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {table.stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t WHERE t.url_hash = s.url_hash)"
        )
        cursor.execute(
            f"SELECT t.url_hash, t.id FROM {table.name} t JOIN {table.stage} s ON t.url_hash = s.url_hash"
        )
        return dict(cursor.fetchall())

    def _write_citations(self, cursor, records, quote_ids, source_ids) -> int:
        table = self.citations
        build = table.row_builder()
        rows = {}
        for record, quote_id in zip(records, quote_ids, strict=True):
            for citation in record.citations:
                key = (quote_id, source_ids[source_facts(citation.source)[1]])
                if key in rows:
                    continue
                rows[key] = build(
                    {
                        "quote_id": key[0],
                        "source_id": key[1],
                        "role": citation.role,
                        "locator": citation.locator,
                        "selector_exact": citation.selector_exact,
                        "selector_prefix": citation.selector_prefix,
                        "selector_suffix": citation.selector_suffix,
                        "note": citation.note,
                    }
                )
        if not rows:
            return 0
        self.staging.load(cursor, table.stage, table.stage_ddl(), table.columns, list(rows.values()))
        columns = ", ".join(table.columns)
        cursor.execute(
            f"INSERT INTO {table.name} ({columns}) SELECT {columns} FROM {table.stage} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table.name} t "
            "WHERE t.quote_id = s.quote_id AND t.source_id = s.source_id)"
        )
        return max(cursor.rowcount, 0)

    def _write_links(self, cursor, records, quote_ids) -> None:
        """Tags and the speakers a quote is about: many-to-many rows, added, never removed."""
        for through, target, pairs in (
            (Quote.tags.through, "tag_id", {(q, self.tag_ids[t]) for r, q in zip(records, quote_ids, strict=True) for t, _ in r.tags}),  # noqa: E501
            (Quote.about.through, "speaker_id", {(q, self.speaker_ids[s.key]) for r, q in zip(records, quote_ids, strict=True) for s in r.about}),  # noqa: E501
        ):  # fmt: skip
            if not pairs:
                continue
            name = through._meta.db_table
            stage = f"import_stage_{name}"
            ddl = f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (quote_id bigint, {target} bigint)"
            self.staging.load(cursor, stage, ddl, ["quote_id", target], sorted(pairs))
            cursor.execute(
                f"INSERT INTO {name} (quote_id, {target}) SELECT quote_id, {target} FROM {stage} s "
                f"WHERE NOT EXISTS (SELECT 1 FROM {name} t "
                f"WHERE t.quote_id = s.quote_id AND t.{target} = s.{target})"
            )

    # --- The few: speakers, venues, tags ------------------------------------------------------

    def _resolve_speakers(self, refs: list[SpeakerRef]) -> None:
        """Match by Wikidata QID, then by slug (unless that slug belongs to someone with another QID)."""
        missing = {ref.key: ref for ref in refs if ref.key not in self.speaker_ids}
        if not missing:
            return
        qids = [ref.qid for ref in missing.values() if ref.qid]
        slugs = {ref.slug for ref in missing.values()}
        by_qid = dict(Speaker.objects.filter(wikidata_qid__in=qids).values_list("wikidata_qid", "id"))
        by_slug = {
            slug: (pk, qid)
            for slug, pk, qid in Speaker.objects.filter(slug__in=slugs).values_list(
                "slug", "id", "wikidata_qid"
            )
        }
        creating = [
            ref
            for ref in missing.values()
            if not (ref.qid and ref.qid in by_qid) and not self._slug_match(ref, by_slug.get(ref.slug))
        ]
        # Homonyms (same name, other QID) get the QID in their slug: look the likely slugs up at once.
        checked = {c for ref in creating for c in itertools.islice(self._slug_candidates(ref), 2)}
        taken = set(Speaker.objects.filter(slug__in=checked).values_list("slug", flat=True))
        new: dict[tuple[str, str], Speaker] = {}
        same_as: dict[tuple[str, str], str] = {}  # matched to a speaker created in this batch
        created_by_slug: dict[str, tuple[str, str]] = {}
        for key, ref in missing.items():
            if ref.qid and ref.qid in by_qid:
                self.speaker_ids[key] = by_qid[ref.qid]
                continue
            owner = by_slug.get(ref.slug)
            if self._slug_match(ref, owner):
                if owner[0] is None:
                    same_as[key] = ref.slug
                else:
                    self.speaker_ids[key] = owner[0]
                continue
            slug = next(
                c
                for c in self._slug_candidates(ref)
                if c not in taken and (c in checked or not Speaker.objects.filter(slug=c).exists())
            )
            taken.add(slug)
            speaker = self._new_speaker(ref, slug)
            by_slug[slug] = (None, ref.qid)
            created_by_slug[slug] = key
            new[key] = speaker
        created = Speaker.objects.bulk_create(list(new.values()))
        for key, speaker in zip(new, created, strict=True):
            self.speaker_ids[key] = speaker.pk
        for key, slug in same_as.items():
            self.speaker_ids[key] = self.speaker_ids[created_by_slug[slug]]

    @staticmethod
    def _slug_match(ref: SpeakerRef, owner) -> bool:
        return bool(owner) and (not ref.qid or owner[1] is None or owner[1] == ref.qid)

    @staticmethod
    def _new_speaker(ref: SpeakerRef, slug: str) -> Speaker:
        """An unsaved speaker for `ref` under `slug`, with the derived search names `save()` would fill."""
        speaker = Speaker(
            name=ref.name,
            slug=slug,
            wikidata_qid=ref.qid,
            aliases=ref.aliases,
            description=ref.description,
        )
        speaker.derive_search_names()
        return speaker

    @staticmethod
    def _slug_candidates(ref: SpeakerRef):
        yield ref.slug
        if ref.qid:
            yield f"{ref.slug[:230]}-{ref.qid.lower()}"
        for n in range(2, 10_000):
            yield f"{ref.slug[:240]}-{n}"

    def _resolve_venues(self, refs: set[VenueRef]) -> None:
        missing = [ref for ref in refs if ref not in self.venue_ids]
        if not missing:
            return
        fields = ("name", "kind", "location", "url", "held_on")
        for values in Venue.objects.filter(name__in={r.name for r in missing}).values("id", *fields):
            ref = VenueRef(**{f: values[f] for f in fields})
            self.venue_ids.setdefault(ref, values["id"])
        new = [ref for ref in missing if ref not in self.venue_ids]
        created = Venue.objects.bulk_create([Venue(**{f: getattr(ref, f) for f in fields}) for ref in new])
        for ref, venue in zip(new, created, strict=True):
            self.venue_ids[ref] = venue.pk

    def _resolve_tags(self, tag_lists) -> None:
        """Tags by slug, then by name, from each record's (slug, name) pairs; a new one takes the
        first spelling seen ("Cuba" in one row, "cuba" in a later one: "Cuba"), a known one keeps its own."""
        missing: dict[str, str] = {}
        for tags in tag_lists:
            for slug, name in tags:
                if slug not in self.tag_ids:
                    missing.setdefault(slug, name)
        if not missing:
            return
        found = Tag.objects.filter(Q(slug__in=missing) | Q(name__in=missing.values()))
        by_name = {}
        for pk, slug, name in found.values_list("id", "slug", "name"):
            if slug in missing:
                self.tag_ids[slug] = pk
            by_name[name] = pk
        new, creating, same_as = [], {}, {}  # creating: name -> slug; same_as: slug -> that slug
        for slug, name in missing.items():
            if slug in self.tag_ids:
                continue
            if name in by_name:
                self.tag_ids[slug] = by_name[name]
            elif name in creating:  # two slugs named alike in this batch: one tag (names are unique)
                same_as[slug] = creating[name]
            else:
                creating[name] = slug
                new.append(Tag(name=name, slug=slug))
        for tag in Tag.objects.bulk_create(new):
            self.tag_ids[tag.slug] = tag.pk
        for slug, first in same_as.items():
            self.tag_ids[slug] = self.tag_ids[first]
