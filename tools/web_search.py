"""The ``web_search`` tool: title, URL and snippet per result, through the ``ddgs`` package.

Offline, blocked or rate-limited searches become the observation
``Error: web search unavailable: ...`` instead of an exception.  ``ddgs`` is imported on first
use so that importing the tools stays fast.
"""

from __future__ import annotations

import logging
from typing import Annotated

from pydantic import Field

from tools.base import ExternalContent, Tool
from tools.errors import ToolArgumentError, ToolUnavailableError

logger = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
"""Longest query sent to the search engines (they cut or refuse longer ones anyway)."""


class WebSearchTool(Tool):
    """Web search through ddgs (the renamed duckduckgo-search).

    Args:
        backend: ddgs backend(s): "auto" tries several engines; "duckduckgo", "bing", ... pick one.
        region: ddgs region code, e.g. "us-en", "cn-zh".
        safesearch: "on", "moderate" or "off".
        request_timeout: Seconds ddgs waits for the engines.
        max_results_cap: The most results one call may ask for.
    """

    name = "web_search"

    def __init__(
        self,
        *,
        backend: str = "auto",
        region: str = "us-en",
        safesearch: str = "moderate",
        request_timeout: int = 10,
        max_results_cap: int = 10,
    ) -> None:
        self.backend = backend
        self.region = region
        self.safesearch = safesearch
        self.request_timeout = request_timeout
        self.max_results_cap = max_results_cap
        super().__init__(timeout=request_timeout * 2 + 5.0)

    def forward(self, query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)], max_results: int = 5) -> ExternalContent:
        """Search the web and return the top results, each with its title, URL and a snippet.

        Args:
            query: What to search for, in any language.
            max_results: How many results to return (1 to 10).
        """
        from ddgs import DDGS

        count = max(1, min(max_results, self.max_results_cap))
        query = query.strip()
        if not query:
            raise ToolArgumentError("web search needs a non-empty query")
        try:
            results = DDGS(timeout=self.request_timeout).text(
                query, region=self.region, safesearch=self.safesearch, max_results=count, backend=self.backend
            )
        except Exception as exc:  # DDGSException, TimeoutException, engine bugs: a message, not a crash
            # ddgs reports "nothing found" the same way whether the engines found nothing or
            # answered a rate limit page (HTTP 202): both are an unavailable search for the model.
            logger.info("web search for %r failed: %s: %s", query, type(exc).__name__, exc)
            raise ToolUnavailableError(f"web search unavailable: {type(exc).__name__}: {exc}") from None
        if not results:
            raise ToolUnavailableError("web search unavailable: no results came back")
        return ExternalContent(source=f"web search for {query!r}", text=format_results(results[:count]))


def format_results(results: list[dict]) -> str:
    """Number the results: title, URL, snippet."""
    blocks = []
    for i, item in enumerate(results, start=1):
        title = (item.get("title") or "(no title)").strip()
        url = (item.get("href") or item.get("url") or "").strip()
        snippet = (item.get("body") or "").strip()
        blocks.append(f"{i}. {title}\n   URL: {url}\n   {snippet}".rstrip())
    return "\n\n".join(blocks)
