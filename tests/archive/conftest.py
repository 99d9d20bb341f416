"""A real HTTP server on 127.0.0.1 serving pages the tests set up."""

import contextlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Page:
    def __init__(self, body=b"", status=200, content_type="text/html; charset=utf-8", headers=None, delay=0):
        self.body = body.encode() if isinstance(body, str) else body
        self.status = status
        self.content_type = content_type
        self.headers = headers or {}
        self.delay = delay


class LocalSite:
    """Pages by path; `url(path)` gives the address to fetch."""

    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                site.hits.append(self.path)
                page = site.pages.get(self.path)
                if page is None:
                    self.send_error(404)
                    return
                if page.delay:
                    time.sleep(page.delay)
                self.send_response(page.status)
                self.send_header("Content-Type", page.content_type)
                for name, value in page.headers.items():
                    self.send_header(name, value)
                if "Content-Length" not in page.headers:
                    self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(page.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def serve(self, path: str, body=b"", **kwargs) -> str:
        self.pages[path] = Page(body, **kwargs)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.serve(path, b"", status=status, headers={"Location": location})

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    local = LocalSite()
    yield local
    local.close()


ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Minister defends budget | Daily Ledger</title></head>
<body>
<header><nav class="menu"><ul>
  <li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li>
  <li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now for 1 dollar</a></li>
</ul></nav></header>
<div class="ad-banner" id="ad-top">ADVERTISEMENT: Buy the new SuperPhone today, 50% off!</div>
<main><article>
<h1>Minister defends budget in heated debate</h1>
<p class="byline">By Ana Reporter, 3 March 2025</p>
<p>The finance minister defended the government's spending plans on Tuesday during a long and
often heated session of parliament, where opposition members accused her of hiding the true
cost of the new rail line from voters and from the independent budget office.</p>
<p>“We will not balance the books on the backs of nurses,” she told members, to loud applause
from the government benches and jeers from the opposition, who called the promise empty.</p>
<p>Opposition leader Tom Baker replied that the numbers did not add up. “This budget is a
fairy tale with a price tag — and the children of this country will pay it,” he said, before
calling for an independent review of the rail project and its financing arrangements.</p>
<p>The debate continues on Wednesday, when the minister is expected to publish the full
costings of the rail line and of the new hospital programme announced last autumn.</p>
</article></main>
<aside class="sidebar"><div class="advert">Sponsored: Cheap flights to Lisbon from 19 dollars</div>
<h3>Most read</h3><ul><li><a href="/a">Celebrity chef opens restaurant</a></li></ul></aside>
<footer><p>© 2025 Daily Ledger. All rights reserved. Privacy policy. Cookie settings.</p></footer>
</body></html>
"""
