"""Text normalization shared by matching, de-duplication and search.

The normalized form is *derived* for comparison only; the verbatim text a person typed is
never replaced by it.
"""

import re
import unicodedata

# Typographic characters folded to their plain equivalents before comparison.
_FOLD = str.maketrans(
    {
        "\u2018": "'",  # left single quotation mark
        "\u2019": "'",  # right single quotation mark / apostrophe
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",  # prime
        "\u00b4": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": "'",
        "\u203a": "'",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",  # figure dash
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",  # horizontal bar
        "\u2212": "-",  # minus sign
        "\u2026": "...",  # ellipsis (NFKC also does this)
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\u200c": None,
        "\u200d": None,
        "\ufeff": None,
    }
)
_WHITESPACE = re.compile(r"\s+")
_COMBINING = re.compile(r"[\u0300-\u036f]")


def normalize_text(text: str) -> str:
    """NFKC, typographic quotes/dashes/ellipses folded, whitespace collapsed, case-folded."""
    folded = unicodedata.normalize("NFKC", text or "").translate(_FOLD)
    return _WHITESPACE.sub(" ", folded).strip().casefold()


def strip_accents(text: str) -> str:
    """Remove combining marks: 'Díaz' becomes 'Diaz'."""
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", _COMBINING.sub("", decomposed))


def search_form(text: str) -> str:
    """The form indexed for full-text search and fuzzy lookup: normalized and accent-free."""
    return strip_accents(normalize_text(text))
