"""Which models the UI offers, and a small cache of the loaded ones.

Every model is served through one `QueuedEngine`, shared by the API, the agent and every browser
tab: loading a model twice would hold two copies and let two generations interleave. The cache
keeps the app's default engine for good and at most `max_engines` others, closing the least
recently used one when a new one arrives.
"""
from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from model.engines.base import ChatEngine
from model.engines.queued import QueuedEngine
from model.engines.remote import RemoteEngine
from model.errors import EngineUnavailableError
from model.loader import EngineConfig, load_engine
from model.spec import BUNDLED, BUNDLED_NAME

logger = logging.getLogger(__name__)

DEFAULT = "default"
REMOTE = "remote"


@dataclass(frozen=True)
class EngineSpec:
    """A model the user can pick: the app's default, a local spec (+ adapter), or an endpoint."""

    kind: str  # "default" | "local" | "remote"
    model: str = ""
    adapter: str | None = None
    url: str = ""
    api_key: str | None = None

    @property
    def key(self) -> str:
        if self.kind == DEFAULT:
            return DEFAULT
        if self.kind == REMOTE:
            return f"remote:{self.url}#{self.model}"
        return f"local:{self.model}+{self.adapter or ''}"


def adapter_paths(home: Path) -> list[Path]:
    """Trained adapters: peft folders and GGUF LoRA files under $LINGXI_HOME/adapters, and the
    adapter of each training run under $LINGXI_HOME/runs/NAME: its GGUF LoRA (adapter.gguf, which
    the Fine-tune page exports for llama.cpp) if there is one, else its peft folder (adapter/)."""
    runs = Path(home) / "runs"
    found = []
    for run in sorted(runs.iterdir()) if runs.is_dir() else []:
        if (run / "adapter.gguf").is_file():
            found.append(run / "adapter.gguf")
        elif (run / "adapter" / "adapter_config.json").is_file():
            found.append(run / "adapter")
    folder = Path(home) / "adapters"
    if not folder.is_dir():
        return found
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and (entry / "adapter_config.json").is_file():
            found.append(entry)
        elif entry.is_file() and entry.suffix == ".gguf":
            found.append(entry)
        elif entry.is_dir() and len(ggufs := sorted(entry.glob("*.gguf"))) == 1:
            found.append(ggufs[0])
    return found


def model_choices(default_name: str, home: Path, text: Callable[..., str]) -> list[tuple[str, str]]:
    """(label, value) pairs for the model dropdown; values are "default", "bundled",
    "adapter:<path>" or "remote"."""
    choices = [(text("model_default", name=default_name), DEFAULT)]
    if default_name != BUNDLED_NAME:
        choices.append((text("model_bundled"), BUNDLED))
    for path in adapter_paths(home):
        label = path.parent.name if path.parent.name != "adapters" else path.name
        choices.append((text("model_adapter", name=label), f"adapter:{path}"))
    choices.append((text("model_remote"), REMOTE))
    return choices


def spec_for(choice: str, url: str = "", model: str = "", api_key: str = "") -> EngineSpec:
    """The EngineSpec behind a dropdown value (and, for an endpoint, the fields beside it)."""
    if choice == DEFAULT:
        return EngineSpec(DEFAULT)
    if choice == REMOTE:
        if not url.strip():
            raise EngineUnavailableError("enter the endpoint URL, e.g. http://127.0.0.1:23333/v1")
        return EngineSpec(REMOTE, model=model.strip(), url=url.strip().rstrip("/"), api_key=api_key.strip() or None)
    if choice.startswith("adapter:"):
        return EngineSpec("local", BUNDLED, choice.removeprefix("adapter:"))
    return EngineSpec("local", choice)


class EngineCache:
    def __init__(self, default: QueuedEngine, config: EngineConfig | None = None, max_engines: int = 2,
                 max_waiting: int = 32, stall_timeout: float | None = 60.0):
        self.default = default
        self.config = config or EngineConfig()
        self.max_engines = max_engines
        self.max_waiting = max_waiting
        self.stall_timeout = stall_timeout
        self._engines: OrderedDict[str, QueuedEngine] = OrderedDict()
        self._specs: dict[str, EngineSpec] = {}
        self._lock = threading.Lock()
        self.default_key = DEFAULT
        """The key the default was loaded under, once `make_default` promoted a picked model."""

    def make_default(self, key: str) -> QueuedEngine:
        """Make the loaded engine under ``key`` the default (what tabs on "default" and the API
        use); the former default stays loaded as an ordinary entry until it is evicted."""
        with self._lock:
            engine = self._engines.pop(key)
            previous, self.default, self.default_key = self.default, engine, key
            self._engines[f"former-default:{previous.name}:{id(previous)}"] = previous
            self._evict()
        return engine

    def get(self, key: str | None) -> QueuedEngine:
        """The engine for a key handed out by `load` (loaded again if it was evicted)."""
        if not key or key in (DEFAULT, self.default_key):
            return self.default
        with self._lock:
            if key in self._engines:
                self._engines.move_to_end(key)
                return self._engines[key]
        return self.load(self._specs[key])

    def name(self, key: str | None) -> str:
        """The model name behind a key, without loading anything."""
        if not key or key in (DEFAULT, self.default_key):
            return self.default.name
        with self._lock:
            engine = self._engines.get(key)
        return engine.name if engine else self._specs.get(key, EngineSpec(DEFAULT, key)).model

    def load(self, spec: EngineSpec) -> QueuedEngine:
        if spec.kind == DEFAULT or spec.key == self.default_key:
            return self.default
        with self._lock:  # one load at a time: two tabs asking for one model get one copy
            if spec.key in self._engines:
                self._engines.move_to_end(spec.key)
                return self._engines[spec.key]
            engine = QueuedEngine(self._open(spec), self.max_waiting, stall_timeout=self.stall_timeout)
            self._engines[spec.key] = engine
            self._specs[spec.key] = spec
            self._evict()
        return engine

    def _open(self, spec: EngineSpec) -> ChatEngine:
        if spec.kind == REMOTE:
            model = spec.model or first_remote_model(spec.url, spec.api_key)
            return RemoteEngine(spec.url, model, spec.api_key)
        return load_engine(spec.model, spec.adapter, self.config)

    def _evict(self) -> None:
        while len(self._engines) > self.max_engines:
            key, engine = self._engines.popitem(last=False)
            logger.info("closing %s to make room", key)
            try:
                engine.close()
            except Exception:  # closing must not stop the new model from serving
                logger.warning("closing %s failed", key, exc_info=True)

    def close(self) -> None:
        with self._lock:
            for engine in self._engines.values():
                engine.close()
            self._engines.clear()


def first_remote_model(url: str, api_key: str | None, timeout: float = 5.0) -> str:
    """Ask an OpenAI-compatible endpoint which models it serves; the first one is used."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(f"{url}/models", headers=headers, timeout=timeout)
        response.raise_for_status()
        return response.json()["data"][0]["id"]
    except httpx.HTTPError as error:
        raise EngineUnavailableError(f"cannot reach {url}: {error}") from error
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise EngineUnavailableError(f"{url}/models did not list a model; enter the model name") from error
