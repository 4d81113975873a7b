"""The ``knowledge_base`` tool: local documents (.txt, .md, .pdf) searched by meaning, in Chinese and English.

    kb = KnowledgeBase(lingxi_home() / "knowledge")
    kb.ingest("notes.md")            # {"files": 1, "chunks": 4, "pages": 0, "characters": 2900}
    kb.documents()                   # [{"source": "notes.md", "chunks": 4, "pages": 0}]
    kb.search("what did we decide?") # quoted chunks with their sources
    kb.remove("notes.md")            # 4 (chunks removed)
    kb.reindex()                     # re-embed every stored chunk with the configured model

chromadb (a PersistentClient under the given folder) and the embedding model load lazily on first
use.  Each chunk keeps its source file name, chunk index, page (PDF, 1-based; 0 otherwise) and
character offset.  Ingesting a file again replaces its earlier chunks.

Retrieval is dense (multilingual-e5-small, tools/_embeddings.py): a chunk scores by its own
embedding and by its best-matching sentence (each sentence of a chunk is embedded too, in a second
collection), so a question about one detail of a long note finds it; optionally fused with a BM25
ranker (tools/_lexical.py) by reciprocal rank. `DEFAULT_SENTENCE_SHARE` and
`DEFAULT_LEXICAL_WEIGHT` were chosen on the validation splits of tests/fixtures/kb_retrieval
(docs/knowledge_base.md).  The collection records
the model it was embedded with; one built with another model opens with that model, and
`needs_reindex` says so until `reindex()` (``lingxi kb reindex``) moves it; so does a collection
built before sentences were stored (it is searched by its chunks alone until then).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from tools.base import ExternalContent, FunctionTool, Tool
from tools.errors import ToolExecutionError

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf")
COLLECTION = "lingxi_knowledge"
SENTENCES = COLLECTION + "_sentences"
"""The collection of each chunk's sentences (ids ``<chunk id>-s<n>``, metadata ``chunk_id``)."""
Progress = Callable[[int, int, str], None]  # (done, total, message)
MAX_QUERY_CHARS = 1000
"""Longest search query (multilingual-e5-small reads 512 tokens; more only costs time)."""
MAX_TOP_K = 20
DEFAULT_EMBEDDING_MODEL = "multilingual-e5-small"
DEFAULT_LEXICAL_WEIGHT = 0.0
"""Share of the BM25 ranker in the reciprocal-rank fusion (0: dense only)."""
DEFAULT_SENTENCE_SHARE = 0.7
"""Share of a chunk's best-matching sentence in its dense score, the rest being the chunk's own
similarity (0: chunks alone, no sentences stored)."""
RRF_K = 60
"""Reciprocal rank fusion's constant (Cormack et al., 2009)."""
_ADD_BATCH = 64


@dataclass(frozen=True)
class Passage:
    """One retrieved chunk: where it comes from, how relevant (cosine similarity), its text."""

    source: str
    chunk: int
    page: int
    relevance: float
    text: str

    @property
    def where(self) -> str:
        return f"page {self.page}, chunk {self.chunk}" if self.page else f"chunk {self.chunk}"


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


_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])|(?<=\.)\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """The sentences of a chunk: split after Chinese and English sentence ends and at line breaks."""
    return [sentence.strip() for sentence in _SENTENCE_END.split(text) if sentence.strip()]


def join_chunks(chunks: list[str], min_overlap: int = 8) -> str:
    """Chunks in order as one text, each overlap with the previous chunk kept once (an overlap
    shorter than ``min_overlap`` characters is taken for chance and kept)."""
    text = ""
    for chunk in chunks:
        shared = _overlap(text, chunk, min_overlap)
        text += chunk[shared:] if shared else ("\n" if text else "") + chunk
    return text


