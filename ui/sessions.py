"""The list of past conversations (from the ConversationStore): open, new, rename, delete."""
from __future__ import annotations

from typing import TYPE_CHECKING

import gradio as gr

from agent_app.memory import Memory
from agent_app.store import SessionNotFoundError
from ui.i18n import t
from ui.render import View, chatbot_update, note, render_steps
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components


def stored_view(services: Services, session_id: str | None, language: str, notes: tuple[str, ...] = (),
                **props) -> tuple[gr.Chatbot, list]:
    """The Chatbot update and anchors for a stored conversation (empty for None), followed by
    `notes` the user should read (they are not stored)."""
    view, ratings = View(), {}
    if session_id is not None and services.store.exists(session_id):
        view = render_steps(Memory.from_messages(services.store.messages(session_id)).steps, language,
                            workspace=services.workspace(session_id))
        ratings = services.store.feedback(session_id)
    for text in notes:
        note(view, text)
    return chatbot_update(view, ratings, **props), view.anchors


def wire(c: "Components", services: Services) -> None:
    def listing(value: str | None) -> gr.Radio:
        return gr.Radio(choices=services.session_choices(), value=value)

    def open_session(session_id, language):
        try:
            title = services.store.info(session_id).title
        except SessionNotFoundError:  # deleted in another tab
            return (*stored_view(services, None, language), None, listing(None), "")
        return (*stored_view(services, session_id, language), session_id, gr.skip(), title)

    def new_chat():
        return (*stored_view(services, None, "en"), None, listing(None), "")

    def rename(session_id, title, language):
        if session_id is None or not title.strip():
            gr.Warning(t(language, "no_session"))
            return gr.skip()
        services.store.rename(session_id, title.strip()[:120])
        return listing(session_id)

    def delete(session_id, language):
        if session_id is not None and services.store.exists(session_id):
            services.store.delete(session_id)
            services.workspace(session_id).delete()
        return (*stored_view(services, None, language), None, listing(None), "")

    view_outputs = [c.chatbot, c.anchors, c.session_id, c.sessions, c.title_box]
    c.sessions.input(open_session, [c.sessions, c.language], view_outputs)
    c.new_chat.click(new_chat, None, view_outputs)
    c.rename.click(rename, [c.session_id, c.title_box, c.language], c.sessions)
    c.title_box.submit(rename, [c.session_id, c.title_box, c.language], c.sessions)
    c.delete.click(delete, [c.session_id, c.language], view_outputs)
    c.demo.load(lambda: listing(None), None, c.sessions)
