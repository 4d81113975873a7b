"""Math word problems through the real agent loop, on a scripted model."""
from pathlib import Path

from eval import get_benchmark, run_benchmark
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"


def call(expression: str) -> str:
    return f'<tool_call>{{"name": "calculator", "arguments": {{"expression": "{expression}"}}}}</tool_call>'


def test_svamp_through_the_agent_counts_steps_and_failures(tmp_path):
    bench = get_benchmark("svamp_agent", FIXTURES)
    items = bench.load()
    gold = items[0].data["answer"]
    engine = ScriptedEngine([
        call(items[0].data["equation"]), f"The answer is {gold:g}.",       # right, with the tool
        "<tool_call>{broken</tool_call>", "The answer is -12345.",          # parse failure, then wrong
    ])
    run = run_benchmark(engine, bench, limit=2, out_dir=tmp_path)
    first, second = run.records
    assert first.correct and first.scores["used_calculator"] == 1.0
    assert first.details["steps"] == 2 and first.details["tool_errors"] == 0
    assert not second.correct and second.details["parse_failures"] == 1
    # the agent really ran: the calculator's result reached the model
    assert engine.history[1].messages[-1]["role"] == "tool"


def test_agent_step_limit_is_reported(tmp_path):
    bench = get_benchmark("gsm8k_agent", FIXTURES, max_steps=2)
    engine = ScriptedEngine(default=call("1+1"))
    run = run_benchmark(engine, bench, limit=1, out_dir=tmp_path)
    record = run.records[0]
    assert not record.correct and record.details["step_limit"] == 1 and record.details["steps"] == 2
