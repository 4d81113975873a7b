"""Tools from a user's Python file (`--tools-module`): every @tool at its top level joins the
registry beside the built-ins; a file that is missing, broken or empty stops start-up with a reason."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tools.errors import ToolSourceError
from tools.sources import agent_tools
from tools.user_module import load_tools_module

ROOT = Path(__file__).resolve().parents[1]

MODULE = '''
from tools import tool
from helpers import greeting   # a neighbour of this file


@tool
def greet(name: str, excited: bool = False) -> str:
    """Greet someone by name.

    Args:
        name: Who to greet.
        excited: End with an exclamation mark.
    """
    return greeting(name) + ("!" if excited else ".")


def not_a_tool():
    return 1
'''


@pytest.fixture
def module(tmp_path) -> Path:
    (tmp_path / "helpers.py").write_text("def greeting(name):\n    return f'Hello, {name}'\n", encoding="utf-8")
    path = tmp_path / "my_tools.py"
    path.write_text(MODULE, encoding="utf-8")
    return path


def test_the_modules_tools_join_the_built_ins_and_run_validated(module, tmp_path):
    registry = agent_tools(tmp_path / "home", tools_module=module, use_mcp=False).registry
    assert registry.names()[-1] == "greet" and "calculator" in registry.names()
    assert "greet" in registry.default_names()
    schema = registry.get("greet").parameters
    assert schema["required"] == ["name"] and schema["properties"]["excited"]["type"] == "boolean"
    assert registry.call("greet", {"name": "Ada", "excited": True}).content == "Hello, Ada!"
    assert not registry.call("greet", {"name": 3}).ok


@pytest.mark.parametrize("source, message", [
    (None, "no such file"),
    ("x = 1 / 0\n", "failed to import: ZeroDivisionError"),
    ("from tools import tool\n\n@tool\ndef bad(x):\n    return x\n", "failed to import: ToolDefinitionError"),
    ("def helper():\n    return 1\n", "defines no tools"),
])
def test_a_bad_module_is_refused_with_the_reason(tmp_path, source, message):
    path = tmp_path / "their_tools.py"
    if source is not None:
        path.write_text(source, encoding="utf-8")
    with pytest.raises(ToolSourceError, match=message):
        load_tools_module(path)


def test_a_tool_named_like_a_built_in_is_refused(tmp_path):
    path = tmp_path / "clash.py"
    path.write_text(MODULE.replace("def greet", "def calculator").replace("from helpers import greeting\n", "")
                    .replace("greeting(name)", "name"), encoding="utf-8")
    with pytest.raises(ToolSourceError, match="'calculator' is already registered"):
        agent_tools(tmp_path / "home", tools_module=path, use_mcp=False)


def test_lingxi_serve_stops_at_once_on_a_bad_tools_module(tmp_path):
    result = subprocess.run([sys.executable, "-m", "agent_app.cli", "serve", "--tools-module", str(tmp_path / "no.py")],
                            cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={"PATH": "/usr/bin:/bin", "LINGXI_HOME": str(tmp_path / "home"), "HOME": str(tmp_path)})
    assert result.returncode == 1
    assert "no such file" in result.stderr and "Traceback" not in result.stderr
