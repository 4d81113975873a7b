"""Agent steps -> what the Chatbot shows.

One function renders a conversation, stored or in progress: each tool call becomes a collapsible
message (tool name in the title; arguments, result and time inside), a ReAct thought becomes its
own collapsible message, and the final answer is a plain message after the steps. Files attached
to a user message (ui/attachments.py) show inline after it, and speech a tool wrote plays after its
step; both come from the conversation's workspace. Alongside the
messages goes an *anchor* per message: its kind and the position of the stored message it shows,
so a like, an edit or a retry on the screen finds its message in the store.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Literal

import gradio as gr

from agent_app.agent import REPETITION_FEEDBACK
from agent_app.memory import FeedbackStep, ModelStep, Step, ToolStep, UserStep
from tools import Workspace
from tools.python_sandbox import SAVED_IMAGES
from ui.attachments import kind_of, split_attachments
from ui.i18n import t

Kind = Literal["user", "answer", "step", "note"]
Anchor = tuple[Kind, int | None]


@dataclass
class View:
    messages: list[gr.ChatMessage] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)

    def add(self, message: gr.ChatMessage, kind: Kind, position: int | None = None) -> int:
        self.messages.append(message)
        self.anchors.append((kind, position))
        return len(self.messages) - 1


def render_steps(steps: list[Step], language: str, streaming: str = "", workspace: Workspace | None = None) -> View:
    """The chat for `steps` (position i = store message i), plus text still being written; files
    named in the conversation are looked up in `workspace`."""
    view = View()
    calls: dict[str, tuple[int, str]] = {}  # call id -> (message index, arguments section)
    for position, step in enumerate(steps):
        if isinstance(step, UserStep):
            _user_step(view, step, position, workspace)
        elif isinstance(step, ModelStep):
            _model_step(view, step, position, calls, language)
        elif isinstance(step, ToolStep):
            _tool_result(view, step, calls, language)
            _tool_output(view, step, position, workspace)
        elif isinstance(step, FeedbackStep):
            title = "loop_stopped" if step.content == REPETITION_FEEDBACK else "format_error"
            view.add(gr.ChatMessage(step.content, metadata={"title": t(language, title), "status": "done"}),
                     "step", position)
    if streaming.strip():
        view.add(gr.ChatMessage(streaming), "note")
    return view


def note(view: View, text: str) -> View:
    """Add a message that is not stored (an error the user should read)."""
    view.add(gr.ChatMessage(text), "note")
    return view


def _user_step(view: View, step: UserStep, position: int, workspace: Workspace | None) -> None:
    text, names = split_attachments(step.content)
    if text or not names:
        view.add(gr.ChatMessage(text, role="user"), "user", position)
    for name in names:
        shown = _media(workspace, name) or f"📎 {name}"
        view.add(gr.ChatMessage(shown, role="user"), "user" if not text else "note", position)


_SPEECH = re.compile(r"^Wrote (\S+\.wav) ")
_IMAGES = re.compile("^" + re.escape(SAVED_IMAGES) + "(.+)$", re.MULTILINE)


def _tool_output(view: View, step: ToolStep, position: int, workspace: Workspace | None) -> None:
    """What a tool wrote into the conversation's files, after its step: speech from
    `text_to_speech` as a player, images (plots) from `python` inline."""
    names: list[str] = []
    if step.ok and step.name == "text_to_speech" and (found := _SPEECH.match(step.content)):
        names = [found[1]]
    elif step.ok and (found := _IMAGES.search(step.content)):
        names = found[1].split(", ")
    for name in names:
        media = _media(workspace, name)
        if media is not None:
            view.add(gr.ChatMessage(media), "step", position)


def _media(workspace: Workspace | None, name: str) -> gr.Image | gr.Audio | None:
    """An image or audio file of the conversation as a component the Chatbot shows inline."""
    path = workspace.path / name if workspace is not None else None
    if path is None or not path.is_file():
        return None
    kind = kind_of(name)
    if kind == "image":
        return gr.Image(str(path), label=name, show_label=False)
    if kind == "audio":
        return gr.Audio(str(path), label=name, show_label=False)
    return None


def _model_step(view: View, step: ModelStep, position: int, calls: dict[str, tuple[int, str]],
                language: str) -> None:
    if step.thought:
        view.add(gr.ChatMessage(step.thought, metadata={"title": t(language, "thought"), "status": "done"}),
                 "step", position)
    if not step.tool_calls:
        view.add(gr.ChatMessage(step.content or "…"), "answer", position)
        return
    if step.content.strip() and not step.thought:
        view.add(gr.ChatMessage(step.content, metadata={"title": t(language, "thought"), "status": "done"}),
                 "step", position)
    for call in step.tool_calls:
        body = _section(t(language, "arguments"), json.dumps(call.arguments, ensure_ascii=False, indent=2), "json")
        message = gr.ChatMessage(f"{body}\n\n*{t(language, 'running')}*", metadata={
            "title": t(language, "tool_step", name=call.name), "status": "pending", "id": call.id})
        calls[call.id] = (view.add(message, "step", position), body)


def _tool_result(view: View, step: ToolStep, calls: dict[str, tuple[int, str]], language: str) -> None:
    if step.call_id in calls:
        index, arguments = calls[step.call_id]
        body = arguments + "\n\n"
    else:  # a result whose call is not on screen: show it on its own
        index, body = view.add(gr.ChatMessage(""), "step"), ""
    title = t(language, "tool_step" if step.ok else "tool_failed", name=step.name)
    metadata = {"title": title, "status": "done"}
    if step.elapsed:
        metadata["duration"] = round(step.elapsed, 2)
    view.messages[index] = gr.ChatMessage(body + _section(t(language, "result"), step.content, "text"),
                                          metadata=metadata)


def _section(heading: str, text: str, language: str) -> str:
    fence = "```"
    while fence in text:
        fence += "`"
    return f"**{heading}**\n{fence}{language}\n{text}\n{fence}"


def feedback_values(view: View, ratings: dict[int, str]) -> list[str | None]:
    """What the Chatbot's thumbs show: one entry per run of assistant messages (Gradio groups
    consecutive messages of one role, and numbers the bot groups), from the stored ratings."""
    values: list[str | None] = []
    previous_role = None
    for message, (kind, position) in zip(view.messages, view.anchors):
        if message.role == "assistant" and previous_role != "assistant":
            values.append(None)
        if message.role == "assistant" and kind == "answer" and position in ratings:
            values[-1] = FEEDBACK_LABELS[ratings[position]]
        previous_role = message.role
    return values


FEEDBACK_LABELS = {"like": "Like", "dislike": "Dislike"}


def answer_in_group(view_anchors: list[Anchor], index: int) -> int | None:
    """The stored position of the answer in the group of messages that starts at `index`
    (a like on a group of steps and answer rates the answer)."""
    found = None
    for kind, position in view_anchors[index:]:
        if kind == "user":
            break
        if kind == "answer":
            found = position
    return found


def chatbot_update(view: View, ratings: dict[int, str], **props) -> gr.Chatbot:
    """The Chatbot's new value, with the thumbs the store remembers (and any other `props`)."""
    return gr.Chatbot(value=view.messages, feedback_value=feedback_values(view, ratings), **props)
