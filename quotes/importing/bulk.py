"""PostgreSQL bulk load: COPY straight into the tables, matching in memory.

Taken for a large import next to the archive (the same choice as `--search-index auto`, see
search_index.py), while the tables' secondary indexes, foreign keys and the quote and source unique
constraints are dropped. At the start the natural keys already in the archive are read once (quote
speaker + text hash, source URL hash, 128 bits of each hash); every batch then matches its records
against them in memory, takes ids for the new quotes and sources from the tables' own sequences,
and COPYs the new rows into quotes, sources and citations in one transaction, so batches stay
atomic and a re-run after an interruption matches what was committed. The COPYs and the commits run
in two threads, each on a connection of its own, batches taking turns, while the next batch is
matched here (`write_all`): two batches are copied at once, the later one commits only once the
earlier has, and never when it has not (its rows may point at the earlier one's ids, and nothing
checks them during the load).

Nothing checks those keys during the load: a quote or source another writer adds meanwhile is
added again by the import, and folded into the other writer's row when the unique constraints
come back at the end (uniques.py); `fold_correction` then counts such a quote as matched. What
still has a unique index can still clash with another writer: citations (quote + source), and the
speakers, venues and tags the batch creates; and so can quotes and sources once another bulk
import, finishing first, has brought their constraints back (folding, maybe, rows this one knows
by id: the foreign keys it restored then refuse this one's references to them). Such a clash rolls
the batch back, and the one in flight after it with it; the keys are read again, venues and tags
looked up again, and both retried, in order.

Citations of quotes that were already known (in the archive, or earlier in the file) are the
one part matched by the database: staged and inserted where missing, as BatchWriter does, once the
batch before has committed (it may have written the same ones: see `_commit`).
"""

import contextlib
from collections import deque
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from django.db import IntegrityError, OperationalError, connections, transaction
from psycopg.errors import LockNotAvailable

from archive.models import Source
from quotes.importing.copyrows import ImportLayout, PreparedBatch, PreparedRecord, copy_text, hash_key
from quotes.importing.copyrows import layout as layout_of
from quotes.importing.staging import cite, copy_lines, first_new
from quotes.importing.uniques import Folded
from quotes.importing.writer import BatchResult, BatchWriter
from quotes.models import Quote, Speaker

QUOTES, SOURCES, SPEAKERS = Quote._meta.db_table, Source._meta.db_table, Speaker._meta.db_table
SPEAKER_COLUMNS = ("name", "slug", "aliases", "wikidata_qid", "description", "search_names")

COPY_CHUNK = 1 << 20  # characters sent to the server at a time
CONFLICT_RETRIES = 3
# A committing connection's longest wait for a lock (see _open_commit_connection): far beyond any
# wait for another writer's commit or another import's index builds at archive scale.
LANE_LOCK_TIMEOUT = "10min"


class BulkConflict(Exception):  # noqa: N818
    """A batch clashed with a citation, speaker, venue or tag written by someone else meanwhile."""


class EarlierBatchFailed(Exception):  # noqa: N818
    """The batch before this one did not commit: this one, laid out against its keys, rolled back
    with it, and is written anew like a batch that clashed."""


T = TypeVar("T")


@dataclass
class StagedBatch:
    """A batch matched and laid out, ready to be copied in one transaction: the new rows as COPY
    text, the citations of known quotes the database must match, the m2m links, and the counts."""

    sources: str
    quotes: str
    citations: str
    new_citations: int
    known_citations: list[tuple[int, int, str]]
    links: tuple[list[PreparedRecord], list[int]] | None  # (records, their quote ids)
    new_quote_ids: dict[int, int]  # key -> id
    new_source_ids: dict[int, int]
    created: int
    matched: int


@dataclass
class _Flight:
    """A batch sent to a committing thread (`lane`, 0 or 1) and not yet settled here."""

    batch: PreparedBatch
    staged: StagedBatch
    future: Future
    tag: object
    lane: int


