"""A conversation's workspace: the folder its files live in, and how tools find them by name.

The model never passes file contents, only references ("receipt.png"): the user's attachments are
copied into the workspace, tools read from it and write their results (speech, plots) into it.

    workspace = conversation_workspace(lingxi_home() / "workspaces", conversation_id)
    with use_workspace(workspace):          # around a tool call (the Agent does it)
        registry.call("ocr", {"image": "receipt.png"})

Tools call `current_workspace()`; the Agent sets it around each tool call of a conversation
(UI and /v1/agent/chat). Without `use_workspace` it is ``$LINGXI_HOME/workspace``, the folder of
the command line and of calls that belong to no conversation.  `Workspace.resolve` refuses what a model or a user
should not be able to reach or should not make a tool chew on, with a message the model can act on.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

from tools.errors import ToolExecutionError

_CURRENT: contextvars.ContextVar[Workspace | None] = contextvars.ContextVar("lingxi_workspace", default=None)
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


class Workspace:
    """A folder of files one conversation's tools share (created on first use)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    def files(self) -> list[str]:
        """The names of the files in the workspace, sorted."""
        if not self.path.is_dir():
            return []
        return sorted(p.name for p in self.path.iterdir() if p.is_file())

    def resolve(self, reference: str, *, suffixes: tuple[str, ...], max_bytes: int, kind: str) -> Path:
        """The file ``reference`` names, checked: inside the workspace, present, of an accepted
        type (by suffix) and at most ``max_bytes``. Raises `ToolExecutionError` otherwise."""
        name = Path(reference.strip()).name if reference else ""
        if not name or Path(reference.strip()).name != reference.strip().removeprefix("./"):
            raise ToolExecutionError(f"{reference!r} is not a file name in this conversation's workspace; "
                                     f"use one of: {self._listing()}")
        path = self.path / name
        if not path.is_file():
            raise ToolExecutionError(f"no file named {name!r} in this conversation's workspace; "
                                     f"available: {self._listing()}")
        if path.suffix.lower() not in suffixes:
            raise ToolExecutionError(f"{name} is not {kind}: accepted types are {', '.join(suffixes)}")
        size = path.stat().st_size
        if size > max_bytes:
            raise ToolExecutionError(f"{name} is {size / 2**20:.1f} MB; the limit for {kind} is "
                                     f"{max_bytes / 2**20:.0f} MB")
        return path

    def delete(self) -> None:
        """Remove the workspace and its files (when its conversation is deleted)."""
        shutil.rmtree(self.path, ignore_errors=True)

    def new_file(self, stem: str, suffix: str) -> Path:
        """A path for a tool's output that does not overwrite anything: ``stem.suffix``, ``stem-2.suffix``..."""
        self.path.mkdir(parents=True, exist_ok=True)
        stem = _UNSAFE.sub("-", stem).strip("-.")[:60] or "file"
        for number in range(1, 10_000):
            path = self.path / (f"{stem}{suffix}" if number == 1 else f"{stem}-{number}{suffix}")
            try:
                with open(path, "xb"):
                    return path
            except FileExistsError:
                continue
        raise ToolExecutionError(f"too many files named {stem}* in the workspace")

    def _listing(self) -> str:
        names = self.files()
        return ", ".join(names[:20]) + (" ..." if len(names) > 20 else "") if names else "(no files yet)"


def conversation_workspace(root: Path | str, conversation_id: str) -> Workspace:
    """The workspace of one conversation: ``root/<conversation id>`` (root: ``$LINGXI_HOME/workspaces``)."""
    safe = _UNSAFE.sub("-", conversation_id).strip("-.")
    if not safe:
        raise ValueError(f"no workspace for conversation id {conversation_id!r}")
    return Workspace(Path(root) / safe)


def current_workspace() -> Workspace:
    """The workspace of the running conversation, or the shared ``$LINGXI_HOME/workspace``."""
    found = _CURRENT.get()
    if found is not None:
        return found
    from tools.defaults import lingxi_home

    return Workspace(lingxi_home() / "workspace")


@contextlib.contextmanager
def use_workspace(workspace: Workspace) -> Iterator[Workspace]:
    """Make ``workspace`` the one tools see in this context (and in the threads tools run in)."""
    token = _CURRENT.set(workspace)
    try:
        yield workspace
    finally:
        _CURRENT.reset(token)
