"""Citations of the demo quotes in every style, checked against hand-made strings."""

import datetime
import json

import pytest

from archive.models import Source
from quotes.citing import STYLES, CitableQuote, CitableSource, citable_quote, format_citation
from quotes.demo import ARTICLE_URL
from quotes.models import Citation, Quote
from tests.factories import cite, make_quote, make_source, make_speaker

ACCESSED = datetime.date(2026, 11, 24)
TITLE = "Trump administration aims for regime change in Cuba by the end of the year"
BARE_ARTICLE = ARTICLE_URL.removeprefix("https://")


@pytest.fixture
def demo_quotes(demo):
    by_slug = {q.speaker.slug: q for q in Quote.objects.select_related("speaker", "venue")}
    return by_slug["donald-trump"], by_slug["miguel-diaz-canel"], by_slug["jeremy-lewin"]


def record_for(quote: Quote) -> CitableQuote:
    return citable_quote(quote=quote, permalink=f"http://testserver/q/{quote.pk}/", accessed_on=ACCESSED)


def expected(trump: Quote, diaz: Quote, lewin: Quote) -> dict[str, list[str]]:
    t, d, lw = (f"http://testserver/q/{q.pk}/" for q in (trump, diaz, lewin))
    return {
        "apa": [
            "Trump, D. (2026, January 11). I strongly suggest they make a deal, BEFORE IT IS TOO LATE "
            f"[Truth Social post by @realDonaldTrump]. Quoted in {TITLE}. Internewscast. {ARTICLE_URL} "
            f"Retrieved November 24, 2026, from Verbatim: {t}",
            "Díaz-Canel, M. (2026, January). There is no surrender or capitulation possible nor any kind of "
            "understanding based on coercion or intimidation [Memorial for the Cuban security guards killed "
            f"in Caracas, Cuba]. Quoted in {TITLE}. Internewscast. {ARTICLE_URL} "
            f"Retrieved November 24, 2026, from Verbatim: {d}",
            "Lewin, J. (2026, January). has to make a choice to step down "
            "or to better provide for its people "
            f"[Statement]. Quoted in {TITLE}. Internewscast. {ARTICLE_URL} "
            f"Retrieved November 24, 2026, from Verbatim: {lw}",
        ],
        "mla": [
            "Trump, Donald. “I strongly suggest they make a deal, BEFORE IT IS TOO LATE.” "
            "Truth Social post by "
            f"@realDonaldTrump, 11 Jan. 2026. Quoted in “{TITLE},” Internewscast, {BARE_ARTICLE}. "
            f"Verbatim, testserver/q/{trump.pk}/. Accessed 24 Nov. 2026.",
            "Díaz-Canel, Miguel. “There is no surrender or capitulation possible "
            "nor any kind of understanding "
            "based on coercion or intimidation.” Memorial for the Cuban security guards killed in Caracas, "
            f"Jan. 2026, Cuba. Quoted in “{TITLE},” Internewscast, {BARE_ARTICLE}. "
            f"Verbatim, testserver/q/{diaz.pk}/. Accessed 24 Nov. 2026.",
            "Lewin, Jeremy. “has to make a choice to step down or to better provide for its people.” "
            "Jan. 2026. "
            f"Quoted in “{TITLE},” Internewscast, {BARE_ARTICLE}. "
            f"Verbatim, testserver/q/{lewin.pk}/. Accessed 24 Nov. 2026.",
        ],
        "chicago": [
            "Trump, Donald. “I strongly suggest they make a deal, BEFORE IT IS TOO LATE.” "
            "Truth Social post by "
            f"@realDonaldTrump, January 11, 2026. Quoted in “{TITLE},” Internewscast. {ARTICLE_URL}. "
            f"Verbatim. Accessed November 24, 2026. {t}.",
            "Díaz-Canel, Miguel. “There is no surrender or capitulation possible "
            "nor any kind of understanding "
            "based on coercion or intimidation.” Memorial for the Cuban security guards killed in Caracas, "
            f"Cuba, January 2026. Quoted in “{TITLE},” Internewscast. {ARTICLE_URL}. "
            f"Verbatim. Accessed November 24, 2026. {d}.",
            "Lewin, Jeremy. “has to make a choice to step down or to better provide for its people.” "
            f"January 2026. Quoted in “{TITLE},” Internewscast. {ARTICLE_URL}. "
            f"Verbatim. Accessed November 24, 2026. {lw}.",
        ],
        "bibtex": [
            f"@misc{{trump2026q{trump.pk},\n"
            "  author = {Trump, Donald},\n"
            "  title = {{I strongly suggest they make a deal, BEFORE IT IS TOO LATE}},\n"
            "  year = {2026},\n"
            "  month = jan,\n"
            "  date = {2026-01-11},\n"
            "  howpublished = {Truth Social post by @realDonaldTrump},\n"
            f"  note = {{Quoted in ``{TITLE}'', Internewscast, \\url{{{ARTICLE_URL}}}}},\n"
            "  organization = {Verbatim},\n"
            f"  url = {{{t}}},\n"
            "  urldate = {2026-11-24},\n"
            "  language = {en}\n"
            "}\n",
            f"@misc{{diazcanel2026q{diaz.pk},\n"
            "  author = {Díaz-Canel, Miguel},\n"
            "  title = {{There is no surrender or capitulation possible nor any kind of understanding based "
            "on coercion or intimidation}},\n"
            "  year = {2026},\n"
            "  month = jan,\n"
            "  date = {2026-01},\n"
            "  howpublished = {Memorial for the Cuban security guards killed in Caracas, Cuba},\n"
            f"  note = {{Quoted in ``{TITLE}'', Internewscast, \\url{{{ARTICLE_URL}}}}},\n"
            "  organization = {Verbatim},\n"
            f"  url = {{{d}}},\n"
            "  urldate = {2026-11-24},\n"
            "  language = {en}\n"
            "}\n",
            f"@misc{{lewin2026q{lewin.pk},\n"
            "  author = {Lewin, Jeremy},\n"
            "  title = {{has to make a choice to step down or to better provide for its people}},\n"
            "  year = {2026},\n"
            "  month = jan,\n"
            "  date = {2026-01},\n"
            "  howpublished = {Statement},\n"
            f"  note = {{Quoted in ``{TITLE}'', Internewscast, \\url{{{ARTICLE_URL}}}}},\n"
            "  organization = {Verbatim},\n"
            f"  url = {{{lw}}},\n"
            "  urldate = {2026-11-24},\n"
            "  language = {en}\n"
            "}\n",
        ],
        "ris": [
            "\r\n".join(
                [
                    "TY  - GEN",
                    "AU  - Trump, Donald",
                    "TI  - I strongly suggest they make a deal, BEFORE IT IS TOO LATE",
                    "PY  - 2026",
                    "DA  - 2026/01/11/",
                    "M3  - Truth Social post by @realDonaldTrump",
                    f"T2  - {TITLE}",
                    "PB  - Internewscast",
                    f"N1  - Quoted in {ARTICLE_URL}",
                    "DB  - Verbatim",
                    f"UR  - {t}",
                    "Y2  - 2026/11/24",
                    "LA  - en",
                    "ER  - ",
                    "",
                ]
            ),
            "\r\n".join(
                [
                    "TY  - GEN",
                    "AU  - Díaz-Canel, Miguel",
                    "TI  - There is no surrender or capitulation possible nor any kind of "
                    "understanding based "
                    "on coercion or intimidation",
                    "PY  - 2026",
                    "DA  - 2026/01//",
                    "M3  - Memorial for the Cuban security guards killed in Caracas, Cuba",
                    f"T2  - {TITLE}",
                    "PB  - Internewscast",
                    f"N1  - Quoted in {ARTICLE_URL}",
                    "DB  - Verbatim",
                    f"UR  - {d}",
                    "Y2  - 2026/11/24",
                    "LA  - en",
                    "ER  - ",
                    "",
                ]
            ),
            "\r\n".join(
                [
                    "TY  - GEN",
                    "AU  - Lewin, Jeremy",
                    "TI  - has to make a choice to step down or to better provide for its people",
                    "PY  - 2026",
                    "DA  - 2026/01//",
                    "M3  - Statement",
                    f"T2  - {TITLE}",
                    "PB  - Internewscast",
                    f"N1  - Quoted in {ARTICLE_URL}",
                    "DB  - Verbatim",
                    f"UR  - {lw}",
                    "Y2  - 2026/11/24",
                    "LA  - en",
                    "ER  - ",
                    "",
                ]
            ),
        ],
    }


