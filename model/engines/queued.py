"""One model, many callers: requests wait their turn, first come first served.

A local engine serves `parallel` generations at once (its attribute; 1 when it has none): most
hold one model context in which two generations must never interleave, while the batched
llama.cpp engine (model/engines/batched.py) decodes several sequences together. The API, the agent
and the UI all reach the model through one `QueuedEngine`, which lets that many callers in and
queues the rest. A caller that cancels while it waits leaves the queue; when too many wait, a new
request is refused at once with QueueFullError (the API answers 429 with Retry-After).

The queue is also where a failing engine is contained, so that the next caller is served:
- an engine that raises anything (a crash of the backend) raises GenerationError to its caller;
- an engine that yields nothing for `stall_timeout` seconds (a hang) is stopped: its caller gets
  GenerationStalledError and the turn passes to the next caller at once;
- an engine that goes on after its caller stopped listening (cancel ignored) gets `stall_timeout`
  seconds to stop before its turn passes on.
A hung backend call cannot be killed from Python: its thread is left behind and logged. For a
native backend (llama.cpp) that call may still touch the model context, so restart the server
when the log reports one.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator

from model.engines.base import ChatEngine
from model.errors import GenerationError, ModelError
from model.types import ChatDelta, ChatRequest

logger = logging.getLogger(__name__)


class QueueFullError(ModelError):
    def __init__(self, waiting: int, retry_after: int):
        self.waiting = waiting
        self.retry_after = retry_after
        super().__init__(f"the model is busy: {waiting} requests are waiting; retry in {retry_after} s")


class GenerationStalledError(GenerationError):
    """The engine produced nothing for `seconds`; the generation was stopped."""

    def __init__(self, seconds: float, retry_after: int):
        self.seconds = seconds
        self.retry_after = retry_after
        super().__init__(f"the model produced nothing for {seconds:g} s; the generation was stopped")


class CancelledWhileWaiting(ModelError):
    """The caller gave up before its turn came."""


def engine_failure(error: Exception) -> ModelError:
    """A ModelError stays what it is; anything else an engine raises is a GenerationError."""
    if isinstance(error, ModelError):
        return error
    failure = GenerationError(f"the engine failed: {type(error).__name__}: {error}")
    failure.__cause__ = error
    return failure


class _Turn:
    """One caller's hold on the model; released exactly once, by whoever gets there first."""

    def __init__(self, leave):
        self._leave = leave
        self._lock = threading.Lock()
        self.released = False

    def release(self) -> bool:
        with self._lock:
            if self.released:
                return False
            self.released = True
        self._leave()
        return True


_END = object()
_POLL = 0.05  # seconds between looks at the caller's cancel while waiting for the engine


class _Pump:
    """Iterates the engine's stream in its own thread, so that its caller can stop waiting."""

    def __init__(self, deltas: Iterator[ChatDelta], turn: _Turn, cancel: threading.Event):
        self.deltas = deltas
        self.turn = turn
        self.cancel = cancel
        """The engine's own cancel: set when its caller cancels, leaves, or the queue stops it."""
        self.items: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="lingxi-engine", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        outcome: object = _END
        try:
            for delta in self.deltas:
                if self.stop.is_set():
                    break
                self.items.put(delta)
        except Exception as error:
            outcome = engine_failure(error)
        finally:
            self._close()
            self.turn.release()  # before the end is seen: a caller that saw it finds the model free
            self.done.set()
            self.items.put(outcome)

    def _close(self) -> None:
        close = getattr(self.deltas, "close", None)
        if close is None:
            return
        try:
            close()
        except Exception:
            logger.exception("closing the engine's stream failed")


