import pytest
from django.core.management import call_command

from archive.models import Snapshot, Source
from quotes.models import Citation, Quote, Speaker

pytestmark = pytest.mark.django_db


def test_demo_loads_three_published_quotes_verbatim(demo):
    texts = set(Quote.objects.filter(status="published").values_list("text", flat=True))
    assert "I strongly suggest they make a deal, BEFORE IT IS TOO LATE" in texts
    assert len(texts) == 3
    diaz = Speaker.objects.get(slug="miguel-diaz-canel")
    assert diaz.name == "Miguel Díaz-Canel"


def test_demo_dates_are_as_precise_as_the_article_allows(demo):
    trump = Quote.objects.get(speaker__slug="donald-trump")
    assert (str(trump.said_on), trump.date_precision) == ("2026-01-11", "day")
    assert trump.venue.kind == "social_media_post"
    lewin = Quote.objects.get(speaker__slug="jeremy-lewin")
    assert (str(lewin.said_on), lewin.date_precision) == ("2026-01-01", "month")


def test_demo_article_copy_keeps_its_typography(demo):
    snapshot = Snapshot.objects.get()
    assert "‘I strongly suggest they make a deal, BEFORE IT IS TOO LATE,’" in snapshot.text
    assert "Díaz-Canel" in snapshot.text and "–" in snapshot.text


def test_load_demo_twice_creates_nothing_new(capsys):
    call_command("load_demo")
    first = capsys.readouterr().out
    assert "password" in first
    counts = [m.objects.count() for m in (Quote, Speaker, Source, Citation, Snapshot)]
    call_command("load_demo")
    second = capsys.readouterr().out
    assert "nothing new" in second and "password" not in second
    assert [m.objects.count() for m in (Quote, Speaker, Source, Citation, Snapshot)] == counts
