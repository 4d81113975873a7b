"""The shipped adapter served as merged weights (model/merged.py): the merge's arithmetic on small
GGUF files written here, the loader's choice and fallback, and on the real bundled model the
cached build and the fidelity gate that keeps a build which lost the tune out of service."""
from __future__ import annotations

import json

import numpy as np
import pytest

from model import merged
from model.merged import MergeError, merge_lora_gguf

ALPHA, RANK = 4.0, 2


def write_gguf(path, tensors: dict[str, np.ndarray], alpha: float | None = None, name: str = "tiny"):
    import gguf

    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name(name)
    if alpha is not None:
        writer.add_float32(gguf.Keys.Adapter.LORA_ALPHA, alpha)
    for key, values in tensors.items():
        writer.add_tensor(key, values)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def read_tensors(path) -> dict[str, np.ndarray]:
    import gguf

    reader = gguf.GGUFReader(str(path))
    return {t.name: np.array(t.data).reshape(tuple(int(n) for n in reversed(t.shape))) for t in reader.tensors}


@pytest.fixture
def tiny(tmp_path):
    rng = np.random.default_rng(0)
    base = {"blk.0.attn_q.weight": rng.normal(size=(4, 6)).astype(np.float32),
            "blk.0.ffn_up.weight": rng.normal(size=(8, 6)).astype(np.float32),
            "blk.0.attn_norm.weight": rng.normal(size=(6,)).astype(np.float32)}
    lora = {"blk.0.attn_q.weight.lora_a": rng.normal(size=(RANK, 6)).astype(np.float32),
            "blk.0.attn_q.weight.lora_b": rng.normal(size=(4, RANK)).astype(np.float32)}
    return base, lora, write_gguf(tmp_path / "base.gguf", base), write_gguf(tmp_path / "lora.gguf", lora, ALPHA)