class QueuedEngine(ChatEngine):
    def __init__(self, engine: ChatEngine, max_waiting: int = 32, retry_after: int = 2,
                 stall_timeout: float | None = 60.0):
        self.engine = engine
        self.name = engine.name
        self.n_ctx = engine.n_ctx
        self.max_waiting = max_waiting
        self.retry_after = retry_after
        self.stall_timeout = stall_timeout
        """Seconds without a delta before a generation counts as hung (None: wait for ever)."""
        self.capacity = max(1, int(getattr(engine, "parallel", 1) or 1))
        """Callers served at once (the engine's `parallel`)."""
        self._condition = threading.Condition()
        self._tickets = itertools.count()
        self._waiting: deque[int] = deque()
        self._serving = 0

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @property
    def serving(self) -> int:
        """Callers holding the engine now (at most `capacity`)."""
        return self._serving

    def is_full(self) -> bool:
        """Whether a request arriving now would be refused with QueueFullError."""
        with self._condition:
            return self._must_wait() and len(self._waiting) >= self.max_waiting

    def queue_full_error(self) -> QueueFullError:
        return QueueFullError(len(self._waiting), self.retry_after)

    def stream(self, request: ChatRequest, cancel: threading.Event | None = None) -> Iterator[ChatDelta]:
        cancel = cancel or threading.Event()
        self._enter(cancel)
        turn = _Turn(self._leave)
        # The engine gets its own event, so that stopping a stalled engine does not look to the
        # caller as if it had cancelled; the caller's cancel is passed on while it waits.
        engine_cancel = threading.Event()
        if cancel.is_set():
            engine_cancel.set()
        try:
            deltas = self.engine.stream(request, engine_cancel)
        except BaseException as error:
            turn.release()
            if isinstance(error, Exception):
                raise engine_failure(error) from error
            raise
        return self._hold_turn(_Pump(deltas, turn, engine_cancel), cancel)

    def _hold_turn(self, pump: _Pump, cancel: threading.Event) -> Iterator[ChatDelta]:
        ended = False
        try:
            while True:
                item = self._next_item(pump, cancel)
                if item is _END:
                    ended = True
                    return
                if isinstance(item, BaseException):
                    ended = True
                    raise item
                yield item
        finally:
            if not ended:  # the caller stopped early, or the engine stalled
                pump.cancel.set()
                pump.stop.set()
                self._release_later(pump)

    def _next_item(self, pump: _Pump, cancel: threading.Event):
        """The engine's next item; passes the caller's cancel on; raises when the engine stalls."""
        deadline = None if self.stall_timeout is None else time.monotonic() + self.stall_timeout
        while True:
            if cancel.is_set():
                pump.cancel.set()
            wait = _POLL if deadline is None else min(_POLL, deadline - time.monotonic())
            if wait <= 0:
                break
            try:
                return pump.items.get(timeout=wait)
            except queue.Empty:
                continue
        logger.error("the engine %s produced nothing for %g s: generation stopped, its turn passes on",
                     self.name, self.stall_timeout)
        pump.cancel.set()
        pump.stop.set()
        pump.turn.release()
        raise GenerationStalledError(self.stall_timeout, self.retry_after)

    def _release_later(self, pump: _Pump) -> None:
        """Give an engine told to stop `stall_timeout` seconds to do so, then pass its turn on."""
        if self.stall_timeout is None or pump.turn.released:
            return

        def take_back() -> None:
            if pump.turn.release():
                logger.error("the engine %s ignored cancellation for %g s; its turn passes on while "
                             "its thread %s still runs", self.name, self.stall_timeout, pump.thread.name)

        timer = threading.Timer(self.stall_timeout, take_back)
        timer.daemon = True
        timer.start()

    def _enter(self, cancel: threading.Event) -> None:
        with self._condition:
            if self._must_wait() and len(self._waiting) >= self.max_waiting:
                raise QueueFullError(len(self._waiting), self.retry_after)
            ticket = next(self._tickets)
            self._waiting.append(ticket)
            try:
                while self._serving >= self.capacity or self._waiting[0] != ticket:
                    if cancel.is_set():
                        raise CancelledWhileWaiting()
                    self._condition.wait(timeout=0.1)
            finally:
                self._waiting.remove(ticket)
                self._condition.notify_all()
            self._serving += 1

    def _must_wait(self) -> bool:
        return self._serving >= self.capacity or bool(self._waiting)

    def _leave(self) -> None:
        with self._condition:
            self._serving -= 1
            self._condition.notify_all()

    def count_prompt_tokens(self, request: ChatRequest) -> int:
        return self.engine.count_prompt_tokens(request)

    def warm(self, request: ChatRequest) -> bool:
        self._enter(threading.Event())
        try:
            return self.engine.warm(request)
        finally:
            self._leave()

    def next_token_logprobs(self, request, candidates):
        cancel = threading.Event()
        self._enter(cancel)
        try:
            return self.engine.next_token_logprobs(request, candidates)
        finally:
            self._leave()

    def close(self) -> None:
        self.engine.close()
