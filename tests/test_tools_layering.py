"""tools/ depends on nothing else of Lingxi (shared/DESIGN.md) and imports its heavy libraries lazily."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent.parent / "tools"
FORBIDDEN = ("agent_app", "model", "training", "eval", "app")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_tools_never_import_other_lingxi_packages():
    files = sorted(TOOLS.glob("*.py"))
    assert len(files) >= 10
    for path in files:
        bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
        assert not bad, f"{path.name} imports {bad}"


def test_importing_tools_stays_light():
    code = (
        "import sys, tools; tools.default_registry(); "
        "print(sorted(m for m in ('chromadb', 'ddgs', 'langchain_core', 'torch', 'sentence_transformers', 'pypdf') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=TOOLS.parent, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
