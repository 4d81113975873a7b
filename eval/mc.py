"""Four-option multiple choice (MMLU, C-Eval, CMMLU): prompts, letter extraction, scoring.

Prompt: a header naming the subject, then zero or more solved examples from the dev split of
the same subject (never the item itself) as earlier user/assistant turns whose answer is the
bare letter, then the question. English and Chinese templates live here, in one table.

Scoring: by the next token's log-probabilities over "A".."D" when the engine gives them
(`ChatEngine.next_token_logprobs`); otherwise by greedy generation and `extract_choice`.
"""
from __future__ import annotations

import csv
import math
import re
import time
from pathlib import Path
from typing import Any, ClassVar

from eval.base import Benchmark, Item, Prediction, Record
from model.engines.base import ChatEngine
from model.types import ChatRequest, Message

LETTERS = ("A", "B", "C", "D")

TEMPLATES = {
    "en": {
        "header": "The following are multiple choice questions (with answers) about {subject}. "
                  "Answer with the letter of the correct option only.",
        "header_no_subject": "The following are multiple choice questions (with answers). "
                             "Answer with the letter of the correct option only.",
        "question": "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\nAnswer:",
    },
    "zh": {
        "header": "以下是中国关于{subject}考试的单项选择题，请选出其中的正确答案，只回答选项字母。",
        "header_no_subject": "以下是单项选择题，请直接给出正确答案的选项字母。",
        "question": "{question}\nA. {A}\nB. {B}\nC. {C}\nD. {D}\n答案：",
    },
}

_EXPLICIT = [
    re.compile(r"answer\s*(?:is|:|：|=)?\s*(?:option|choice)?\s*[\(\[（]?\s*([A-D])(?![A-Za-z])", re.IGNORECASE),
    re.compile(r"答案\s*(?:应该|应)?\s*(?:是|为|选|：|:)?\s*(?:选项)?\s*[\(\[（]?\s*([A-D])"),
    re.compile(r"(?:选|选择|选项)\s*[\(\[（]?\s*([A-D])(?![A-Za-z])"),
    re.compile(r"(?<![A-Za-z])([A-D])\s*(?:is (?:the )?correct|是正确|正确)"),
]
_LEADING = re.compile(r"^\s*[\(\[（*]*\s*([A-D])\s*(?:$|[\)\]）.:：、,，*\s])")
_STANDALONE = re.compile(r"(?<![A-Za-z])([A-D])(?![A-Za-z])")
_ARTICLE_AFTER = re.compile(r"\s+[a-z]")


def extract_choice(text: str, options: list[str] | None = None) -> str | None:
    """The letter an answer picks, or None when it cannot be told.

    In order: an explicit statement ("The answer is C", "答案：C", "选B"), a leading letter
    ("B", "(B) ...", "B. Paris"), exactly one option's text quoted, exactly one distinct
    standalone capital letter A-D."""
    text = re.sub(r"<think>.*?</think>", "", text or "", flags=re.DOTALL).strip()
    if not text:
        return None
    for pattern in _EXPLICIT:
        match = pattern.search(text)
        if match:
            return match.group(1).upper()
    match = _LEADING.match(text)
    if match and not _is_article(text, match.start(1)):
        return match.group(1)
    if options:
        quoted = _quoted_option(text, options)
        if quoted:
            return quoted
    letters = {m.group(1) for m in _STANDALONE.finditer(text) if not _is_article(text, m.start(1))}
    return letters.pop() if len(letters) == 1 else None


def _is_article(text: str, position: int) -> bool:
    """An "A" that starts a sentence and is followed by a lower-case word: "A cat sat ..."."""
    if text[position] != "A" or not _ARTICLE_AFTER.match(text, position + 1):
        return False
    before = text[:position].rstrip()
    return not before or before[-1] in ".!?\n"


def _quoted_option(text: str, options: list[str]) -> str | None:
    folded = text.casefold()
    hits = [
        letter for letter, option in zip(LETTERS, options)
        if len(option.strip()) >= 2 and option.strip().casefold() in folded
    ]
    # An option contained in another (e.g. "True" in "True, True") is ambiguous: require one hit.
    return hits[0] if len(hits) == 1 else None


def choice_from_logprobs(logprobs: dict[str, float]) -> str | None:
    scored = [(value, letter) for letter, value in logprobs.items()
              if letter in LETTERS and isinstance(value, (int, float)) and not math.isnan(value)]
    if not scored:
        return None
    best = max(value for value, _ in scored)
    return next(letter for value, letter in scored if value == best)


