"""Warm prompts (model/engines/prompt_cache.py): the cache's own rules, then on the real bundled
model that a restored state gives the very tokens a full evaluation gives, and that the server
warms the agent's prompt at start-up."""
from __future__ import annotations

import threading

import pytest

from model.engines.prompt_cache import PromptCache, common_prefix
from model.types import ChatRequest, SamplingParams


def test_common_prefix():
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0 and common_prefix([5, 6], [5, 6, 7]) == 2


def test_lookup_finds_the_longest_shared_prefix_and_ignores_short_ones():
    cache = PromptCache(1 << 20, min_tokens=3)
    cache.store([1, 2, 3, 4, 5], b"a")
    cache.store([1, 2, 9, 9], b"b")
    entry, shared = cache.lookup([1, 2, 3, 4, 7, 8])
    assert entry.state == b"a" and shared == 4
    assert cache.lookup([1, 2, 8]) is None  # 2 shared tokens: fewer than min_tokens
    assert cache.lookup([7, 7, 7]) is None
    assert not cache.store([1, 2], b"short")


def test_a_state_that_extends_an_older_one_replaces_it():
    cache = PromptCache(1 << 20, min_tokens=2)
    cache.store([1, 2, 3], b"prompt")
    cache.store([1, 2, 3, 4, 5], b"prompt and reply")
    assert len(cache) == 1 and cache.holds([1, 2, 3, 4, 5]) and not cache.holds([1, 2, 3])
    entry, shared = cache.lookup([1, 2, 3, 9])
    assert entry.state == b"prompt and reply" and shared == 3


def test_the_least_recently_used_state_goes_first_when_the_budget_is_exceeded():
    cache = PromptCache(capacity_bytes=10, min_tokens=1)
    cache.store([1, 1], b"1234")
    cache.store([2, 2], b"1234")
    cache.lookup([1, 1, 5])  # [1, 1] is now the most recently used
    cache.store([3, 3], b"1234")  # 12 bytes > 10: [2, 2] goes
    assert cache.holds([1, 1]) and cache.holds([3, 3]) and not cache.holds([2, 2])
    assert cache.size_bytes == 8
    assert not cache.store([4, 4], b"x" * 11)  # alone over the budget: not kept, nothing evicted
    assert len(cache) == 2


def test_an_engine_without_prompt_states_warms_nothing():
    from agent_app.agent import Agent
    from model.engines.queued import QueuedEngine
    from model.scripted import ScriptedEngine
    from tools import ToolRegistry, calculator

    assert Agent(QueuedEngine(ScriptedEngine([])), ToolRegistry([calculator])).warm() is False


class WarmRecorder:
    """A chat engine that records what it is asked to warm."""

    def __init__(self):
        from model.scripted import ScriptedEngine

        self.inner = ScriptedEngine(["hello"])
        self.name, self.n_ctx = "recorder", 4096
        self.warmed: list[ChatRequest] = []
        self.done = threading.Event()

    def stream(self, request, cancel=None):
        return self.inner.stream(request, cancel)

    def warm(self, request):
        self.warmed.append(request)
        self.done.set()
        return True


def test_the_server_warms_the_default_agents_prompt_with_every_tool_at_start_up(tmp_path):
    from agent_app.server.app import create_app
    from agent_app.settings import ServerOptions
    from agent_app.store import ConversationStore
    from tests.conftest import live_server
    from tools import ToolRegistry, calculator

    recorder = WarmRecorder()
    registry = ToolRegistry([calculator])
    store = ConversationStore(tmp_path / "s.sqlite3")
    with live_server(create_app(recorder, ServerOptions(), registry=registry, store=store)):
        assert recorder.done.wait(10)
    request = recorder.warmed[0]
    assert [tool["function"]["name"] for tool in request.tools] == ["calculator"]
    assert request.messages[-1]["role"] == "user"
    recorder.done.clear()
    with live_server(create_app(recorder, ServerOptions(warm_prompts=False), registry=registry,
                                store=ConversationStore(tmp_path / "t.sqlite3"))):
        assert not recorder.done.wait(0.5)


