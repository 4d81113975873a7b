"""The ``knowledge_base`` tool: local documents (.txt, .md, .pdf) searched by meaning.

    kb = KnowledgeBase(lingxi_home() / "knowledge")
    kb.ingest("notes.md")            # {"files": 1, "chunks": 4, "pages": 0, "characters": 2900}
    kb.documents()                   # [{"source": "notes.md", "chunks": 4, "pages": 0}]
    kb.search("what did we decide?") # quoted chunks with their sources
    kb.remove("notes.md")            # 4 (chunks removed)

chromadb (a PersistentClient under the given folder) and the embedding model load lazily on first
use.  Each chunk keeps its source file name, chunk index, page (PDF, 1-based; 0 otherwise) and
character offset.  Ingesting a file again replaces its earlier chunks.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from tools.base import ExternalContent, FunctionTool, Tool
from tools.errors import ToolExecutionError

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
COLLECTION = "lingxi_knowledge"
Progress = Callable[[int, int, str], None]  # (done, total, message)
MAX_QUERY_CHARS = 1000
"""Longest search query (the embedding model reads 256 tokens; more only costs time)."""
MAX_TOP_K = 20


def chunk_text(text: str, size: int = 800, overlap: int = 150) -> list[tuple[int, str]]:
    """Split text into chunks of about ``size`` characters overlapping by ``overlap``.

    Breaks prefer a paragraph, then a sentence, then a word boundary in the second half of the
    window.  Returns ``(start offset, chunk text)`` pairs.
    """
    if overlap >= size:
        raise ValueError("overlap must be smaller than size")
    chunks: list[tuple[int, str]] = []
    start, length = 0, len(text)
    while start < length:
        end = min(start + size, length)
        if end < length:
            window = text[start + size // 2 : end]
            for separator in ("\n\n", "\n", "。", ". ", "！", "? ", "？", "; ", " "):
                cut = window.rfind(separator)
                if cut >= 0:
                    end = start + size // 2 + cut + len(separator)
                    break
        piece = text[start:end].strip()
        if piece:
            chunks.append((start, piece))
        if end >= length:
            break
        start = max(end - overlap, start + 1)
        space = re.search(r"\s", text[start : start + overlap // 2])
        if space:  # do not begin in the middle of a word when a space is near
            start += space.end()
    return chunks


def read_document(path: Path) -> Iterator[tuple[int, str]]:
    """Yield ``(page, text)``: one item per PDF page (1-based), a single item (page 0) otherwise."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        from pypdf import PdfReader

        try:
            reader = PdfReader(str(path))
            for number, page in enumerate(reader.pages, start=1):
                yield number, page.extract_text() or ""
        except Exception as exc:  # pypdf raises many kinds for damaged files
            raise ToolExecutionError(f"cannot read PDF {path.name}: {type(exc).__name__}: {exc}") from exc
    elif suffix in SUPPORTED_SUFFIXES:
        yield 0, path.read_text(encoding="utf-8", errors="replace")
    else:
        raise ToolExecutionError(f"unsupported file type {suffix or path.name!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")


