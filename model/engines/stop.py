"""The event a generation runs under."""
from __future__ import annotations

import threading


class StopEvent(threading.Event):
    """Set by the caller's cancel, or by the engine itself (a phase that ends at a call's
    opening, a reply that loops); `caller` tells which."""

    def __init__(self, caller: threading.Event):
        super().__init__()
        self.caller = caller

    def is_set(self) -> bool:
        return super().is_set() or self.caller.is_set()
