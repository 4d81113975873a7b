"""QueuedEngine: one generation at a time, first come first served, bounded waiting."""
import threading
import time

import pytest

from model.engines.queued import CancelledWhileWaiting, QueuedEngine, QueueFullError
from model.types import ChatRequest
from tests.fakes import SlowEngine

REQUEST = ChatRequest([{"role": "user", "content": "x"}])


def drain(engine, cancel=None, order=None, tag=None):
    for _ in engine.stream(REQUEST, cancel):
        pass
    if order is not None:
        order.append(tag)


def test_callers_are_served_one_at_a_time_in_arrival_order():
    slow = SlowEngine(tokens=3, delay=0.02)
    queued = QueuedEngine(slow)
    order: list[int] = []
    threads = []
    for tag in range(5):
        thread = threading.Thread(target=drain, args=(queued, None, order, tag))
        thread.start()
        threads.append(thread)
        time.sleep(0.01)  # arrive in order
    for thread in threads:
        thread.join()
    assert slow.max_active == 1 and order == [0, 1, 2, 3, 4]


def test_too_many_waiting_is_refused_at_once():
    slow = SlowEngine(tokens=100, delay=0.01)
    queued = QueuedEngine(slow, max_waiting=1)
    cancel = threading.Event()
    first = threading.Thread(target=drain, args=(queued, cancel))
    first.start()
    assert slow.started.wait(5)
    second = threading.Thread(target=drain, args=(queued, cancel))
    second.start()
    deadline = time.monotonic() + 5
    while queued.waiting < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(QueueFullError) as caught:
        queued.stream(REQUEST)
    assert caught.value.retry_after > 0
    cancel.set()
    first.join()
    second.join()


def test_a_waiting_caller_that_cancels_leaves_the_queue():
    slow = SlowEngine(tokens=100, delay=0.01)
    queued = QueuedEngine(slow)
    holder_cancel = threading.Event()
    holder = threading.Thread(target=drain, args=(queued, holder_cancel))
    holder.start()
    assert slow.started.wait(5)
    waiter_cancel = threading.Event()
    waiter_cancel.set()
    with pytest.raises(CancelledWhileWaiting):
        queued.stream(REQUEST, waiter_cancel)
    assert queued.waiting == 0
    holder_cancel.set()
    holder.join()


def test_abandoning_a_stream_frees_the_model():
    queued = QueuedEngine(SlowEngine(tokens=100, delay=0.001))
    stream = queued.stream(REQUEST)
    next(stream)
    stream.close()
    finished = threading.Event()
    threading.Thread(target=lambda: (drain(queued), finished.set())).start()
    assert finished.wait(5)
