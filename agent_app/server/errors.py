"""OpenAI-style error bodies: {"error": {"message", "type", "param", "code"}}.

Bad input is a 4xx with a message that says what is wrong; nothing a client sends is a 500.
"""
from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from model.engines.queued import GenerationStalledError, QueueFullError
from model.errors import (ContextLengthError, EngineUnavailableError, GenerationError,
                          InvalidRequestError, ModelError)

logger = logging.getLogger(__name__)


def error_body(message: str, type_: str = "invalid_request_error", param: str | None = None,
               code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_response(status: int, message: str, type_: str = "invalid_request_error",
                   param: str | None = None, code: str | None = None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(message, type_, param, code), status_code=status, headers=headers)


def model_error_response(error: ModelError) -> JSONResponse:
    """Map a model-layer exception to its HTTP answer, by type."""
    if isinstance(error, ContextLengthError):
        return error_response(400, str(error), param="messages", code="context_length_exceeded")
    if isinstance(error, InvalidRequestError):
        return error_response(400, str(error))
    if isinstance(error, QueueFullError):
        return error_response(429, str(error), "rate_limit_error", code="queue_full",
                              headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, GenerationStalledError):
        return error_response(503, str(error), "server_error", code="generation_stalled",
                              headers={"Retry-After": str(error.retry_after)})
    if isinstance(error, EngineUnavailableError):
        return error_response(503, str(error), "server_error", code="engine_unavailable")
    if isinstance(error, GenerationError):
        logger.error("generation failed: %s", error)
        return error_response(500, str(error), "server_error", code="generation_failed")
    return error_response(500, str(error), "server_error")


def _describe(error: dict) -> tuple[str, str | None]:
    location = [str(part) for part in error.get("loc", ()) if part != "body"]
    if error.get("type") == "json_invalid":
        return f"the request body is not valid JSON: {error.get('ctx', {}).get('error', '')}".strip(), None
    param = ".".join(location) or None
    return (f"{param}: {error['msg']}" if param else error["msg"]), param


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    message, param = _describe(errors[0]) if errors else ("invalid request", None)
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problems)"
    return error_response(400, message, param=param)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    type_ = "authentication_error" if exc.status_code == 401 else "invalid_request_error"
    return error_response(exc.status_code, str(exc.detail), type_, headers=getattr(exc, "headers", None))


async def _model_error(request: Request, exc: ModelError) -> JSONResponse:
    return model_error_response(exc)


async def _internal_error(request: Request, exc: Exception) -> JSONResponse:
    """Our own bug: logged with its traceback (path only: no headers, no query), answered in the
    OpenAI shape rather than as a bare text page."""
    logger.error("internal error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, f"internal error: {type(exc).__name__}", "server_error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ModelError, _model_error)
    app.add_exception_handler(Exception, _internal_error)