def _overlap(before: str, after: str, min_overlap: int) -> int:
    """Length of the longest end of ``before`` that ``after`` starts with (0 below ``min_overlap``)."""
    for size in range(min(len(before), len(after)), min_overlap - 1, -1):
        if before.endswith(after[:size]):
            return size
    return 0


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
        embedding_model: A name from ``tools._embeddings.EMBEDDING_MODELS``, for new collections
            and for `reindex`.
        lexical_weight: Share of the BM25 ranker in the fused ranking, 0 to 1 (0: dense only).
        sentence_share: Share of a chunk's best-matching sentence in its dense score, 0 to 1
            (0: the chunk's own embedding alone, and no sentences stored at ingestion).
    """

    def __init__(self, path: Path | str, *, chunk_size: int = 800, chunk_overlap: int = 150,
                 embedding_model: str = DEFAULT_EMBEDDING_MODEL,
                 lexical_weight: float = DEFAULT_LEXICAL_WEIGHT,
                 sentence_share: float = DEFAULT_SENTENCE_SHARE) -> None:
        for name, share in (("lexical_weight", lexical_weight), ("sentence_share", sentence_share)):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        self.path = Path(path)
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self.embedding_model = embedding_model
        self.lexical_weight = lexical_weight
        self.sentence_share = sentence_share
        self._model: str | None = None
        self._sentences: Any = None
        self._sentences_missing = False
        self._client: Any = None
        self._collection: Any = None
        self._lexical: Any = None
        self._embedder: Any = None
        self._lock = threading.RLock()

    def setup(self) -> None:
        """Open (or create) the chromadb collection with the model it was built with."""
        with self._lock:
            if self._collection is not None:
                return
            import chromadb
            from chromadb.config import Settings

            self.path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(self.path), settings=Settings(anonymized_telemetry=False))
            self._use(self._recorded_model() or self.embedding_model)
            if self.needs_reindex:
                logger.warning("%s", self.needs_reindex)
            logger.info("knowledge base at %s: %d chunks, embedded with %s", self.path, self._collection.count(), self.model)

    def _recorded_model(self) -> str | None:
        """The model an existing collection was built with (None: no collection yet)."""
        from tools._embeddings import model_of_function

        if COLLECTION not in {c.name for c in self._client.list_collections()}:
            return None
        recorded = (self._client.get_collection(COLLECTION).configuration_json or {}).get("embedding_function") or {}
        model = model_of_function(recorded.get("name", ""))
        if model is None:
            raise ToolExecutionError(f"the knowledge base at {self.path} was embedded with "
                                     f"{recorded.get('name')!r}, which this Lingxi does not know")
        return model

    def _open(self, name: str, model: str) -> Any:
        from tools._embeddings import embedding_function

        return self._client.get_or_create_collection(
            name, embedding_function=embedding_function(model), configuration={"hnsw": {"space": "cosine"}}
        )

    def _use(self, model: str) -> None:
        """Open the main collection and its sentences', with ``model`` embedding its queries."""
        from tools._embeddings import embedding_function

        existing = {c.name for c in self._client.list_collections()}
        self._collection = self._open(COLLECTION, model)
        # A collection built before sentences were stored gets none until `reindex` adds them all
        # (so that this stays known across restarts); until then its chunks score alone.
        self._sentences_missing = SENTENCES not in existing and self._collection.count() > 0
        self._sentences = None if self._sentences_missing else self._open(SENTENCES, model)
        self._embedder = embedding_function(model)
        self._model = model

    @property
    def model(self) -> str:
        """The embedding model the collection was built with (opens the index)."""
        self.setup()
        return self._model

    @property
    def needs_reindex(self) -> str | None:
        """Why the collection should be re-embedded (None when it uses the configured model)."""
        if self.model == self.embedding_model:
            if self.sentence_share and self._sentences_missing:
                return (f"the knowledge base at {self.path} was built before Lingxi stored its sentences, so "
                        f"a question about one detail of a long note may miss it; run `lingxi kb reindex` "
                        f"to add them (nothing is lost)")
            return None
        return (f"the knowledge base at {self.path} was embedded with {self.model}, not {self.embedding_model}"
                f"{' (it does not read Chinese)' if self.model == 'all-minilm-l6-v2' else ''}; "
                f"run `lingxi kb reindex` to re-embed its documents (nothing is lost)")

    @property
    def collection(self) -> Any:
        if self._collection is None:
            self.setup()
        return self._collection

    @property
    def lexical(self) -> Any:
        """The BM25 index of every stored chunk (built from the collection on first use)."""
        with self._lock:
            if self._lexical is None:
                from tools._lexical import BM25Index

                index = BM25Index()
                stored = self.collection.get(include=["documents"])
                for chunk_id, text in zip(stored["ids"], stored["documents"] or []):
                    index.add(chunk_id, text or "")
                self._lexical = index
            return self._lexical

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
        for first in range(0, len(ids), _ADD_BATCH):
            last = first + _ADD_BATCH
            self.collection.add(ids=ids[first:last], documents=texts[first:last], metadatas=metadatas[first:last])
            with self._lock:
                if self._lexical is not None:
                    for chunk_id, text in zip(ids[first:last], texts[first:last]):
                        self._lexical.add(chunk_id, text)
            if self.sentence_share and self._sentences is not None:
                self._add_sentences(self._sentences, ids[first:last], texts[first:last], metadatas[first:last])
            if progress is not None:
                progress(min(last, len(ids)), len(ids), f"{source}: stored {min(last, len(ids))} of {len(ids)} chunks")
        logger.info("ingested %s: %d chunks, %d pages", source, len(ids), pages)
        return {"chunks": len(ids), "pages": pages, "characters": characters}

    @staticmethod
    def _add_sentences(collection: Any, ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        """Store the sentences of chunks that have more than one (a one-sentence chunk is its own)."""
        rows = [(f"{chunk_id}-s{n}", sentence, {"source": meta["source"], "chunk_id": chunk_id})
                for chunk_id, text, meta in zip(ids, texts, metadatas)
                for sentences in [split_sentences(text)] if len(sentences) > 1
                for n, sentence in enumerate(sentences)]
        for first in range(0, len(rows), _ADD_BATCH):
            batch = rows[first : first + _ADD_BATCH]
            collection.add(ids=[row[0] for row in batch], documents=[row[1] for row in batch],
                           metadatas=[row[2] for row in batch])

    def documents(self) -> list[dict[str, Any]]:
        """The ingested documents: ``[{"source", "chunks", "pages"}]``, sorted by name."""
        found: dict[str, dict[str, Any]] = {}
        for meta in self.collection.get(include=["metadatas"])["metadatas"] or []:
            entry = found.setdefault(meta["source"], {"source": meta["source"], "chunks": 0, "pages": 0})
            entry["chunks"] += 1
            entry["pages"] = max(entry["pages"], int(meta.get("page") or 0))
        return [found[k] for k in sorted(found)]

    def document_text(self, source: str) -> str | None:
        """The stored text of the document named ``source``, rebuilt from its chunks (None: no such
        document). Neighbouring chunks overlap and the overlap is kept once; PDF pages are
        separated by a blank line."""
        stored = self.collection.get(where={"source": source}, include=["documents", "metadatas"])
        if not stored["ids"]:
            return None
        pieces = sorted(zip(stored["metadatas"], stored["documents"]), key=lambda pair: int(pair[0]["chunk"]))
        pages: dict[int, list[str]] = {}
        for meta, text in pieces:
            pages.setdefault(int(meta.get("page") or 0), []).append(text or "")
        return "\n\n".join(join_chunks(chunks) for _, chunks in sorted(pages.items()))

    def remove(self, source: str) -> int:
        """Delete every chunk of the document named ``source``; return how many were removed."""
        ids = self.collection.get(where={"source": source}, include=[])["ids"]
        if ids:
            self.collection.delete(ids=ids)
            if self._sentences is not None:
                self._sentences.delete(where={"source": source})
            with self._lock:
                if self._lexical is not None:
                    self._lexical.remove(ids)
        return len(ids)

    def reindex(self, progress: Progress | None = None) -> dict[str, Any]:
        """Re-embed every stored chunk, and its sentences, with the configured model; return
        ``{"chunks", "from", "to"}``.

        The chunks' text and metadata come from the collection itself, so the original files are
        not needed. New collections are filled first and swapped in only when complete: an
        interrupted reindex leaves the old ones as they were (or, interrupted during the swap,
        the chunks with their sentences missing, which `needs_reindex` reports).
        """
        with self._lock:
            old = self.collection
            staging_name, staging_sentences_name = COLLECTION + "-reindex", SENTENCES + "-reindex"
            existing = {c.name for c in self._client.list_collections()}
            for name in (staging_name, staging_sentences_name):
                if name in existing:
                    self._client.delete_collection(name)  # left by an interrupted run
            stored = old.get(include=["documents", "metadatas"])
            staging = self._open(staging_name, self.embedding_model)
            staging_sentences = self._open(staging_sentences_name, self.embedding_model)
            total = len(stored["ids"])
            for first in range(0, total, _ADD_BATCH):
                last = min(first + _ADD_BATCH, total)
                batch = stored["ids"][first:last], stored["documents"][first:last], stored["metadatas"][first:last]
                staging.add(ids=batch[0], documents=batch[1], metadatas=batch[2])
                if self.sentence_share:
                    self._add_sentences(staging_sentences, *batch)
                if progress is not None:
                    progress(last, total, f"re-embedded {last} of {total} chunks with {self.embedding_model}")
            if SENTENCES in existing:
                self._client.delete_collection(SENTENCES)
            self._client.delete_collection(COLLECTION)
            staging.modify(name=COLLECTION)
            staging_sentences.modify(name=SENTENCES)
            previous = self._model
            self._use(self.embedding_model)
            logger.info("reindexed %d chunks: %s -> %s", total, previous, self.model)
            return {"chunks": total, "from": previous, "to": self.model}

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
        if self.collection.count() == 0:
            return "The knowledge base is empty: no documents have been added yet."
        blocks = [format_passage(rank, p.source, p.where, p.relevance, p.text)
                  for rank, p in enumerate(self.retrieve(query, top_k), start=1)]
        return ExternalContent(source=f"knowledge base search for {query!r}", text="\n\n".join(blocks))

    def retrieve(self, query: str, top_k: int = 4) -> list[Passage]:
        """The ``top_k`` most relevant chunks for ``query``, best first."""
        import numpy as np

        total = self.collection.count()
        top_k = max(1, min(top_k, MAX_TOP_K, total))
        if total == 0:
            return []
        pool = min(total, max(4 * top_k, 20))
        vector = np.asarray(self._embedder.embed_query([query])[0], dtype=np.float32)
        dense = self._dense_scores(vector, pool)
        best = (self._fused(list(dense), query, pool) if self.lexical_weight else list(dense))[:top_k]
        found = self.collection.get(ids=best, include=["documents", "metadatas", "embeddings"])
        by_id = {chunk_id: (text, meta, embedding) for chunk_id, text, meta, embedding
                 in zip(found["ids"], found["documents"], found["metadatas"], found["embeddings"])}
        return [_passage(by_id[i][1], by_id[i][0], dense.get(i, float(np.dot(vector, by_id[i][2])))) for i in best]

    def _dense_scores(self, vector: Any, pool: int) -> dict[str, float]:
        """Chunk id -> dense score, best first, for the ``pool`` chunks nearest ``vector`` and the
        chunks of the sentences nearest it: the chunk's cosine similarity, blended with its best
        sentence's by `sentence_share` (a chunk of one sentence is its own best sentence)."""
        import numpy as np

        found = self.collection.query(query_embeddings=[vector], n_results=pool, include=["distances"])
        scores = {chunk_id: 1.0 - distance for chunk_id, distance in zip(found["ids"][0], found["distances"][0])}
        sentences = self._sentences if self.sentence_share and self._sentences is not None else None
        stored = sentences.count() if sentences is not None else 0
        if stored:
            hits = sentences.query(query_embeddings=[vector], n_results=min(stored, 4 * pool), include=["metadatas"])
            candidates = sorted(set(scores) | {meta["chunk_id"] for meta in hits["metadatas"][0]})
            unscored = [chunk_id for chunk_id in candidates if chunk_id not in scores]
            if unscored:
                got = self.collection.get(ids=unscored, include=["embeddings"])
                scores.update({i: float(np.dot(vector, e)) for i, e in zip(got["ids"], got["embeddings"])})
            best_sentence: dict[str, float] = {}
            got = sentences.get(where={"chunk_id": {"$in": candidates}}, include=["metadatas", "embeddings"])
            for meta, embedding in zip(got["metadatas"], got["embeddings"]):
                similarity = float(np.dot(vector, embedding))
                best_sentence[meta["chunk_id"]] = max(similarity, best_sentence.get(meta["chunk_id"], -1.0))
            share = self.sentence_share
            scores = {chunk_id: (1 - share) * score + share * best_sentence.get(chunk_id, score)
                      for chunk_id, score in scores.items()}
        return dict(sorted(scores.items(), key=lambda item: item[1], reverse=True))

    def _fused(self, dense: list[str], query: str, pool: int) -> list[str]:
        """The dense ranking fused with BM25's by weighted reciprocal rank."""
        with self._lock:
            lexical = [chunk_id for chunk_id, _ in self.lexical.top(query, pool)]
        score: dict[str, float] = {}
        for weight, ranking in ((1 - self.lexical_weight, dense[:pool]), (self.lexical_weight, lexical)):
            for rank, chunk_id in enumerate(ranking, start=1):
                score[chunk_id] = score.get(chunk_id, 0.0) + weight / (RRF_K + rank)
        return sorted(score, key=score.__getitem__, reverse=True)

    def as_tool(self, name: str = "knowledge_base", timeout: float = 60.0) -> Tool:
        """The search method as a registry tool (the first call loads the index and the model)."""
        return FunctionTool(self.search, name=name, timeout=timeout)


def _passage(meta: dict[str, Any], text: str, relevance: float) -> Passage:
    return Passage(meta["source"], int(meta["chunk"]), int(meta.get("page") or 0), relevance, text)


def format_passage(rank: int, source: str, where: str, relevance: float, text: str) -> str:
    """One search hit as the model sees it: rank, source file, position, relevance, the text."""
    return f"[{rank}] {source} ({where}; relevance {relevance:.2f})\n{text}"


def _chunk_id(source: str, index: int) -> str:
    digest = hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]
    return f"{digest}-{index}"
