"""Continuous batching on llama.cpp (model/engines/batched.py) and the queue that lets several
callers in at once.

The real bundled model, with the shipped LoRA as `make run` serves it: a batched generation gives
the very tokens the single-sequence engine gives (greedy), alone or beside others; cancelling or
abandoning a generation frees its slot; a warmed prompt is not evaluated again; scoring gives the
single engine's log-probabilities.

llama.cpp's arithmetic depends a little on how a batch is made up (a prompt decoded in one chunk
or token by token, alone or beside others), so where two next tokens are nearly tied the greedy
choice can flip — in the single engine too ("你好，请介绍一下你自己。" answers differently there
depending on what its context held before), and a CPU with other SIMD kernels rounds differently
("Name three colours." after a bilingual system line ties on an AMD EPYC, not on the Intel
machine where this suite was written). The prompts below were checked not to sit on such a tie
(the warmed prompt's question on the AMD EPYC only).
"""
from __future__ import annotations

import threading
import time

import pytest

from model.engines.batched import _StopText
from model.engines.queued import QueuedEngine, QueueFullError
from model.errors import GrammarError
from model.types import ChatRequest, SamplingParams
from tests.fakes import SlowEngine

PROMPTS = [
    "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\nWrite a poem about the sea.<|im_end|>\n<|im_start|>assistant\n",
    "<|im_start|>user\n请用一句话介绍北京。<|im_end|>\n<|im_start|>assistant\n",
]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "n": {"type": "integer"}},
          "required": ["city", "n"]}


def run(generator, prompt: str, max_tokens: int = 32, schema=None, stop=(), cancel=None):
    """(text, finish, completion tokens) of one generation."""
    params = SamplingParams(max_tokens=max_tokens, temperature=0, stop=list(stop))
    pieces = generator.generate(prompt, params, schema, cancel or threading.Event())
    text, tokens = [], 0
    while True:
        try:
            chunk = next(pieces)
        except StopIteration as end:
            return "".join(text), end.value, tokens
        text.append(chunk.text)
        tokens += chunk.n_tokens


@pytest.fixture(scope="module")
def pair():
    from model.engines.batched import BatchedLlamaCpp
    from model.engines.llamacpp import LlamaCppGenerator
    from model.spec import bundled_gguf_path, shipped_adapter

    model, lora = str(bundled_gguf_path()), str(shipped_adapter("lingxi-tools", "gguf"))
    single = LlamaCppGenerator(model, n_ctx=1024, n_threads=1, lora_path=lora, stop=["<|im_end|>"],
                               prompt_cache_mb=0)
    batched = BatchedLlamaCpp(model, n_ctx=1024, n_threads=1, lora_path=lora, stop=["<|im_end|>"],
                              prompt_cache_mb=64, parallel=3)
    yield single, batched
    batched.close()
    single.close()


@pytest.mark.model
@pytest.mark.parametrize("prompt", PROMPTS, ids=["en-short", "en-long", "zh"])
def test_a_batched_generation_gives_the_single_engines_tokens(pair, prompt):
    single, batched = pair
    expected = run(single, prompt)
    assert expected[0].strip()
    assert run(batched, prompt) == expected


@pytest.mark.model
def test_grammar_and_stop_strings_behave_as_in_the_single_engine(pair):
    single, batched = pair
    constrained = run(batched, PROMPTS[0], max_tokens=48, schema=SCHEMA)
    assert constrained == run(single, PROMPTS[0], max_tokens=48, schema=SCHEMA)
    assert constrained[0].lstrip().startswith("{") and constrained[1] == "stop"
    text, finish, _ = run(batched, PROMPTS[1], stop=["sea"])
    assert finish == "stop" and "sea" not in text and text == run(single, PROMPTS[1], stop=["sea"])[0]


