"""Dates of imported records: a day seen before skips the parse, never the checks."""

import datetime

import pytest

from quotes.importing.records import Rejected, clean_date


def test_a_day_seen_before_still_has_its_time_checked():
    assert clean_date("2015-08-31 11:29:36", "date") == datetime.date(2015, 8, 31)
    assert clean_date("2015-08-31 23:59:59", "date") == datetime.date(2015, 8, 31)
    assert clean_date("2015-08-31", "date") == datetime.date(2015, 8, 31)
    for bad in ("2015-08-31 24:00:00", "2015-08-31 11:60:00", "2015-08-31 11:29:3x", "2015-08-31 1:29:360"):
        with pytest.raises(Rejected, match="malformed date"):
            clean_date(bad, "date")


def test_other_iso_forms_are_read_as_before():
    assert clean_date("2015-08-31T11:29:36+02:00", "date") == datetime.date(2015, 8, 31)
    assert clean_date("2015-08-31 11:29:36.250", "date") == datetime.date(2015, 8, 31)
    assert clean_date("  2015-08-31  ", "date") == datetime.date(2015, 8, 31)
    assert clean_date("", "date") is None
    with pytest.raises(Rejected, match="malformed date"):
        clean_date("2015-02-30 11:29:36", "date")


def test_the_future_is_refused_every_time():
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()
    for _ in range(2):
        with pytest.raises(Rejected, match="in the future"):
            clean_date(f"{tomorrow} 10:00:00", "date")
