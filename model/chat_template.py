"""Chat templates as the model ships them (GGUF metadata or tokenizer config), rendered with Jinja
the way Hugging Face tokenizers render them. One renderer for serving, training and eval."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from model.types import Message

logger = logging.getLogger(__name__)

CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
"""Used when a model ships no template of its own."""


def _raise_exception(message: str) -> None:
    raise TemplateError(message)


def _tojson(value: Any, indent: int | None = None, ensure_ascii: bool = False, **_: Any) -> str:
    return json.dumps(value, indent=indent, ensure_ascii=ensure_ascii)


@dataclass
class ChatTemplate:
    source: str = CHATML_TEMPLATE
    bos_token: str = ""
    eos_token: str = ""
    extra_stop: list[str] = field(default_factory=list)

    @cached_property
    def _compiled(self):
        env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        env.filters["tojson"] = _tojson
        env.globals["raise_exception"] = _raise_exception
        env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
        return env.from_string(self.source)

    def render(self, messages: list[Message], add_generation_prompt: bool = True, **extra: Any) -> str:
        return self._compiled.render(
            messages=messages,
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_token,
            eos_token=self.eos_token,
            **extra,
        )

    @property
    def stop_strings(self) -> list[str]:
        """Strings that end an assistant turn: the end-of-sequence token and turn-end markers."""
        stops = [self.eos_token] if self.eos_token else []
        if "<|im_end|>" in self.source:
            stops.append("<|im_end|>")
        stops += self.extra_stop
        return list(dict.fromkeys(stop for stop in stops if stop))

    @classmethod
    def from_source(cls, source: str | None, bos_token: str = "", eos_token: str = "") -> "ChatTemplate":
        if not source:
            logger.warning("the model ships no chat template; using ChatML")
            return cls(CHATML_TEMPLATE, bos_token, eos_token)
        return cls(source, bos_token, eos_token)
