"""Tools from a user's Python file: every `@tool` function (any `Tool` instance) at its top level.

    # my_tools.py
    from tools import tool

    @tool
    def word_count(text: str) -> int:
        '''Count the words in a text.

        Args:
            text: The text to count.
        '''
        return len(text.split())

    lingxi serve --tools-module my_tools.py      # the agent (and the API's tools) can call it

The file is imported as a module of its own name (its folder first on ``sys.path`` while it loads,
so it can import its neighbours); the tools get the same validation, timeouts and limits as the
built-ins once registered.
"""
from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

from tools.base import Tool
from tools.errors import ToolSourceError

logger = logging.getLogger(__name__)


def load_tools_module(path: str | Path) -> list[Tool]:
    """Import the Python file at ``path`` and return its top-level tools, in definition order.

    Raises ToolSourceError when the file is missing, is not Python, fails to import (the error's
    last line is in the message) or defines no tool.
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise ToolSourceError(f"tools module {str(path)!r}: no such file")
    if path.suffix != ".py":
        raise ToolSourceError(f"tools module {str(path)!r}: expected a .py file")
    module_name = f"lingxi_user_tools_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has a loader
        raise ToolSourceError(f"tools module {str(path)!r} cannot be loaded")
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's code: report what went wrong, where
        raise ToolSourceError(f"tools module {str(path)!r} failed to import: {type(exc).__name__}: {exc}") from exc
    finally:
        if sys.path and sys.path[0] == folder:
            sys.path.pop(0)
    found = [value for value in vars(module).values() if isinstance(value, Tool)]
    if not found:
        raise ToolSourceError(f"tools module {str(path)!r} defines no tools: decorate typed, documented "
                              "functions with @tool (from tools import tool)")
    logger.info("tools module %s: %s", path, ", ".join(item.name for item in found))
    return found
