"""Verbatim verification: a quote is only found as whole words, and one website is one publisher."""

import pytest

from archive.services import add_manual_copy
from quotes.demo import QUOTES
from quotes.models import Citation, Quote
from quotes.verification import find_quote, verify_quote
from tests.factories import cite, make_quote, make_source

pytestmark = pytest.mark.django_db

WARMING = "I support the warming of relations with our neighbours, she said."


def source_with_copy(text, **fields):
    source = make_source(**fields)
    add_manual_copy(source=source, text=text)
    return source


def checked(quote_text, text, role=Citation.Role.PRIMARY):
    quote = make_quote(quote_text)
    citation = cite(quote, source_with_copy(text), role=role)
    verify_quote(quote=quote)
    citation.refresh_from_db()
    return citation


def selector(citation) -> tuple[str, str, str]:
    return citation.selector_prefix, citation.selector_exact, citation.selector_suffix


# --- whole words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quote_text", "text"),
    [
        ("I support the war", WARMING),
        ("i support the WAR", WARMING),  # found only after normalization
        ("I am a Democrat", "I am a Democratic candidate for the Senate."),
        ("I won", "I won\u2019t back down."),  # an apostrophe inside a word does not end it
        ("I won", "I won't back down."),
        ("He is well", "He is well-known in the city."),  # nor does a hyphen
        ("das ist sch", "Sie sagte: das ist sch\u00f6n."),  # accented letters are letters
        ("das ist scho", "Sie sagte: das ist scho\u0308n."),  # also as letter + combining accent
        ("I support the warm", "I support the warm\u00ading of relations."),  # soft hyphen
        ("Inflation is 3", "Inflation is 3.5 percent."),  # nor does a decimal point end a number
        ("e said", "He said so."),  # the start of the quote too
    ],
)
def test_a_quote_ending_or_starting_inside_a_word_is_not_found(quote_text, text):
    citation = checked(quote_text, text)
    assert citation.match == "not_found"
    assert selector(citation) == ("", "", "")
    assert Quote.objects.get(pk=citation.quote_id).verification == "unverified"


@pytest.mark.parametrize(
    ("quote_text", "text"),
    [
        ("I support... the war", WARMING),
        ("I support \u2026 the war", WARMING),
        ("We... e", "We will not balance the books on the backs of nurses."),
        ("\u2026 am a Democrat", "I am a Democratic candidate."),
    ],
)
def test_each_piece_of_an_elided_quote_must_be_whole_words(quote_text, text):
    citation = checked(quote_text, text)
    assert citation.match == "not_found"
    assert selector(citation) == ("", "", "")
    assert Quote.objects.get(pk=citation.quote_id).verification == "unverified"


LATER = "I support the warming of relations, but the war is over and the troops are home."


@pytest.mark.parametrize(("quote_text", "match"), [("the war", "verbatim"), ("The War", "normalized")])
def test_a_later_whole_word_occurrence_is_found(quote_text, match):
    citation = checked(quote_text, LATER)
    assert citation.match == match
    assert selector(citation) == (
        "t the warming of relations, but ",
        "the war",
        " is over and the troops are home",
    )
    assert Quote.objects.get(pk=citation.quote_id).verification == "verified"


def test_an_elided_quote_is_found_at_its_later_whole_word_pieces():
    citation = checked("I support ... the war is over", LATER)
    assert citation.match == "elided"
    assert citation.selector_exact == "I support the warming of relations, but the war is over"
    citation = checked("the war \u2026 the troops", LATER)
    assert citation.match == "elided"
    assert citation.selector_exact == "the war is over and the troops"


