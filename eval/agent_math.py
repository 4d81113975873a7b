"""Math word problems for the agent (GSM8K, SVAMP): loaders and the numeric answer check.

The agent loop that solves them with a calculator comes with the agent; this module gives it
the items and the scoring rule:

- GSM8K `<data>/gsm8k/<split>.jsonl`: {"question", "answer": "... #### 18"}; the gold number
  is what follows "####".
- SVAMP `<data>/svamp/SVAMP.json`: [{"ID", "Body", "Question", "Equation", "Answer"}]; the
  question is Body + Question, and the equation is a ready calculator argument.
- An answer is correct when the number it gives equals the gold within a tolerance. The
  number is the one after "####", else inside \\boxed{}, else after "answer is"/"答案", else
  the last number in the text (thousands separators, signs, decimals and simple fractions read).
"""
from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path

from eval.base import DataNotFoundError, Item, LoadIssue, read_jsonl, resolve_data_dir

_NUMBER = r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:/\d+(?:\.\d+)?)?|[-+]?\.\d+"
_NUMBER_RE = re.compile(_NUMBER)
_MARKERS = [
    re.compile(r"####\s*\$?\s*(" + _NUMBER + ")"),
    re.compile(r"\\boxed\{\s*\$?\s*(" + _NUMBER + r")\s*\}"),
    re.compile(r"answer\s*(?:is|:|=)\s*\$?\s*(" + _NUMBER + ")", re.IGNORECASE),
    re.compile(r"答案\s*(?:是|为|：|:)\s*(" + _NUMBER + ")"),
]


def parse_number(text: str) -> float | None:
    """'1,234.5' -> 1234.5; '3/4' -> 0.75; anything else -> None."""
    text = text.strip().replace(",", "")
    try:
        if "/" in text:
            numerator, denominator = text.split("/", 1)
            return float(numerator) / float(denominator) if float(denominator) else None
        return float(text)
    except ValueError:
        return None


def extract_answer_number(text: str) -> float | None:
    """The number an answer gives (see the module docstring), or None."""
    text = text or ""
    for marker in _MARKERS:
        matches = marker.findall(text)
        if matches:
            return parse_number(matches[-1])
    numbers = _NUMBER_RE.findall(text)
    return parse_number(numbers[-1]) if numbers else None


def check_math_answer(text: str, gold: float, rel_tol: float = 1e-4, abs_tol: float = 1e-6) -> bool:
    value = extract_answer_number(text)
    return value is not None and math.isclose(value, gold, rel_tol=rel_tol, abs_tol=abs_tol)


def load_gsm8k(data_dir: str | os.PathLike | None = None, split: str = "train",
               issues: list[LoadIssue] | None = None) -> list[Item]:
    """GSM8K items: data = {question, answer (float), solution}. Unusable lines go to `issues`."""
    path = resolve_data_dir(data_dir) / "gsm8k" / f"{split}.jsonl"
    if not path.exists():
        raise DataNotFoundError(f"gsm8k: data not found at {path}")
    issues = issues if issues is not None else []
    items = []
    for number, row in read_jsonl(path, issues):
        question, solution = row.get("question"), row.get("answer")
        gold = extract_answer_number(solution.split("####")[-1]) if isinstance(solution, str) and "####" in solution else None
        if not isinstance(question, str) or gold is None:
            issues.append(LoadIssue(str(path), "no question or no '#### number' answer", number))
            continue
        items.append(Item(id=f"gsm8k-{split}-{number}", category="gsm8k",
                          data={"question": question, "answer": gold, "solution": solution}))
    return items


def load_svamp(data_dir: str | os.PathLike | None = None, issues: list[LoadIssue] | None = None) -> list[Item]:
    """SVAMP items: data = {question, answer (float), equation}; category = the problem type."""
    path = resolve_data_dir(data_dir) / "svamp" / "SVAMP.json"
    if not path.exists():
        raise DataNotFoundError(f"svamp: data not found at {path}")
    issues = issues if issues is not None else []
    try:
        rows = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        issues.append(LoadIssue(str(path), f"invalid JSON ({error.msg})"))
        return []
    items = []
    for index, row in enumerate(rows if isinstance(rows, list) else []):
        try:
            body, question, answer = row["Body"], row["Question"], float(row["Answer"])
        except (KeyError, TypeError, ValueError):
            issues.append(LoadIssue(str(path), f"entry {index}: needs Body, Question and a numeric Answer"))
            continue
        items.append(Item(
            id=str(row.get("ID") or f"svamp-{index}"),
            category=str(row.get("Type") or "svamp"),
            data={"question": f"{str(body).strip()} {str(question).strip()}".strip(),
                  "answer": answer, "equation": row.get("Equation")},
        ))
    return items
