"""web_search through the real ddgs request building and parsing, with its HTTP client patched.

ddgs talks HTTP through primp (Rust), so HTTP-level mocks cannot intercept it; we patch
``ddgs.http_client.HttpClient.request`` and answer with a recorded results page.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from ddgs.exceptions import DDGSException, TimeoutException
from ddgs.http_client import HttpClient, Response

from tools import ToolRegistry, WebSearchTool

FIXTURE = Path(__file__).parent / "fixtures" / "tools" / "ddg_html_results.html"


@pytest.fixture
def registry() -> ToolRegistry:
    return ToolRegistry([WebSearchTool(backend="duckduckgo", request_timeout=2)])


def serve(monkeypatch, status: int, html: str, calls: list) -> None:
    def fake_request(self, method, url, *args, **kwargs):
        calls.append((method, url, kwargs))
        return Response(SimpleNamespace(status_code=status, content=html.encode("utf-8"), text=html))

    monkeypatch.setattr(HttpClient, "request", fake_request)


def test_results_are_parsed_and_quoted(monkeypatch, registry):
    calls: list = []
    serve(monkeypatch, 200, FIXTURE.read_text(encoding="utf-8"), calls)
    result = registry.call("web_search", {"query": "python asyncio tutorial", "max_results": 3})
    assert result.ok, result.content
    method, url, kwargs = calls[0]
    assert (method, url) == ("POST", "https://html.duckduckgo.com/html/")
    assert kwargs["data"]["q"] == "python asyncio tutorial"  # ddgs built the real request
    text = result.content
    assert text.startswith("<<<BEGIN EXTERNAL CONTENT from web search for 'python asyncio tutorial'")
    assert text.rstrip().endswith("<<<END EXTERNAL CONTENT>>>")
    assert "1. asyncio — Asynchronous I/O — Python 3 documentation\n   URL: https://docs.python.org/3/library/asyncio.html" in text
    assert "URL: https://realpython.example/async-io-python/" in text
    assert "concurrent code using the async/await syntax" in text
    assert "y.js" not in text and "Sponsored" not in text  # ddgs filtered the ad
    assert "3. " in text and "4. " not in text


def test_chinese_query_round_trips(monkeypatch, registry):
    calls: list = []
    serve(monkeypatch, 200, FIXTURE.read_text(encoding="utf-8"), calls)
    result = registry.call("web_search", '{"query": "异步编程 教程", "max_results": 5}')
    assert result.ok
    assert calls[0][2]["data"]["q"] == "异步编程 教程"
    assert "Python 异步编程 asyncio 教程" in result.content and "本教程介绍" in result.content


@pytest.mark.parametrize("error", [DDGSException("RequestException: network unreachable"), TimeoutException("timed out")])
def test_offline_is_an_observation(monkeypatch, registry, error):
    def offline(self, *args, **kwargs):
        raise error

    monkeypatch.setattr(HttpClient, "request", offline)
    result = registry.call("web_search", {"query": "anything"})
    assert not result.ok
    assert result.content.startswith("Error: web search unavailable: ")


def test_rate_limited_page_is_unavailable(monkeypatch, registry):
    serve(monkeypatch, 202, "<html>slow down</html>", [])  # DuckDuckGo's rate-limit answer
    result = registry.call("web_search", {"query": "anything"})
    assert not result.ok
    assert result.content == "Error: web search unavailable: DDGSException: No results found."


def test_bad_arguments(registry):
    assert "must be string" in registry.call("web_search", {"query": 3}).content
    assert "non-empty query" in registry.call("web_search", {"query": "  "}).content


def test_schema():
    params = WebSearchTool().parameters
    assert params["required"] == ["query"]
    assert params["properties"]["max_results"] == {"type": "integer", "description": "How many results to return (1 to 10).", "default": 5}
