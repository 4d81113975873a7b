"""Thumbs up / down on answers, and exporting conversations as training data.

A thumb on a group of messages (tool steps and the answer) rates the answer; ratings live in the
ConversationStore. Exports are OpenAI-messages JSONL with the tools that were on, the format
`lingxi train` reads; they are written under $LINGXI_HOME/exports and offered as a download.
"""
from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import gradio as gr

from ui.i18n import t
from ui.render import answer_in_group
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components


def rating_of(liked) -> str | None:
    """Gradio's LikeData.liked (True, False, or the option's name; empty when undone) as a rating."""
    if liked is True or liked == "Like":
        return "like"
    if liked is False or liked == "Dislike":
        return "dislike"
    return None


def wire(c: "Components", services: Services) -> None:
    store = services.store

    def rate(data: gr.LikeData, session_id, anchors, language):
        index = data.index if isinstance(data.index, int) else data.index[0]
        position = answer_in_group(anchors, index)
        if session_id is None or position is None or not store.exists(session_id):
            return
        store.set_feedback(session_id, position, rating_of(data.liked))

    def export_session(session_id, tools, system, language):
        if session_id is None or not store.exists(session_id) or not store.messages(session_id):
            return None, t(language, "nothing_to_export")
        path = services.exports / f"lingxi-{session_id}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        example = store.export_example(session_id, services.registry.schemas(_known(services, tools)),
                                       system.strip() or None)
        path.write_text(json.dumps(example, ensure_ascii=False) + "\n", encoding="utf-8")
        return str(path), t(language, "exported", count=1, path=path)

    def export_liked(tools, system, language):
        path = services.exports / f"lingxi-liked-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        count = store.export_liked_jsonl(path, services.registry.schemas(_known(services, tools)),
                                         system.strip() or None)
        if count == 0:
            path.unlink(missing_ok=True)
            return None, t(language, "nothing_to_export")
        return str(path), t(language, "exported", count=count, path=path)

    c.chatbot.like(rate, [c.session_id, c.anchors, c.language], None, queue=False)
    c.export_chat.click(export_session, [c.session_id, c.tools, c.system, c.language], [c.export_file, c.export_status])
    c.export_liked.click(export_liked, [c.tools, c.system, c.language], [c.export_file, c.export_status])


def _known(services: Services, tools: list[str]) -> list[str]:
    return [name for name in tools or [] if name in services.registry]