def test_the_merge_adds_alpha_over_rank_times_b_a_to_the_adapted_matrix_only(tiny, tmp_path):
    base, lora, base_path, lora_path = tiny
    out = read_tensors(merge_lora_gguf(base_path, lora_path, tmp_path / "merged.gguf"))
    delta = ALPHA / RANK * lora["blk.0.attn_q.weight.lora_b"] @ lora["blk.0.attn_q.weight.lora_a"]
    assert out["blk.0.attn_q.weight"].dtype == np.float16
    np.testing.assert_allclose(out["blk.0.attn_q.weight"], base["blk.0.attn_q.weight"] + delta, rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(out["blk.0.ffn_up.weight"], base["blk.0.ffn_up.weight"], rtol=1e-3, atol=1e-3)
    assert out["blk.0.attn_norm.weight"].dtype == np.float32  # 1-D tensors stay f32
    np.testing.assert_array_equal(out["blk.0.attn_norm.weight"], base["blk.0.attn_norm.weight"])


def test_the_merge_keeps_the_base_metadata(tiny, tmp_path):
    import gguf

    _, _, base_path, lora_path = tiny
    reader = gguf.GGUFReader(str(merge_lora_gguf(base_path, lora_path, tmp_path / "merged.gguf")))
    assert reader.get_field("general.name").contents() == "tiny"
    assert int(reader.get_field("general.file_type").contents()) == int(gguf.LlamaFileType.MOSTLY_F16)


def test_an_adapter_for_another_model_is_refused(tiny, tmp_path):
    _, lora, base_path, _ = tiny
    wrong = write_gguf(tmp_path / "wrong.gguf", {"blk.0.attn_q.weight.lora_a": np.ones((RANK, 5), np.float32),
                                                 "blk.0.attn_q.weight.lora_b": np.ones((4, RANK), np.float32)}, ALPHA)
    with pytest.raises(MergeError, match="trained on another model"):
        merge_lora_gguf(base_path, wrong, tmp_path / "merged.gguf")
    absent = write_gguf(tmp_path / "absent.gguf", {"blk.9.attn_k.weight.lora_a": lora["blk.0.attn_q.weight.lora_a"],
                                                   "blk.9.attn_k.weight.lora_b": lora["blk.0.attn_q.weight.lora_b"]})
    with pytest.raises(MergeError, match="not in"):
        merge_lora_gguf(base_path, absent, tmp_path / "merged2.gguf")
    half = write_gguf(tmp_path / "half.gguf", {"blk.0.attn_q.weight.lora_a": lora["blk.0.attn_q.weight.lora_a"]})
    with pytest.raises(MergeError, match="lacks its lora_b"):
        merge_lora_gguf(base_path, half, tmp_path / "merged3.gguf")


def test_without_alpha_the_scale_is_one():
    assert merged.lora_scale(0.0, 16) == 1.0 and merged.lora_scale(32.0, 16) == 2.0


def test_the_cache_key_changes_with_every_input(tiny, tmp_path):
    _, _, base_path, lora_path = tiny
    key = merged.cache_key(base_path, lora_path, "q8_0")
    assert merged.cache_key(base_path, lora_path, "q6_k") != key
    assert merged.cache_key(lora_path, base_path, "q8_0") != key
    other = tmp_path / "other.gguf"
    other.write_bytes(lora_path.read_bytes() + b"\0")
    assert merged.cache_key(base_path, other, "q8_0") != key
    assert merged.cache_key(base_path, lora_path, "q8_0") == key


def test_only_a_shipped_adapter_whose_card_names_a_type_is_served_merged(tmp_path, monkeypatch):
    from model import spec
    from model.spec import SHIPPED_ADAPTERS_DIR, merged_type, shipped_adapter

    if (SHIPPED_ADAPTERS_DIR / "lingxi-tools-135m" / "adapter.gguf").is_file():
        shipped = shipped_adapter("lingxi-tools", "gguf")
        monkeypatch.setattr(spec, "adapter_card", lambda name: {"merged_type": "q6_k"})
        assert merged_type(shipped) == "q6_k"
        monkeypatch.setattr(spec, "adapter_card", lambda name: {"default": True})
        assert merged_type(shipped) is None
    own = tmp_path / "lingxi-tools-135m" / "adapter.gguf"  # same names, but not the shipped folder
    own.parent.mkdir()
    own.write_bytes(b"x")
    (own.parent / "card.json").write_text(json.dumps({"merged_type": "q8_0"}))
    assert merged_type(own) is None


class RecordingGenerator:
    """Stands in for LlamaCppGenerator: records which weights it was given."""

    def __init__(self, model_path, n_ctx, n_threads, lora_path, prompt_cache_mb=0):
        self.model_path, self.lora_path = model_path, lora_path
        self.n_ctx, self.stop, self.repeat_penalty = n_ctx, [], 1.0
        self.metadata = {}

    def special_tokens(self):
        return "", "<|im_end|>"


@pytest.fixture
def recording(monkeypatch):
    from model.engines import llamacpp

    monkeypatch.setattr(llamacpp, "LlamaCppGenerator", RecordingGenerator)


def test_the_loader_serves_the_merged_build_and_falls_back_to_runtime_lora(recording, monkeypatch, tmp_path):
    from model import loader
    from model.loader import EngineConfig, load_engine
    from model.spec import bundled_gguf_path

    monkeypatch.setattr(loader, "merged_type", lambda adapter: "q6_k")
    built = tmp_path / "built.gguf"
    monkeypatch.setattr(merged, "merged_model", lambda *args, **kwargs: built)
    engine = load_engine("bundled", "lingxi-tools", EngineConfig(tool_decision="model"))
    assert (engine.generator.model_path, engine.generator.lora_path) == (str(built), None)

    def fails(*args, **kwargs):
        raise MergeError("the merged q6_k model does not follow the runtime LoRA")

    monkeypatch.setattr(merged, "merged_model", fails)
    engine = load_engine("bundled", "lingxi-tools", EngineConfig(tool_decision="model"))
    assert engine.generator.model_path == str(bundled_gguf_path())
    assert engine.generator.lora_path.endswith("adapter.gguf")
    off = load_engine("bundled", "lingxi-tools", EngineConfig(tool_decision="model", merge_adapter=False))
    assert off.generator.lora_path.endswith("adapter.gguf")


KEEPS_THE_TUNE = "q6_k"
"""The smallest type whose merge of the shipped adapter kept its accuracy on validation (docs/serving.md)."""


@pytest.fixture(scope="module")
def shipped():
    from model.spec import SHIPPED_ADAPTERS_DIR, bundled_gguf_path, shipped_adapter

    if not (SHIPPED_ADAPTERS_DIR / "lingxi-tools-135m" / "adapter.gguf").is_file():
        pytest.skip("the adapter is not shipped here")
    return bundled_gguf_path(), shipped_adapter("lingxi-tools", "gguf"), KEEPS_THE_TUNE


@pytest.mark.model
def test_the_default_is_built_once_checked_and_then_reused(shipped, shared_models, monkeypatch):
    base, lora, kind = shipped
    folder = shared_models / "merged"
    path = merged.merged_model(base, lora, kind, folder, threads=1)
    record = json.loads(path.with_suffix(".json").read_text())
    assert record["type"] == kind and record["agreement"] >= merged.MIN_AGREEMENT
    assert record["mean_kl"] <= merged.MAX_MEAN_KL and record["positions"] > 1000

    def no_rebuild(*args, **kwargs):
        raise AssertionError("a cached build was built again")

    monkeypatch.setattr(merged, "merge_lora_gguf", no_rebuild)
    assert merged.merged_model(base, lora, kind, folder, threads=1) == path
    assert not [p for p in folder.iterdir() if p.name.startswith(".building-")]


@pytest.mark.model
def test_a_build_that_lost_the_tune_fails_the_fidelity_gate(shipped, tmp_path, monkeypatch):
    """The bare base stands in for a merge whose tune was rounded away (shared/FACTS.md: merged
    and re-quantized to Q4_1): refused, and nothing is left in the cache."""
    base, lora, kind = shipped
    fidelity = merged.fidelity_check(base, lora, base)
    assert not fidelity.passes() and fidelity.agreement < 0.9
    monkeypatch.setattr(merged, "fidelity_check", lambda *args, **kwargs: fidelity)
    with pytest.raises(MergeError, match="does not follow the runtime LoRA"):
        merged.merged_model(base, lora, kind, tmp_path / "merged", threads=1)
    assert [p.name for p in (tmp_path / "merged").iterdir()] == []
