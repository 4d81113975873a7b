"""One registry lists the tools; `ToolRegistry.call` turns every failure into an observation."""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from tools.base import FunctionTool, Tool, ToolResult, render_observation
from tools.errors import ToolArgumentError, ToolError, ToolExecutionError, ToolTimeoutError, UnknownToolError
from tools.schema import MAX_ARGUMENTS_CHARS

logger = logging.getLogger(__name__)


class ToolRegistry:
    """The tools an agent may call, by name.

    Args:
        tools: Tools (or plain typed functions, or langchain tools) to register at once.
        max_observation_chars: Observations longer than this are cut, with a note saying so.
    """

    def __init__(self, tools: tuple | list = (), *, max_observation_chars: int = 4000) -> None:
        self.max_observation_chars = max_observation_chars
        self._tools: dict[str, Tool] = {}
        for item in tools:
            self.register(item)

    def register(self, tool_or_function: Any) -> Tool:
        """Add a `Tool`, a typed documented function, or a langchain ``BaseTool``; return the Tool."""
        item = _as_tool(tool_or_function)
        if item.name in self._tools and self._tools[item.name] is not item:
            raise ValueError(f"a tool named {item.name!r} is already registered")
        self._tools[item.name] = item
        return item

    def unregister(self, name: str) -> bool:
        """Take a tool out (an MCP server removed); False when no tool had that name."""
        return self._tools.pop(name, None) is not None

    def get(self, name: str) -> Tool:
        """The tool called ``name``; raises UnknownToolError listing the available names."""
        try:
            return self._tools[name]
        except (KeyError, TypeError):
            available = ", ".join(self.names()) or "none"
            raise UnknownToolError(f"unknown tool {name!r}; available tools: {available}") from None

    def names(self) -> list[str]:
        """The registered tool names, in registration order."""
        return list(self._tools)

    def default_names(self) -> list[str]:
        """The tools offered when none are named: every tool with ``offered_by_default``."""
        return [name for name, item in self._tools.items() if item.offered_by_default]

    def schemas(self, names: list[str] | None = None) -> list[dict]:
        """The OpenAI ``tools`` JSON for the given names, or for `default_names`."""
        chosen = self.default_names() if names is None else names
        return [self.get(n).openai_schema() for n in chosen]

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def call(self, name: str, arguments: dict | str | None) -> ToolResult:
        """Run a tool and return its observation. Never raises for the model's mistakes or the
        tool's failures: unknown tool, unparsable or invalid arguments, an exception, a timeout
        all give ``ToolResult(ok=False, content="Error: ...")``."""
        start = time.perf_counter()
        try:
            item = self.get(name)
        except UnknownToolError as exc:
            return error_result(str(exc), start, self.max_observation_chars)
        return execute(item, arguments, self.max_observation_chars)


def execute(item: Tool, arguments: dict | str | None, max_observation_chars: int | None = None) -> ToolResult:
    """Parse and validate the arguments, run the tool with its timeout, render the observation.

    Every failure becomes ``ToolResult(ok=False, content="Error: ...")``; nothing raises.
    """
    start = time.perf_counter()
    try:
        parsed = parse_arguments(arguments)
        validated = item.validate(parsed)
        value = run_with_timeout(item, validated)
    except ToolError as exc:
        logger.info("tool %s failed: %s: %s", item.name, type(exc).__name__, exc)
        return error_result(str(exc), start, max_observation_chars)
    except Exception as exc:  # a tool's own bug: report it to the model, keep the traceback in logs
        logger.warning("tool %s raised %s", item.name, type(exc).__name__, exc_info=True)
        return error_result(f"{type(exc).__name__}: {exc}", start, max_observation_chars)
    text, truncated = render_observation(value, max_observation_chars)
    return ToolResult(ok=True, content=text, elapsed=time.perf_counter() - start, truncated=truncated)


def error_result(message: str, start: float, max_observation_chars: int | None = None) -> ToolResult:
    """An ``ok=False`` result whose content is ``Error: message``."""
    text, truncated = render_observation(f"Error: {message}", max_observation_chars)
    return ToolResult(ok=False, content=text, elapsed=time.perf_counter() - start, truncated=truncated)


def parse_arguments(arguments: dict | str | None) -> dict:
    """Arguments as a dict: JSON text is parsed, empty means no arguments.

    Text over `MAX_ARGUMENTS_CHARS` is refused before it is parsed.
    """
    if arguments is None:
        return {}
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        if len(arguments) > MAX_ARGUMENTS_CHARS:
            raise ToolArgumentError(
                f"arguments are too large: {len(arguments)} characters of JSON, at most {MAX_ARGUMENTS_CHARS}"
            )
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError as exc:
            raise ToolArgumentError(f"arguments are not valid JSON ({exc.msg} at position {exc.pos})") from None
        except (ValueError, RecursionError) as exc:  # an integer of thousands of digits, deep nesting
            raise ToolArgumentError(f"arguments cannot be read: {type(exc).__name__}: {exc}") from None
    if not isinstance(arguments, dict):
        raise ToolArgumentError(f"arguments must be a JSON object, got {type(arguments).__name__}")
    return arguments


def run_with_timeout(item: Tool, arguments: dict) -> Any:
    """Run ``item`` in a daemon thread and wait at most ``item.timeout`` seconds.

    The thread runs in a copy of the caller's context (so the conversation's workspace holds).
    A thread cannot be killed: on timeout the call is abandoned and finishes in the background.
    Tools that can hang for long (code, network) also enforce their own limits inside.
    """
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            item.ensure_setup()
            box["value"] = item.forward(**arguments)
        except Exception as exc:  # handed to the caller's thread
            box["error"] = exc
        except BaseException as exc:  # SystemExit, KeyboardInterrupt: never escape a tool call
            box["error"] = ToolExecutionError(f"tool {item.name!r} raised {type(exc).__name__}: {exc}")

    context = contextvars.copy_context()  # the caller's workspace (tools/workspace.py) and the like
    worker = threading.Thread(target=context.run, args=(target,), name=f"tool-{item.name}", daemon=True)
    worker.start()
    worker.join(item.timeout)
    if worker.is_alive():
        raise ToolTimeoutError(f"tool {item.name!r} timed out after {item.timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")


def _as_tool(obj: Any) -> Tool:
    if isinstance(obj, Tool):
        return obj
    if _looks_like_langchain_tool(obj):
        from tools.langchain_interop import from_langchain

        return from_langchain(obj)
    if callable(obj):
        return FunctionTool(obj)
    raise TypeError(f"cannot register {obj!r} as a tool")


def _looks_like_langchain_tool(obj: Any) -> bool:
    module = type(obj).__module__ or ""
    bases = {f"{c.__module__}.{c.__qualname__}" for c in type(obj).__mro__}
    return module.startswith("langchain") or "langchain_core.tools.base.BaseTool" in bases