@pytest.fixture(scope="module")
def generators():
    from model.engines.llamacpp import LlamaCppGenerator
    from model.spec import bundled_gguf_path

    warm = LlamaCppGenerator(str(bundled_gguf_path()), n_ctx=2048, n_threads=1, prompt_cache_mb=64)
    cold = LlamaCppGenerator(str(bundled_gguf_path()), n_ctx=2048, n_threads=1, prompt_cache_mb=0)
    yield warm, cold
    warm.close()
    cold.close()


def _text(generator, prompt: str) -> str:
    params = SamplingParams(max_tokens=24, temperature=0)
    return "".join(chunk.text for chunk in generator.generate(prompt, params, None, threading.Event()))


SYSTEM = ("<|im_start|>system\nYou are Lingxi, a helpful assistant. You answer briefly and exactly, in the "
          "language the user writes in. 你是灵犀，一个乐于助人的助手。<|im_end|>\n")


@pytest.mark.model
def test_a_restored_state_answers_exactly_as_a_full_evaluation(generators):
    """Conversation A is warmed, B displaces it from the context, then A's next prompt starts from
    A's cached state: fewer tokens evaluated, the same greedy answer as without any cache."""
    warm, cold = generators
    first = SYSTEM + "<|im_start|>user\nName three colours.<|im_end|>\n<|im_start|>assistant\n"
    other = "<|im_start|>system\nYou translate English into French.<|im_end|>\n<|im_start|>user\nGood morning<|im_end|>\n<|im_start|>assistant\n"
    warm.warm(first)
    assert len(warm.prompt_cache) == 1
    _text(warm, other)  # the context now holds another prompt
    follow = first + "Red, green and blue.<|im_end|>\n<|im_start|>user\n再说三种。<|im_end|>\n<|im_start|>assistant\n"
    restored = warm.restored
    answer = _text(warm, follow)
    assert warm.restored == restored + 1
    assert answer == _text(cold, follow) and answer.strip()
    assert cold.restored == 0 and cold.prompt_cache is None


@pytest.mark.model
def test_scoring_paths_use_the_cache_too(generators):
    warm, cold = generators
    prompt = SYSTEM + "<|im_start|>user\nIs the sky blue? Answer yes or no.<|im_end|>\n<|im_start|>assistant\n"
    warm.warm(prompt)
    _text(warm, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    restored = warm.restored
    scores = warm.next_token_logprobs(prompt, ["Yes", "No"])
    assert warm.restored == restored + 1
    expected = cold.next_token_logprobs(prompt, ["Yes", "No"])
    assert scores.keys() == expected.keys()
    assert all(abs(scores[k] - expected[k]) < 1e-3 for k in scores)


class RecordingGenerator:
    n_ctx = 4096

    def __init__(self):
        self.warmed: list[str] = []

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def warm(self, prompt: str) -> None:
        self.warmed.append(prompt)


def test_a_calibrated_engine_warms_the_prompt_with_tools_and_the_one_a_no_call_continues():
    from model.chat_template import ChatTemplate
    from model.engines.base import TemplatedEngine
    from tools import ToolRegistry, calculator

    tools = ToolRegistry([calculator]).schemas(None)
    request = ChatRequest([{"role": "user", "content": ""}], tools=tools)
    generator = RecordingGenerator()
    engine = TemplatedEngine("t", generator, ChatTemplate.from_source(None), call_threshold={"en": 0.5, "zh": 0.4})
    assert engine.warm(request)
    with_tools, without = generator.warmed
    assert "calculator" in with_tools and "calculator" not in without
    generator.warmed.clear()
    TemplatedEngine("t", generator, ChatTemplate.from_source(None)).warm(request)  # the model decides itself
    assert len(generator.warmed) == 1


@pytest.mark.model
def test_a_prompt_tokenized_again_comes_from_the_kept_tokens_and_cannot_be_changed_through_them(generators):
    """One request tokenizes its prompt several times; the generator keeps recent texts' tokens."""
    warm, cold = generators
    prompt = SYSTEM + "<|im_start|>user\n今天几号？<|im_end|>\n<|im_start|>assistant\n"
    tokens = warm.tokenize(prompt)
    assert tokens == cold.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
    tokens.append(0)  # a caller's list is its own
    assert warm.tokenize(prompt) == tokens[:-1]
    assert warm._tokens_of.cache_info().hits >= 1
