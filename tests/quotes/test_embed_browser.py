"""A real browser embeds a demo quote through its oEmbed html, as another site would.

Needs Debian's `chromium` (`.ci/run` installs it); without it the test is skipped and says so.
Screenshots of the card, light and dark at 320 and 800 px, are written to var/screenshots/.
"""

import json
import os
import shutil
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings

from quotes.demo import load_demo
from quotes.models import Quote

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


def chromium_or_skip() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.skip("chromium not installed: browser tests skipped")
    return CHROMIUM


class HostSite:
    """Another site's page, served from its own origin, that pastes our oEmbed html."""

    def __init__(self, body: str):
        page = (
            "<!doctype html><html><head><title>A blog</title></head>"
            f"<body><h1>A blog post</h1>{body}</body></html>"
        )
        encoded = page.encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/post.html"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : rgb.index(")")].split(",")[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2 contrast ratio of two computed CSS colours ("rgb(r, g, b)")."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def fetch_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own live server
        return json.load(response)


def test_a_demo_quote_embedded_through_oembed_is_visible(live_server, transactional_db):
    executable = chromium_or_skip()
    playwright = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed: browser tests skipped"
    )
    expect, sync_playwright = playwright.expect, playwright.sync_playwright
    load_demo()
    quote = Quote.objects.select_related("speaker").get(speaker__slug="donald-trump")
    permalink = f"{live_server.url}/q/{quote.pk}/"
    oembed = fetch_json(f"{live_server.url}/oembed?{urllib.parse.urlencode({'url': permalink})}")
    assert oembed["type"] == "rich"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]

    with HostSite(oembed["html"]) as host, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=args, headless=True)
        try:
            page = browser.new_page()
            page.goto(host.url)
            frame = page.frame_locator("iframe")
            expect(frame.locator("blockquote")).to_contain_text(quote.text)
            expect(frame.locator("blockquote")).to_be_visible()
            expect(frame.locator("figcaption")).to_contain_text("Donald Trump")
            # The oEmbed height fits the card: the link back to the record is not clipped.
            iframe_box = page.locator("iframe").bounding_box()
            record_box = frame.locator(".record").bounding_box()
            assert record_box["y"] + record_box["height"] <= iframe_box["y"] + iframe_box["height"]
            page.screenshot(path=str(SCREENSHOTS / "embed-in-host-page.png"))
            backgrounds = {}
            for scheme in ("light", "dark"):
                for width in (320, 800):
                    card = browser.new_page(viewport={"width": width, "height": 400}, color_scheme=scheme)
                    card.goto(f"{live_server.url}/embed/q/{quote.pk}/")
                    expect(card.locator("blockquote")).to_be_visible()
                    # Nothing wider than the frame: readable without sideways scrolling.
                    assert card.evaluate("document.documentElement.scrollWidth") <= width
                    backgrounds[scheme] = card.evaluate("getComputedStyle(document.body).backgroundColor")
                    for selector in ("blockquote", "figcaption", ".meta", ".source a", ".record a"):
                        color = card.evaluate(
                            "s => getComputedStyle(document.querySelector(s)).color", selector
                        )
                        # WCAG AA for normal text, in both schemes.
                        assert contrast(color, backgrounds[scheme]) >= 4.5, (scheme, selector, color)
                    card.screenshot(path=str(SCREENSHOTS / f"embed-{scheme}-{width}.png"), full_page=True)
                    card.close()
            assert backgrounds["light"] == "rgb(255, 255, 255)"
            assert backgrounds["dark"] == "rgb(21, 23, 26)"
            forced = browser.new_page(color_scheme="light")
            forced.goto(f"{live_server.url}/embed/q/{quote.pk}/?theme=dark")
            assert forced.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(21, 23, 26)"
            forced.close()
        finally:
            browser.close()
    for scheme in ("light", "dark"):
        for width in (320, 800):
            assert (SCREENSHOTS / f"embed-{scheme}-{width}.png").stat().st_size > 1000