def _last_of_each_key(refs: list, distinct: list) -> list:
    """One SpeakerRef per speaker key, as `_resolve_speakers` would pick from the whole list: the
    keys in the order first met, each with its last record's ref (a QID spelt two ways names its new
    speaker as the row-by-row import does). `distinct`: the objects of `refs`, once each."""
    last = {id(ref): i for i, ref in enumerate(refs)}
    chosen: dict = {}  # key -> (last index, ref)
    for ref in distinct:
        key, i = ref.key, last[id(ref)]
        if key not in chosen or chosen[key][0] < i:
            chosen[key] = (i, ref)
    return [ref for _, ref in chosen.values()]


class BulkWriter:
    def __init__(self, layout: ImportLayout, *, using: str = "default") -> None:
        self.layout = layout
        self.connection = connections[using]
        self.resolver = BatchWriter(using=using)  # speakers, venues, tags, and the m2m links
        self.quote_ids: dict[int, int] = {}
        self.source_ids: dict[int, int] = {}
        self.sequences: dict[str, str] = {}
        self.speakers_by_qid: dict[str, int] = {}
        self.speakers_by_slug: dict[str, tuple[int | None, str | None]] = {}
        # The ids this import created, as (first, last) runs: to recognise them among the folded.
        self.created: dict[str, list[tuple[int, int]]] = {QUOTES: [], SOURCES: []}

    def preload(self) -> None:
        """Read the keys already in the archive (a COPY each: about a second per million rows)."""
        self.quote_ids.clear()
        self.source_ids.clear()
        self._read_speakers()
        with self.connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy("COPY (SELECT speaker_id, text_hash, id FROM quotes_quote) TO STDOUT") as copy:
                for speaker_id, digest, pk in copy.rows():
                    self.quote_ids[(hash_key(digest) << 64) | int(speaker_id)] = int(pk)
            with raw.copy("COPY (SELECT url_hash, id FROM archive_source) TO STDOUT") as copy:
                for digest, pk in copy.rows():
                    self.source_ids[hash_key(digest)] = int(pk)
            for table in (QUOTES, SOURCES, SPEAKERS):
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
                self.sequences[table] = cursor.fetchone()[0]

    def _read_speakers(self) -> None:
        self.speakers_by_qid.clear()
        self.speakers_by_slug.clear()
        self.resolver.speaker_ids.clear()
        speakers = "COPY (SELECT slug, wikidata_qid, id FROM quotes_speaker) TO STDOUT"
        with self.connection.cursor() as cursor, cursor.cursor.copy(speakers) as copy:
            for slug, qid, pk in copy.rows():
                self.speakers_by_slug[slug] = (int(pk), qid)
                if qid:
                    self.speakers_by_qid[qid] = int(pk)

    def _ids(self, cursor, table: str, count: int) -> list[int]:
        if not count:
            return []
        cursor.execute(
            "SELECT min(v), max(v) FROM (SELECT nextval(%s) AS v FROM generate_series(1, %s)) t",
            [self.sequences[table], count],
        )
        low, high = cursor.fetchone()
        if high - low + 1 == count:
            return list(range(low, high + 1))
        # Someone else took values meanwhile: these are ours, just not contiguous. Take a fresh list.
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [self.sequences[table], count])
        return [row[0] for row in cursor.fetchall()]

    def write(self, batch: PreparedBatch) -> BatchResult:
        """One atomic batch on this connection; on a clash with another writer's rows, read
        everything again and retry."""
        try:
            staged = self._stage(batch)
            return self._committed(staged, self._commit(staged))
        except BulkConflict:
            return self._retry(batch, self._commit)

    def write_all(self, batches: Iterable[tuple[PreparedBatch, T]]) -> Iterator[tuple[BatchResult, T]]:
        """Every batch, each committed on its own and in order, with what came with it.

        Two committing threads, each on a connection of its own (they mostly wait for PostgreSQL),
        take the batches in turn: while one copies batch k, the other copies batch k+1, and the
        next is matched and laid out here, so the Python work and two backends' overlap. Two
        batches are in flight at most; a third is laid out here meanwhile (`_pipelined`). Batch
        k+1 is laid out against the keys of batch k, so it commits only after batch k has, and
        rolls back when batch k does (`_commit`); should that happen, or a batch clash while being
        laid out, everything in flight is settled in order and whatever was laid out against the
        lost keys written anew (`_land`). Inside a caller's transaction (tests) there is one
        connection, and one batch at a time."""
        if self.connection.in_atomic_block:
            for batch, tag in batches:
                yield self.write(batch), tag
            return
        with self._committers() as lanes:
            yield from self._pipelined(batches, lanes)

    @contextlib.contextmanager
    def _committers(self) -> Iterator[tuple[ThreadPoolExecutor, ThreadPoolExecutor]]:
        """Two committing threads, each opening and closing its own connection (Django's are per
        thread). On the way out, whatever they still have in hand finishes first: a batch in flight
        commits or rolls back whole, and nothing is left running or connected."""
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-commit-a") as first,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-commit-b") as second,
        ):
            lanes = (first, second)
            try:
                self._on_each(lanes, self._open_commit_connection)
                yield lanes
            finally:
                self._on_each(lanes, self._close_commit_connection)

    @staticmethod
    def _on_each(lanes, task) -> None:
        """Run `task` in every committing thread, after what each has in hand; wait for all."""
        done = [lane.submit(task) for lane in lanes]
        wait(done)
        for future in done:
            future.result()

    def _pipelined(self, batches, lanes) -> Iterator[tuple[BatchResult, T]]:
        """write_all outside a transaction: lay out a batch, land the one before the last (two in
        flight at most), send this one off on the thread the last is not using."""
        flights: deque[_Flight] = deque()

        def commit(staged: StagedBatch) -> BatchResult:  # a batch written anew: nothing in flight
            return lanes[0].submit(self._commit, staged).result()

        for batch, tag in batches:
            try:
                staged = self._stage(batch)
            except BulkConflict:
                staged = None
            written_anew = yield from self._land(flights, commit, keep=0 if staged is None else 1)
            if staged is None or written_anew:  # clashed, or laid out against keys since rolled back
                yield self._retry(batch, commit), tag
            else:
                flights.append(self._take_off(lanes, flights, batch, staged, tag))
        yield from self._land(flights, commit, keep=0)

    def _take_off(self, lanes, flights: deque, batch, staged: StagedBatch, tag) -> _Flight:
        """Send a laid-out batch to the thread the batch in flight (if any) is not on, told to
        commit after it."""
        earlier = flights[-1] if flights else None
        lane = 1 - earlier.lane if earlier else 0
        future = lanes[lane].submit(self._commit, staged, earlier.future if earlier else None)
        return _Flight(batch, staged, future, tag, lane)

    def _land(self, flights: deque, commit, keep: int) -> Generator[tuple[BatchResult, object], None, bool]:
        """Settle the oldest batches in flight, in order, until `keep` remain, yielding their
        results; returns whether one had to be written anew (so that everything was read again).

        A batch that failed took the later ones down with it (they wait for its commit and roll
        back without it): they are let finish before anything is read again (their threads read
        the speaker and tag ids), then all of them are written anew, in order."""
        written_anew = False
        while len(flights) > keep:
            flight = flights.popleft()
            if flight.future.exception() is not None:
                wait([later.future for later in flights])
                keep = 0
            result, read_again = self._settle(commit, flight.batch, flight.staged, flight.future)
            written_anew = written_anew or read_again
            yield result, flight.tag
        return written_anew

    def _settle(self, commit, batch, staged, future) -> tuple[BatchResult, bool]:
        """(the batch's result, whether everything had to be read again to get it)."""
        try:
            return self._committed(staged, future.result()), False
        except (BulkConflict, EarlierBatchFailed):
            return self._retry(batch, commit), True

    def _retry(self, batch: PreparedBatch, commit) -> BatchResult:
        """Read everything again and write the batch anew, CONFLICT_RETRIES times at most."""
        for attempt in range(CONFLICT_RETRIES):
            self._read_again()
            try:
                staged = self._stage(batch)
                return self._committed(staged, commit(staged))
            except BulkConflict:
                if attempt == CONFLICT_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _open_commit_connection(self) -> None:
        """In a committing thread: its own connection, as durable as this one (see BatchWriter), and
        a lock timeout. Batch k+1 keeps its copied rows while it waits, in Python, for batch k's
        commit: a wait PostgreSQL cannot see. Should another writer's transaction come between them
        (waiting on k+1's rows while k waits on it), no deadlock would ever be reported; after
        LANE_LOCK_TIMEOUT the waiting statement fails instead, and the batch and the one after it
        roll back and are written anew (`_commit`)."""
        BatchWriter(using=self.connection.alias).relax_commit_durability()
        with connections[self.connection.alias].cursor() as cursor:
            cursor.execute(f"SET lock_timeout = '{LANE_LOCK_TIMEOUT}'")

    def _close_commit_connection(self) -> None:
        connections[self.connection.alias].close()

    def _read_again(self) -> None:
        """After a rolled-back batch: another writer may have created speakers, venues or tags
        meanwhile, or (another bulk import finishing) brought the unique constraints back and
        folded rows this import knows by id; and the keys of the batches laid out since are gone."""
        self.preload()
        self.resolver.venue_ids.clear()
        self.resolver.tag_ids.clear()

    def _committed(self, staged: StagedBatch, result: BatchResult) -> BatchResult:
        self._remember(QUOTES, staged.new_quote_ids.values())
        self._remember(SOURCES, staged.new_source_ids.values())
        return result

    def _commit(self, staged: StagedBatch, earlier: Future | None = None) -> BatchResult:
        """Copy and commit a laid-out batch on this thread's connection, in one transaction; raises
        BulkConflict with the batch rolled back.

        `earlier` is the commit of the batch before, still in flight on the other connection. The
        new rows are copied at once, beside it: they carry ids taken for this batch alone, so
        nothing that batch writes can clash with them or wait for them. The rest waits for its
        commit: the citations of known quotes and the links may be rows it writes too (a quote
        met in both batches citing the same source), which this transaction must see committed,
        not wait on; and this batch, laid out against its keys, must commit after it, and not at
        all when it did not (EarlierBatchFailed rolls this one back)."""
        connection = connections[self.connection.alias]
        try:
            # (wrap_database_errors: the raw COPYs raise the driver's errors, not Django's)
            with (
                transaction.atomic(using=connection.alias),
                connection.wrap_database_errors,
                connection.cursor() as cursor,
            ):
                self._copy_new_rows(cursor, staged)
                self._after(earlier)
                return self._write_batch(cursor, staged)
        except IntegrityError as error:
            raise BulkConflict(str(error)) from error
        except OperationalError as error:
            if isinstance(error.__cause__, LockNotAvailable):
                raise BulkConflict(f"a lock was not granted within {LANE_LOCK_TIMEOUT}: {error}") from error
            raise

    @staticmethod
    def _after(earlier: Future | None) -> None:
        """Wait until the batch before has committed; raise EarlierBatchFailed if it did not."""
        if earlier is not None and earlier.exception() is not None:
            raise EarlierBatchFailed

    def _copy_new_rows(self, cursor, staged: StagedBatch) -> None:
        layout = self.layout
        self._copy(cursor, layout.sources, staged.sources)
        self._copy(cursor, layout.quotes, staged.quotes)
        self._copy(cursor, layout.citations, staged.citations)

    def _write_batch(self, cursor, staged: StagedBatch) -> BatchResult:
        """The rest of a batch, once the batch before has committed: what the database matches."""
        added = staged.new_citations + self._add_known_citations(cursor, staged.known_citations)
        if staged.links:
            self.resolver._write_links(cursor, *staged.links)
        return BatchResult(created=staged.created, matched=staged.matched, citations_added=added)

    def _remember(self, table: str, ids) -> None:
        ids = sorted(ids)
        runs = self.created[table]
        if ids and ids[-1] - ids[0] + 1 == len(ids):  # the usual case: one run of the sequence
            runs.append((ids[0], ids[-1]))
            return
        for pk in ids:
            if runs and runs[-1][1] + 1 == pk:
                runs[-1] = (runs[-1][0], pk)
            else:
                runs.append((pk, pk))

    def _created_here(self, table: str, pk: int) -> bool:
        return any(first <= pk <= last for first, last in self.created[table])

    def fold_correction(self, folded: Folded) -> BatchResult:
        """What a fold at the end (uniques.py) takes back from this import's counts: its quotes
        folded into another writer's were matched, not created, and its citations dropped as
        duplicates of the kept row's were not added."""
        quotes = sum(self._created_here(QUOTES, pk) for pk in folded.ids) if folded.table == QUOTES else 0
        citations = sum(
            self._created_here(QUOTES, quote) or self._created_here(SOURCES, source)
            for quote, source in folded.citations
        )
        return BatchResult(created=-quotes, matched=quotes, citations_added=-citations)

    def _stage(self, batch: PreparedBatch) -> StagedBatch:
        """Match a batch in memory and lay it out as COPY text, with ids from the sequences; the keys
        it adds are remembered at once, for the next batch to match (see write_all)."""
        resolver = self.resolver
        # The records of one speaker share one SpeakerRef (it pickles once a batch): keys are looked
        # up once an object rather than once a record.
        distinct = list({id(ref): ref for ref in batch.speakers}.values())
        try:  # created at once, in a transaction of their own: a later batch may need them
            with transaction.atomic(using=self.connection.alias):
                refs = [*_last_of_each_key(batch.speakers, distinct), *(s for a in batch.about for s in a)]
                self._resolve_speakers(refs)
                resolver._resolve_venues({venue for venue in batch.venues if venue})
                resolver._resolve_tags(batch.tags)
        except IntegrityError as error:  # another writer created one of them meanwhile
            raise BulkConflict(str(error)) from error
        speaker_ids, venue_ids = resolver.speaker_ids, resolver.venue_ids
        known_quotes, known_sources = self.quote_ids, self.source_ids

        # Match in memory; new keys get their ids below, in the order first seen.
        id_of = {id(ref): speaker_ids[ref.key] for ref in distinct}
        speakers = [id_of[id(ref)] for ref in batch.speakers]
        keys = [(key << 64) | speaker for key, speaker in zip(batch.quote_keys, speakers, strict=True)]
        new_quotes = first_new(keys, known_quotes)
        new_sources = first_new(batch.url_keys, known_sources)

        with self.connection.cursor() as cursor:
            quote_ids = self._ids(cursor, QUOTES, len(new_quotes))
            source_ids = self._ids(cursor, SOURCES, len(new_sources))
        new_quote_ids = {keys[i]: pk for i, pk in zip(new_quotes, quote_ids, strict=True)}
        new_source_ids = {batch.url_keys[i]: pk for i, pk in zip(new_sources, source_ids, strict=True)}
        known_quotes.update(new_quote_ids)
        known_sources.update(new_source_ids)

        citations, known_citations, record_quote_ids = cite(
            keys,
            batch.citation_counts,
            batch.url_keys,
            batch.citation_rows,
            known_quotes,
            known_sources,
            new_quote_ids,
            self.layout.citations.end,
        )
        venues = [batch.venues[i] for i in new_quotes]
        has_links = any(batch.tags) or any(batch.about)
        return StagedBatch(
            sources=copy_lines(
                [source_ids, [batch.source_rows[i] for i in new_sources]], self.layout.sources.end
            ),
            quotes=copy_lines(
                [
                    quote_ids,
                    [speakers[i] for i in new_quotes],
                    [venue_ids[venue] if venue else None for venue in venues],
                    [batch.quote_rows[i] for i in new_quotes],
                ],
                self.layout.quotes.end,
            ),
            citations=citations,
            new_citations=citations.count("\n"),
            known_citations=known_citations,
            links=(batch.records(), record_quote_ids) if has_links else None,
            new_quote_ids=new_quote_ids,
            new_source_ids=new_source_ids,
            created=len(new_quotes),
            matched=len(batch) - len(new_quotes),
        )

    def _resolve_speakers(self, refs) -> None:
        """BatchWriter._resolve_speakers's rules (QID, then slug unless it belongs to someone with
        another QID; a homonym gets the QID in its slug), against every speaker read at the start."""
        speaker_ids, by_qid, by_slug = self.resolver.speaker_ids, self.speakers_by_qid, self.speakers_by_slug
        missing = {ref.key: ref for ref in refs if ref.key not in speaker_ids}
        new, same_as, created_by_slug = {}, {}, {}
        for key, ref in missing.items():
            if ref.qid and ref.qid in by_qid:
                speaker_ids[key] = by_qid[ref.qid]
                continue
            owner = by_slug.get(ref.slug)
            if BatchWriter._slug_match(ref, owner):
                if owner[0] is None:
                    same_as[key] = ref.slug
                else:
                    speaker_ids[key] = owner[0]
                continue
            slug = next(c for c in BatchWriter._slug_candidates(ref) if c not in by_slug)
            speaker = BatchWriter._new_speaker(ref, slug)
            by_slug[slug] = (None, ref.qid)
            created_by_slug[slug] = key
            new[key] = speaker
        if not new:
            return
        for key, speaker in zip(new, self._insert_speakers(list(new.values())), strict=True):
            speaker_ids[key] = speaker.pk
            by_slug[speaker.slug] = (speaker.pk, speaker.wikidata_qid)
            if speaker.wikidata_qid:
                by_qid[speaker.wikidata_qid] = speaker.pk
        for key, slug in same_as.items():
            speaker_ids[key] = speaker_ids[created_by_slug[slug]]

    def _insert_speakers(self, speakers: list[Speaker]) -> list[Speaker]:
        """Insert new speakers with one COPY, ids from their sequence (what bulk_create does, for a
        tenth of the time: a corpus brings tens of thousands of speakers in its first batches)."""
        layout = layout_of(Speaker, ("id",), SPEAKER_COLUMNS, self.connection.alias)  # created_at: now
        rows = ["\t".join([copy_text(getattr(s, name)) for name in SPEAKER_COLUMNS]) for s in speakers]
        # (wrap_database_errors: a slug or QID another writer took is Django's IntegrityError)
        with self.connection.wrap_database_errors, self.connection.cursor() as cursor:
            ids = self._ids(cursor, SPEAKERS, len(speakers))
            self._copy(cursor, layout, layout.lines(ids, rows))
        for speaker, pk in zip(speakers, ids, strict=True):
            speaker.pk = pk
        return speakers

    def _copy(self, cursor, layout, text: str) -> None:
        if not text:
            return
        with cursor.cursor.copy(f"COPY {layout.table} ({layout.columns}) FROM STDIN") as copy:
            for start in range(0, len(text), COPY_CHUNK):
                copy.write(text[start : start + COPY_CHUNK])

    def _add_known_citations(self, cursor, rows) -> int:
        if not rows:
            return 0
        layout = self.layout.citations
        stage = self.resolver.citations.stage
        cursor.execute(self.resolver.citations.stage_ddl())
        cursor.execute(f"TRUNCATE {stage}")
        with cursor.cursor.copy(f"COPY {stage} ({layout.columns}) FROM STDIN") as copy:
            copy.write(layout.lines([f"{q}\t{s}" for q, s, _ in rows], [row for _, _, row in rows]))
        # Names from the models' metadata, no values.
        cursor.execute(
            f"INSERT INTO {layout.table} ({layout.columns}) SELECT {layout.columns} FROM {stage} s "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM {layout.table} t "
            "WHERE t.quote_id = s.quote_id AND t.source_id = s.source_id)"
        )
        return max(cursor.rowcount, 0)