class KnowledgeBase:
    """A persistent vector index of local documents, with search as a tool.

    Args:
        path: Folder for chromadb's files (created on first use).
        chunk_size: Characters per chunk.
        chunk_overlap: Characters shared by neighbouring chunks.
    """

    def __init__(self, path: Path | str, *, chunk_size: int = 800, chunk_overlap: int = 150) -> None:
        self.path = Path(path)
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._collection: Any = None
        self._lock = threading.Lock()

    def setup(self) -> None:
        """Open (or create) the chromadb collection with the offline embedding function."""
        with self._lock:
            if self._collection is not None:
                return
            import chromadb
            from chromadb.config import Settings

            from tools._embeddings import MiniLMEmbeddingFunction

            self.path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(self.path), settings=Settings(anonymized_telemetry=False))
            self._collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=MiniLMEmbeddingFunction(),
                configuration={"hnsw": {"space": "cosine"}},
            )
            logger.info("knowledge base at %s: %d chunks", self.path, self._collection.count())

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self.setup()
        return self._collection

    # ------------------------------------------------------------------------------- ingestion

    def ingest(self, path: Path | str, progress: Progress | None = None) -> dict[str, int]:
        """Add a file, or every supported file under a folder; return counts.

        Returns ``{"files", "chunks", "pages", "characters"}``. A file ingested again replaces its
        old chunks. ``progress(done, total, message)`` is called as chunks are stored.
        """
        path = Path(path)
        if not path.exists():
            raise ToolExecutionError(f"no such file or folder: {path}")
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES) if path.is_dir() else [path]
        totals = {"files": 0, "chunks": 0, "pages": 0, "characters": 0}
        for file in files:
            counts = self._ingest_file(file, progress)
            totals["files"] += 1
            for key in ("chunks", "pages", "characters"):
                totals[key] += counts[key]
        return totals

    def _ingest_file(self, path: Path, progress: Progress | None) -> dict[str, int]:
        source = path.name
        ids, texts, metadatas = [], [], []
        pages = characters = 0
        for page, text in read_document(path):
            pages = max(pages, page)
            characters += len(text)
            for start, piece in chunk_text(text, self.chunk_size, self.chunk_overlap):
                index = len(ids)
                ids.append(_chunk_id(source, index))
                texts.append(piece)
                metadatas.append({"source": source, "chunk": index, "page": page, "start": start, "path": str(path.resolve())})
        removed = self.remove(source)
        if removed:
            logger.info("replacing %d old chunks of %s", removed, source)
        batch = 64
        for first in range(0, len(ids), batch):
            last = first + batch
            self.collection.add(ids=ids[first:last], documents=texts[first:last], metadatas=metadatas[first:last])
            if progress is not None:
                progress(min(last, len(ids)), len(ids), f"{source}: stored {min(last, len(ids))} of {len(ids)} chunks")
        logger.info("ingested %s: %d chunks, %d pages", source, len(ids), pages)
        return {"chunks": len(ids), "pages": pages, "characters": characters}

    def documents(self) -> list[dict[str, Any]]:
        """The ingested documents: ``[{"source", "chunks", "pages"}]``, sorted by name."""
        found: dict[str, dict[str, Any]] = {}
        for meta in self.collection.get(include=["metadatas"])["metadatas"] or []:
            entry = found.setdefault(meta["source"], {"source": meta["source"], "chunks": 0, "pages": 0})
            entry["chunks"] += 1
            entry["pages"] = max(entry["pages"], int(meta.get("page") or 0))
        return [found[k] for k in sorted(found)]

    def remove(self, source: str) -> int:
        """Delete every chunk of the document named ``source``; return how many were removed."""
        ids = self.collection.get(where={"source": source}, include=[])["ids"]
        if ids:
            self.collection.delete(ids=ids)
        return len(ids)

    # ---------------------------------------------------------------------------------- search

    def search(
        self,
        query: Annotated[str, Field(max_length=MAX_QUERY_CHARS)],
        top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K)] = 4,
    ) -> ExternalContent | str:
        """Search the user's own documents (notes, PDFs) by meaning and return the most relevant
        passages, each with its source file and position.

        Args:
            query: What to look for, in natural language.
            top_k: How many passages to return (1 to 20).
        """
        total = self.collection.count()
        if total == 0:
            return "The knowledge base is empty: no documents have been added yet."
        top_k = max(1, min(top_k, MAX_TOP_K, total))
        found = self.collection.query(query_texts=[query], n_results=top_k, include=["documents", "metadatas", "distances"])
        blocks = []
        for rank, (text, meta, distance) in enumerate(
            zip(found["documents"][0], found["metadatas"][0], found["distances"][0]), start=1
        ):
            where = f"page {meta['page']}, chunk {meta['chunk']}" if meta.get("page") else f"chunk {meta['chunk']}"
            blocks.append(format_passage(rank, meta["source"], where, 1 - distance, text))
        return ExternalContent(source=f"knowledge base search for {query!r}", text="\n\n".join(blocks))

    def as_tool(self, name: str = "knowledge_base", timeout: float = 60.0) -> Tool:
        """The search method as a registry tool (the first call loads the index and the model)."""
        return FunctionTool(self.search, name=name, timeout=timeout)


def format_passage(rank: int, source: str, where: str, relevance: float, text: str) -> str:
    """One search hit as the model sees it: rank, source file, position, relevance, the text."""
    return f"[{rank}] {source} ({where}; relevance {relevance:.2f})\n{text}"


def _chunk_id(source: str, index: int) -> str:
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
    return f"{digest}-{index}"
