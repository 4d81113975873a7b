"""The chat's events in the browser: send, regenerate, retry, edit and resend, stop, clear.

Each one runs a turn (ui/turns.py) and streams it to the Chatbot. Send is disabled while an
answer is being written and enabled again once the stored conversation is on screen.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gradio as gr

from model.text_check import unusable_char
from ui.attachments import split_attachments, with_attachments
from ui.i18n import t
from ui.render import chatbot_update
from ui.services import Services
from ui.turns import Busy, ChatTurns, TurnSettings, last_user_message, message_text

if TYPE_CHECKING:
    from ui.layout import Components

logger = logging.getLogger(__name__)


class ChatEvents:
    def __init__(self, services: Services, outputs: int):
        self.services = services
        self.turns = ChatTurns(services)
        self.nothing = (gr.skip(),) * outputs

    def stream(self, session_id, text, settings: TurnSettings, request: gr.Request, keep=None, files=()):
        """Chatbot, anchors, session id, conversation list, title, input box, Send button.

        The last update repeats every value the turn showed (unchanged values cost nothing on the
        wire: Gradio sends each streamed update as a diff from the one before). A browser whose
        queue answer comes after the whole turn has run applies the turn's updates in one go, each
        over the last one's objects (Gradio 6.31's client), so only the last update counts there;
        one that skipped an output lost it (the reply and the emptied box, 7 December)."""
        services, busy = self.services, gr.Button(interactive=False)
        if not self._usable(text, settings):
            yield self.nothing  # the input box keeps what the user wrote
            return
        shown, started, created = (gr.skip(),) * 3, False, False
        try:
            for view, new_id in self.turns.run(session_id, text, settings, request.session_hash, keep, files):
                new = new_id != session_id
                started, created = True, created or new
                shown = (chatbot_update(view, services.store.feedback(new_id)), view.anchors, new_id)
                yield (*shown, self._sessions(new_id) if new else gr.skip(),
                       self._title(new_id) if new else gr.skip(), EMPTY_INPUT, busy)
                session_id, busy = new_id, gr.skip()
        except Busy:
            gr.Warning(t(settings.language, "busy"))
            yield self.nothing
            return
        except Exception as error:  # the store failing before the turn began: say so, stay usable
            logger.exception("could not start the turn")
            gr.Warning(t(settings.language, "internal_error", error=f"{type(error).__name__}: {error}"))
        yield (*shown, self._sessions(session_id), self._title(session_id) if created else gr.skip(),
               EMPTY_INPUT if started else gr.skip(), gr.Button(interactive=True))

    def _sessions(self, session_id):
        return gr.Radio(choices=self.services.session_choices(), value=session_id)

    def _title(self, session_id):
        return self.services.store.info(session_id).title

    @staticmethod
    def _usable(text: str, settings: TurnSettings) -> bool:
        """Text no model can be given (model/text_check.py) is refused with a warning that says
        where, as the API refuses it with a 400."""
        for field, value in (("message", text), ("system", settings.system or "")):
            found = unusable_char(value)
            if found:
                gr.Warning(t(settings.language, "unusable_text", field=t(settings.language, f"field_{field}"),
                             position=found[0] + 1, code=found[1]))
                return False
        return True

    def send(self, value, session_id, language, engine_key, tools, protocol, system, temperature, max_steps,
             request: gr.Request):
        """`value`: the multimodal input box's {"text", "files"} (attached images and audio)."""
        settings = TurnSettings(language, engine_key, tools, protocol, system, temperature, max_steps)
        text, files = _input_parts(value)
        if not text and not files:
            yield self.nothing
            return
        yield from self.stream(session_id, text, settings, request, files=files)

    def regenerate(self, session_id, language, engine_key, tools, protocol, system, temperature, max_steps,
                   request: gr.Request):
        settings = TurnSettings(language, engine_key, tools, protocol, system, temperature, max_steps)
        store = self.services.store
        found = last_user_message(store.messages(session_id)) if _exists(store, session_id) else None
        if found is None:
            yield self.nothing
            return
        yield from self.stream(session_id, found[1], settings, request, keep=found[0])

    def retry(self, data: gr.RetryData, session_id, language, engine_key, tools, protocol, system, temperature,
              max_steps, request: gr.Request):
        yield from self.regenerate(session_id, language, engine_key, tools, protocol, system, temperature,
                                   max_steps, request)

    def edit(self, data: gr.EditData, session_id, anchors, language, engine_key, tools, protocol, system,
             temperature, max_steps, request: gr.Request):
        settings = TurnSettings(language, engine_key, tools, protocol, system, temperature, max_steps)
        index = data.index if isinstance(data.index, int) else -1
        kind, position = anchors[index] if 0 <= index < len(anchors) else ("note", None)
        text = message_text(data.value).strip()
        if kind != "user" or position is None or not text:
            yield self.nothing
            return
        stored = self.services.store.messages(session_id)  # an edit keeps the message's attachments
        attached = split_attachments(stored[position].get("content") or "")[1] if position < len(stored) else []
        yield from self.stream(session_id, with_attachments(text, attached), settings, request, keep=position)

    def stop(self, request: gr.Request) -> None:
        self.turns.stop(request.session_hash)

    def clear(self, session_id):
        if _exists(self.services.store, session_id):
            self.services.store.truncate(session_id, 0)
        return [], []


def wire(c: "Components", services: Services) -> None:
    settings = [c.language, c.engine_key, c.tools, c.protocol, c.system, c.temperature, c.max_steps]
    outputs = [c.chatbot, c.anchors, c.session_id, c.sessions, c.title_box, c.box, c.send]
    events = ChatEvents(services, len(outputs))
    streaming = dict(outputs=outputs, concurrency_limit=None, show_progress="hidden")
    c.box.submit(events.send, [c.box, c.session_id, *settings], **streaming)
    c.send.click(events.send, [c.box, c.session_id, *settings], **streaming)
    c.regenerate.click(events.regenerate, [c.session_id, *settings], **streaming)
    c.chatbot.retry(events.retry, [c.session_id, *settings], **streaming)
    c.chatbot.edit(events.edit, [c.session_id, c.anchors, *settings], **streaming)
    c.stop.click(events.stop, None, None, concurrency_limit=None, queue=False)
    c.clear.click(events.clear, c.session_id, [c.chatbot, c.anchors])
    c.chatbot.clear(events.clear, c.session_id, [c.chatbot, c.anchors])


EMPTY_INPUT = {"text": "", "files": []}


def _input_parts(value) -> tuple[str, list[str]]:
    """(text, uploaded file paths) of the input box's value."""
    if isinstance(value, str):
        return value.strip(), []
    value = value or {}
    files = [file if isinstance(file, str) else file.get("path") for file in value.get("files") or []]
    return (value.get("text") or "").strip(), [path for path in files if path]


def _exists(store, session_id: str | None) -> bool:
    return session_id is not None and store.exists(session_id)
