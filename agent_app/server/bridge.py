"""Run a synchronous engine stream in a worker thread and consume it from asyncio.

Leaving the async iterator early (a finished response, a client that disconnected, an error)
sets the cancel event, so the engine stops at its next token and frees the model.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor
from typing import TypeVar

T = TypeVar("T")
_END = object()
logger = logging.getLogger(__name__)


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


async def iterate_in_thread(make_iterator: Callable[[], Iterator[T]], cancel: threading.Event,
                            executor: Executor | None = None) -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()

    def put(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is gone: nobody is listening any more
            cancel.set()

    def work() -> None:
        try:
            iterator = make_iterator()
            try:
                for item in iterator:
                    put(item)
                    if cancel.is_set():
                        break
            finally:
                close = getattr(iterator, "close", None)
                if close:
                    close()
        except BaseException as error:  # handed to the consumer, which raises it
            put(_Failure(error))
        finally:
            put(_END)

    loop.run_in_executor(executor, work)
    try:
        while True:
            item = await queue.get()
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        cancel.set()


async def cancel_on_disconnect(request, cancel: threading.Event, poll: float = 0.2) -> None:
    """Poll for the client's disconnect until the response is done (cancel is set then too)."""
    while not cancel.is_set():
        if await request.is_disconnected():
            logger.info("client went away: stopping its generation")
            cancel.set()
            return
        await asyncio.sleep(poll)
