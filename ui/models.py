"""The model picker: the default model, the bundled one with a trained adapter, or an endpoint.

Picking a local model loads it at once (with progress); an endpoint loads on "Load model" once its
URL is in. The browser tab remembers the engine's cache key; every tab shares the loaded engines.
"""
from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING

import gradio as gr

from model.errors import ModelError
from ui.engines import REMOTE, model_choices, spec_for
from ui.i18n import t
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components


def choices(services: Services, language: str) -> list[tuple[str, str]]:
    return model_choices(services.engines.default.name, services.home, partial(t, language))


def load_choice(services: Services, choice: str, language: str, progress: gr.Progress, url: str = "",
                name: str = "", key: str = "") -> tuple:
    """Load the model behind a dropdown value: (the engine key for the tab's state, or a skip when
    it failed; the status line)."""
    label = dict(choices(services, language)).get(choice, choice)
    progress(0.1, desc=t(language, "model_loading", name=label))
    started = time.monotonic()
    try:
        spec = spec_for(choice, url or "", name or "", key or "")  # hidden fields send None
        engine = services.engines.load(spec)
    except ModelError as error:
        gr.Warning(t(language, "model_load_failed", error=error))
        return gr.skip(), t(language, "model_load_failed", error=error)
    except Exception as error:  # a broken model file, a backend bug: report, keep the old model
        return gr.skip(), t(language, "model_load_failed", error=f"{type(error).__name__}: {error}")
    progress(1.0)
    return spec.key, t(language, "model_loaded", name=engine.name, seconds=time.monotonic() - started)


def wire(c: "Components", services: Services) -> None:
    def picked(choice, url, name, key, language, progress=gr.Progress()):
        remote = choice == REMOTE
        if remote and not (url or "").strip():
            return gr.skip(), gr.Group(visible=True), gr.skip()
        engine_key, status = load(choice, url, name, key, language, progress)
        return engine_key, gr.Group(visible=remote), status

    def load(choice, url, name, key, language, progress=gr.Progress()):
        return load_choice(services, choice, language, progress, url, name, key)

    def refresh(language):
        return gr.Dropdown(choices=choices(services, language))

    inputs = [c.model, c.endpoint_url, c.endpoint_model, c.endpoint_key, c.language]
    c.model.input(picked, inputs, [c.engine_key, c.endpoint, c.model_status], show_progress="full")
    c.load_model.click(load, inputs, [c.engine_key, c.model_status], show_progress="full")
    c.endpoint_url.submit(load, inputs, [c.engine_key, c.model_status], show_progress="full")
    c.demo.load(refresh, c.language, c.model)
