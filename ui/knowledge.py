"""The knowledge base panel: upload documents (with progress), list them, remove them.

Ingestion and search are tools/knowledge_base.py's; the agent reaches the same KnowledgeBase
through its `knowledge_base` tool, so an uploaded document can be asked about at once.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from tools import KnowledgeBase, ToolError
from ui.i18n import t
from ui.services import Services
from ui.sessions import stored_view

if TYPE_CHECKING:
    from ui.layout import Components

logger = logging.getLogger(__name__)


def document_table(knowledge: KnowledgeBase | None, language: str) -> gr.Dataframe:
    headers = [t(language, "doc_source"), t(language, "doc_chunks"), t(language, "doc_pages")]
    rows = [[doc["source"], doc["chunks"], doc["pages"]] for doc in documents(knowledge)]
    return gr.Dataframe(value=rows or [["", "", ""]], headers=headers, label=t(language, "documents"))


def documents(knowledge: KnowledgeBase | None) -> list[dict]:
    if knowledge is None:
        return []
    try:
        return knowledge.documents()
    except Exception:  # an index that cannot open must not break the page
        logger.warning("cannot list the knowledge base", exc_info=True)
        return []


def reindex_notice(knowledge: KnowledgeBase | None, language: str) -> str:
    """A line for the panel when the index was built with an older embedding model, or before
    sentences were stored."""
    try:
        if not knowledge or not knowledge.needs_reindex:
            return ""
        if knowledge.model == knowledge.embedding_model:
            return t(language, "kb_reindex_sentences")
        return t(language, "kb_reindex", model=knowledge.model)
    except Exception:  # an index that cannot open must not break the page
        logger.warning("cannot open the knowledge base", exc_info=True)
        return ""


def ingest(knowledge: KnowledgeBase, files: list[str], language: str,
           progress: gr.Progress) -> tuple[list[str], list[str]]:
    """Add each file; return (status lines, failure lines). A failing file does not stop the others."""
    lines, failures = [], []
    for number, file in enumerate(files, start=1):
        path = Path(file)
        progress((number - 1, len(files)), desc=t(language, "ingesting", source=path.name))

        def report(done: int, total: int, message: str) -> None:
            progress((done, max(total, 1)), desc=message)

        try:
            counts = knowledge.ingest(path, progress=report)
            lines.append(t(language, "ingested", source=path.name, chunks=counts["chunks"]))
        except ToolError as error:
            failures.append(t(language, "ingest_failed", source=path.name, error=error))
        except Exception as error:  # chromadb or a reader failing: report it, keep going
            logger.warning("ingesting %s failed", path, exc_info=True)
            failures.append(t(language, "ingest_failed", source=path.name, error=f"{type(error).__name__}: {error}"))
    return lines, failures


def wire(c: "Components", services: Services) -> None:
    knowledge = services.knowledge

    def refreshed(language: str, status: str):
        sources = [doc["source"] for doc in documents(knowledge)]
        status = "\n\n".join(line for line in (status, reindex_notice(knowledge, language)) if line)
        return status, document_table(knowledge, language), gr.Dropdown(choices=sources, value=None)

    def upload(files, language, session_id, progress=gr.Progress()):
        if not files or knowledge is None:
            return (*refreshed(language, ""), None, gr.skip(), gr.skip())
        lines, failures = ingest(knowledge, [_path(file) for file in files], language, progress)
        chat = stored_view(services, session_id, language, tuple(f"⚠ {failure}" for failure in failures)) \
            if failures else (gr.skip(), gr.skip())
        return (*refreshed(language, "\n\n".join(lines + failures)), None, *chat)

    def remove(source, language):
        if not source or knowledge is None:
            return refreshed(language, "")
        try:
            removed = knowledge.remove(source)
        except Exception as error:
            return refreshed(language, t(language, "kb_failed", error=f"{type(error).__name__}: {error}"))
        return refreshed(language, t(language, "removed", source=source, chunks=removed))

    outputs = [c.kb_status, c.documents, c.remove_choice]
    c.upload.upload(upload, [c.upload, c.language, c.session_id], [*outputs, c.upload, c.chatbot, c.anchors],
                    show_progress="full")
    c.remove.click(remove, [c.remove_choice, c.language], outputs)
    c.demo.load(lambda language: refreshed(language, ""), c.language, outputs)


def _path(file) -> str:
    return file if isinstance(file, str) else getattr(file, "name", None) or file["path"]
