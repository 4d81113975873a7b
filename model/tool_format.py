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
        """The system turn's tool block. Schemas may come from anyone (an API client, an MCP
        server): markup in them is defused like a tool's result, so a description cannot end the
        turn or open one."""
        return TOOLS_SYSTEM_PROMPT.format(tools=defuse_markup("\n".join(dumps(tool) for tool in tools)))

    def render_call(self, call: ToolCall) -> str:
        return f"{CALL_OPEN}\n{dumps({'name': call.name, 'arguments': call.arguments})}\n{CALL_CLOSE}"

    @staticmethod
    def call_head(name: str) -> str:
        """How `render_call` writes a call's JSON up to its arguments: ``{"name": "x", "arguments": ``."""
        return dumps({"name": name, "arguments": 0})[: -len("0}")]

    def name_opening(self) -> str:
        """How `render_call` writes a call's JSON up to the name's first character: ``{"name": "``."""
        head = self.call_head("")
        return head[: head.index('""') + 1]

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
        """Model output -> (text without the parsed calls, calls). Never raises. The same reading
        as a streamed answer's (`StreamParser`), so the two cannot disagree."""
        parser = StreamParser(self, tool_names(tools))
        head, tail = parser.feed(text), parser.finish()
        return (head.content + tail.content).strip(), head.tool_calls + tail.tool_calls

    def failed_calls(self, text: str, tools: list[ToolSchema] | None = None) -> list[str]:
        """The ``<tool_call>`` blocks of model output that do not parse (`parse` leaves them out)."""
        parser = StreamParser(self, tool_names(tools))
        return parser.feed(text).failed_calls + parser.finish().failed_calls

    def stream_parser(self, tools: list[ToolSchema], forced: bool = False) -> "StreamParser":
        """A parser for one streamed answer. With no tools offered (and no forced call) nothing
        is parsed: a model that writes call tags unasked is answering in text."""
        return StreamParser(self, tool_names(tools), inside_call=forced, enabled=bool(tools) or forced)


