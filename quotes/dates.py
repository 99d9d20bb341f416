"""Dates at their real precision: 'January 2026' is stored as 2026-01-01 with precision 'month'."""

import datetime

from quotes.models import Quote


def format_said_on(said_on: datetime.date | None, precision: str) -> str:
    if said_on is None or precision == Quote.Precision.UNKNOWN:
        return "Date unknown"
    if precision == Quote.Precision.YEAR:
        return f"{said_on.year}"
    if precision == Quote.Precision.MONTH:
        return f"{said_on:%B} {said_on.year}"
    return f"{said_on.day} {said_on:%B} {said_on.year}"
