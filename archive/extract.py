"""The main text of a preserved document: what a reader would read, without menus or ads."""

import io
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
PLAIN_TYPES = {"text/plain", "text/markdown"}
PDF_TYPES = {"application/pdf"}


@dataclass
class Extraction:
    """The text found in a document, or why none could be found."""

    text: str = ""
    failure_reason: str = ""


def media_type(content_type: str) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def charset_of(content_type: str) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


def sniff_content_type(body: bytes, filename: str = "") -> str:
    """A content type for a file an editor uploaded, from its first bytes or its name."""
    head = body[:512].lstrip().lower()
    name = filename.lower()
    if head.startswith(b"%pdf") or name.endswith(".pdf"):
        return "application/pdf"
    if head.startswith((b"<!doctype html", b"<html")) or name.endswith((".html", ".htm")):
        return "text/html"
    return "text/plain; charset=utf-8"


def decode(body: bytes, content_type: str) -> str:
    charset = charset_of(content_type) or "utf-8"
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


def extract_text(body: bytes, content_type: str) -> Extraction:
    """Main text of `body` according to its content type; never raises."""
    kind = media_type(content_type)
    try:
        if kind in HTML_TYPES:
            return _from_html(body)
        if kind in PLAIN_TYPES or (kind.startswith("text/") and kind != "text/html"):
            return Extraction(text=decode(body, content_type).strip())
        if kind in PDF_TYPES:
            return _from_pdf(body)
    except Exception as exc:  # a broken document must not stop a batch of snapshots
        logger.warning("text extraction failed: %s", exc)
        return Extraction(failure_reason=f"could not extract text ({exc.__class__.__name__}: {exc})"[:500])
    return Extraction(failure_reason=f"unsupported content type {kind or 'unknown'!r}: no text extracted")


def _from_html(body: bytes) -> Extraction:
    import trafilatura

    text = trafilatura.extract(
        body,
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_links=False,
        deduplicate=True,
        favor_precision=True,
    )
    if not text:
        # Very short pages (a single statement) can fall under trafilatura's thresholds.
        text = trafilatura.extract(body, include_comments=False, favor_recall=True)
    if not text:
        return Extraction(failure_reason="no main text found in the HTML page")
    return Extraction(text=text.strip())


def _from_pdf(body: bytes) -> Extraction:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(body))
    pages = [(page.extract_text() or "").strip() for page in reader.pages]
    text = "\n\n".join(p for p in pages if p)
    if not text:
        return Extraction(failure_reason="the PDF has no extractable text (scanned images?)")
    return Extraction(text=text)
