from quotes.models.api import ApiToken, IdempotencyRecord
from quotes.models.citations import Citation
from quotes.models.quotes import QUOTE_MAX_LENGTH, Quote, QuoteAbout
from quotes.models.speakers import Speaker
from quotes.models.venues import Tag, Venue

__all__ = [
    "QUOTE_MAX_LENGTH",
    "ApiToken",
    "Citation",
    "IdempotencyRecord",
    "Quote",
    "QuoteAbout",
    "Speaker",
    "Tag",
    "Venue",
]
