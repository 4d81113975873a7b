"""Shared fixtures: a temporary LINGXI_HOME for every test (models shared by the session), the bundled model loaded once, and
a live API server on loopback for tests that use real HTTP clients."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


@pytest.fixture(scope="session")
def shared_models(tmp_path_factory):
    """One models folder for the session: the default's merged weights are built once, not per test."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(autouse=True)
def lingxi_home(tmp_path, monkeypatch, shared_models):
    home = tmp_path / "lingxi-home"
    monkeypatch.setenv("LINGXI_HOME", str(home))
    monkeypatch.setenv("LINGXI_MODELS", str(shared_models))
    return home


@pytest.fixture(scope="session")
def bundled_engine():
    """The real bundled model through llama.cpp, loaded once for the session."""
    from model.loader import EngineConfig, load_engine

    engine = load_engine("bundled", config=EngineConfig(n_ctx=2048, n_threads=1))
    yield engine
    engine.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def live_server(app) -> Iterator[str]:
    """Serve `app` with uvicorn on a free loopback port; yields the base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
