"""GSM8K / SVAMP loaders and the numeric answer check."""
from pathlib import Path

import pytest

from eval import DataNotFoundError, check_math_answer, extract_answer_number, load_gsm8k, load_svamp

FIXTURES = Path(__file__).parent / "fixtures" / "eval"
REAL_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def test_gsm8k_loader_takes_the_number_after_the_marker_and_reports_bad_lines():
    issues = []
    items = load_gsm8k(FIXTURES, issues=issues)
    assert [i.data["answer"] for i in items] == [31.0, 1000.0]
    assert items[0].id == "gsm8k-train-1" and items[0].data["question"].startswith("Tom has 3 boxes")
    assert sorted(issue.line for issue in issues) == [3, 4]


def test_svamp_loader_joins_body_and_question():
    issues = []
    items = load_svamp(FIXTURES, issues=issues)
    assert [i.id for i in items] == ["svamp-fx-1", "svamp-fx-2"]
    assert items[0].data["question"] == ("Lily had 15 stickers. She gave 6 of them to her brother. "
                                         "How many stickers does Lily have now?")
    assert items[0].data["answer"] == 9.0 and items[0].data["equation"] == "( 15.0 - 6.0 )"
    assert items[1].category == "Multiplication" and len(issues) == 1


def test_missing_data_raises_a_typed_error(tmp_path):
    with pytest.raises(DataNotFoundError):
        load_gsm8k(tmp_path)


@pytest.mark.parametrize("text,expected", [
    ("She has 36 - 5 = 31 pencils.\n#### 31", 31.0),
    ("#### 1,000", 1000.0),
    ("The total is $1,234.50 in all.", 1234.5),
    ("The answer is 42. (I checked 41 and 43.)", 42.0),
    ("So x = \\boxed{-3}", -3.0),
    ("It is 3/4 of the cake", 0.75),
    ("答案：18", 18.0),
    ("First 12, then 7, finally 19", 19.0),
    ("no numbers here", None),
])
def test_extract_answer_number(text, expected):
    assert extract_answer_number(text) == expected


def test_check_math_answer_with_tolerance():
    assert check_math_answer("#### 18", 18.0)
    assert check_math_answer("about 0.3333333", 1 / 3)
    assert not check_math_answer("#### 17", 18.0)
    assert not check_math_answer("I don't know", 18.0)


@pytest.mark.skipif(not (REAL_DATA / "gsm8k").exists(), reason="../shared/data not present")
def test_real_math_data_loads_and_gold_solutions_check():
    issues = []
    gsm8k = load_gsm8k(REAL_DATA, issues=issues)
    svamp = load_svamp(REAL_DATA, issues=issues)
    assert (len(gsm8k), len(svamp), issues) == (7473, 1000, [])
    assert all(check_math_answer(item.data["solution"], item.data["answer"]) for item in gsm8k)
