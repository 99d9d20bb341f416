"""Copies whose bytes are not text: filed as unsupported, never kept as text to check quotes against.

Browsers send an unknown file as application/octet-stream (and a misnamed one as text/plain); a
server may too. On PostgreSQL a NUL byte in the text column is an error, so no extracted text
ever holds one.
"""

import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from archive.extract import extract_text, sniff_content_type
from archive.services import add_manual_copy, latest_successful_snapshot, snapshot_source
from tests.archive.test_snapshots import minimal_pdf
from tests.factories import make_source

pytestmark = pytest.mark.django_db
open_guard = override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=True)


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A real (tiny, grey) PNG image."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + bytes([128]) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = png_bytes()
NOT_UTF8 = bytes(range(0x80, 0x100)) * 16  # no NUL, no magic number, nothing decodes
WITH_NUL = b"looks like text\x00\x01\x02 but is a record\x00\x00\x00" * 20


def upload(name: str, body: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, body, content_type)


@pytest.mark.parametrize(
    "name, body, declared, filed_as",
    [
        ("doc.bin", PNG, "application/octet-stream", "image/png"),
        ("doc.bin", PNG, "", "image/png"),
        ("notes.txt", PNG, "text/plain", "image/png"),  # misnamed: the browser guessed from the name
        ("page.html", PNG, "application/octet-stream", "image/png"),
        ("blob.bin", WITH_NUL, "application/octet-stream", "application/octet-stream"),
        ("blob.bin", NOT_UTF8, "application/octet-stream", "application/octet-stream"),
        ("archive.bin", b"PK\x03\x04" + b"x" * 100, "application/octet-stream", "application/zip"),
    ],
    ids=["png-octets", "png-untyped", "png-as-txt", "png-as-html", "nul-bytes", "not-utf8", "zip"],
)
def test_a_binary_upload_is_filed_as_an_unsupported_type(editor, name, body, declared, filed_as):
    source = make_source()
    snapshot = add_manual_copy(source=source, file=upload(name, body, declared), user=editor)
    assert snapshot.content_type == filed_as
    assert snapshot.failure_reason == f"unsupported content type {filed_as!r}: no text extracted"
    assert snapshot.text == ""
    assert bytes(snapshot.body) == body and snapshot.size == len(body)  # the evidence is kept as given
    assert latest_successful_snapshot(source=source) is None  # nothing to check quotes against


def test_png_bytes_sent_as_octet_stream_end_as_if_sent_as_image_png(editor):
    as_octets = add_manual_copy(source=make_source(), file=upload("doc.bin", PNG), user=editor)
    as_png = add_manual_copy(source=make_source(), file=upload("doc.png", PNG, "image/png"), user=editor)
    assert (as_octets.content_type, as_octets.failure_reason, as_octets.text) == (
        as_png.content_type,
        as_png.failure_reason,
        as_png.text,
    )


def test_a_binary_upload_does_not_replace_the_latest_good_copy(editor):
    source = make_source()
    good = add_manual_copy(source=source, text="MINISTER: We will not raise taxes.", user=editor)
    add_manual_copy(source=source, file=upload("doc.bin", PNG), user=editor)
    assert latest_successful_snapshot(source=source) == good
    assert source.latest_snapshot == good


@pytest.mark.parametrize(
    "name, body, expected_text",
    [
        (
            "statement.txt",
            b"MINISTER: We will not raise taxes.",
            "MINISTER: We will not raise taxes.",
        ),
        ("statement.bin", "Le ministre a déclaré : « Non. »".encode(), "Le ministre a déclaré : « Non. »"),
        ("utf16.txt", "\ufeffMINISTER: Thank you.".encode("utf-16-le"), "MINISTER: Thank you."),
        ("utf16.txt", "MINISTER: Thank you.".encode("utf-16"), "MINISTER: Thank you."),  # with its BOM
        # Latin-1 without a charset: a few undecodable bytes are tolerated (and replaced).
        (
            "latin1.txt",
            ("The minister said: " + "no " * 40 + "caf\xe9.").encode("latin-1"),
            "The minister said",
        ),
    ],
    ids=["ascii", "utf8", "utf16-le-bom", "utf16-bom", "latin1"],
)
def test_text_sent_as_octet_stream_is_still_text(editor, name, body, expected_text):
    snapshot = add_manual_copy(source=make_source(), file=upload(name, body), user=editor)
    assert snapshot.succeeded, snapshot.failure_reason
    assert snapshot.text.lstrip("\ufeff").startswith(expected_text)
    assert "\x00" not in snapshot.text