def expected_csl(trump: Quote, diaz: Quote, lewin: Quote) -> list[dict]:
    common = {
        "type": "speech",
        "archive": "Verbatim",
        "accessed": {"date-parts": [[2026, 11, 24]]},
        "language": "en",
        "container-title": TITLE,
        "publisher": "Internewscast",
        "note": f"Quoted in {ARTICLE_URL}",
    }
    return [
        {
            **common,
            "id": f"verbatim-q{trump.pk}",
            "type": "post",
            "title": "I strongly suggest they make a deal, BEFORE IT IS TOO LATE",
            "author": [{"family": "Trump", "given": "Donald"}],
            "genre": "Truth Social post by @realDonaldTrump",
            "event-title": "Truth Social post by @realDonaldTrump",
            "URL": f"http://testserver/q/{trump.pk}/",
            "issued": {"date-parts": [[2026, 1, 11]]},
        },
        {
            **common,
            "id": f"verbatim-q{diaz.pk}",
            "title": diaz.text,
            "author": [{"family": "Díaz-Canel", "given": "Miguel"}],
            "genre": "Memorial for the Cuban security guards killed in Caracas, Cuba",
            "event-title": "Memorial for the Cuban security guards killed in Caracas",
            "event-place": "Cuba",
            "URL": f"http://testserver/q/{diaz.pk}/",
            "issued": {"date-parts": [[2026, 1]]},
        },
        {
            **common,
            "id": f"verbatim-q{lewin.pk}",
            "title": lewin.text,
            "author": [{"family": "Lewin", "given": "Jeremy"}],
            "genre": "Statement",
            "URL": f"http://testserver/q/{lewin.pk}/",
            "issued": {"date-parts": [[2026, 1]]},
        },
    ]


