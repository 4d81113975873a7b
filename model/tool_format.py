"""The one tool-call format: render tools and calls into a prompt, parse model output back.

Lingxi uses the Hermes / Qwen2.5 convention (shared/DESIGN.md): tool schemas in the system turn
inside <tools></tools>, each call as <tool_call>{"name": ..., "arguments": {...}}</tool_call>,
results inside <tool_response></tool_response> in a user turn. LMDeploy's and vLLM's `qwen` tool
parsers read the same format, so a model tuned here serves on a GPU with native tool parsing.

Serving parses with this module, training renders its examples with it, eval checks what it
parsed: the three cannot drift apart. Output that does not parse is never an error: it stays text.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from model.types import ChatDelta, Message, ToolCall, ToolSchema

CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
RESPONSE_OPEN, RESPONSE_CLOSE = "<tool_response>", "</tool_response>"
_CALL_BLOCK = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_LIVE_MARKUP = re.compile(
    r"<(?=/?\s*(?:tool_call|tool_response|tools)\s*>)"  # our own tags, opening or closing
    r"|<(?=[|｜][^<>\n]{1,64}?[|｜]>)"                    # special tokens: <|im_end|>, <｜end▁of▁sentence｜>
    r"|<(?=/?s>|(?:start|end)_of_turn>)",                 # Llama-2 / Mistral and Gemma turn tokens
    re.IGNORECASE,
)
INERT_MARK = "\u200b"
"""Zero-width space put after the "<" of live markup in tool results: it reads the same, but no
tokenizer sees a special token in it and no parser sees a tag."""


def defuse_markup(text: str) -> str:
    """Make text that came from a tool inert in the prompt: every <tool_call>, </tool_call>,
    <tool_response>, </tool_response>, <tools>, </tools> and chat-template special token such as
    <|im_start|>, <|im_end|>, <|endoftext|> (any <|...|>), <s>, </s>, <start_of_turn> gets a
    zero-width space after its "<". Other text is unchanged; defused text stays as it is."""
    return _LIVE_MARKUP.sub("<" + INERT_MARK, text)


TOOLS_SYSTEM_PROMPT = """# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{tools}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{{"name": <function-name>, "arguments": <args-json-object>}}
</tool_call>"""

def dumps(value: Any) -> str:
    """JSON as the prompt shows it: compact separators kept readable, Chinese as UTF-8 text."""
    return json.dumps(value, ensure_ascii=False)


class ToolFormat:
    """Hermes-style rendering and parsing. Stateless; one instance serves every request."""

    call_prefix = CALL_OPEN + "\n"
    """What a forced call's prompt ends with, so constrained decoding starts at the JSON."""

    # ---- rendering -------------------------------------------------------------------------
    def tools_system_prompt(self, tools: list[ToolSchema]) -> str:
        return TOOLS_SYSTEM_PROMPT.format(tools="\n".join(dumps(tool) for tool in tools))

    def render_call(self, call: ToolCall) -> str:
        return f"{CALL_OPEN}\n{dumps({'name': call.name, 'arguments': call.arguments})}\n{CALL_CLOSE}"

    def render_assistant(self, message: Message) -> str:
        """An assistant turn as the model writes it: its text, then each call in tags."""
        parts = [content_text(message.get("content"))] if message.get("content") else []
        parts += [self.render_call(ToolCall.from_openai(call)) for call in message.get("tool_calls") or []]
        return "\n".join(parts)

    def render_tool_result(self, message: Message) -> str:
        """A tool's result inside <tool_response> tags, with markup that could end the block,
        forge a call or end the turn (see `defuse_markup`) made inert."""
        return f"{RESPONSE_OPEN}\n{defuse_markup(content_text(message.get('content')))}\n{RESPONSE_CLOSE}"

    def prepare_messages(self, messages: list[Message], tools: list[ToolSchema]) -> list[Message]:
        """OpenAI messages (with tools, tool_calls, tool results) -> plain role/content messages
        that any chat template renders: the tools join the system turn, calls become tagged text
        in the assistant turn, consecutive tool results become one user turn."""
        plain: list[Message] = []
        for message in messages:
            role = message["role"]
            if role == "tool":
                text = self.render_tool_result(message)
                if plain and plain[-1].get("_tool_results"):
                    plain[-1]["content"] += "\n" + text
                else:
                    plain.append({"role": "user", "content": text, "_tool_results": True})
            elif role == "assistant":
                plain.append({"role": "assistant", "content": self.render_assistant(message)})
            else:
                plain.append({"role": role, "content": content_text(message.get("content"))})
        for message in plain:
            message.pop("_tool_results", None)
        if tools:
            plain = self._with_tools_in_system(plain, tools)
        return plain

    def _with_tools_in_system(self, messages: list[Message], tools: list[ToolSchema]) -> list[Message]:
        block = self.tools_system_prompt(tools)
        if messages and messages[0]["role"] == "system":
            first = dict(messages[0], content=f"{messages[0]['content']}\n\n{block}".strip())
            return [first, *messages[1:]]
        return [{"role": "system", "content": block}, *messages]

    # ---- parsing ---------------------------------------------------------------------------
    def parse(self, text: str, tools: list[ToolSchema] | None = None) -> tuple[str, list[ToolCall]]:
        """Model output -> (text without the parsed calls, calls). Never raises."""
        calls: list[ToolCall] = []
        kept: list[str] = []
        position = 0
        for match in _CALL_BLOCK.finditer(text):
            call = parse_call_json(match.group(1))
            if call is None:
                continue
            kept.append(text[position:match.start()])
            calls.append(call)
            position = match.end()
        kept.append(text[position:])
        content = "".join(kept).strip()
        if not calls and tools:
            bare = parse_bare_calls(text, tool_names(tools))
            if bare:
                return "", bare
        return content, calls

    def stream_parser(self, tools: list[ToolSchema], forced: bool = False) -> "StreamParser":
        """A parser for one streamed answer. With no tools offered (and no forced call) nothing
        is parsed: a model that writes call tags unasked is answering in text."""
        return StreamParser(self, tool_names(tools), inside_call=forced, enabled=bool(tools) or forced)