def test_an_admin_upload_of_binary_bytes_is_kept_with_a_reason(client, superuser):
    source = make_source()
    client.force_login(superuser)
    response = client.post(
        reverse("admin:archive_snapshot_add"),
        {"source": source.pk, "text": "", "file": upload("doc.bin", PNG)},
        follow=True,
    )
    assert response.status_code == 200
    assert "unsupported content type &#x27;image/png&#x27;" in response.content.decode()
    snapshot = source.snapshots.get()
    assert snapshot.text == "" and not snapshot.succeeded


# --- NUL bytes never reach the text column ---------------------------------------------------------


def test_extracted_text_never_holds_a_nul_byte():
    assert extract_text(b"CHAIR:\x00 order.", "text/plain; charset=utf-8").text == "CHAIR: order."
    assert (
        extract_text("CHAIR:\x00 order.".encode("utf-16"), "text/plain; charset=utf-16").text
        == "CHAIR: order."
    )
    pdf = extract_text(minimal_pdf("Signed\\000 statement"), "application/pdf")
    assert "Signed" in pdf.text and "\x00" not in pdf.text


def test_pasted_text_with_a_nul_byte_is_stored_without_it(editor):
    snapshot = add_manual_copy(source=make_source(), text="CHAIR: The hearing\x00 is open.", user=editor)
    assert snapshot.succeeded and snapshot.text == "CHAIR: The hearing is open."


def test_sniffing_names_the_common_cases():
    assert sniff_content_type(minimal_pdf("x"), "x.bin") == "application/pdf"
    assert sniff_content_type(b"<!DOCTYPE html><p>x</p>", "x.bin") == "text/html"
    assert sniff_content_type(b"\xef\xbb\xbf<html><p>x</p>", "x.bin") == "text/html"  # after a UTF-8 BOM
    assert sniff_content_type(b"plain words", "page.html") == "text/html"
    assert sniff_content_type(b"plain words", "x.bin") == "text/plain; charset=utf-8"
    assert sniff_content_type(b"\xff\xd8\xff\xe0\x00\x10JFIF", "x.txt") == "image/jpeg"
    assert sniff_content_type(b"GIF89a\x01\x00", "x.txt") == "image/gif"
    assert sniff_content_type(b"", "empty.bin") == "text/plain; charset=utf-8"


# --- The fetch path sniffs the same way --------------------------------------------------------------


@open_guard
@pytest.mark.parametrize(
    "body, served_as, filed_as",
    [
        (PNG, "application/octet-stream", "image/png"),
        (PNG, "text/plain", "image/png"),
        (WITH_NUL, "text/plain; charset=utf-8", "application/octet-stream"),
        (PNG, "", "image/png"),
    ],
    ids=["png-octets", "png-as-text", "nul-bytes-as-utf8-text", "png-untyped"],
)
def test_a_fetched_binary_page_is_filed_as_unsupported(site, body, served_as, filed_as):
    source = make_source(site.serve("/download", body, content_type=served_as))
    snapshot = snapshot_source(source=source)
    assert snapshot.failure_reason == f"unsupported content type {filed_as!r}: no text extracted"
    assert snapshot.text == "" and snapshot.sha256  # kept, with the reason
    assert latest_successful_snapshot(source=source) is None


@open_guard
def test_a_fetched_pdf_served_as_octet_stream_gives_its_text(site):
    source = make_source(
        site.serve("/report", minimal_pdf("Hello from the report"), content_type="application/octet-stream")
    )
    snapshot = snapshot_source(source=source)
    assert snapshot.succeeded, snapshot.failure_reason
    assert "Hello from the report" in snapshot.text


@open_guard
def test_nul_bytes_from_a_hostile_server_never_reach_a_text_column(site):
    site.serve("/typed", "Words.", content_type="text/plain\x00")
    typed = snapshot_source(source=make_source(site.url("/typed")))
    assert typed.succeeded and typed.content_type == "text/plain"
    redirected = snapshot_source(source=make_source(site.redirect("/hop", "/next\x00page")))
    assert not redirected.succeeded
    assert "\x00" not in redirected.failure_reason + redirected.final_url