@pytest.mark.parametrize("style", ["apa", "mla", "chicago", "bibtex", "ris"])
def test_demo_quotes_are_cited_as_written_by_hand(demo_quotes, style):
    wanted = expected(*demo_quotes)[style]
    assert [format_citation(record_for(q), style) for q in demo_quotes] == wanted


def test_demo_quotes_in_csl_json(demo_quotes):
    got = [json.loads(format_citation(record_for(q), "csl-json"))[0] for q in demo_quotes]
    assert got == expected_csl(*demo_quotes)


def _record(**changes) -> CitableQuote:
    base = {
        "pk": 7,
        "text": "We will win?",
        "speaker": "Jean-Paul Sartre",
        "said_on": datetime.date(1964, 1, 1),
        "precision": Quote.Precision.YEAR,
        "venue": "",
        "venue_kind": "",
        "location": "",
        "language": "fr",
        "source": CitableSource(
            title="Entretien",
            publisher="Le Monde",
            author="Ann Author",
            url="https://lemonde.example/a",
            published_on=datetime.date(1964, 4, 18),
            primary=True,
        ),
        "permalink": "https://verbatim.example/q/7/",
        "accessed_on": ACCESSED,
    }
    return CitableQuote(**{**base, **changes})


def test_year_precision_hyphenated_initials_and_a_primary_source():
    assert format_citation(_record(), "apa") == (
        "Sartre, J.-P. (1964). We will win? [Statement]. In Entretien. Le Monde (1964, April 18). "
        "https://lemonde.example/a Retrieved November 24, 2026, from Verbatim: https://verbatim.example/q/7/"
    )
    assert format_citation(_record(), "mla").startswith(
        "Sartre, Jean-Paul. “We will win?” 1964. In “Entretien,” by Ann Author, Le Monde, 18 Apr. 1964, "
        "lemonde.example/a."
    )
    assert (
        "In Ann Author, “Entretien,” Le Monde, April 18, 1964. https://lemonde.example/a."
        in format_citation(_record(), "chicago")
    )


def test_organisations_are_never_inverted_and_unknown_dates_say_so():
    record = _record(speaker="Government of Cuba", said_on=None, precision=Quote.Precision.UNKNOWN)
    assert format_citation(record, "apa").startswith("Government of Cuba. (n.d.). We will win?")
    assert format_citation(record, "mla").startswith("Government of Cuba. “We will win?” In “Entretien,”")
    assert "author = {{Government of Cuba}}" in format_citation(record, "bibtex")
    assert "year =" not in format_citation(record, "bibtex")
    assert "AU  - Government of Cuba\r\n" in format_citation(record, "ris")
    assert json.loads(format_citation(record, "csl-json"))[0]["author"] == [{"literal": "Government of Cuba"}]


def test_long_quotes_are_cited_by_their_first_twenty_words():
    words = [f"w{i}" for i in range(30)]
    citation = format_citation(_record(text=" ".join(words)), "apa")
    assert " ".join(words[:20]) + "… [Statement]" in citation
    assert "w20" not in citation


