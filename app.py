"""Lingxi's web app: the chat UI (Gradio) and the OpenAI-compatible API in one process.

    python app.py                        # the bundled model at http://127.0.0.1:7860
    python app.py --model my.gguf --port 8080 --username me --password secret
    python app.py --help                 # every option; each is also an env var LINGXI_<NAME>

The API (`/v1/...`, `/health`) is agent_app's `create_app`; the UI is mounted at "/" on the same
FastAPI app, so both reach the model through one QueuedEngine and one conversation store.

Sign-in: with --username and --password, the web UI (every page and Gradio route under "/")
asks for them (Gradio's login page, a session cookie). The API is not behind that login: protect
it with --api-key (clients send `Authorization: Bearer KEY`). Both default to off, and the app
binds 127.0.0.1 unless --host says otherwise.
"""
from __future__ import annotations

import logging
import sys
from contextlib import asynccontextmanager
from functools import partial
from typing import Literal

import gradio as gr
from fastapi import FastAPI
from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from agent_app.cli import run_command
from agent_app.server.app import create_app
from agent_app.server.state import ServerState
from agent_app.settings import AgentToolOptions, ServedModelOptions, ServerOptions
from agent_app.store import ConversationStore
from model.engines.base import ChatEngine
from model.engines.queued import QueuedEngine
from model.loader import EngineConfig, load_engine
from tools import KnowledgeBase, ToolRegistry, default_registry, lingxi_home
from tools.mcp_client import MCPServers, config_path
from tools.sources import ToolSources, agent_tools
from ui.engines import EngineCache
from ui.layout import CSS, THEME, build_blocks
from ui.services import Services

logger = logging.getLogger("lingxi.app")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class WebOptions(BaseModel):
    username: str | None = Field(None, description="with --password: sign-in required for the web UI")
    password: SecretStr | None = Field(None, description="with --username: sign-in required for the web UI")
    language: Literal["en", "zh"] = Field("en", description="interface language a new browser tab starts in")
    max_models: int = Field(2, ge=1, description="models picked in the UI kept loaded (besides the default)")

    @model_validator(mode="after")
    def _both_or_neither(self) -> "WebOptions":
        if (self.username is None) != (self.password is None):
            raise ValueError("give both --username and --password, or neither")
        return self


def create_web_app(engine: ChatEngine, options: ServerOptions | None = None, registry: ToolRegistry | None = None,
                   store: ConversationStore | None = None, knowledge_base: KnowledgeBase | None = None, *,
                   web: WebOptions | None = None, engine_config: EngineConfig | None = None,
                   tool_sources: ToolSources | None = None) -> FastAPI:
    """The API and the UI on `engine`. Defaults: the tools, store and knowledge base in
    $LINGXI_HOME. Pass `knowledge_base` along with a custom `registry` so that what the UI ingests
    is what the registry's knowledge_base tool searches. With `tool_sources` (tools.sources) the
    registry is its registry, and the UI's MCP panel manages its servers; without, the panel starts
    with no server connected and adds to $LINGXI_HOME/mcp.json."""
    options = options or ServerOptions()
    web = web or (options if isinstance(options, WebOptions) else WebOptions())
    home = lingxi_home()
    queued = engine if isinstance(engine, QueuedEngine) else QueuedEngine(
        engine, options.max_waiting, stall_timeout=options.stall_timeout)
    if knowledge_base is None and registry is None:
        knowledge_base = KnowledgeBase(home / "knowledge")
    if tool_sources is not None:
        registry = tool_sources.registry
    registry = registry if registry is not None else default_registry(home, knowledge_base=knowledge_base)
    if tool_sources is None or tool_sources.mcp is None:
        tool_sources = ToolSources(registry, MCPServers(registry, logs=home / "logs"), config_path(home))
    store = store if store is not None else ConversationStore.in_home(home)
    app = create_app(queued, options, registry, store)
    engines = EngineCache(queued, engine_config, web.max_models, options.max_waiting, options.stall_timeout)
    services = Services(engines, registry, store, knowledge_base, home, web.language, tool_sources,
                        serve_on_api=partial(_serve_on_api, app.state.lingxi, options.served_model_name))
    auth = (web.username, web.password.get_secret_value()) if web.username and web.password else None
    app = gr.mount_gradio_app(app, build_blocks(services), "/", auth=auth, auth_message="Lingxi 灵犀",
                              allowed_paths=[str(services.exports), str(services.workspaces)], theme=THEME, css=CSS,
                              footer_links=["api"], run_history=False, show_error=True)
    _close_on_shutdown(app, engines, tool_sources)
    return app


def _serve_on_api(state: ServerState, served_name: str | None, engine: QueuedEngine) -> None:
    """The API's routes take the engine from `state` at each request: new requests go to `engine`,
    running ones finish on the engine they started on."""
    state.engine, state.model_name = engine, served_name or engine.name
    logger.info("the API now serves %s", state.model_name)


def _close_on_shutdown(app: FastAPI, engines: EngineCache, tool_sources: ToolSources) -> None:
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app_: FastAPI):
        async with inner(app_) as state:
            yield state
        engines.close()
        tool_sources.close()

    app.router.lifespan_context = lifespan


class WebApp(WebOptions, ServerOptions, ServedModelOptions, AgentToolOptions, BaseSettings):
    """Lingxi (灵犀): the chat UI and the OpenAI-compatible API on a local model."""

    model_config = SettingsConfigDict(env_prefix="LINGXI_", cli_prog_name="python app.py", cli_kebab_case=True,
                                      cli_implicit_flags=True, extra="ignore")

    def engine_config(self) -> EngineConfig:
        return EngineConfig(**self.model_dump(include=set(EngineConfig.model_fields)))

    def cli_cmd(self) -> None:
        import uvicorn

        home = lingxi_home()
        knowledge_base = KnowledgeBase(home / "knowledge")
        sources = agent_tools(home, tools_module=self.tools_module, mcp_config=self.mcp_config,
                              knowledge_base=knowledge_base)
        engine = load_engine(self.model, self.adapter, self.engine_config())
        app = create_web_app(engine, self, knowledge_base=knowledge_base, web=self,
                             engine_config=self.engine_config(), tool_sources=sources)
        if self.host not in _LOOPBACK and not self.username:
            logger.warning("serving on %s without --username/--password: anyone who can reach it can use it",
                           self.host)
        print(f"Lingxi serves {engine.name}: web UI http://{self.host}:{self.port}  "
              f"(OpenAI API: http://{self.host}:{self.port}/v1)", flush=True)
        uvicorn.run(app, host=self.host, port=self.port, log_level="info")


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run_command(WebApp, sys.argv[1:] if argv is None else argv, prog="app.py")


if __name__ == "__main__":
    sys.exit(main())
