"""fetch_url against a local http.server on 127.0.0.1 (loopback only: no external address)."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tools import FetchUrlTool, ToolRegistry
from tools.fetch_url import html_to_text

PAGE = """<!doctype html>
<html><head><title>灵犀 Test Page</title>
<style>body { color: red; }</style>
<script>alert("injected script text");</script>
</head>
<body>
<nav><a href="/home">Home</a> | <a href="/about">About</a></nav>
<header><h1>Main   Heading</h1></header>
<article>
<p>First paragraph with <a href="/docs/intro">a relative link</a> and <b>bold</b> text.</p>
<h2>Section 二</h2>
<p>Second paragraph: 你好，世界。</p>
<ul><li>item one</li><li>item two</li></ul>
<pre>code   keeps   spaces</pre>
</article>
<footer>Copyright footer text</footer>
<script>var hidden = "secret script";</script>
</body></html>"""


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass

    def do_GET(self):
        if self.path == "/page":
            self._send(200, PAGE.encode("utf-8"), "text/html; charset=utf-8")
        elif self.path == "/plain":
            self._send(200, "plain text 纯文本".encode("utf-8"), "text/plain; charset=utf-8")
        elif self.path == "/big":
            self._send(200, b"<html><body><p>" + b"A" * 300_000 + b"</p></body></html>", "text/html")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/page")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/image":
            self._send(200, b"\x89PNG\r\n", "image/png")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, b"late", "text/plain")
        else:
            self._send(404, b"not here", "text/plain")

    def _send(self, status, body, kind):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


@pytest.fixture(scope="module")
def base_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def registry():
    return ToolRegistry([FetchUrlTool(allow_private=True, request_timeout=1.5, max_bytes=100_000)], max_observation_chars=4000)


def test_readable_text(base_url, registry):
    result = registry.call("fetch_url", {"url": f"{base_url}/page"})
    assert result.ok, result.content
    text = result.content
    assert text.startswith(f"<<<BEGIN EXTERNAL CONTENT from {base_url}/page")
    assert text.rstrip().endswith("<<<END EXTERNAL CONTENT>>>")
    assert "Title: 灵犀 Test Page" in text
    assert "# Main Heading" in text and "## Section 二" in text
    assert f"a relative link ({base_url}/docs/intro)" in text
    assert "First paragraph with a relative link" in text and "bold text." in text
    assert "你好，世界。" in text and "- item one" in text
    assert "code   keeps   spaces" in text
    for hidden in ("alert", "secret script", "color: red", "Home", "About", "Copyright footer"):
        assert hidden not in text


def test_redirect_plain_text_and_errors(base_url, registry):
    assert "# Main Heading" in registry.call("fetch_url", {"url": f"{base_url}/redirect"}).content
    plain = registry.call("fetch_url", {"url": f"{base_url}/plain"})
    assert plain.ok and "plain text 纯文本" in plain.content
    missing = registry.call("fetch_url", {"url": f"{base_url}/missing"})
    assert not missing.ok and missing.content == f"Error: HTTP 404 Not Found for {base_url}/missing"
    loop = registry.call("fetch_url", {"url": f"{base_url}/loop"})
    assert not loop.ok and "too many redirects" in loop.content
    image = registry.call("fetch_url", {"url": f"{base_url}/image"})
    assert not image.ok and "unsupported content type 'image/png'" in image.content


def test_size_limit_is_reported(base_url, registry):
    result = registry.call("fetch_url", {"url": f"{base_url}/big"})
    assert result.ok and result.truncated
    big = FetchUrlTool(allow_private=True, max_bytes=1000)(url=f"{base_url}/big")
    assert "only the first 1000 bytes were read" in big.text


def test_time_limit(base_url, registry):
    start = time.monotonic()
    result = registry.call("fetch_url", {"url": f"{base_url}/slow"})
    assert time.monotonic() - start < 3
    assert not result.ok and "timed out" in result.content


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("ftp://example.com/file", "only http and https URLs"),
        ("file:///etc/passwd", "only http and https URLs"),
        ("http:///nohost", "has no host"),
        ("not a url", "only http and https URLs"),
    ],
)
def test_bad_urls(registry, url, fragment):
    result = registry.call("fetch_url", {"url": url})
    assert not result.ok and fragment in result.content


def test_private_addresses_refused_by_default(base_url):
    result = ToolRegistry([FetchUrlTool()]).call("fetch_url", {"url": f"{base_url}/page"})
    assert not result.ok
    assert "non-public address 127.0.0.1" in result.content


def test_connection_refused_is_an_observation():
    registry = ToolRegistry([FetchUrlTool(allow_private=True, request_timeout=2)])
    result = registry.call("fetch_url", {"url": "http://127.0.0.1:9/"})
    assert not result.ok and "could not connect" in result.content


def test_html_to_text_unit():
    title, text = html_to_text("<title> T </title><p>a<br>b</p><script>x</script><img alt='cat'>", "http://h/")
    assert (title, text) == ("T", "a\nb\n[image: cat]")
