"""One model context, many callers: requests wait their turn, first come first served.

A local engine holds one model context; two generations must never interleave in it. The API,
the agent and the UI all reach the model through one `QueuedEngine`. A caller that cancels while
it waits leaves the queue; when too many wait, a new request is refused at once with
QueueFullError (the API answers 429 with Retry-After).
"""
from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Iterator

from model.engines.base import ChatEngine
from model.errors import ModelError
from model.types import ChatDelta, ChatRequest


class QueueFullError(ModelError):
    def __init__(self, waiting: int, retry_after: int):
        self.waiting = waiting
        self.retry_after = retry_after
        super().__init__(f"the model is busy: {waiting} requests are waiting; retry in {retry_after} s")


class QueuedEngine(ChatEngine):
    def __init__(self, engine: ChatEngine, max_waiting: int = 32, retry_after: int = 2):
        self.engine = engine
        self.name = engine.name
        self.n_ctx = engine.n_ctx
        self.max_waiting = max_waiting
        self.retry_after = retry_after
        self._condition = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: deque[int] = deque()
        self._busy = False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        cancel = cancel or threading.Event()
        self._enter(cancel)
        try:
            deltas = self.engine.stream(request, cancel)
        except BaseException:
            self._leave()
            raise
        return self._hold_turn(deltas)

    def _hold_turn(self, deltas: Iterator[ChatDelta]) -> Iterator[ChatDelta]:
        try:
            yield from deltas
        finally:
            close = getattr(deltas, "close", None)
            if close:
                close()
            self._leave()

    def _enter(self, cancel: threading.Event) -> None:
        with self._condition:
            must_wait = self._busy or bool(self._waiting)
            if must_wait and len(self._waiting) >= self.max_waiting:
                raise QueueFullError(len(self._waiting), self.retry_after)
            ticket = next(self._tickets)
            self._waiting.append(ticket)
            try:
                while self._busy or self._waiting[0] != ticket:
                    if cancel.is_set():
                        raise CancelledWhileWaiting()
                    self._condition.wait(timeout=0.1)
            finally:
                self._waiting.remove(ticket)
                self._condition.notify_all()
            self._busy = True

    def _leave(self) -> None:
        with self._condition:
            self._busy = False
            self._condition.notify_all()

    def count_prompt_tokens(self, request: ChatRequest) -> int:
        return self.engine.count_prompt_tokens(request)

    def next_token_logprobs(self, request, candidates):
        cancel = threading.Event()
        self._enter(cancel)
        try:
            return self.engine.next_token_logprobs(request, candidates)
        finally:
            self._leave()

    def close(self) -> None:
        self.engine.close()


class CancelledWhileWaiting(ModelError):
    """The caller gave up before its turn came."""