def test_bibtex_escapes_tex_specials():
    citation = format_citation(_record(text="50% of $ & {x} #1 a_b"), "bibtex")
    assert r"title = {{50\% of \$ \& \{x\} \#1 a\_b}}" in citation


def test_retracted_quotes_are_cited_as_retracted():
    record = _record(retracted=True)
    for style in ("apa", "mla", "chicago"):
        assert "Retracted by the archive." in format_citation(record, style)
    assert json.loads(format_citation(record, "csl-json"))[0]["status"] == "retracted"


@pytest.mark.django_db
def test_primary_source_is_preferred_to_secondary():
    quote = make_quote("Words")
    cite(quote, make_source(title="Report"), role=Citation.Role.SECONDARY)
    cite(quote, make_source(title="Own transcript"), role=Citation.Role.PRIMARY)
    record = record_for(Quote.objects.prefetch_related("citations__source").get(pk=quote.pk))
    assert record.source.title == "Own transcript"
    assert record.source.primary


@pytest.mark.django_db
def test_a_quote_without_sources_is_cited_from_the_archive_alone():
    quote = make_quote("Unsourced words", speaker=make_speaker("Ada Lovelace"))
    citation = format_citation(record_for(quote), "apa")
    assert citation == (
        "Lovelace, A. (2024, May 17). Unsourced words [Statement]. "
        f"Retrieved November 24, 2026, from Verbatim: http://testserver/q/{quote.pk}/"
    )


def test_unknown_style_is_refused():
    with pytest.raises(ValueError, match="known: apa, mla"):
        format_citation(_record(), "harvard")


# --- the API --------------------------------------------------------------------------------

CONTENT_TYPES = {
    "apa": "text/plain; charset=utf-8",
    "mla": "text/plain; charset=utf-8",
    "chicago": "text/plain; charset=utf-8",
    "bibtex": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json",
}


@pytest.mark.parametrize("style", STYLES)
def test_cite_endpoint_serves_each_style_with_its_content_type(client, demo_quotes, style):
    trump = demo_quotes[0]
    response = client.get(f"/api/v1/quotes/{trump.pk}/cite/", {"style": style})
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPES[style]
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode()
    assert "Trump" in body
    assert f"testserver/q/{trump.pk}/" in body


def test_cite_endpoint_uses_todays_access_date(client, demo_quotes):
    from django.utils import timezone

    today = timezone.localdate()
    body = client.get(f"/api/v1/quotes/{demo_quotes[0].pk}/cite/", {"style": "bibtex"}).content.decode()
    assert f"urldate = {{{today.isoformat()}}}" in body


@pytest.mark.parametrize("style", ["", "harvard", "APA", "apa\x00"])
def test_unknown_style_is_a_400_listing_the_known_ones(client, demo_quotes, style):
    response = client.get(f"/api/v1/quotes/{demo_quotes[0].pk}/cite/", {"style": style})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_style"
    assert "apa, mla, chicago, bibtex, ris, csl-json" in error["fields"]["style"][0]


@pytest.mark.parametrize("status", [Quote.Status.DRAFT, Quote.Status.IN_REVIEW])
def test_unpublished_quotes_cannot_be_cited(client, db, status):
    quote = make_quote("Not yet public", status=status)
    response = client.get(f"/api/v1/quotes/{quote.pk}/cite/", {"style": "apa"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/quotes/999999999/cite/", {"style": "apa"}).status_code == 404
    assert client.get("/api/v1/quotes/99999999999999999999999/corrections/").status_code == 404


def test_retracted_quotes_remain_citable_and_say_so(client, db):
    quote = make_quote("Withdrawn words", status=Quote.Status.RETRACTED)
    response = client.get(f"/api/v1/quotes/{quote.pk}/cite/", {"style": "mla"})
    assert response.status_code == 200
    assert "Retracted by the archive." in response.content.decode()


def test_source_title_with_markup_stays_plain_text_in_citations(client, db):
    quote = make_quote("Plain")
    Source.objects.filter(pk=cite(quote).source_id).update(title="<script>alert(1)</script>")
    response = client.get(f"/api/v1/quotes/{quote.pk}/cite/", {"style": "apa"})
    assert response["Content-Type"].startswith("text/plain")
    assert response["X-Content-Type-Options"] == "nosniff"
