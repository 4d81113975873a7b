"""Conversations -> token ids and labels for SFT, with loss only on what the assistant writes.

A conversation is rendered exactly as serving renders it (model/engines/base.py): the tool
format's `prepare_messages` (tools into the system turn, calls as <tool_call> text, results as
<tool_response> user turns), then the model's chat template. No other renderer of the format
exists, so a trained model is served with the prompt format it was trained on.

How the loss mask is found: for each assistant message i, the template renders
`messages[:i]` with the generation prompt (what the model is given) and `messages[:i+1]`
(with its answer). Both must be prefixes of the full render; the text between them, up to and
including the turn-end marker (`<|im_end|>` or the eos token), is the assistant's: labels there
are the token ids, -100 elsewhere. Text after the marker (ChatML's newline) is template glue
the model never generates, so it carries no loss.

The pieces are tokenized one by one, as serving sees them (the prompt is tokenized, the answer
is generated token by token), and the result is checked against tokenizing the whole text at
once; a difference at a piece boundary is counted in `RenderStats.boundary_mismatches`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from model.chat_template import ChatTemplate
from model.tool_format import DEFAULT_TOOL_FORMAT, ToolFormat
from training.conversation import Conversation, TextExample
from training.errors import RenderError

logger = logging.getLogger(__name__)

IGNORE_INDEX = -100
"""Label of a token that carries no loss (PyTorch's cross-entropy ignore_index)."""


class Tokenizer(Protocol):
    """What rendering needs of a tokenizer; a Hugging Face tokenizer fits."""

    def encode(self, text: str, add_special_tokens: bool = ...) -> list[int]: ...


@dataclass
class TokenizedExample:
    input_ids: list[int]
    labels: list[int]
    """Same length as input_ids: the id where the token carries loss, IGNORE_INDEX elsewhere."""
    id: str | None = None

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def loss_tokens(self) -> int:
        return sum(label != IGNORE_INDEX for label in self.labels)


@dataclass
class RenderStats:
    examples: int = 0
    kept: int = 0
    truncated: int = 0
    """Kept, but cut after the last assistant turn that fits max_length."""
    dropped_too_long: int = 0
    """Not even the first assistant turn fits max_length."""
    dropped_no_loss: int = 0
    """No assistant token at all (nothing to learn)."""
    boundary_mismatches: int = 0
    tokens: int = 0
    loss_tokens: int = 0
    longest: int = 0
    """Length in tokens of the longest example before truncation."""
    dropped_ids: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.kept} of {self.examples} examples kept ({self.truncated} truncated at a turn "
                f"boundary); dropped: {self.dropped_too_long} longer than max_length, "
                f"{self.dropped_no_loss} without assistant tokens; {self.tokens} tokens, "
                f"{self.loss_tokens} with loss; longest {self.longest}")


def template_for(tokenizer: Any) -> ChatTemplate:
    """The chat template a Hugging Face tokenizer carries (ChatML when it has none)."""
    return ChatTemplate.from_source(getattr(tokenizer, "chat_template", None),
                                    getattr(tokenizer, "bos_token", None) or "",
                                    getattr(tokenizer, "eos_token", None) or "")


