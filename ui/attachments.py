"""Files the user attaches to a message: into the conversation's workspace, named in the message.

An attachment is copied into the conversation's workspace (tools/workspace.py) under its own name
(``name-2.png`` when taken) and the stored user message gets one line per file,
``[attached: receipt.png]``: the model reads the reference there, the tools read the file by that
name, and the chat shows the file inline again whenever the conversation is drawn. A turn with an
image also offers ``ocr``, one with audio ``speech_to_text`` (when they are registered).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from tools import ToolRegistry, Workspace
from tools.ocr import IMAGE_SUFFIXES
from tools.speech_to_text import AUDIO_SUFFIXES

_LINE = re.compile(r"^\[attached: ([^\]\n]+)\]$", re.MULTILINE)
TOOL_FOR_SUFFIXES = {"ocr": IMAGE_SUFFIXES, "speech_to_text": AUDIO_SUFFIXES}


def save_attachments(workspace: Workspace, paths: list[str]) -> list[str]:
    """Copy uploaded files into the workspace; return the names they got there."""
    names = []
    for source in map(Path, paths):
        target = workspace.new_file(source.stem, source.suffix.lower())
        shutil.copyfile(source, target)
        names.append(target.name)
    return names


def with_attachments(text: str, names: list[str]) -> str:
    """The message as stored: the user's text, then a line per attached file."""
    lines = [f"[attached: {name}]" for name in names]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines)) if part)


def split_attachments(text: str) -> tuple[str, list[str]]:
    """(the user's own text, the attached file names) of a stored message."""
    names = _LINE.findall(text)
    return _LINE.sub("", text).strip(), names


def kind_of(name: str) -> str | None:
    """``image``, ``audio`` or None, by the file's suffix."""
    suffix = Path(name).suffix.lower()
    return "image" if suffix in IMAGE_SUFFIXES else "audio" if suffix in AUDIO_SUFFIXES else None


def tools_for_turn(chosen: list[str] | None, names: list[str], registry: ToolRegistry) -> list[str] | None:
    """The turn's tools: the chosen ones (None: the defaults), plus the tool each attachment needs."""
    needed = [tool for tool, suffixes in TOOL_FOR_SUFFIXES.items()
              if tool in registry and any(Path(name).suffix.lower() in suffixes for name in names)]
    if not needed:
        return chosen
    base = list(chosen) if chosen is not None else registry.default_names()
    return base + [tool for tool in needed if tool not in base]
