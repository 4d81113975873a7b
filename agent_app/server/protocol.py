"""Request and response types of the OpenAI-compatible API, in one place."""
from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from model.text_check import first_text_problem
from model.tool_schemas import ToolSchemaError, check_parameters
from model.types import ChatRequest, SamplingParams


class TextOnlyRequest(BaseModel):
    """A request body whose every string (keys included) a model can be given: a lone surrogate
    or a NUL anywhere is a 400 naming its place (model/text_check.py)."""

    @model_validator(mode="before")
    @classmethod
    def _usable_text(cls, data: Any) -> Any:
        found = first_text_problem(data)
        if found:
            raise PydanticCustomError("unusable_text", "{where}: {problem}",
                                      {"where": found[0], "problem": found[1]})
        return data


class FunctionCall(BaseModel):
    name: str
    arguments: str = "{}"

    @field_validator("arguments")
    @classmethod
    def _json_object(cls, value: str) -> str:
        try:
            decoded = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as error:
            raise ValueError(f"function arguments must be a JSON object: {error}") from None
        if not isinstance(decoded, dict):
            raise ValueError("function arguments must be a JSON object")
        return value


class ToolCallModel(BaseModel):
    id: str = ""
    type: Literal["function"] = "function"
    function: FunctionCall


class TextPart(BaseModel):
    type: Literal["text"]
    text: str


Content = str | list[TextPart] | None


class SystemMessage(BaseModel):
    role: Literal["system", "developer"]
    content: str | list[TextPart]
    name: str | None = None


class UserMessage(BaseModel):
    role: Literal["user"]
    content: str | list[TextPart]
    name: str | None = None


class AssistantMessage(BaseModel):
    role: Literal["assistant"]
    content: Content = None
    tool_calls: list[ToolCallModel] | None = None
    name: str | None = None


class ToolMessage(BaseModel):
    role: Literal["tool"]
    content: str | list[TextPart]
    tool_call_id: str


MessageModel = Annotated[
    SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")
]


class FunctionDefinition(BaseModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]{1,64}$")
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=lambda: {"type": "object", "properties": {}})

    @model_validator(mode="after")
    def _usable_schema(self):
        """A schema the server cannot use is refused here, before any work (model/tool_schemas.py)."""
        try:
            check_parameters(self.name, self.parameters)
        except ToolSchemaError as error:
            raise PydanticCustomError("tool_schema", "{message}", {"message": str(error)}) from None
        return self


class ToolDefinition(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionDefinition


class NamedFunction(BaseModel):
    name: str


class NamedToolChoice(BaseModel):
    type: Literal["function"] = "function"
    function: NamedFunction


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(TextOnlyRequest):
    model_config = ConfigDict(extra="ignore")

    model: str = Field(min_length=1, examples=["lingxi"], description="the served model's name, or an alias: "
                                                                       "lingxi, default, bundled")
    messages: list[MessageModel] = Field(min_length=1, examples=[[{"role": "user", "content": "你好"}]])
    tools: list[ToolDefinition] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float = Field(0.7, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int = Field(1, ge=1, le=1, description="only one choice per request is supported")
    stream: bool = False
    stream_options: StreamOptions | None = None

    @field_validator("stop")
    @classmethod
    def _at_most_four_stops(cls, value):
        stops = [value] if isinstance(value, str) else value or []
        if len(stops) > 4 or any(not stop for stop in stops):
            raise ValueError("stop takes at most 4 non-empty strings")
        return stops

    @model_validator(mode="after")
    def _tool_choice_needs_tools(self):
        named = isinstance(self.tool_choice, NamedToolChoice)
        if (named or self.tool_choice == "required") and not self.tools:
            raise ValueError("tool_choice requires `tools`")
        if named and self.tool_choice.function.name not in {t.function.name for t in self.tools}:
            raise ValueError(f"tool_choice names unknown tool {self.tool_choice.function.name!r}")
        return self

    def to_chat_request(self) -> ChatRequest:
        tool_choice = self.tool_choice or "auto"
        return ChatRequest(
            messages=[message.model_dump(exclude_none=True) for message in self.messages],
            tools=[tool.model_dump() for tool in self.tools or []],
            tool_choice=tool_choice if isinstance(tool_choice, str) else tool_choice.model_dump(),
            sampling=SamplingParams(
                max_tokens=self.max_completion_tokens or self.max_tokens,
                temperature=self.temperature,
                top_p=self.top_p,
                stop=list(self.stop or []),
                seed=self.seed,
            ),
        )


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def now() -> int:
    return int(time.time())
