"""The bulk loader's matching and laying out of a batch, one pass each (quotes/importing/bulk.py).

A batch of a million-record import is matched against the keys in memory and laid out as COPY
text here: about 16 µs a record in Python, most of the command's own work. The C accelerator
(quotes/importing/_speedups.c) has the same three functions, which replace these when it is built;
tests/quotes/test_import_staging.py holds both to the same results.
"""

import itertools

NULL = "\\N"


def python_first_new(keys: list, known: dict) -> list[int]:
    """The indexes of the keys not in `known`, each at its first occurrence, in order."""
    new, seen = [], set()
    for i, key in enumerate(keys):
        if key not in known and key not in seen:
            seen.add(key)
            new.append(i)
    return new


def python_cite(
    keys: list,
    counts: list[int],
    url_keys: list,
    rows: list[str],
    known_quotes: dict,
    known_sources: dict,
    new_quotes: dict,
    end: str,
) -> tuple[str, list[tuple[int, int, str]], list[int]]:
    """The citations of a batch's records (record i cites the next `counts[i]` of `url_keys`, with
    `rows`), every key already in `known_quotes` and `known_sources`, as (the COPY text of those of
    quotes new in this batch, at their first record: `quote id, source id, row, end`; (quote id,
    source id, row) of the others, which the database must match; each record's quote id). A
    source cited twice by one record is cited once."""
    if sum(counts) != len(url_keys):
        raise ValueError("cite: counts do not match the citations")
    lines, known, seen, quote_ids = [], [], set(), []
    citations = zip(url_keys, rows, strict=True)
    for key, count in zip(keys, counts, strict=True):
        quote = known_quotes[key]
        quote_ids.append(quote)
        fresh = key in new_quotes and quote not in seen
        seen.add(quote)
        cited = set()
        for url_key, row in itertools.islice(citations, count):
            source = known_sources[url_key]
            if source in cited:
                continue
            cited.add(source)
            if fresh:
                lines.append(f"{quote}\t{source}\t{row}{end}")
            else:  # the quote may cite it already: the database decides
                known.append((quote, source, row))
    return "".join(lines), known, quote_ids


def python_copy_lines(columns: list[list], end: str) -> str:
    """COPY text of rows given column by column (ints, None for NULL, or strings already in COPY
    form), each line closed by `end`."""
    return "".join(
        [
            "\t".join([NULL if value is None else str(value) for value in row]) + end
            for row in zip(*columns, strict=True)
        ]
    )


try:  # the optional C accelerator (setup.py): the same functions, in C
    from quotes.importing._speedups import cite, copy_lines, first_new
except ImportError:  # pragma: no cover - depends on the install
    first_new, cite, copy_lines = python_first_new, python_cite, python_copy_lines