@dataclass
class StreamParser:
    """Incremental parse: text streams out at once, except what may still become a tool call.

    Calls are read from ``<tool_call>`` blocks (a missing closing tag is forgiven at the end),
    and, for models not trained on our tags, leniently from an answer that is a bare JSON call
    and from fenced blocks (```json ... ```): those only when every call names an offered tool,
    in the shapes `lenient_call` knows. Anything else stays text; a fence in another language
    (```python) streams through untouched.

    Our markup never reaches the text: a ``<tool_call>`` block that does not parse goes to the
    delta's `failed_calls` (the agent shows it to the model as an error, the UI folds it into a
    failed step, the API leaves it out of the content), and stray tags a model writes in its
    prose (``</tool_call>``, ``<tool_response>``, ``</tool_response>``, ``<tools>``) are dropped.
    """

    tool_format: ToolFormat
    names: set[str]
    inside_call: bool = False
    enabled: bool = True
    _buffer: str = ""
    _maybe_bare_json: bool | None = None
    _emitted_text: bool = field(default=False)
    _fence: str | None = None  # None, "call" (held until it closes) or "other" (streams through)
    _fence_head: str = ""

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
            self._maybe_bare_json = False
            bare = parse_bare_calls(self._buffer, self.names)
            if bare:
                self._buffer = ""
                return ChatDelta(tool_calls=bare)
        return self._drain(final=True)

    def _drain(self, final: bool) -> ChatDelta:
        out = ChatDelta()
        while self._buffer:
            if self.inside_call:
                if not self._close_call(out, final):
                    break
            elif self._fence == "call":
                if not self._close_call_fence(out, final):
                    break
            elif self._fence == "other":
                if not self._pass_other_fence(out, final):
                    break
            elif not self._open_next(out, final):
                break
        out.content = self._trim(out.content, final)
        return out

    def _open_next(self, out: ChatDelta, final: bool) -> bool:
        """Emit text up to the next call tag or fence and enter it; False when it must wait."""
        found = [(index, tag) for index, tag in ((self._buffer.find(CALL_OPEN), CALL_OPEN),
                                                 (self._buffer.find(FENCE) if self.names else -1, FENCE))
                 if index >= 0]
        if not found:
            keep = 0 if final else max([partial_suffix(self._buffer, tag) for tag in (CALL_OPEN, *STRAY_TAGS)]
                                       + [partial_suffix(self._buffer, FENCE) if self.names else 0])
            self._emit(out, len(self._buffer) - keep)
            return False
        start, tag = min(found)
        if tag == CALL_OPEN:
            self._emit(out, start)
            self._buffer = self._buffer[len(CALL_OPEN):]
            self.inside_call = True
            return True
        newline = self._buffer.find("\n", start + len(FENCE))
        if newline < 0 and not final:
            self._emit(out, start)
            return False
        self._emit(out, start)  # the buffer now opens with the fence
        head_end = len(self._buffer) if newline < 0 else newline - start + 1
        info = self._buffer[len(FENCE):head_end].strip()
        if info.lower() in _CALL_FENCES or info.startswith(("{", "[")):
            self._fence = "call"
            body_start = len(FENCE) if info.startswith(("{", "[")) else head_end
            self._fence_head = self._buffer[:body_start]
            self._buffer = self._buffer[body_start:]
        else:
            self._fence = "other"
            self._emit(out, len(FENCE))
        return True

    def _close_call(self, out: ChatDelta, final: bool) -> bool:
        end = self._buffer.find(CALL_CLOSE)
        if end < 0 and not final:
            return False
        body = self._buffer if end < 0 else self._buffer[:end]
        self._buffer = "" if end < 0 else self._buffer[end + len(CALL_CLOSE):]
        self.inside_call = False
        call = parse_call_json(body)
        if call is None:
            out.failed_calls.append(CALL_OPEN + body + ("" if end < 0 else CALL_CLOSE))
        else:
            out.tool_calls.append(call)
        return True

    def _close_call_fence(self, out: ChatDelta, final: bool) -> bool:
        end = self._buffer.find(FENCE)
        if end < 0 and not final:
            return False
        body = self._buffer if end < 0 else self._buffer[:end]
        self._buffer = "" if end < 0 else self._buffer[end + len(FENCE):]
        self._fence = None
        calls = parse_lenient_calls(body, self.names)
        if calls:
            out.tool_calls.extend(calls)
        else:
            out.content += self._fence_head + body + ("" if end < 0 else FENCE)
        return True

    def _pass_other_fence(self, out: ChatDelta, final: bool) -> bool:
        end = self._buffer.find(FENCE)
        if end < 0:
            keep = 0 if final else partial_suffix(self._buffer, FENCE)
            self._emit(out, len(self._buffer) - keep)
            return False
        self._emit(out, end + len(FENCE))
        self._fence = None
        return True

    def _emit(self, out: ChatDelta, size: int) -> None:
        text = self._buffer[:size]
        out.content += text if self._fence == "other" else _STRAY.sub("", text)
        self._buffer = self._buffer[size:]

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


FENCE = "```"
STRAY_TAGS = (CALL_CLOSE, RESPONSE_OPEN, RESPONSE_CLOSE, "<tools>", "</tools>")
"""Our tags, written outside a call: markup a model echoes from its prompt, never text."""
_STRAY = re.compile("|".join(re.escape(tag) for tag in STRAY_TAGS))
_CALL_FENCES = {"", "json", "jsonc", "json5", "tool_call", "tool_code", "function_call"}


def partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that is a proper start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


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
    """A whole output that is a JSON call (or a list of them) naming offered tools, without tags."""
    return parse_lenient_calls(text, names)


def parse_lenient_calls(text: str, names: set[str]) -> list[ToolCall]:
    """JSON text that is a call or a list of calls in a shape `lenient_call` knows, every one
    naming an offered tool; else no calls."""
    try:
        data = json.loads(text.strip())
    except (json.JSONDecodeError, ValueError, RecursionError):
        return []
    items = data if isinstance(data, list) else [data]
    calls = [lenient_call(item, names) for item in items]
    return calls if calls and all(calls) else []  # type: ignore[return-value]


def lenient_call(data: Any, names: set[str]) -> ToolCall | None:
    """The shapes small models write a call in, when the name is an offered tool:
    {"name", "arguments" | "parameters" | "args" | "tool_input"}, {"tool", ...} and OpenAI's
    {"type": "function", "function": {"name", "arguments"}}."""
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("function"), dict):
        data = data["function"]
    name = next((data[key] for key in ("name", "tool", "tool_name", "function") if isinstance(data.get(key), str)), None)
    if name not in names:
        return None
    arguments = next((data[key] for key in ("arguments", "parameters", "args", "tool_input", "input")
                      if key in data), {})
    return call_from_dict({"name": name, "arguments": arguments})


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
