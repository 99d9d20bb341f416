"""Preserved copies of sources: fetched from a local HTTP server, or given by an editor."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from archive.models import Snapshot
from archive.services import add_manual_copy, snapshot_source
from tests.archive.conftest import ARTICLE_HTML
from tests.factories import make_source

pytestmark = pytest.mark.django_db
open_guard = override_settings(FETCH_ALLOW_PRIVATE_ADDRESSES=True)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF whose page shows `text` (built by hand: no PDF writer needed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@open_guard
def test_snapshot_keeps_the_article_text_without_navigation_or_ads(site):
    source = make_source(site.serve("/politics/budget", ARTICLE_HTML))
    snapshot = snapshot_source(source=source)
    assert snapshot.succeeded, snapshot.failure_reason
    assert "“We will not balance the books on the backs of nurses,” she told members" in snapshot.text
    for clutter in ("SuperPhone", "Cheap flights", "Subscribe now", "All rights reserved", "Most read"):
        assert clutter not in snapshot.text
    assert snapshot.http_status == 200
    assert snapshot.content_type.startswith("text/html")
    assert snapshot.size == len(ARTICLE_HTML.encode())
    assert len(snapshot.sha256) == 64
    assert bytes(snapshot.body) == ARTICLE_HTML.encode()
    assert re.fullmatch(
        r"https://web\.archive\.org/web/\d{14}/" + re.escape(source.url), snapshot.wayback_url
    )


@open_guard
def test_snapshot_records_the_final_url_after_redirects(site):
    final = site.serve("/2025/03/budget", ARTICLE_HTML)
    source = make_source(site.redirect("/short/b", "/2025/03/budget", status=301))
    snapshot = snapshot_source(source=source)
    assert snapshot.succeeded
    assert (snapshot.requested_url, snapshot.final_url) == (source.url, final)


@open_guard
def test_a_changed_page_adds_a_snapshot_and_an_unchanged_one_does_not(site):
    source = make_source(site.serve("/live", "First version of the statement.", content_type="text/plain"))
    first = snapshot_source(source=source)
    again = snapshot_source(source=source)
    assert again.pk == first.pk and again.unchanged
    assert source.snapshots.count() == 1

    site.serve("/live", "Second version, corrected.", content_type="text/plain")
    second = snapshot_source(source=source)
    assert not second.unchanged and second.pk != first.pk
    assert second.text == "Second version, corrected."
    assert list(source.snapshots.values_list("text", flat=True)) == [
        "Second version, corrected.",
        "First version of the statement.",
    ]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:9/x", "loopback"),
        ("http://10.0.0.1/x", "private network"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ],
)
def test_refused_fetches_are_recorded_as_failed_snapshots(url, reason):
    source = make_source(url)
    snapshot = snapshot_source(source=source)
    assert not snapshot.succeeded
    assert reason in snapshot.failure_reason
    assert Snapshot.objects.get(pk=snapshot.pk).failure_reason == snapshot.failure_reason
    assert snapshot.text == "" and snapshot.sha256 == ""


def test_a_redirect_to_metadata_is_recorded_as_a_failure(site):
    source = make_source(site.redirect("/r", "http://169.254.169.254/latest/meta-data/"))
    with override_settings(FETCH_PRIVATE_ENDPOINT_ALLOWLIST=[site.endpoint]):
        snapshot = snapshot_source(source=source)
    assert "refused" in snapshot.failure_reason and "169.254.169.254" in snapshot.failure_reason
    assert snapshot.final_url == "http://169.254.169.254/latest/meta-data/"


@open_guard
@override_settings(FETCH_MAX_BYTES=2048)
def test_an_oversized_page_is_recorded_as_a_failure(site):
    source = make_source(site.serve("/huge", ARTICLE_HTML * 10))
    snapshot = snapshot_source(source=source)
    assert "too large" in snapshot.failure_reason


@open_guard
@override_settings(FETCH_TOTAL_TIMEOUT=0.5)
def test_a_timeout_is_recorded_as_a_failure(site):
    source = make_source(site.serve("/slow", ARTICLE_HTML, delay=2))
    snapshot = snapshot_source(source=source)
    assert snapshot.failure_reason.startswith("timed out")


@open_guard
def test_an_unsupported_document_is_kept_with_a_reason(site):
    source = make_source(site.serve("/photo", b"\x89PNG....", content_type="image/png"))
    snapshot = snapshot_source(source=source)
    assert "unsupported content type 'image/png'" in snapshot.failure_reason
    assert snapshot.sha256 and snapshot.text == ""


@open_guard
def test_a_pdf_source_gives_its_text(site):
    source = make_source(
        site.serve("/report.pdf", minimal_pdf("Hello from the report"), content_type="application/pdf")
    )
    snapshot = snapshot_source(source=source)
    assert snapshot.succeeded, snapshot.failure_reason
    assert "Hello from the report" in snapshot.text


def test_an_editor_can_paste_a_transcript(editor):
    source = make_source()
    snapshot = add_manual_copy(
        source=source, text="CHAIR: The hearing is open.\nMINISTER: Thank you.", user=editor
    )
    assert snapshot.method == Snapshot.Method.MANUAL and snapshot.created_by == editor
    assert snapshot.text.startswith("CHAIR: The hearing is open.")
    assert add_manual_copy(source=source, text="CHAIR: The hearing is open.\nMINISTER: Thank you.").unchanged


def test_an_editor_can_upload_html_and_pdf_copies(editor):
    source = make_source()
    html = add_manual_copy(
        source=source, file=SimpleUploadedFile("page.html", ARTICLE_HTML.encode(), "text/html"), user=editor
    )
    assert "backs of nurses" in html.text and "SuperPhone" not in html.text
    pdf = add_manual_copy(
        source=source,
        file=SimpleUploadedFile("r.pdf", minimal_pdf("Signed statement"), "application/octet-stream"),
        user=editor,
    )
    assert pdf.content_type == "application/pdf" and "Signed statement" in pdf.text
    assert source.snapshots.count() == 2


def test_a_manual_copy_needs_text_or_a_file():
    with pytest.raises(ValueError, match="Paste the text"):
        add_manual_copy(source=make_source(), text="   ")


@open_guard
def test_snapshot_sources_command(site, capsys):
    fresh = make_source(site.serve("/one", "One.", content_type="text/plain"))
    broken = make_source(site.url("/gone"))
    call_command("snapshot_sources")
    out = capsys.readouterr().out
    assert "1 new, 0 unchanged, 1 failed" in out and "HTTP 404" in out
    call_command("snapshot_sources", "--stale-days", "7")
    assert "0 new, 0 unchanged, 1 failed" in capsys.readouterr().out  # only the broken one is due
    call_command("snapshot_sources", "--source", str(fresh.pk))
    assert "0 new, 1 unchanged, 0 failed" in capsys.readouterr().out
    assert broken.snapshots.count() == 2 and fresh.snapshots.count() == 1


@open_guard
def test_admin_action_fetches_a_copy_and_rechecks_citations(site, client, superuser):
    from quotes.models import Quote
    from tests.factories import cite, make_quote

    source = make_source(site.serve("/politics/budget", ARTICLE_HTML))
    quote = make_quote("We will not balance the books on the backs of nurses")
    cite(quote, source, role="primary")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:archive_source_changelist"),
        {"action": "fetch_copy_now", "_selected_action": [source.pk]},
        follow=True,
    )
    assert "new copy preserved" in response.content.decode()
    assert source.snapshots.get().succeeded
    assert quote.citations.get().match == "verbatim"
    assert Quote.objects.get(pk=quote.pk).verification == "verified"


def test_admin_manual_copy_form(client, superuser):
    source = make_source()
    client.force_login(superuser)
    add_url = reverse("admin:archive_snapshot_add")
    response = client.post(add_url, {"source": source.pk, "text": ""})
    assert "Paste the text of the source or upload a file." in response.content.decode()
    upload = SimpleUploadedFile("page.html", ARTICLE_HTML.encode(), "text/html")
    response = client.post(add_url, {"source": source.pk, "text": "", "file": upload})
    assert response.status_code == 302
    snapshot = source.snapshots.get()
    assert snapshot.method == "manual" and snapshot.created_by == superuser
    assert "backs of nurses" in snapshot.text
    page = client.get(reverse("admin:archive_snapshot_change", args=[snapshot.pk])).content.decode()
    assert "backs of nurses" in page


def test_a_copy_of_a_source_id_past_a_bigint_is_a_form_error_not_a_500(client, superuser):
    """SQLite refuses to look such a number up (OverflowError); no source can have it."""
    client.force_login(superuser)
    response = client.post(reverse("admin:archive_snapshot_add"), {"source": str(2**64), "method": "manual"})
    assert response.status_code == 200
    assert "Select a valid choice" in " ".join(response.context["adminform"].form.errors["source"])
