"""Speakers' names and quoted titles in citations: suffixes, particles, people whose family name is also an
organisation's word, and quotations inside a quoted title, checked against hand-made strings."""

import datetime
import json

import pytest

from quotes.citing import CitableQuote, CitableSource, format_citation
from quotes.models import Quote
from tests.factories import make_quote, make_speaker

ACCESSED = datetime.date(2026, 11, 24)
TAIL_APA = (
    "We shall overcome [Statement]. Retrieved November 24, 2026, from Verbatim: https://verbatim.example/q/7/"
)
TAIL_MLA = "“We shall overcome.” 1963. Verbatim, verbatim.example/q/7/. Accessed 24 Nov. 2026."
TAIL_CHICAGO = (
    "“We shall overcome.” 1963. Verbatim. Accessed November 24, 2026. https://verbatim.example/q/7/."
)


def _record(speaker: str, **changes) -> CitableQuote:
    base = {
        "pk": 7,
        "text": "We shall overcome",
        "speaker": speaker,
        "said_on": datetime.date(1963, 8, 28),
        "precision": Quote.Precision.YEAR,
        "venue": "",
        "venue_kind": "",
        "location": "",
        "language": "en",
        "source": None,
        "permalink": "https://verbatim.example/q/7/",
        "accessed_on": ACCESSED,
    }
    return CitableQuote(**{**base, **changes})


def _csl_author(record: CitableQuote) -> list[dict]:
    return json.loads(format_citation(record, "csl-json"))[0]["author"]


def _ris_author(record: CitableQuote) -> str:
    return next(line for line in format_citation(record, "ris").split("\r\n") if line.startswith("AU  - "))


def _bibtex_author(record: CitableQuote) -> str:
    return next(line for line in format_citation(record, "bibtex").split("\n") if "author = " in line)


# --- suffixes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "speaker",
    [
        "Martin Luther King Jr.",
        "Martin Luther King, Jr.",
        "Martin Luther King Jr",
        "King, Martin Luther, Jr.",
    ],
)
def test_jr_follows_the_given_names_in_every_style(speaker):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"King, M. L., Jr. (1963). {TAIL_APA}"
    assert format_citation(record, "mla") == f"King, Martin Luther, Jr. {TAIL_MLA}"
    assert format_citation(record, "chicago") == f"King, Martin Luther, Jr. {TAIL_CHICAGO}"
    assert format_citation(record, "bibtex") == (
        "@misc{king1963q7,\n"
        "  author = {King, Jr., Martin Luther},\n"
        "  title = {{We shall overcome}},\n"
        "  year = {1963},\n"
        "  date = {1963},\n"
        "  howpublished = {Statement},\n"
        "  organization = {Verbatim},\n"
        "  url = {https://verbatim.example/q/7/},\n"
        "  urldate = {2026-11-24},\n"
        "  language = {en}\n"
        "}\n"
    )
    assert _ris_author(record) == "AU  - King, Martin Luther, Jr."
    assert _csl_author(record) == [{"family": "King", "given": "Martin Luther", "suffix": "Jr."}]


@pytest.mark.parametrize(
    ("speaker", "apa", "inverted", "bibtex", "ris", "csl"),
    [
        ("Henry Ford II", "Ford, H., II.", "Ford, Henry, II.", "Ford, II, Henry", "Ford, Henry, II",
         ("Ford", "Henry", "II")),
        ("Pete Ricketts Sr", "Ricketts, P., Sr.", "Ricketts, Pete, Sr.", "Ricketts, Sr., Pete",
         "Ricketts, Pete, Sr.", ("Ricketts", "Pete", "Sr.")),
        ("John D. Rockefeller III", "Rockefeller, J. D., III.", "Rockefeller, John D., III.",
         "Rockefeller, III, John D.", "Rockefeller, John D., III", ("Rockefeller", "John D.", "III")),
        ("Gordon Getty, IV", "Getty, G., IV.", "Getty, Gordon, IV.", "Getty, IV, Gordon", "Getty, Gordon, IV",
         ("Getty", "Gordon", "IV")),
    ],
)  # fmt: skip
def test_generational_suffixes_with_or_without_comma_or_period(speaker, apa, inverted, bibtex, ris, csl):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"{apa} (1963). {TAIL_APA}"
    assert format_citation(record, "mla") == f"{inverted} {TAIL_MLA}"
    assert format_citation(record, "chicago") == f"{inverted} {TAIL_CHICAGO}"
    assert _bibtex_author(record) == f"  author = {{{bibtex}}},"
    assert _ris_author(record) == f"AU  - {ris}"
    family, given, suffix = csl
    assert _csl_author(record) == [{"family": family, "given": given, "suffix": suffix}]


