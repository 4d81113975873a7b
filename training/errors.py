"""The training layer's typed exceptions. Callers branch on the type, never on message text."""
from __future__ import annotations


class TrainingError(Exception):
    """Base of every error the training layer raises on purpose."""


class DataFormatError(TrainingError):
    """A data file (or one record of it) that cannot be read as the format asked for.

    `location` names the file and line (and the item, for a JSON array), as "data.jsonl:12".
    """

    def __init__(self, message: str, location: str | None = None):
        self.location = location
        self.detail = message
        super().__init__(f"{location}: {message}" if location else message)


class RenderError(TrainingError):
    """A conversation that cannot be rendered into token ids with loss masks (say, a chat
    template whose render of a prefix is not a prefix of the whole render)."""
