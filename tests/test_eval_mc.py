"""Multiple choice: MMLU / C-Eval / CMMLU loaders, prompts, letter extraction, both scoring paths."""
from pathlib import Path

import pytest

from eval import get_benchmark
from eval.base import Prediction
from eval.mc import choice_from_logprobs, extract_choice
from model.scripted import ScriptedEngine

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


class LogprobEngine(ScriptedEngine):
    """A scripted model that also answers next-token log-probabilities (None = cannot tell)."""

    def __init__(self, tables, **kwargs):
        super().__init__(**kwargs)
        self.tables = list(tables)
        self.logprob_requests = []

    def next_token_logprobs(self, request, candidates):
        self.logprob_requests.append((request, candidates))
        return self.tables.pop(0)


def test_mmlu_loader_reads_numeric_answers_and_reports_a_bad_row():
    bench = get_benchmark("mmlu", data_dir=FIXTURES)
    items = bench.load()
    assert len(items) == 7
    first = items[0]
    assert first.id == "astronomy/1" and first.category == "STEM"
    assert first.data["options"] == ["Venus", "Mercury", "Earth", "Mars"] and first.data["answer"] == "B"
    assert items[3].data["options"][1] == "The Moon's orbit, changing how much of its lit side we see"
    assert len(bench.load_issues) == 1 and bench.load_issues[0].line == 3  # answer 7
    assert "miscellaneous/3" not in [i.id for i in items]


def test_ceval_and_cmmlu_loaders():
    ceval = get_benchmark("ceval", data_dir=FIXTURES)
    items = ceval.load()
    assert [i.id for i in items] == ["computer_network/1", "computer_network/2", "computer_network/3",
                                     "modern_chinese_history/1"]
    assert items[0].data["answer"] == "C" and items[0].category == "STEM"
    assert items[3].category == "Humanities"
    assert len(ceval.load_issues) == 1  # answer "E"
    cmmlu = get_benchmark("cmmlu", data_dir=FIXTURES)
    items = cmmlu.load()
    assert [i.data["answer"] for i in items] == ["B", "A", "D"] and items[0].category == "agronomy"
    assert items[0].data["question"] == "水稻属于哪一类作物？"


def test_few_shot_comes_from_the_dev_split_without_the_item():
    bench = get_benchmark("mmlu", data_dir=FIXTURES, n_shots=2)
    items = bench.load()
    request = bench.build_request(items[0])
    roles = [m["role"] for m in request.messages]
    assert roles == ["user", "assistant", "user", "assistant", "user"]
    assert request.messages[0]["content"].startswith(
        "The following are multiple choice questions (with answers) about astronomy.")
    assert "Which planet is closest" not in request.messages[0]["content"]  # the item is not its own shot
    assert request.messages[1]["content"] == "C" and request.messages[3]["content"] == "D"
    assert request.messages[-1]["content"].endswith("A. Venus\nB. Mercury\nC. Earth\nD. Mars\nAnswer:")
    assert request.sampling.temperature == 0 and request.tools == []
    zero = get_benchmark("mmlu", data_dir=FIXTURES).build_request(get_benchmark("mmlu", data_dir=FIXTURES).load()[0])
    assert len(zero.messages) == 1


def test_chinese_template_names_the_subject_in_chinese():
    bench = get_benchmark("ceval", data_dir=FIXTURES, n_shots=1)
    request = bench.build_request(bench.load()[0])
    assert request.messages[0]["content"].startswith("以下是中国关于计算机网络考试的单项选择题")
    assert request.messages[-1]["content"].endswith("答案：")
    cmmlu = get_benchmark("cmmlu", data_dir=FIXTURES)
    assert cmmlu.build_request(cmmlu.load()[0]).messages[0]["content"].startswith("以下是单项选择题")


@pytest.mark.parametrize("text,expected", [
    ("B", "B"),
    ("(C)", "C"),
    ("D. The Milky Way", "D"),
    ("The answer is C.", "C"),
    ("Answer: (a)", "A"),
    ("I think the correct answer is B because ...", "B"),
    ("答案：C", "C"),
    ("答案是 D", "D"),
    ("我选B。", "B"),
    ("<think>maybe A</think>B", "B"),
    ("It is Mercury.", "B"),  # quotes exactly one option
    ("A cat sat on the mat.", None),  # an article is not an answer
    ("", None),
    ("Either A or B.", None),
])
def test_extract_choice(text, expected):
    options = ["Venus", "Mercury", "Earth", "Mars"]
    assert extract_choice(text, options) == expected


def test_choice_from_logprobs():
    assert choice_from_logprobs({"A": -3.0, "B": -0.2, "C": -1.0, "D": -5.0}) == "B"
    assert choice_from_logprobs({"A": float("nan"), "C": -1.0}) == "C"
    assert choice_from_logprobs({}) is None


def test_scoring_by_logprobs_makes_no_generation_call():
    bench = get_benchmark("mmlu", data_dir=FIXTURES)
    items = bench.load()[:2]
    engine = LogprobEngine([{"A": -2.0, "B": -0.1, "C": -3.0, "D": -4.0},
                            {"A": -0.1, "B": -2.0, "C": -3.0, "D": -4.0}])
    records = [bench.check(item, bench.predict(engine, item)) for item in items]
    assert [r.correct for r in records] == [True, False]
    assert records[1].error_type == "wrong_answer" and records[1].details["predicted"] == "A"
    assert records[0].details["method"] == "logprobs" and records[0].raw_output.startswith("logprobs:")
    assert engine.history == [] and engine.logprob_requests[0][1] == ["A", "B", "C", "D"]


def test_scoring_falls_back_to_generation_when_the_engine_cannot_tell():
    bench = get_benchmark("mmlu", data_dir=FIXTURES)
    items = bench.load()[:3]
    engine = LogprobEngine([None, None, None], replies=["The answer is B.", "Saturn, I think", "no idea"])
    records = [bench.check(item, bench.predict(engine, item)) for item in items]
    assert [r.correct for r in records] == [True, False, False]
    assert [r.error_type for r in records] == [None, "wrong_answer", "no_answer"]
    assert records[0].details["method"] == "generation" and len(engine.history) == 3
    assert engine.history[0].sampling.max_tokens == 32


def test_logprobs_can_be_switched_off():
    bench = get_benchmark("cmmlu", data_dir=FIXTURES, use_logprobs=False)
    item = bench.load()[0]
    engine = LogprobEngine([], replies=["答案：B"])
    assert bench.check(item, bench.predict(engine, item)).correct and engine.logprob_requests == []
    assert bench.check(item, Prediction(text="B")).scores == {"acc": 1.0}


@pytest.mark.skipif(not (REAL_DATA / "mmlu").exists(), reason="../shared/data not present")
def test_real_dev_splits_load_cleanly():
    counts = {}
    for name in ("mmlu", "ceval", "cmmlu"):
        bench = get_benchmark(name, data_dir=REAL_DATA, n_shots=5)
        items = bench.load()
        assert not bench.load_issues
        assert all(len(i.data["shots"]) == 4 for i in items)  # 5 per subject, minus the item
        counts[name] = len(items)
    assert counts == {"mmlu": 285, "ceval": 260, "cmmlu": 335}
