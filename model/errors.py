"""The model layer's typed exceptions. Callers branch on the type, never on message text."""
from __future__ import annotations


class ModelError(Exception):
    """Base of every error the model layer raises on purpose."""


class ModelNotFoundError(ModelError):
    """A model spec that resolves to no weights. The message names every place that was tried."""

    def __init__(self, spec: str, tried: list[str]):
        self.spec = spec
        self.tried = tried
        lines = "\n".join(f"  - {item}" for item in tried)
        super().__init__(f"cannot resolve model spec {spec!r}; tried:\n{lines}")


class EngineUnavailableError(ModelError):
    """The engine cannot run here: a missing optional package or no suitable device."""


class ContextLengthError(ModelError):
    """The prompt (plus the requested completion) does not fit the model's context."""

    def __init__(self, prompt_tokens: int, max_tokens: int | None, n_ctx: int):
        self.prompt_tokens = prompt_tokens
        self.max_tokens = max_tokens
        self.n_ctx = n_ctx
        asked = f" plus max_tokens {max_tokens}" if max_tokens else ""
        super().__init__(
            f"this model's maximum context length is {n_ctx} tokens; your messages are "
            f"{prompt_tokens} tokens{asked}"
        )


class InvalidRequestError(ModelError):
    """A request the model layer cannot act on (say, tool_choice naming an unknown tool)."""


class GenerationError(ModelError):
    """The engine failed while generating (a crash or a hang of the backend)."""


class GrammarError(ModelError):
    """A schema an engine cannot turn into a grammar for constrained decoding."""


class ModelIntegrityError(ModelError):
    """Weights whose size or sha256 differ from the pinned ones: they were deleted, never loaded."""
