"""The default set of tools, wired to Lingxi's data directory."""

from __future__ import annotations

import os
from pathlib import Path

from tools.calculator import calculator
from tools.fetch_url import FetchUrlTool
from tools.knowledge_base import KnowledgeBase
from tools.ocr import OCRTool
from tools.python_sandbox import PythonTool
from tools.registry import ToolRegistry
from tools.speech_to_text import SpeechToTextTool
from tools.text_to_speech import TextToSpeechTool
from tools.web_search import WebSearchTool


def lingxi_home() -> Path:
    """The one data directory: ``$LINGXI_HOME``, or ``~/.lingxi``."""
    return Path(os.environ.get("LINGXI_HOME") or Path.home() / ".lingxi").expanduser()


def default_registry(
    data_dir: Path | None = None,
    max_observation_chars: int = 4000,
    *,
    knowledge_base: KnowledgeBase | None = None,
) -> ToolRegistry:
    """A registry with calculator, python, web_search, knowledge_base and fetch_url, offered by
    default, and the media tools ocr, speech_to_text and text_to_speech, offered when named (they
    need the ``media`` extra, and a file in the conversation's workspace).

    Nothing heavy happens here: the knowledge base opens its index and embedding model on first
    use. Pass ``knowledge_base`` to share an instance the UI also uses for ingestion.
    """
    data_dir = Path(data_dir) if data_dir is not None else lingxi_home()
    kb = knowledge_base or KnowledgeBase(data_dir / "knowledge")
    return ToolRegistry(
        [calculator, PythonTool(), WebSearchTool(), kb.as_tool(), FetchUrlTool(),
         OCRTool(), SpeechToTextTool(), TextToSpeechTool()],
        max_observation_chars=max_observation_chars,
    )
