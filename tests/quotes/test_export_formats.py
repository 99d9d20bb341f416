"""On PostgreSQL the database writes the export's lines: byte for byte what the Python path writes.

The Python path (`records.py` + `formats.py`, used on SQLite) is the reference; these tests feed
both the values where SQL and Python formats part ways: control characters and quotes in text,
floats (1.0, 1e-05, 1.5e-07), timestamps without microseconds, NULLs, empty QIDs, misattributions.
"""

import datetime
import time

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from quotes.exporting.formats import CHUNKERS, export_chunks
from quotes.exporting.postgres import pg_chunks
from quotes.exporting.records import iter_quote_records
from quotes.exporting.selection import export_quotes_queryset
from quotes.models import Citation, Quote, Speaker, Tag, Venue
from tests.factories import cite, make_quote, make_source, make_speaker, make_venue

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL path is PostgreSQL's")

AWKWARD = 'Tab\there, "quoted", comma, back\\slash, bell\x07, esc\x1b, del\x7f, crlf\r\nnext; ünï€ 😀 \u2028'
PROBABILITIES = [
    None,
    0.0,
    1.0,
    0.5,
    0.7973,
    1e-05,
    1.5e-07,
    0.0001,
    0.30000000000000004,
    1 / 3,
    -0.0,
    2.5e-300,
]


@pytest.fixture
def awkward_archive(db):
    plain = make_speaker("Plain Speaker", slug="plain-speaker")
    odd = make_speaker(
        'Odd "Speaker", Jr.', slug="odd-speaker", wikidata_qid="Q42", aliases="One\nTwo", description=AWKWARD
    )
    blank_qid = make_speaker("Blank Qid", slug="blank-qid")
    Speaker.objects.filter(pk=blank_qid.pk).update(wikidata_qid="")
    venue = make_venue(name="Hall, main", kind=Venue.Kind.PRESS_CONFERENCE, location="Town\nCentre",
                       held_on=datetime.date(2020, 2, 29), url="https://example.org/hall")  # fmt: skip
    undated_venue = make_venue(name="Somewhere")
    tags = [Tag.objects.create(name=name, slug=slug) for name, slug in
            [("Zebra", "a-zebra"), ("Apple, \"red\"", "z-apple"), ("Mango", "mango")]]  # fmt: skip
    for n, probability in enumerate(PROBABILITIES):
        quote = make_quote(
            f"{AWKWARD} number {n}", speaker=[plain, odd, blank_qid][n % 3],
            attribution_probability=probability,
            venue=[None, venue, undated_venue][n % 3], context=AWKWARD if n % 2 else "",
            said_on=None if n % 4 == 0 else datetime.date(2001 + n, 1 + n % 12, 1 + n),
            date_precision="unknown" if n % 4 == 0 else "day", status_note=AWKWARD[: n + 1],
            verification_note=AWKWARD[n:], external_id=f"ext,{n}", language="de-CH",
        )  # fmt: skip
        quote.tags.set(tags[: n % 4])
        quote.about.set([plain, odd, blank_qid][: n % 3])
        primary = make_source(f"https://example.org/p/{n}?q=\"x\"", title=AWKWARD, author="A, B",
                              published_on=datetime.date(2019, 5, 1 + n), language="en")  # fmt: skip
        cite(quote, make_source(f"https://news.example.com/{n}", publisher="News, Inc."))
        cite(quote, primary, role=Citation.Role.PRIMARY, locator="p. 4", selector_exact=AWKWARD,
             selector_prefix="said: ", selector_suffix="\n", note=AWKWARD)  # fmt: skip
    retracted = make_quote("Retracted, correct", speaker=plain, status=Quote.Status.RETRACTED)
    draft = make_quote("A draft correct one", speaker=plain, status=Quote.Status.DRAFT)
    for correct in (retracted, draft, None):
        make_quote(
            f"Misattributed to {correct}", speaker=odd, verification=Quote.Verification.MISATTRIBUTED,
            verification_note="Never said it", correct_attribution=correct,
        )  # fmt: skip
    # Timestamps with and without microseconds, and far from now.
    Quote.objects.filter(text__startswith="Tab", pk__in=Quote.objects.order_by("id").values("id")[:3]).update(
        created_at=datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
        updated_at=datetime.datetime(2001, 2, 3, 4, 5, 6, 120, tzinfo=datetime.UTC),
    )


def python_export(queryset, fmt: str) -> bytes:
    chunks = CHUNKERS[fmt](iter_quote_records(queryset))
    return b"".join(chunk.encode() if isinstance(chunk, str) else chunk for chunk in chunks)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["ndjson", "csv"])
@pytest.mark.parametrize(
    "params", [{}, {"speaker": "odd-speaker"}, {"tag": "mango"}, {"said_after": "2005-01-01"}]
)
def test_the_database_writes_what_python_writes(awkward_archive, fmt, params):
    queryset = export_quotes_queryset(params, all_statuses=True)
    expected = python_export(queryset, fmt)

    written = b"".join(export_chunks(queryset, fmt))

    assert written.splitlines() == expected.splitlines()
    assert written == expected
    assert len(expected.splitlines()) > 3 or params


