"""The API server's app factory: one FastAPI app, per-route modules, OpenAI-style errors."""
from __future__ import annotations

import logging
import secrets
import threading
import time
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from agent_app.agent import Agent
from agent_app.server import agent_routes, chat_routes
from agent_app.server.errors import install_error_handlers
from agent_app.server.state import ServerState
from agent_app.settings import ServerOptions
from agent_app.store import ConversationStore
from tools import ToolRegistry, default_registry, lingxi_home
from model.engines.base import ChatEngine
from model.engines.queued import QueuedEngine
from model.errors import ModelError

logger = logging.getLogger(__name__)
_bearer = HTTPBearer(auto_error=False)


def create_app(engine: ChatEngine, options: ServerOptions | None = None, registry: ToolRegistry | None = None,
               store: ConversationStore | None = None) -> FastAPI:
    """The server on `engine`, with the default tools and the conversation store in $LINGXI_HOME
    unless others are given."""
    options = options or ServerOptions()
    queued = engine if isinstance(engine, QueuedEngine) else QueuedEngine(
        engine, options.max_waiting, stall_timeout=options.stall_timeout)
    home = lingxi_home()
    registry = registry if registry is not None else default_registry(home)
    store = store if store is not None else ConversationStore.in_home(home)
    # The schema and its pages are served by a guarded router below, not by FastAPI's own routes.
    app = FastAPI(title="Lingxi", version="0.1.0", lifespan=_lifespan, openapi_url=None, docs_url=None,
                  redoc_url=None, description="OpenAI-compatible chat completions with tool calling, on a local model.")
    app.state.lingxi = ServerState(engine=queued, model_name=options.served_model_name or engine.name,
                                   registry=registry, store=store, workspaces=home / "workspaces",
                                   warm_prompts=options.warm_prompts)
    install_error_handlers(app)

    guarded = [Depends(_api_key_guard(options))]
    app.include_router(chat_routes.router, dependencies=guarded)
    app.include_router(agent_routes.router, dependencies=guarded)
    app.include_router(_models_router(), dependencies=guarded)
    app.include_router(_docs_router(), dependencies=guarded)

    @app.get("/health")
    async def health() -> dict:
        state: ServerState = app.state.lingxi
        return {"status": "ok", "model": state.model_name, "waiting": state.engine.waiting,
                "serving": state.engine.serving, "parallel": state.engine.capacity, "warm": state.warmed.is_set()}

    return app


@asynccontextmanager
async def _lifespan(app: FastAPI):
    state: ServerState = app.state.lingxi
    if state.warm_prompts:
        threading.Thread(target=warm_agent, args=(state.engine, state.registry, state.warmed),
                         name="lingxi-warm", daemon=True).start()
    else:
        state.warmed.set()
    yield
    app.state.lingxi.executor.shutdown(wait=False, cancel_futures=True)
    app.state.lingxi.store.close()


def warm_agent(engine: ChatEngine, registry: ToolRegistry, done: threading.Event) -> None:
    """Evaluate the default agent's first prompt (all tools, no system prompt) ahead of the first
    user; requests that arrive meanwhile wait their turn in the queue."""
    started = time.monotonic()
    try:
        if Agent(engine, registry).warm():
            logger.info("warmed the agent's prompt with %d tools in %.1f s", len(registry.default_names()),
                        time.monotonic() - started)
    except ModelError as error:
        logger.warning("warming the agent's prompt failed: %s", error)
    finally:
        done.set()


def _api_key_guard(options: ServerOptions):
    expected = options.api_key.get_secret_value() if options.api_key else None

    async def guard(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        if expected is None:
            return
        given = credentials.credentials if credentials else ""
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise HTTPException(401, "invalid or missing API key (Authorization: Bearer KEY)",
                                headers={"WWW-Authenticate": "Bearer"})

    return guard


def _models_router() -> APIRouter:
    router = APIRouter()

    @router.get("/v1/models")
    async def list_models(request: Request) -> dict:
        state: ServerState = request.app.state.lingxi
        return {"object": "list", "data": [
            {"id": state.model_name, "object": "model", "created": 0, "owned_by": "lingxi"},
        ]}

    return router


def _docs_router() -> APIRouter:
    """/openapi.json, /docs and /redoc, behind the same key as the API when one is set."""
    router = APIRouter(include_in_schema=False)

    @router.get("/openapi.json")
    async def openapi(request: Request) -> dict:
        return request.app.openapi()

    @router.get("/docs")
    async def swagger_ui(request: Request):
        return get_swagger_ui_html(openapi_url="/openapi.json", title=request.app.title + " API")

    @router.get("/redoc")
    async def redoc(request: Request):
        return get_redoc_html(openapi_url="/openapi.json", title=request.app.title + " API")

    return router