@pytest.mark.model
def test_concurrent_generations_decode_together_and_answer_as_alone(pair):
    single, batched = pair
    alone = [run(single, prompt, max_tokens=24) for prompt in PROMPTS]
    results: dict[int, tuple] = {}
    steps, tokens = batched.steps, batched.tokens_decoded

    def client(index: int) -> None:
        results[index] = run(batched, PROMPTS[index], max_tokens=24)

    threads = [threading.Thread(target=client, args=(index,)) for index in range(len(PROMPTS))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [results[index] for index in range(len(PROMPTS))] == alone
    decoded_steps = batched.steps - steps
    assert (batched.tokens_decoded - tokens) / decoded_steps > 1.5  # several sequences a step


@pytest.mark.model
def test_cancelling_or_abandoning_a_generation_frees_its_slot(pair):
    _, batched = pair
    cancel = threading.Event()
    pieces = batched.generate(PROMPTS[1], SamplingParams(max_tokens=200, temperature=0), None, cancel)
    next(pieces)
    cancel.set()
    rest = list(pieces)
    assert len(rest) < 50 and rest[-1].n_tokens < 200  # stopped at the next token, not at max_tokens
    abandoned = [batched.generate(prompt, SamplingParams(max_tokens=200, temperature=0), None, threading.Event())
                 for prompt in PROMPTS]
    for pieces in abandoned:
        next(pieces)
        pieces.close()  # the caller walks away without cancelling
    deadline = time.monotonic() + 10
    while any(slot.sequence is not None for slot in batched._slots) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(slot.sequence is None for slot in batched._slots)
    assert run(batched, PROMPTS[0])[0].strip()  # every slot is usable again


@pytest.mark.model
def test_a_warmed_prompt_is_not_evaluated_again_by_a_generation(pair):
    """The generation takes over the KV stream the prompt was warmed in (or restores its state
    from the prompt cache): it decodes the prompt's last token, for its logits, then the reply."""
    single, batched = pair
    prompt = ("<|im_start|>system\nYou are Lingxi, a helpful assistant. 你是灵犀。<|im_end|>\n"
              "<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n")
    batched.warm(prompt)
    decoded = batched.tokens_decoded
    reply = run(batched, prompt)
    assert reply == run(single, prompt)
    assert batched.tokens_decoded - decoded <= reply[2] + 1 < len(batched.tokenize(prompt))


def test_a_call_opened_by_the_decision_continues_from_the_scored_opening(pair):
    _, batched = pair
    prompt = ("<|im_start|>system\nYou may call tools. 你可以调用工具。<|im_end|>\n"
              "<|im_start|>user\nWhat is 19 * 21?<|im_end|>\n<|im_start|>assistant\n")
    opening = "<tool_call>\n"
    batched.continuation_logprob(prompt, opening)  # the calibrated decision scores the opening
    decoded, restored = batched.tokens_decoded, batched.restored
    run(batched, prompt + opening, max_tokens=1)
    # The call phase takes over the scored KV stream (prompt + opening but its last token), with no
    # state copied in, and decodes one prompt token for its logits (two if the joint tokenization
    # splits differently): not the opening again.
    assert batched.tokens_decoded - decoded <= 2 + 1
    assert batched.restored == restored


@pytest.mark.model
def test_a_text_answer_continues_the_scored_prompt_without_evaluating_it_again(pair):
    """A "text" decision's answer is written after the very prompt the decision scored: it takes
    over the scored KV stream and decodes the prompt's last token only (for its logits)."""
    _, batched = pair
    prompt = ("<|im_start|>system\nYou may call tools. 你可以调用工具。<|im_end|>\n"
              "<|im_start|>user\n你好！今天天气不错，我们聊聊吧。<|im_end|>\n<|im_start|>assistant\n")
    batched.text_bar("<tool_call>")  # built before (the app's warm-up builds it), as idle time would copy the state
    batched.continuation_logprob(prompt, "<tool_call>", floor=0.0)  # stops at "<": below any floor of 0
    decoded, restored = batched.tokens_decoded, batched.restored
    params = SamplingParams(max_tokens=1, temperature=0)
    "".join(chunk.text for chunk in batched.generate(prompt, params, None, threading.Event(), barred="<tool_call>"))
    assert batched.tokens_decoded - decoded == 1 and batched.restored == restored


@pytest.mark.model
def test_a_barred_text_never_comes_out_and_both_engines_bar_it_alike(pair):
    """The calibrated decision's text answers bar the call opening (model/text_bar.py): a prompt
    that all but dictates it gets text without it, the same tokens on both engines."""
    single, batched = pair
    prompt = "Lines:\nA <tool_call>\nB <tool_call>\nC <tool_call>\nD"
    params = SamplingParams(max_tokens=16, temperature=0)

    def text(generator, barred=""):
        return "".join(chunk.text for chunk in generator.generate(prompt, params, None, threading.Event(), barred=barred))

    assert "<tool_call>" in text(single)
    barred = text(single, "<tool_call>")
    assert "<tool_call>" not in barred and barred.startswith(" <")  # "<" itself stays possible
    assert text(batched, "<tool_call>") == barred


@pytest.mark.model
def test_a_scored_state_is_moved_aside_by_the_next_score_and_copied_once_idle(pair):
    """A scored state is not copied into the prompt cache while its caller waits (a 20 MB copy
    took ~50 ms here): the next score moves it to a free generating slot, a call continuing it
    starts there, and it reaches the prompt cache when the engine is idle."""
    from model.engines.batched import IDLE_AFTER

    _, batched = pair
    system = "<|im_start|>system\nYou may call tools. 你可以调用工具。<|im_end|>\n"
    first = system + "<|im_start|>user\nWhat is 23 * 29?<|im_end|>\n<|im_start|>assistant\n"
    second = system + "<|im_start|>user\n请用一句话介绍上海。<|im_end|>\n<|im_start|>assistant\n"
    opening = "<tool_call>\n"
    scored = [batched.tokenize(prompt) + batched.tokenize(opening)[:-1] for prompt in (first, second)]
    batched.continuation_logprob(first, opening)
    batched.continuation_logprob(second, opening)
    assert any(slot.tokens == scored[0] for slot in batched._slots)  # moved aside, not overwritten
    decoded = batched.tokens_decoded
    run(batched, first + opening, max_tokens=1)
    assert batched.tokens_decoded - decoded <= 2 + 1
    deadline = time.time() + 30 + IDLE_AFTER
    while not batched.prompt_cache.holds(scored[1]):
        assert time.time() < deadline, "the scored state never reached the prompt cache"
        time.sleep(0.05)


@pytest.mark.model
def test_the_next_turn_is_scored_in_the_kv_stream_that_holds_the_finished_reply(pair):
    """A finished reply's state is not copied into the prompt cache as the reply ends: the next
    turn's call decision takes over the KV stream that holds it and evaluates the new turn's
    tokens only, restoring nothing; the scored state reaches the prompt cache once the engine is idle."""
    from model.engines.batched import IDLE_AFTER
    from model.engines.prompt_cache import common_prefix

    single, batched = pair
    first = ("<|im_start|>system\nYou are Lingxi. 你是灵犀，会调用工具。<|im_end|>\n"  # cached by no other test
             "<|im_start|>user\nName a large city in China.<|im_end|>\n<|im_start|>assistant\n")
    reply = run(batched, first, max_tokens=12)[0]
    text = first + reply + "<|im_end|>\n<|im_start|>user\n再说一个。<|im_end|>\n<|im_start|>assistant\n"
    following = batched.tokenize(text)
    held = max(common_prefix(slot.tokens, following) for slot in batched._slots)
    assert held >= len(batched.tokenize(first))  # the reply's slot
    scored, restored = batched.tokens_scored, batched.restored
    opening = batched.tokenize("<tool_call>")
    logprob = batched.continuation_logprob(text, "<tool_call>")
    assert batched.restored == restored
    assert batched.tokens_scored - scored <= len(following) - held + len(opening) - 1 < len(following) // 2
    # The KV state taken over is this conversation's: the single engine, evaluating it all, agrees.
    # Not to the digit: llama.cpp's arithmetic moves with how a state was built, here the reply
    # token by token (-31.92 against -31.46 for the opening, the same -31.92 when the state was
    # copied at the reply's end and restored, as before this change).
    assert logprob == pytest.approx(single.continuation_logprob(text, "<tool_call>"), abs=1.0)
    scored = following + opening[:-1]
    deadline = time.time() + 30 + IDLE_AFTER
    while not batched.prompt_cache.holds(scored):
        assert time.time() < deadline, "the scored state never reached the prompt cache"
        time.sleep(0.05)


@pytest.mark.model
def test_a_floor_stops_scoring_once_the_first_token_is_below_it(pair):
    """With a floor above its first token's log-probability, a continuation is scored by that
    token alone (the rest is not decoded); with one below, in full, as without a floor."""
    _, batched = pair
    prompt = PROMPTS[0]
    continuation = "The capital of Spain"  # its last word unlikely: the whole far below the first token
    first = batched.next_token_logprobs(prompt, ["The"])["The"]
    whole = batched.continuation_logprob(prompt, continuation)
    assert whole < first - 1 < 0
    # (llama.cpp's arithmetic moves a little with how the prompt's state was built: 0.013 here)
    assert batched.continuation_logprob(prompt, continuation, floor=first + 0.5) == pytest.approx(first, abs=0.05)
    assert batched._scratch.tokens == batched.tokenize(prompt)  # the continuation was not decoded
    assert batched.continuation_logprob(prompt, continuation, floor=first - 0.5) == pytest.approx(whole, abs=0.05)
    assert len(batched._scratch.tokens) > len(batched.tokenize(prompt))


@pytest.mark.model
def test_scoring_matches_the_single_engine(pair):
    single, batched = pair
    prompt = PROMPTS[0]
    assert batched.continuation_logprob(prompt, "The capital") == pytest.approx(
        single.continuation_logprob(prompt, "The capital"), abs=1e-3)
    expected = single.next_token_logprobs(prompt, ["The", "Paris"])
    assert batched.next_token_logprobs(prompt, ["The", "Paris"]) == pytest.approx(expected, abs=1e-3)


def test_a_batch_holds_its_sequences_in_the_order_of_their_kv_streams():
    """Slots swap KV streams; llama.cpp decoded four next tokens put in on streams 4, 1, 2, 3 in
    two passes (model/engines/batched.py, `_BatchContext.fill`). Next tokens still come before a
    prompt's chunk when room runs out."""
    from types import SimpleNamespace

    from llama_cpp import llama_cpp

    from model.engines.batched import _BatchContext, _Slot

    batch = llama_cpp.llama_batch_init(16, 0, 1)
    try:
        context = SimpleNamespace(batch=batch, n_batch=16)
        running = [SimpleNamespace(pending=[7], slot=_Slot(index, tokens=[1, 2])) for index in (4, 1, 3, 2)]
        prompt = SimpleNamespace(pending=[5, 6, 7], slot=_Slot(0))
        entries = _BatchContext.fill(context, running + [prompt])
        streams = [batch.seq_id[row][0] for row in range(batch.n_tokens)]
        assert streams == [0, 0, 0, 1, 2, 3, 4]
        assert [batch.pos[row] for row in range(batch.n_tokens)] == [0, 1, 2, 2, 2, 2, 2]
        assert [(sequence.slot.index, row) for sequence, row in entries] == [(0, 2), (1, 3), (2, 4), (3, 5), (4, 6)]
        for sequence in running:
            sequence.pending = [7]
        prompt.pending = [5, 6, 7]
        context.n_batch = 5  # room for the next tokens and one token of the prompt
        batch.n_tokens = 0
        _BatchContext.fill(context, running + [prompt])
        assert [batch.seq_id[row][0] for row in range(batch.n_tokens)] == [0, 1, 2, 3, 4]
        assert prompt.pending == [6, 7]
    finally:
        llama_cpp.llama_batch_free(batch)


def test_a_request_takes_a_free_stream_that_keeps_the_running_streams_consecutive():
    """llama.cpp decodes sequences on separate KV streams in one pass only where the stream ids are
    consecutive: four clients on streams 0, 2, 3 and 4 made every step two passes (bench/serve.py,
    4 clients 73-88 against 97-117 tokens/s). A request takes the stream that makes the fewest
    passes before one that holds more of its prompt; the roles (generating slots, scratch and idle
    sequences) swap streams, with what they hold, to get it."""
    from model.engines.batched import BatchedLlamaCpp, _passes, _Slot

    assert [_passes(streams) for streams in ([], [4], [0, 1, 2, 3], [1, 2, 3, 4], [0, 2, 3, 4], [0, 2, 4])] == [
        0, 1, 1, 1, 2, 3]
    engine = object.__new__(BatchedLlamaCpp)  # the stream choice only: no model, no context
    engine.prompt_cache = None
    engine._slots = [_Slot(0), _Slot(1), _Slot(2), _Slot(5)]
    engine._scratch, engine._idle = _Slot(3), _Slot(4)
    prompt = list(range(100, 140))
    engine._slots[3].tokens = prompt[:30]  # the most of the prompt, on stream 5
    engine._idle.tokens = prompt[:20]
    for slot in engine._slots[:3]:
        slot.sequence = object()  # running on streams 0, 1 and 2
    free = engine._slots[3]
    chosen = engine._take_stream(prompt, [free])
    assert chosen is free and free.index == 3 and free.tokens == []  # the scratch sequence's stream
    assert engine._scratch.index == 5 and engine._scratch.tokens == prompt[:30]  # kept, in its stream

    # a reply on stream 1 ends and leaves a gap: the next request fills it, though its state must
    # first be copied into the prompt cache (once) and the idle stream 4 holds more of the prompt
    free.sequence, engine._slots[1].sequence = object(), None
    engine._slots[1].tokens, engine._slots[1].unsaved = list(range(60)), True
    assert engine._take_stream(prompt, [engine._slots[1]]).index == 1

    for slot in engine._slots:
        slot.sequence = None  # nothing runs: the longest prefix wins
    assert engine._take_stream(prompt, [engine._slots[1]]).tokens == prompt[:30]
    assert engine._slots[1].index == 5


def test_stop_text_holds_a_possible_stop_and_cuts_at_a_whole_one():
    stop = _StopText(["<|im_end|>"])
    assert stop.feed(b"Hello <|im") == ("Hello ", False)
    assert stop.feed(b"_e") == ("", False)
    assert stop.feed(b"nd|> more") == ("", True) and stop.stopped
    held = _StopText(["STOP"])
    assert held.feed(b"ends with ST") == ("ends with ", False)
    assert held.flush() == "ST"  # never became a stop string: it goes out at the end


def test_stop_text_sends_whole_characters_only():
    text = _StopText([])
    encoded = "你好".encode()
    assert text.feed(encoded[:2]) == ("", False)
    assert text.feed(encoded[2:4]) == ("你", False)
    assert text.flush() == ""  # half a character at the end is dropped, not sent as U+FFFD


REQUEST = ChatRequest([{"role": "user", "content": "x"}])


def drain(engine) -> None:
    for _ in engine.stream(REQUEST):
        pass


def test_the_queue_lets_in_as_many_callers_as_the_engine_serves_at_once():
    slow = SlowEngine(tokens=6, delay=0.03)
    slow.parallel = 3
    queued = QueuedEngine(slow, max_waiting=2)
    assert queued.capacity == 3
    threads = [threading.Thread(target=drain, args=(queued,)) for _ in range(5)]
    for thread in threads:
        thread.start()
    time.sleep(0.05)
    assert queued.waiting == 2 and queued.is_full()
    with pytest.raises(QueueFullError):
        next(iter(queued.stream(REQUEST)))
    for thread in threads:
        thread.join(timeout=10)
    assert slow.max_active == 3 and slow.finished == 5


CALCULATOR = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression.",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


@pytest.mark.model
def test_the_api_serves_concurrent_requests_on_the_batched_default(tmp_path):
    """`make run`'s default (shipped adapter, calibrated decision) with two sequences: forced
    calls, auto mode and streaming, three clients at once, each answered whole."""
    import json

    import httpx

    from agent_app.server.app import create_app
    from agent_app.settings import ServerOptions
    from agent_app.store import ConversationStore
    from model.loader import EngineConfig, load_engine
    from tests.conftest import live_server
    from tools import ToolRegistry

    engine = load_engine("bundled", "default", EngineConfig(n_ctx=2048, n_threads=1, parallel=2))
    assert engine.parallel == 2
    app = create_app(engine, ServerOptions(warm_prompts=True), registry=ToolRegistry([]),
                     store=ConversationStore(tmp_path / "c.sqlite3"))
    asked = [
        {"messages": [{"role": "user", "content": "What is 17 * 23?"}], "tools": [CALCULATOR],
         "tool_choice": {"type": "function", "function": {"name": "calculator"}}, "temperature": 0.7},
        {"messages": [{"role": "user", "content": "计算 15% 的 240。"}], "tools": [CALCULATOR],
         "tool_choice": "required", "temperature": 0.7},
        {"messages": [{"role": "user", "content": "Hello! Who are you?"}], "tools": [CALCULATOR],
         "max_tokens": 24, "stream": True},
    ]
    answers: dict[int, object] = {}

    def client(url: str, index: int) -> None:
        with httpx.Client(timeout=120) as http:
            response = http.post(f"{url}/v1/chat/completions", json={"model": "default", **asked[index]})
            answers[index] = (response.status_code, response.text)

    try:
        with live_server(app) as url:
            threads = [threading.Thread(target=client, args=(url, index)) for index in range(len(asked))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=180)
    finally:
        engine.close()
    for index in (0, 1):
        status, body = answers[index]
        assert status == 200, body
        call = json.loads(body)["choices"][0]["message"]["tool_calls"][0]["function"]
        assert call["name"] == "calculator" and isinstance(json.loads(call["arguments"])["expression"], str)
    status, body = answers[2]
    events = [line[6:] for line in body.splitlines() if line.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    finish = [json.loads(event)["choices"][0].get("finish_reason") for event in events[:-1]]
    assert finish[-1] in ("stop", "length", "tool_calls")


WEB_SEARCH = {"type": "function", "function": {
    "name": "web_search", "description": "Search the web for current information.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}


@pytest.mark.model
def test_a_call_starts_from_what_its_grammar_fixes_written_into_the_prompt():
    """The batched engine takes ``{"name": "`` and, once the model's first name tokens settle the
    tool, ``{"name": "<tool>", "arguments": `` as written (one batch each) instead of decoding them a
    token at a time (model/engines/auto_calls.py): the same tool, fewer decode steps."""
    from model.loader import EngineConfig, load_engine

    engine = load_engine("bundled", "default", EngineConfig(n_ctx=2048, n_threads=1, parallel=2))
    engine.call_threshold = 0.0  # every answer opens with a call
    request = ChatRequest([{"role": "user", "content": "Search the web for the weather in Hangzhou."}],
                          tools=[CALCULATOR, WEB_SEARCH], sampling=SamplingParams(max_tokens=64, temperature=0))

    def first_call(written: bool):
        engine.generator.accepts_grammar_prefix = written
        steps = engine.generator.steps
        for delta in engine.stream(request):
            if delta.tool_calls:  # the next phase starts only when asked for: the count is the call's
                return delta.tool_calls[0], engine.generator.steps - steps
        raise AssertionError("no call")

    try:
        whole, whole_steps = first_call(False)
        written, steps = first_call(True)
    finally:
        engine.close()
    assert written.name == whole.name and isinstance(written.arguments.get(
        "query" if written.name == "web_search" else "expression"), str)
    # {"name": " and ", "arguments": " (four tokens each) and the name's later tokens are not decoded one by one
    assert steps <= whole_steps - 6, (steps, whole_steps)


@pytest.mark.model
def test_a_grammar_prefix_is_checked_against_the_grammar_before_it_is_taken(pair):
    _, batched = pair
    params = SamplingParams(max_tokens=16, temperature=0)
    text = "".join(chunk.text for chunk in batched.generate(PROMPTS[0], params, SCHEMA, threading.Event(),
                                                             grammar_prefix='{"city": "Par'))
    assert '"n"' in text and text.rstrip().endswith("}")  # the city goes on from "Par", then the rest
    with pytest.raises(GrammarError):  # llama.cpp would abort the process on accepting it
        next(batched.generate(PROMPTS[0], params, SCHEMA, threading.Event(), grammar_prefix='["Paris"'))


@pytest.mark.model
def test_a_prefetched_prompt_is_evaluated_while_idle_and_then_reused(pair):
    """`prefetch` returns at once; after IDLE_AFTER seconds with nothing to do the engine evaluates
    the prompt a few tokens a step and keeps its state, from which a later score starts (in the
    stream that holds it, or restored from the prompt cache): the same log-probability as without
    it, with only the next turn's tokens decoded."""
    from model.engines.batched import IDLE_AFTER, IDLE_CHUNK

    single, batched = pair
    turn = ("<|im_start|>system\nYou may call tools. 你可以调用工具。<|im_end|>\n<|im_start|>user\nHi! Who are you?"
            "<|im_end|>\n<|im_start|>assistant\nI am Lingxi, an assistant that can call tools for you.<|im_end|>\n")
    following = turn + "<|im_start|>user\n再说一个。<|im_end|>\n<|im_start|>assistant\n"
    tokens = batched.tokenize(turn)
    assert len(tokens) > 2 * IDLE_CHUNK  # evaluated in several steps
    started = time.perf_counter()
    batched.prefetch(turn)
    assert time.perf_counter() - started < IDLE_AFTER
    deadline = time.time() + 60
    while not batched.prompt_cache.holds(tokens):
        assert time.time() < deadline, "the prefetch did not finish"
        time.sleep(0.05)
    scored = batched.tokens_scored
    assert batched.continuation_logprob(following, "<tool_call>") == pytest.approx(
        single.continuation_logprob(following, "<tool_call>"), abs=1e-3)
    new_tokens = len(batched.tokenize(following)) - len(tokens) + len(batched.tokenize("<tool_call>")) - 1
    assert batched.tokens_scored - scored <= new_tokens + 1 < len(tokens)
