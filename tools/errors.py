"""The one small exception hierarchy of the tools package.

Only the programming interface raises these.  `ToolRegistry.call` never lets them escape: it turns
each into a `ToolResult(ok=False, content="Error: ...")` the model can read and react to.  Code that
needs to tell failures apart checks the exception class, never the message text.
"""

from __future__ import annotations


class ToolError(Exception):
    """Base class of every error a tool or the registry raises on purpose."""


class ToolDefinitionError(ToolError, TypeError):
    """A function cannot become a tool (missing type hint or docstring entry, unsupported type)."""


class ToolArgumentError(ToolError, ValueError):
    """The arguments do not match the tool's JSON schema (missing, unknown or wrong type)."""


class UnknownToolError(ToolError, KeyError):
    """No tool with this name is registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ToolTimeoutError(ToolError, TimeoutError):
    """The tool did not finish within its time limit."""


class ToolExecutionError(ToolError, RuntimeError):
    """The tool ran but failed in a way it reports to the model (bad expression, code raised, ...)."""


class ToolUnavailableError(ToolError, RuntimeError):
    """A service the tool depends on is unreachable (offline, rate limited, refused)."""


class ToolSourceError(ToolError, RuntimeError):
    """A source of tools cannot be used: a user's tools module, an MCP server or its config file."""