# --- particles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speaker", "apa", "inverted", "key", "csl"),
    [
        ("Charles de Gaulle", "de Gaulle, C.", "de Gaulle, Charles", "degaulle",
         {"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de"}),
        ("Ursula von der Leyen", "von der Leyen, U.", "von der Leyen, Ursula", "vonderleyen",
         {"family": "Leyen", "given": "Ursula", "non-dropping-particle": "von der"}),
        ("Oscar de la Renta", "de la Renta, O.", "de la Renta, Oscar", "delarenta",
         {"family": "Renta", "given": "Oscar", "non-dropping-particle": "de la"}),
        ("Vincent van Gogh", "van Gogh, V.", "van Gogh, Vincent", "vangogh",
         {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"}),
        ("Mohammed bin Salman", "bin Salman, M.", "bin Salman, Mohammed", "binsalman",
         {"family": "Salman", "given": "Mohammed", "non-dropping-particle": "bin"}),
        ("Bashar al-Assad", "al-Assad, B.", "al-Assad, Bashar", "alassad",
         {"family": "al-Assad", "given": "Bashar"}),
        # A capitalised particle is spelled as part of the family name, which sorts under it.
        ("Jean-Marie Le Pen", "Le Pen, J.-M.", "Le Pen, Jean-Marie", "lepen",
         {"family": "Le Pen", "given": "Jean-Marie"}),
        ("Ursula Le Guin", "Le Guin, U.", "Le Guin, Ursula", "leguin",
         {"family": "Le Guin", "given": "Ursula"}),
        ("Gaulle, Charles de", "de Gaulle, C.", "de Gaulle, Charles", "degaulle",
         {"family": "Gaulle", "given": "Charles", "non-dropping-particle": "de"}),
        # A particle-like first word is a given name: someone must be named before the family.
        ("Van Morrison", "Morrison, V.", "Morrison, Van", "morrison", {"family": "Morrison", "given": "Van"}),
    ],
)  # fmt: skip
def test_particles_belong_to_the_family_name(speaker, apa, inverted, key, csl):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"{apa} (1963). {TAIL_APA}"
    assert format_citation(record, "mla") == f"{inverted}. {TAIL_MLA}"
    assert format_citation(record, "chicago") == f"{inverted}. {TAIL_CHICAGO}"
    assert _bibtex_author(record) == f"  author = {{{inverted}}},"
    assert format_citation(record, "bibtex").startswith(f"@misc{{{key}1963q7,\n")
    assert _ris_author(record) == f"AU  - {inverted}"
    assert _csl_author(record) == [csl]


# --- people and organisations ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("speaker", "apa", "inverted"),
    [
        ("Margaret Court", "Court, M.", "Court, Margaret"),
        ("John Court", "Court, J.", "Court, John"),
        ("Edward House", "House, E.", "House, Edward"),
        ("Bill Press", "Press, B.", "Press, Bill"),
    ],
)
def test_a_family_name_that_is_also_an_organisation_word_is_a_person(speaker, apa, inverted):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"{apa} (1963). {TAIL_APA}"
    assert format_citation(record, "mla") == f"{inverted}. {TAIL_MLA}"
    assert _ris_author(record) == f"AU  - {inverted}"
    family, given = inverted.split(", ")
    assert _csl_author(record) == [{"family": family, "given": given}]


def test_a_name_ending_in_an_initial_takes_no_second_period():
    house, le_guin = _record("Edward M. House"), _record("Ursula K. Le Guin")
    assert format_citation(house, "apa") == f"House, E. M. (1963). {TAIL_APA}"
    assert format_citation(house, "mla") == f"House, Edward M. {TAIL_MLA}"
    assert format_citation(le_guin, "chicago") == f"Le Guin, Ursula K. {TAIL_CHICAGO}"
    assert _ris_author(le_guin) == "AU  - Le Guin, Ursula K."
    assert _csl_author(le_guin) == [{"family": "Le Guin", "given": "Ursula K."}]


@pytest.mark.parametrize(
    "speaker",
    [
        "Supreme Court of the United States",
        "Supreme Court",
        "European Commission",
        "European Union",
        "Ministry of Foreign Affairs",
        "The White House",
        "White House",
        "Associated Press",
        "Government of Cuba",
    ],
)
def test_organisations_stay_uninverted(speaker):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"{speaker}. (1963). {TAIL_APA}"
    assert format_citation(record, "chicago") == f"{speaker}. {TAIL_CHICAGO}"
    assert _bibtex_author(record) == f"  author = {{{{{speaker}}}}},"
    assert _ris_author(record) == f"AU  - {speaker}"
    assert _csl_author(record) == [{"literal": speaker}]