@dataclass
class StreamParser:
    """Incremental parse: text streams out at once, except what may still become a tool call."""

    tool_format: ToolFormat
    names: set[str]
    inside_call: bool = False
    enabled: bool = True
    _buffer: str = ""
    _maybe_bare_json: bool | None = None
    _emitted_text: bool = field(default=False)

    def feed(self, text: str) -> ChatDelta:
        if not self.enabled:
            return self._text(text)
        self._buffer += text
        if self._maybe_bare_json is None and self._buffer.strip():
            # Decided once, on the first text: an answer that opens with JSON may be a bare call.
            opens_json = self._buffer.lstrip().startswith(("{", "["))
            self._maybe_bare_json = bool(self.names) and not self.inside_call and opens_json
        if self._maybe_bare_json:
            return ChatDelta()
        return self._drain(final=False)

    def finish(self) -> ChatDelta:
        if not self.enabled:
            return self._text("", final=True)
        if self._maybe_bare_json:
            content, calls = self.tool_format.parse(self._buffer, [_named(n) for n in self.names])
            self._buffer = ""
            return ChatDelta(content=content, tool_calls=calls)
        return self._drain(final=True)

    def _drain(self, final: bool) -> ChatDelta:
        out = ChatDelta()
        while self._buffer:
            if self.inside_call:
                end = self._buffer.find(CALL_CLOSE)
                if end < 0 and not final:
                    break
                body = self._buffer if end < 0 else self._buffer[:end]
                self._buffer = "" if end < 0 else self._buffer[end + len(CALL_CLOSE):]
                self.inside_call = False
                call = parse_call_json(body)
                if call is None:
                    out.content += CALL_OPEN + body + ("" if end < 0 else CALL_CLOSE)
                else:
                    out.tool_calls.append(call)
                continue
            start = self._buffer.find(CALL_OPEN)
            if start >= 0:
                out.content += self._buffer[:start]
                self._buffer = self._buffer[start + len(CALL_OPEN):]
                self.inside_call = True
                continue
            keep = 0 if final else _partial_suffix(self._buffer, CALL_OPEN)
            out.content += self._buffer[: len(self._buffer) - keep]
            self._buffer = self._buffer[len(self._buffer) - keep:]
            break
        out.content = self._trim(out.content, final)
        return out

    def _text(self, text: str, final: bool = False) -> ChatDelta:
        return ChatDelta(content=self._trim(text, final))

    def _trim(self, content: str, final: bool) -> str:
        # Text before the first call or between calls is often a lone newline: drop leading
        # whitespace of the answer, and trailing whitespace at the end.
        if not self._emitted_text:
            content = content.lstrip()
        if content:
            self._emitted_text = True
        return content.rstrip() if final else content


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def _named(name: str) -> ToolSchema:
    return {"type": "function", "function": {"name": name}}


def tool_names(tools: list[ToolSchema] | None) -> set[str]:
    return {tool["function"]["name"] for tool in tools or []}


def parse_call_json(body: str) -> ToolCall | None:
    """{"name": ..., "arguments": {...}} (arguments may also be a JSON string) -> ToolCall."""
    try:
        data = json.loads(body.strip())
    except (json.JSONDecodeError, ValueError):
        return None
    return call_from_dict(data)


def call_from_dict(data: Any) -> ToolCall | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    arguments = data.get("arguments", data.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError:
            return None
    if not isinstance(arguments, dict):
        return None
    return ToolCall(name=data["name"], arguments=arguments)


def parse_bare_calls(text: str, names: set[str]) -> list[ToolCall]:
    """A whole output that is a JSON call (or a list of them) naming known tools, without tags."""
    try:
        data = json.loads(text.strip())
    except (json.JSONDecodeError, ValueError):
        return []
    items = data if isinstance(data, list) else [data]
    calls = [call_from_dict(item) for item in items]
    if calls and all(call is not None and call.name in names for call in calls):
        return calls  # type: ignore[return-value]
    return []


def content_text(content: Any) -> str:
    """OpenAI content may be a string, None, or a list of parts; the model sees text."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


DEFAULT_TOOL_FORMAT = ToolFormat()
