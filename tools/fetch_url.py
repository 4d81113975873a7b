"""The ``fetch_url`` tool: a web page as readable text, within size and time limits.

Only http and https.  By default it refuses hosts that resolve to loopback, private, link-local
or otherwise non-public addresses (a page read by the model must not be able to steer it at
services on the user's machine or network); the check runs before each request, redirects
included, but a DNS answer that changes between the check and the connection is not caught.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
import time
from html.parser import HTMLParser
from typing import Annotated
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import Field

from tools.base import ExternalContent, Tool
from tools.errors import ToolExecutionError, ToolUnavailableError

logger = logging.getLogger(__name__)

SKIP_TAGS = frozenset(
    "script style noscript template svg nav aside footer form iframe button select head object canvas".split()
)
BLOCK_TAGS = frozenset(
    "p div section article main header br tr table ul ol dl dt dd blockquote pre hr figure figcaption "
    "h1 h2 h3 h4 h5 h6 li address details summary".split()
)
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv", "application/json", "text/xml", "application/xml")
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_URL_CHARS = 2048
"""Longest URL the tool fetches (browsers and servers commonly stop near 2,000 characters)."""


class _Readable(HTMLParser):
    """Collects the readable text of an HTML page: headings, paragraphs, list items, link text."""

    def __init__(self, base_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False
        self._pre = 0
        self._link: tuple[str, int] | None = None  # (href, index of the first part of its text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
            return
        if tag in SKIP_TAGS:
            self._skip += 1
            return
        if self._skip:
            return
        if tag in BLOCK_TAGS:
            self.parts.append("\n")
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append("#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("- ")
        elif tag == "pre":
            self._pre += 1
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self._link = (href, len(self.parts))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[image: {alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self._skip and tag in ("br", "hr", "img"):
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
            return
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip:
            return
        if tag == "a" and self._link is not None:
            href, first = self._link
            self._link = None
            text = "".join(self.parts[first:]).strip()
            url = urljoin(self.base_url, href) if href else ""
            if text and url.startswith(("http://", "https://")) and url != text:
                self.parts.append(f" ({url})")
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data if self._pre else re.sub(r"\s+", " ", data))

    def text(self) -> str:
        lines = [line.strip() for line in "".join(self.parts).splitlines()]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


def html_to_text(html: str, base_url: str = "") -> tuple[str, str]:
    """Return ``(title, readable text)`` of an HTML document."""
    parser = _Readable(base_url)
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", parser.title).strip(), parser.text()


def check_public_host(host: str) -> None:
    """Raise ToolExecutionError unless every address of ``host`` is a public one."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise ToolUnavailableError(f"cannot resolve host {host!r}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global or address.is_multicast:
            raise ToolExecutionError(
                f"refusing to fetch {host!r}: it resolves to the non-public address {address}"
            )


class FetchUrlTool(Tool):
    """Fetches one web page and returns its readable text, quoted as external data.

    Args:
        max_bytes: Read at most this many bytes of the body (the rest is ignored, and said so).
        request_timeout: Seconds for the whole fetch, redirects included.
        allow_private: Allow loopback and private-network addresses (tests, intranet use).
        max_redirects: Redirects followed at most.
    """

    name = "fetch_url"

    def __init__(
        self,
        *,
        max_bytes: int = 2_000_000,
        request_timeout: float = 15.0,
        allow_private: bool = False,
        max_redirects: int = 5,
    ) -> None:
        self.max_bytes = max_bytes
        self.request_timeout = request_timeout
        self.allow_private = allow_private
        self.max_redirects = max_redirects
        super().__init__(timeout=request_timeout + 5.0)

    def forward(self, url: Annotated[str, Field(max_length=MAX_URL_CHARS)]) -> ExternalContent:
        """Fetch a web page (http or https) and return its readable text: title, headings,
        paragraphs and link texts, without scripts, styles or navigation.

        Args:
            url: The address of the page, starting with http:// or https://.
        """
        deadline = time.monotonic() + self.request_timeout
        try:
            with httpx.Client(
                timeout=httpx.Timeout(self.request_timeout),
                follow_redirects=False,
                headers={"User-Agent": "Lingxi/0.1 (+fetch_url tool)", "Accept": "text/html,text/plain;q=0.9,*/*;q=0.5"},
            ) as client:
                return self._fetch(client, url.strip(), deadline)
        except httpx.TimeoutException:
            raise ToolExecutionError(f"timed out fetching {url} (limit {self.request_timeout:g} s)") from None
        except (httpx.ConnectError, httpx.NetworkError) as exc:
            raise ToolUnavailableError(f"could not connect to {url}: {exc}") from None
        except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
            raise ToolExecutionError(f"invalid URL {url!r}: {exc}") from None
        except httpx.HTTPError as exc:
            raise ToolExecutionError(f"fetching {url} failed: {type(exc).__name__}: {exc}") from None

    def _check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ToolExecutionError(f"only http and https URLs can be fetched, not {url!r}")
        if not parts.hostname:
            raise ToolExecutionError(f"the URL {url!r} has no host")
        if not self.allow_private:
            check_public_host(parts.hostname)

    def _fetch(self, client: httpx.Client, url: str, deadline: float) -> ExternalContent:
        for _ in range(self.max_redirects + 1):
            self._check_url(url)
            with client.stream("GET", url) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code >= 400:
                    raise ToolExecutionError(f"HTTP {response.status_code} {response.reason_phrase} for {url}")
                body, partial = self._read(response, deadline)
                return self._render(url, response, body, partial)
        raise ToolExecutionError(f"too many redirects (more than {self.max_redirects}) from {url}")

    def _read(self, response: httpx.Response, deadline: float) -> tuple[bytes, str]:
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= self.max_bytes:
                return b"".join(chunks)[: self.max_bytes], f"only the first {self.max_bytes} bytes were read"
            if time.monotonic() > deadline:
                return b"".join(chunks), f"the time limit ({self.request_timeout:g} s) stopped the download"
        return b"".join(chunks), ""

    def _render(self, url: str, response: httpx.Response, body: bytes, partial: str) -> ExternalContent:
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        encoding = response.charset_encoding or "utf-8"
        try:
            text = body.decode(encoding, errors="replace")
        except LookupError:
            text = body.decode("utf-8", errors="replace")
        if kind in HTML_TYPES or (not kind and "<html" in text[:1000].lower()):
            title, text = html_to_text(text, url)
            header = f"Title: {title}\n\n" if title else ""
        elif kind.startswith("text/") or kind in TEXT_TYPES:
            header = ""
        else:
            raise ToolExecutionError(f"unsupported content type {kind or 'unknown'!r} at {url} (only text and HTML)")
        note = f"\n\n[note: {partial}]" if partial else ""
        logger.debug("fetched %s: %d bytes, %s", url, len(body), kind)
        return ExternalContent(source=url, text=f"{header}{text or '(the page has no readable text)'}{note}")