class MultipleChoiceBenchmark(Benchmark):
    """Shared loader/prompt/check; subclasses say where the CSVs are and how a row reads."""

    folder: ClassVar[str] = ""
    language: ClassVar[str] = "en"
    default_max_tokens = 32

    def __init__(self, data_dir=None, max_tokens: int | None = None, n_shots: int = 0,
                 split: str = "dev", use_logprobs: bool = True):
        super().__init__(data_dir, max_tokens)
        self.n_shots = n_shots
        self.split = split
        self.use_logprobs = use_logprobs

    def config(self) -> dict[str, Any]:
        return {**super().config(), "n_shots": self.n_shots, "split": self.split,
                "use_logprobs": self.use_logprobs, "language": self.language}

    # ---- subclass hooks ------------------------------------------------------------------------
    def parse_row(self, row: list[str], header: list[str]) -> tuple[str, list[str], str] | None:
        """(question, four options, answer letter) from one CSV row, or None if unusable.

        With a header: the "question" column, the four columns after it, the "answer" column
        (a letter, or 0-3 as in the MMLU export). Without: question, A, B, C, D, answer."""
        q = header.index("question") if header else 0
        a = header.index("answer") if "answer" in header else q + 5
        if len(row) <= max(a, q + 4):
            return None
        question, options, answer = row[q].strip(), [c.strip() for c in row[q + 1:q + 5]], letter_answer(row[a])
        if not question or answer is None:
            return None
        return question, options, answer

    def subject_name(self, subject: str) -> str | None:
        """The subject as the prompt names it (None: a header without the subject)."""
        return subject.replace("_", " ")

    def category_of(self, subject: str) -> str:
        return subject

    # ---- loading -------------------------------------------------------------------------------
    def load(self) -> list[Item]:
        folder = self.data_path(self.folder, self.split)
        items: list[Item] = []
        for path in sorted(folder.glob("*.csv")):
            subject = re.sub(r"_(dev|val|test)$", "", path.stem)
            rows = self._rows(path)
            shots = rows if self.split == "dev" else self._dev_rows(subject)
            for number, parsed in rows:
                question, options, answer = parsed
                examples = [shot for n, shot in shots if not (self.split == "dev" and n == number)]
                items.append(Item(
                    id=f"{subject}/{number}",
                    category=self.category_of(subject),
                    data={"subject": subject, "question": question, "options": options,
                          "answer": answer, "shots": examples[: self.n_shots]},
                ))
        return items

    def _dev_rows(self, subject: str) -> list[tuple[int, tuple[str, list[str], str]]]:
        if self.n_shots == 0:
            return []
        candidates = sorted((self.data_root / self.folder / "dev").glob(f"{subject}*.csv"))
        matching = [p for p in candidates if re.sub(r"_(dev|val|test)$", "", p.stem) == subject]
        return self._rows(matching[0]) if matching else []

    def _rows(self, path: Path) -> list[tuple[int, tuple[str, list[str], str]]]:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
        if not table:
            self.issue(path, "empty file")
            return []
        header, body = self._split_header(table)
        rows = []
        for number, row in enumerate(body, start=1):
            parsed = self.parse_row(row, header)
            if parsed is None:
                self.issue(path, f"unusable row {row!r:.80}", number)
                continue
            rows.append((number, parsed))
        return rows

    def _split_header(self, table: list[list[str]]) -> tuple[list[str], list[list[str]]]:
        first = [cell.strip().lower() for cell in table[0]]
        if "question" in first:
            return first, table[1:]
        return [], table

    # ---- the request -----------------------------------------------------------------------------
    def build_request(self, item: Item) -> ChatRequest:
        template = TEMPLATES[self.language]
        subject = self.subject_name(item.data["subject"])
        header = template["header"].format(subject=subject) if subject else template["header_no_subject"]
        messages: list[Message] = []
        for question, options, answer in item.data["shots"]:
            messages.append({"role": "user", "content": self._format(question, options)})
            messages.append({"role": "assistant", "content": answer})
        messages.append({"role": "user", "content": self._format(item.data["question"], item.data["options"])})
        messages[0] = {"role": "user", "content": f"{header}\n\n{messages[0]['content']}"}
        return ChatRequest(messages=messages, sampling=self.sampling())

    def _format(self, question: str, options: list[str]) -> str:
        return TEMPLATES[self.language]["question"].format(question=question.strip(), **dict(zip(LETTERS, options)))

    def predict(self, engine: ChatEngine, item: Item) -> Prediction:
        if self.use_logprobs:
            started = time.perf_counter()
            logprobs = engine.next_token_logprobs(self.build_request(item), list(LETTERS))
            if logprobs:
                text = " ".join(f"{k}={v:.3f}" for k, v in sorted(logprobs.items()))
                return Prediction(text=f"logprobs: {text}", logprobs=dict(logprobs),
                                  seconds=time.perf_counter() - started)
        return super().predict(engine, item)

    def check(self, item: Item, prediction: Prediction) -> Record:
        if prediction.logprobs:
            method, choice = "logprobs", choice_from_logprobs(prediction.logprobs)
        else:
            method, choice = "generation", extract_choice(prediction.text, item.data["options"])
        answer = item.data["answer"]
        correct = choice == answer
        error_type = None if correct else ("no_answer" if choice is None else "wrong_answer")
        error = "" if correct else (
            "no option letter found in the output" if choice is None else f"chose {choice}, answer {answer}"
        )
        return self.record(
            item,
            prediction,
            correct=correct,
            scores={"acc": float(correct)},
            error_type=error_type,
            error=error,
            details={"answer": answer, "predicted": choice, "method": method, "subject": item.data["subject"]},
        )


def letter_answer(value: str) -> str | None:
    value = value.strip().upper()
    if value in LETTERS:
        return value
    if value.isdigit() and 0 <= int(value) < len(LETTERS):
        return LETTERS[int(value)]
    return None