@pytest.mark.parametrize(
    ("speaker", "apa", "mla", "csl"),
    [
        ("Madonna", "Madonna.", "Madonna.", {"literal": "Madonna"}),
        ("毛泽东", "毛泽东.", "毛泽东.", {"literal": "毛泽东"}),
        ("Владимир Путин", "Путин, В.", "Путин, Владимир.", {"family": "Путин", "given": "Владимир"}),
        (
            "Díaz-Canel, Miguel",
            "Díaz-Canel, M.",
            "Díaz-Canel, Miguel.",
            {"family": "Díaz-Canel", "given": "Miguel"},
        ),
        ("Trump, Donald", "Trump, D.", "Trump, Donald.", {"family": "Trump", "given": "Donald"}),
        ("", ".", ".", {"literal": ""}),
    ],
)
def test_single_inverted_non_latin_and_empty_names(speaker, apa, mla, csl):
    record = _record(speaker)
    assert format_citation(record, "apa") == f"{apa} (1963). {TAIL_APA}"
    assert format_citation(record, "mla") == f"{mla} {TAIL_MLA}"
    assert _csl_author(record) == [csl]


# --- quotations inside a quoted title -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("They chanted “no surrender” all night", "“They chanted ‘no surrender’ all night.”"),
        ('They chanted "no surrender" all night', "“They chanted 'no surrender' all night.”"),
        # American style: the closing period goes inside both quotation marks.
        ("They chanted “no surrender”", "“They chanted ‘no surrender.’”"),
        ('They chanted "no surrender"', "“They chanted 'no surrender.'”"),
        ("Who said “why not?”", "“Who said ‘why not?’”"),
        ("Sie sagte „Wir schaffen das“ und ging", "“Sie sagte ‚Wir schaffen das‘ und ging.”"),
    ],
)
def test_double_quotes_in_a_quote_become_single_inside_the_title_quotes(text, title):
    record = _record("Ada Lovelace", text=text)
    assert format_citation(record, "mla") == (
        f"Lovelace, Ada. {title} 1963. Verbatim, verbatim.example/q/7/. Accessed 24 Nov. 2026."
    )
    assert format_citation(record, "chicago") == (
        f"Lovelace, Ada. {title} 1963. Verbatim. Accessed November 24, 2026. https://verbatim.example/q/7/."
    )


def test_quote_text_keeps_its_double_quotes_where_no_title_quotes_surround_it():
    text = 'They chanted "no surrender" all night'
    record = _record("Ada Lovelace", text=text)
    assert format_citation(record, "apa").startswith(f"Lovelace, A. (1963). {text} [Statement].")
    assert 'TI  - They chanted "no surrender" all night\r\n' in format_citation(record, "ris")
    assert json.loads(format_citation(record, "csl-json"))[0]["title"] == text


def test_double_quotes_in_a_source_title_become_single_with_the_comma_inside():
    source = CitableSource(
        title="Trump to Cuba: “Make a deal”",
        publisher="Internewscast",
        author="",
        url="https://news.example/a",
        published_on=None,
        primary=False,
    )
    record = _record("Ada Lovelace", source=source)
    assert "Quoted in “Trump to Cuba: ‘Make a deal,’” Internewscast, news.example/a." in format_citation(
        record, "mla"
    )
    assert (
        "Quoted in “Trump to Cuba: ‘Make a deal,’” Internewscast. https://news.example/a."
        in format_citation(record, "chicago")
    )


# --- through the API ------------------------------------------------------------------------


def test_cite_endpoint_cites_a_suffixed_name_and_keeps_the_stored_text(client, db):
    text = 'I have a "dream" today'
    quote = make_quote(text, speaker=make_speaker("Martin Luther King Jr."))
    apa = client.get(f"/api/v1/quotes/{quote.pk}/cite/", {"style": "apa"}).content.decode()
    mla = client.get(f"/api/v1/quotes/{quote.pk}/cite/", {"style": "mla"}).content.decode()
    assert apa.startswith(f"King, M. L., Jr. (2024, May 17). {text} [Statement].")
    assert mla.startswith("King, Martin Luther, Jr. “I have a 'dream' today.” 17 May 2024.")
    quote.refresh_from_db()
    assert quote.text == text