@pytest.mark.django_db
def test_floats_are_laid_out_as_orjson_and_repr_lay_them_out(db):
    """Every float kind SQL must reformat: integral, tiny, huge, just below 1e16, NaN, infinities."""
    speaker = make_speaker("Numbers")
    values = [1.0, 0.0, -0.0, 1e-05, 9.999e-05, 1.2345678901234567e-05, 1.5e-06, 1e-300, 5e-324, 12.5, 1e15,
              1234567890123456.8, 9999999999999998.0, 1e16, 1.5e17, 1e100, 1.7976931348623157e308, -2.5e-07,
              -123456.0, 0.1, float("nan"), float("inf"), float("-inf")]  # fmt: skip
    for n, value in enumerate(values):
        # Stored past the model's 0-1 rule (rows from before it, or written by other tools): the
        # export must still lay every float out exactly.
        quote = make_quote(f"Number {n}", speaker=speaker)
        Quote.objects.filter(pk=quote.pk).update(attribution_probability=value)
    queryset = Quote.objects.all()
    with connection.cursor() as cursor:  # a server set to fewer digits: the export sets its own
        cursor.execute("SET extra_float_digits = 0")
    for fmt in ("ndjson", "csv"):
        assert b"".join(export_chunks(queryset, fmt)) == python_export(queryset, fmt), fmt


@pytest.mark.django_db
def test_an_empty_export_is_empty_or_just_the_header(db):
    for queryset in (Quote.objects.filter(pk=-1), Quote.objects.none()):
        assert b"".join(export_chunks(queryset, "ndjson")) == b""
        assert b"".join(export_chunks(queryset, "csv")) == python_export(queryset, "csv")


@pytest.mark.django_db
def test_the_stream_comes_in_big_chunks(db):
    speaker = make_speaker("Prolific")
    now = timezone.now()
    Quote.objects.bulk_create(
        Quote(text=f"Words {n} " * 40, text_normalized=f"words {n}", text_hash=f"{n:064d}",
              search_text=f"w {n}", speaker=speaker, status=Quote.Status.PUBLISHED,
              created_at=now, updated_at=now)
        for n in range(2000)
    )  # fmt: skip
    chunks = list(export_chunks(Quote.objects.all(), "ndjson"))
    assert sum(chunk.count(b"\n") for chunk in chunks) == 2000
    assert len(chunks) < 10 and all(len(chunk) > 200_000 for chunk in chunks[:-1])


@pytest.mark.django_db(transaction=True)  # committed rows, so that the helper sessions see them
@pytest.mark.parametrize("streams", [2, 3])
def test_sessions_sharing_an_export_merge_back_into_id_order(awkward_archive, streams):
    """Outside a transaction several sessions write their share on one snapshot; the merge is exact."""
    queryset = export_quotes_queryset({}, all_statuses=True)
    assert not connection.in_atomic_block
    for fmt in ("ndjson", "csv"):
        assert b"".join(pg_chunks(queryset, fmt, streams=streams)) == python_export(queryset, fmt), fmt
    assert b"".join(export_chunks(queryset.filter(pk=-1), "ndjson")) == b""


@pytest.mark.django_db(transaction=True)
def test_without_a_second_session_one_session_exports_it_all(awkward_archive, monkeypatch):
    from quotes.exporting import postgres

    def refuse(*args, **kwargs):
        raise psycopg.OperationalError("too many clients already")

    monkeypatch.setattr(postgres._Helper, "__init__", refuse)
    queryset = export_quotes_queryset({}, all_statuses=True)
    assert b"".join(pg_chunks(queryset, "ndjson")) == python_export(queryset, "ndjson")


@pytest.mark.django_db(transaction=True)
def test_a_client_that_goes_away_stops_every_session(db):
    speaker = make_speaker("Prolific")
    now = timezone.now()
    Quote.objects.bulk_create(
        Quote(text=f"Words {n} " * 40, text_normalized=f"words {n}", text_hash=f"{n:064d}",
              search_text=f"w {n}", speaker=speaker, status=Quote.Status.PUBLISHED,
              created_at=now, updated_at=now)
        for n in range(3000)
    )  # fmt: skip
    chunks = pg_chunks(Quote.objects.all(), "ndjson")
    assert next(chunks).startswith(b'{"id":')
    chunks.close()

    assert _exports_running() == 0
    assert not connection.in_atomic_block
    assert sum(chunk.count(b"\n") for chunk in pg_chunks(Quote.objects.all(), "csv")) == 3001


def _exports_running(patience: float = 5.0) -> int:
    """Sessions of this database still writing an export (a cancelled one may take a moment)."""
    deadline = time.monotonic() + patience
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state <> 'idle' AND query LIKE 'COPY (SELECT sel.block%%'"
            )
            running = cursor.fetchone()[0]
        if running == 0 or time.monotonic() > deadline:
            return running
        time.sleep(0.1)