@pytest.mark.parametrize(
    ("quote_text", "text", "match", "exact"),
    [
        # The quote's own punctuation at either edge.
        (
            "\u201cWe will not balance the books",
            "She said: \u201cWe will not balance the books.\u201d",
            "verbatim",
            "\u201cWe will not balance the books",
        ),
        (
            '"We will not balance the books."',
            "She said: \u201cWe will not balance the books.\u201d",
            "normalized",
            "\u201cWe will not balance the books.\u201d",
        ),
        (
            "not this year, not ever,",
            "nurses \u2014 not this year, not ever,\u201d she said",
            "verbatim",
            "not this year, not ever,",
        ),
        # Dashes and closing quotes around a word are punctuation, not part of it.
        (
            "We will not balance the books",
            "We will not balance the books\u2014not this year.",
            "verbatim",
            "We will not balance the books",
        ),
        ("the backs of nurses", "on the backs of nurses\u2019 families", "verbatim", "the backs of nurses"),
        ("make a deal", "\u2018make a deal\u2019, he wrote", "verbatim", "make a deal"),
        # A quote that is the whole copy.
        ("We will cut taxes", "We will cut taxes", "verbatim", "We will cut taxes"),
        # Scripts written without spaces have no word edges to respect.
        (
            "\u6211\u4eec\u4e0d\u4f1a",
            "\u4ed6\u8bf4\uff1a\u6211\u4eec\u4e0d\u4f1a\u653e\u5f03\u3002",
            "verbatim",
            "\u6211\u4eec\u4e0d\u4f1a",
        ),
    ],
)
def test_quotes_on_word_edges_are_still_found(quote_text, text, match, exact):
    citation = checked(quote_text, text)
    assert (citation.match, citation.selector_exact) == (match, exact)


def test_find_quote_reports_the_whole_word_passage():
    assert find_quote("I support the war", "the war. " + WARMING).match == "not_found"
    text = WARMING + " Now the war is over."
    found = find_quote("the war", text)
    assert (found.match, found.start, found.end) == ("verbatim", text.index("the war is"), text.index(" is"))


# --- independent publishers ----------------------------------------------------------------------


def secondaries_verdict(*sources) -> str:
    quote = make_quote("We will not balance the books")
    for url, publisher in sources:
        source = source_with_copy("We will not balance the books, she said.", url=url, publisher=publisher)
        cite(quote, source, role=Citation.Role.SECONDARY)
    return verify_quote(quote=quote)


def test_a_second_page_of_the_demo_site_does_not_verify_the_demo_quote(demo):
    quote = Quote.objects.get(text=QUOTES[0]["text"])
    assert quote.verification == "unverified"
    amp = source_with_copy(
        f"Trump wrote: \u2018{quote.text},\u2019 on Sunday.",
        url="https://internewscast.com/amp/trump-cuba-deal",
        publisher="",
    )
    cite(quote, amp, role=Citation.Role.SECONDARY)
    assert verify_quote(quote=quote) == "unverified"
    assert {c.match for c in quote.citations.all()} == {"verbatim"}
    assert Quote.objects.get(pk=quote.pk).verification == "unverified"


@pytest.mark.parametrize(
    "sources",
    [
        [
            ("https://dailyledger.com/a", "Daily Ledger"),
            ("https://www.dailyledger.com/b", ""),
        ],
        [
            ("https://dailyledger.com/a", "Daily Ledger"),
            ("https://dailyledger.com/b", "Ledger Group"),
        ],
        [
            ("https://news.dailyledger.co.uk/a", "Daily Ledger"),
            ("https://amp.dailyledger.co.uk/b", "DL Online"),
        ],
    ],
    ids=["www-and-blank-publisher", "other-publisher-name", "subdomains"],
)
def test_two_sources_on_one_site_are_one_publisher(sources):
    assert secondaries_verdict(*sources) == "unverified"


def test_two_sites_with_one_publisher_name_are_one_publisher():
    verdict = secondaries_verdict(
        ("https://dailyledger.com/a", "Daily Ledger"),
        ("https://ledger-news.net/b", "daily  ledger"),
    )
    assert verdict == "unverified"


def test_sites_and_names_that_link_up_are_one_publisher():
    # The first and third share nothing, but the second shares a site with one and a name with the other.
    verdict = secondaries_verdict(
        ("https://dailyledger.com/a", "Daily Ledger"),
        ("https://dailyledger.com/b", "Ledger Group"),
        ("https://ledgergroup.net/c", "Ledger Group"),
    )
    assert verdict == "unverified"


@pytest.mark.parametrize(
    "sources",
    [
        [
            ("https://dailyledger.com/a", "Daily Ledger"),
            ("https://eveningpost.com/b", "Evening Post"),
        ],
        [("https://dailyledger.com/a", ""), ("https://eveningpost.com/b", "")],
        # co.uk is a public suffix, not a site.
        [("https://dailyledger.co.uk/a", "Daily Ledger"), ("https://eveningpost.co.uk/b", "Evening Post")],
    ],
    ids=["named", "unnamed", "same-public-suffix"],
)
def test_two_different_sites_and_names_verify(sources):
    assert secondaries_verdict(*sources) == "verified"
