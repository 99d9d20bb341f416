"""The bulk loader's matching and laying out (quotes/importing/staging.py): the C accelerator's three
functions against the Python ones, on batches shaped like real ones and on the odd cases."""

import random

import pytest

from quotes.importing import staging

needs_speedups = pytest.mark.skipif(
    staging.first_new is staging.python_first_new, reason="the C accelerator is not built"
)

END = "\tconstant\n"


def batch(seed: int, size: int = 400):
    """Keys as the loader makes them (128-bit hash << 64 | speaker id), some repeated within the
    batch and some already known; one to three citations a record, some sources repeated, some
    cited twice by one record; rows with non-ASCII text and escapes."""
    rng = random.Random(seed)
    pool = [(rng.getrandbits(128) << 64) | rng.randrange(1, 50) for _ in range(size)]
    keys = [rng.choice(pool) for _ in range(size)]
    known_quotes = {key: rng.randrange(1, 10**6) for key in rng.sample(pool, size // 4)}
    url_pool = [rng.getrandbits(128) for _ in range(size)]
    counts = [rng.choice([0, 1, 1, 2, 3]) for _ in keys]
    url_keys = []
    for count in counts:
        chosen = [rng.choice(url_pool) for _ in range(count)]
        if count > 1 and rng.random() < 0.2:
            chosen[-1] = chosen[0]  # one record citing one source twice
        url_keys += chosen
    known_sources = {key: rng.randrange(1, 10**6) for key in rng.sample(url_pool, size // 4)}
    rows = [rng.choice(["secondary\t\t\t\t\t", "primary\tp. 3\t«Díaz»\t\t\tnote \\n"]) for _ in url_keys]
    return keys, counts, url_keys, rows, known_quotes, known_sources


def settle(keys, url_keys, known_quotes, known_sources, first_new):
    """What _stage does between matching and citing: ids for the new keys."""
    new_quotes = first_new(keys, known_quotes)
    new_sources = first_new(url_keys, known_sources)
    new_quote_ids = {keys[i]: 2_000_000 + n for n, i in enumerate(new_quotes)}
    known_quotes.update(new_quote_ids)
    known_sources.update({url_keys[i]: 3_000_000 + n for n, i in enumerate(new_sources)})
    return new_quotes, new_sources, new_quote_ids


@needs_speedups
@pytest.mark.parametrize("seed", range(20))
def test_matching_and_citing_agree(seed):
    keys, counts, url_keys, rows, known_quotes, known_sources = batch(seed)
    results = []
    for first_new, cite in (
        (staging.first_new, staging.cite),
        (staging.python_first_new, staging.python_cite),
    ):
        quotes, sources = dict(known_quotes), dict(known_sources)
        new_quotes, new_sources, new_quote_ids = settle(keys, url_keys, quotes, sources, first_new)
        cited = cite(keys, counts, url_keys, rows, quotes, sources, new_quote_ids, END)
        results.append((new_quotes, new_sources, cited))
    assert results[0] == results[1]
    new_quotes, _, (text, known, quote_ids) = results[0]
    assert new_quotes and known and text.count("\n") > 0  # each kind of outcome was exercised


@needs_speedups
def test_a_repeated_quote_cites_once_as_new_then_through_the_database():
    key = (1 << 64) | 7
    args = ([key, key], [1, 1], [11, 11], ["a\t\t\t\t\t", "b\t\t\t\t\t"], {key: 5}, {11: 9}, {key: 5}, "\n")
    expected = ("5\t9\ta\t\t\t\t\t\n", [(5, 9, "b\t\t\t\t\t")], [5, 5])
    assert staging.cite(*args) == staging.python_cite(*args) == expected


@needs_speedups
def test_the_accelerator_refuses_a_value_copy_could_misread():
    with pytest.raises(TypeError):
        staging.copy_lines([[1.5]], "\n")  # only ints, None and str already in COPY form


@needs_speedups
def test_copy_lines_agree():
    columns = [[1, 2, 3], [None, 7, None], ["a\tb", "ü «x»", ""], [2**62, -1, 0]]
    assert staging.copy_lines(columns, END) == staging.python_copy_lines(columns, END)
    assert staging.copy_lines(columns, END).splitlines()[0] == "1\t\\N\ta\tb\t4611686018427387904\tconstant"
    assert staging.copy_lines([[], []], END) == staging.python_copy_lines([[], []], END) == ""


@needs_speedups
@pytest.mark.parametrize(
    ("function", "args", "error"),
    [
        ("copy_lines", ([[1, 2], [1]], "\n"), ValueError),
        ("cite", ([1], [2], [5], ["r"], {1: 1}, {5: 5}, {}, "\n"), ValueError),
        ("cite", ([1], [1], [5], ["r"], {}, {5: 5}, {}, "\n"), KeyError),
        ("cite", ([1], [1], [5], ["r"], {1: 1}, {}, {}, "\n"), KeyError),
    ],
)
def test_bad_input_raises_instead_of_writing_wrong_rows(function, args, error):
    with pytest.raises(error):
        getattr(staging, function)(*args)
    with pytest.raises(error):
        getattr(staging, f"python_{function}")(*args)
