"""Lingxi's tools: typed functions with derived JSON schemas, one registry, five built-in tools.

    from tools import default_registry
    registry = default_registry()
    registry.schemas()                                   # OpenAI ``tools`` JSON for the model
    registry.call("calculator", '{"expression": "7/2"}')  # ToolResult(ok=True, content="3.5", ...)

This package never imports agent_app or model (see shared/DESIGN.md).
"""

from tools.base import ExternalContent, FunctionTool, Tool, ToolResult, tool
from tools.calculator import calculator
from tools.defaults import default_registry, lingxi_home
from tools.errors import (
    ToolArgumentError,
    ToolDefinitionError,
    ToolError,
    ToolExecutionError,
    ToolTimeoutError,
    ToolUnavailableError,
    UnknownToolError,
)
from tools.fetch_url import FetchUrlTool
from tools.knowledge_base import KnowledgeBase
from tools.ocr import OCRTool
from tools.python_sandbox import PythonTool, SandboxLimits, run_python
from tools.registry import ToolRegistry
from tools.web_search import WebSearchTool
from tools.workspace import Workspace, conversation_workspace, current_workspace, use_workspace

__all__ = [
    "ExternalContent",
    "FetchUrlTool",
    "FunctionTool",
    "KnowledgeBase",
    "OCRTool",
    "PythonTool",
    "SandboxLimits",
    "Tool",
    "ToolArgumentError",
    "ToolDefinitionError",
    "ToolError",
    "ToolExecutionError",
    "ToolRegistry",
    "ToolResult",
    "ToolTimeoutError",
    "ToolUnavailableError",
    "UnknownToolError",
    "WebSearchTool",
    "Workspace",
    "calculator",
    "conversation_workspace",
    "current_workspace",
    "default_registry",
    "lingxi_home",
    "run_python",
    "use_workspace",
    "tool",
]
