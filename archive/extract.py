"""The main text of a preserved document: what a reader would read, without menus or ads."""

import codecs
import io
import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)

HTML_TYPES = {"text/html", "application/xhtml+xml"}
PLAIN_TYPES = {"text/plain", "text/markdown"}
PDF_TYPES = {"application/pdf"}
#: What a browser or a server says when it does not know what a file is.
UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}

#: The opening bytes of common binary files, and their types (PDF is read, so it is not here).
BINARY_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),  # also docx, xlsx, odt, epub
    (b"\x1f\x8b", "application/gzip"),
    (b"7z\xbc\xaf\x27\x1c", "application/x-7z-compressed"),
    (b"Rar!\x1a\x07", "application/vnd.rar"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),  # doc, xls, msg
    (b"\x7fELF", "application/x-executable"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
    (b"wOFF", "font/woff"),
    (b"wOF2", "font/woff2"),
]
#: Byte-order marks of text in UTF-16 or UTF-32 (whose ASCII letters come with NUL bytes).
WIDE_TEXT_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
SNIFF_BYTES = 8192
#: Text in a legacy encoding (Latin-1 accents) has some bytes that are not UTF-8; binary data has
#: far more, or control characters. Above this share of the sample, the bytes are not text.
NOT_TEXT_SHARE = 0.10
TEXT_CONTROLS = {"\t", "\n", "\r", "\f", "\v", "\x1b"}


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
    """A content type for a document nobody named, from its first bytes or else its file name.

    Bytes that are not text get a binary type (image/png, or application/octet-stream), which
    `extract_text` files as unsupported: they must never become a copy quotes are checked against.
    """
    head = body[:512].removeprefix(codecs.BOM_UTF8).lstrip().lower()
    name = filename.lower()
    if head.startswith(b"%pdf"):
        return "application/pdf"
    for signature, kind in BINARY_SIGNATURES:
        if body.startswith(signature):
            return kind
    for bom, charset in WIDE_TEXT_BOMS:
        if body.startswith(bom):
            return f"text/plain; charset={charset}"
    if head.startswith((b"<!doctype html", b"<html")):
        return "text/html"
    if not looks_like_text(body):
        return "application/octet-stream"
    if name.endswith(".pdf"):
        return "application/pdf"
    if name.endswith((".html", ".htm")):
        return "text/html"
    return "text/plain; charset=utf-8"


def looks_like_text(body: bytes, charset: str | None = None) -> bool:
    """Whether the first bytes of `body` read as text: no NUL, few control characters and (without
    a charset saying otherwise) few bytes that are not UTF-8."""
    sample = body[:SNIFF_BYTES]
    if not sample:
        return True
    if (charset or "").lower().replace("_", "-").startswith(("utf-16", "utf-32")):
        return True  # NUL bytes are part of the encoding; decode() reads it
    if b"\x00" in sample:
        return False
    if charset and charset.lower().replace("_", "-") not in ("utf-8", "utf8", "us-ascii", "ascii"):
        try:
            text = sample.decode(charset, errors="replace")
        except LookupError:
            text = sample.decode("utf-8", errors="replace")
    else:
        # An incremental decoder: a character cut at the sample's end is not counted as an error.
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        text = decoder.decode(sample, final=len(body) <= SNIFF_BYTES)
    undecodable = max(0, text.count("\ufffd") - sample.count("\ufffd".encode()))
    controls = sum(1 for ch in text if ch < " " and ch not in TEXT_CONTROLS)
    return undecodable + controls <= NOT_TEXT_SHARE * len(text)


def content_type_for(body: bytes, declared: str, filename: str = "") -> str:
    """The type to read `body` as: `declared`, unless it says nothing (application/octet-stream)
    or calls bytes that are not text plain text; then what the bytes themselves show."""
    kind = media_type(declared)
    if kind in UNKNOWN_TYPES:
        return sniff_content_type(body, filename)
    if _is_plain_text(kind) and not looks_like_text(body, charset_of(declared)):
        return sniff_content_type(body, filename)
    return declared


def _is_plain_text(kind: str) -> bool:
    return kind in PLAIN_TYPES or (kind.startswith("text/") and kind not in HTML_TYPES)


def decode(body: bytes, content_type: str) -> str:
    charset = charset_of(content_type) or "utf-8"
    try:
        return body.decode(charset)
    except (LookupError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


def extract_text(body: bytes, content_type: str) -> Extraction:
    """Main text of `body` according to its content type; never raises.

    The text never holds a NUL character: PostgreSQL refuses one in a text column, and no reader
    of a quote needs it (PDFs and stray bytes in text files produce them)."""
    extraction = _extract(body, content_type)
    extraction.text = extraction.text.replace("\x00", "").strip()
    extraction.failure_reason = extraction.failure_reason.replace("\x00", "")
    return extraction


def _extract(body: bytes, content_type: str) -> Extraction:
    kind = media_type(content_type)
    try:
        if kind in HTML_TYPES:
            return _from_html(body)
        if _is_plain_text(kind):
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
