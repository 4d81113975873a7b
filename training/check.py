"""`lingxi data check FILE`: what a training file holds and what is wrong with it, by line."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from training.conversation import Conversation, Problem, TextExample, cjk_share
from training.formats import detect_format, iter_examples

CJK_EXAMPLE_SHARE = 0.3
"""An example counts as CJK (mostly Chinese) when at least this share of its letters are CJK."""


@dataclass
class DataReport:
    path: str
    format: str
    examples: int = 0
    """Records that were read and have no error (the ones training would use)."""
    records: int = 0
    """All records, including those with errors."""
    turns: int = 0
    """Messages other than system, over usable conversations."""
    assistant_turns: int = 0
    tool_calls: int = 0
    tool_results: int = 0
    with_calls: int = 0
    without_calls: int = 0
    with_tools: int = 0
    """Conversations that list at least one tool."""
    tools: Counter = field(default_factory=Counter)
    """Tool name -> how many conversations list it."""
    called: Counter = field(default_factory=Counter)
    """Tool name -> how many calls name it."""
    cjk_examples: int = 0
    characters: int = 0
    max_characters: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    @property
    def ok(self) -> bool:
        return self.examples > 0 and not self.errors

    def to_dict(self) -> dict:
        """Plain data for `--json` output."""
        data = {key: value for key, value in vars(self).items() if key != "problems"}
        data["tools"], data["called"] = dict(self.tools), dict(self.called)
        data["problems"] = [vars(problem) for problem in self.problems]
        return data


def check_file(path: str | Path, format: str = "auto") -> DataReport:
    """Read every record of `path` and count what a trainer would see. Never raises for bad
    records (they become problems); raises DataFormatError for an unreadable file."""
    name = detect_format(path) if format == "auto" else format
    report = DataReport(str(path), name)
    for item in iter_examples(path, name):
        report.records += 1
        report.problems += item.problems
        if item.ok:
            _count(report, item.example)  # type: ignore[arg-type]
    return report


def _count(report: DataReport, example: Conversation | TextExample) -> None:
    report.examples += 1
    body = example.text if isinstance(example, TextExample) else example.text()
    report.characters += len(body)
    report.max_characters = max(report.max_characters, len(body))
    report.cjk_examples += cjk_share(body) >= CJK_EXAMPLE_SHARE
    if isinstance(example, TextExample):
        return
    roles = Counter(message["role"] for message in example.messages)
    report.turns += sum(count for role, count in roles.items() if role != "system")
    report.assistant_turns += roles["assistant"]
    report.tool_results += roles["tool"]
    calls = example.calls()
    report.tool_calls += len(calls)
    report.with_calls += bool(calls)
    report.without_calls += not calls
    report.with_tools += bool(example.tools)
    report.tools.update(set(example.tool_names()))
    report.called.update(call["function"]["name"] for call in calls)


def format_report(report: DataReport, max_problems: int = 20) -> str:
    """The report as plain text for the command line."""
    n = report.examples
    lines = [f"{report.path}  (format: {report.format})",
             f"  examples        {n} usable of {report.records} records"]
    if report.format != "text":
        lines += [
            f"  turns           {report.turns} ({report.assistant_turns} assistant, "
            f"{report.tool_results} tool results)",
            f"  tool calls      {report.tool_calls} in {report.with_calls} examples "
            f"({_share(report.with_calls, n)}); {report.without_calls} examples without a call "
            f"({_share(report.without_calls, n)})",
            f"  tools           {len(report.tools)} distinct, listed in {report.with_tools} examples; "
            f"{len(report.called)} of them called",
        ]
    lines += [
        f"  languages       {report.cjk_examples} mostly CJK ({_share(report.cjk_examples, n)}), "
        f"{n - report.cjk_examples} other",
        f"  characters      {report.characters} (mean {report.characters // max(n, 1)}, "
        f"max {report.max_characters})",
        f"  problems        {len(report.errors)} errors, {len(report.warnings)} warnings",
    ]
    for problem in report.problems[:max_problems]:
        lines.append(f"    {problem}")
    if len(report.problems) > max_problems:
        lines.append(f"    ... and {len(report.problems) - max_problems} more")
    return "\n".join(lines)


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"