class SFTRenderer:
    """Renders conversations (and raw text) into `TokenizedExample`s; keeps `stats`."""

    def __init__(self, tokenizer: Tokenizer, template: ChatTemplate | None = None,
                 tool_format: ToolFormat = DEFAULT_TOOL_FORMAT, max_length: int = 2048):
        self.tokenizer = tokenizer
        self.template = template or template_for(tokenizer)
        self.tool_format = tool_format
        self.max_length = max_length
        self.stats = RenderStats()

    # ---- text pieces ----------------------------------------------------------------------
    def pieces(self, conversation: Conversation) -> list[tuple[str, bool]]:
        """The full prompt text cut into (text, carries_loss) pieces, in order."""
        plain = self.tool_format.prepare_messages(conversation.messages, conversation.tools)
        render = self.template.render
        full = render(plain, add_generation_prompt=False)
        pieces: list[tuple[str, bool]] = []
        cursor = 0
        for index, message in enumerate(plain):
            if message["role"] != "assistant":
                continue
            prompt = render(plain[:index], add_generation_prompt=True)
            answered = render(plain[: index + 1], add_generation_prompt=False)
            if not (full.startswith(prompt) and full.startswith(answered) and cursor <= len(prompt) <= len(answered)):
                raise RenderError(f"message {index}: the chat template's render of the conversation so far "
                                  "is not a prefix of the whole render; the loss mask cannot be found")
            end = self._turn_end(answered, len(prompt))
            pieces += [(full[cursor:len(prompt)], False), (full[len(prompt):end], True)]
            cursor = end
        pieces.append((full[cursor:], False))
        return [(text, loss) for text, loss in pieces if text]

    def _turn_end(self, answered: str, start: int) -> int:
        """End of the assistant's own text: just after the last turn-end marker in it."""
        ends = [answered.rfind(stop, start) + len(stop) for stop in self.template.stop_strings
                if answered.rfind(stop, start) >= 0]
        return max(ends) if ends else len(answered)

    # ---- tokens ---------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def tokenize(self, conversation: Conversation) -> tuple[TokenizedExample, list[int]]:
        """The whole conversation, untruncated, and the token positions where it may be cut
        (the end of each assistant turn)."""
        input_ids: list[int] = []
        labels: list[int] = []
        cuts: list[int] = []
        pieces = self.pieces(conversation)
        for text, loss in pieces:
            ids = self.encode(text)
            input_ids += ids
            labels += ids if loss else [IGNORE_INDEX] * len(ids)
            if loss:
                cuts.append(len(input_ids))
        if input_ids != self.encode("".join(text for text, _ in pieces)):
            self.stats.boundary_mismatches += 1
            logger.debug("%s: piecewise tokenization differs from the whole text's", conversation.id)
        return TokenizedExample(input_ids, labels, conversation.id), cuts

    def render(self, conversation: Conversation) -> TokenizedExample | None:
        """One conversation, truncated after the last assistant turn that fits max_length;
        None (and counted in stats) when nothing trainable fits."""
        example, cuts = self.tokenize(conversation)
        stats = self.stats
        stats.examples += 1
        stats.longest = max(stats.longest, len(example))
        if not example.loss_tokens:
            stats.dropped_no_loss += 1
            stats.dropped_ids.append(conversation.id or "")
            return None
        if len(example) > self.max_length:
            fitting = [cut for cut in cuts if cut <= self.max_length]
            if not fitting:
                stats.dropped_too_long += 1
                stats.dropped_ids.append(conversation.id or "")
                return None
            example = TokenizedExample(example.input_ids[: fitting[-1]], example.labels[: fitting[-1]], example.id)
            stats.truncated += 1
        self._keep(example)
        return example

    def render_text(self, example: TextExample) -> list[TokenizedExample]:
        """Raw text for pre-training: loss on every token, the eos token appended, cut into
        windows of max_length."""
        ids = self.encode(example.text)
        eos = getattr(self.tokenizer, "eos_token_id", None)
        if eos is not None:
            ids.append(eos)
        self.stats.examples += 1
        self.stats.longest = max(self.stats.longest, len(ids))
        chunks = [ids[i: i + self.max_length] for i in range(0, len(ids), self.max_length)]
        if len(chunks) > 1:
            self.stats.truncated += 1
        out = [TokenizedExample(chunk, list(chunk), example.id) for chunk in chunks if len(chunk) > 1]
        self._keep(*out)
        return out

    def _keep(self, *examples: TokenizedExample) -> None:
        self.stats.kept += bool(examples)
        self.stats.tokens += sum(len(example) for example in examples)
        self.stats.loss_tokens += sum(example.loss_tokens for example in examples)

    def render_all(self, examples: Iterable[Conversation | TextExample]) -> list[TokenizedExample]:
        out: list[TokenizedExample] = []
        for example in examples:
            if isinstance(example, TextExample):
                out += self.render_text(example)
            else:
                rendered = self.render(example)
                if rendered is not None:
                    out.append(rendered)
        if self.stats.dropped_too_long or self.stats.truncated:
            logger.info("rendering: %s", self.stats.summary())
        return out
