"""The real case: a LoRA trained a few steps on the bundled SmolLM2-135M-Instruct, merged,
written as GGUF f32, f16 and q8_0, served by llama.cpp. The f32 GGUF gives exactly
transformers' greedy tokens on chat prompts (up to the end-of-turn token); f16 and q8_0 mostly
agree (rounding can part them at a near-tie)."""
from __future__ import annotations

import pytest

from training.config import TrainConfig
from training.export import ExportError, export_gguf, llama_cpp_dir
from training.gguf_check import compare_greedy
from training.toy import write_toy_data
from training.trainer import train

pytestmark = pytest.mark.model


def test_bundled_lora_to_gguf_round_trip(tmp_path):
    try:
        llama_cpp_dir()
    except ExportError:
        pytest.skip("llama.cpp converters not installed (make, or LINGXI_LLAMA_CPP_DIR)")
    data = write_toy_data(tmp_path / "toy.jsonl", count=16)
    result = train(TrainConfig(name="bundled-toy", model="bundled", data=[str(data)], max_length=1024, batch_size=2,
                               max_steps=3, lr=1e-3, lora_r=8, lora_alpha=16, save_steps=10,
                               output_dir=str(tmp_path / "run")))
    assert result.steps == 3 and result.adapter_path is not None

    merged = result.output_dir / "merged"
    f32 = export_gguf(result.output_dir, outtype="f32")
    exact = compare_greedy(f32, merged, new_tokens=16)
    assert exact.identical, exact.summary()  # the conversion itself loses nothing
    f32.unlink()

    # f16 and q8_0 round the weights: greedy may part at a near-tie, late in a continuation
    f16 = export_gguf(result.output_dir, outtype="f16")  # reuses the merged folder
    assert f16.name == "run-f16.gguf" and f16.stat().st_size > 200e6
    half = compare_greedy(f16, merged, new_tokens=16)
    assert sum(half.agreement) >= 0.6 * 16 * len(half.prompts), half.summary()
    q8 = export_gguf(result.output_dir, outtype="q8_0")
    assert q8.stat().st_size < f16.stat().st_size * 0.6
    quantized = compare_greedy(q8, merged, new_tokens=16)
    assert all(ids for ids in quantized.got)
    assert sum(quantized.agreement) >= 0.4 * 16 * len(quantized.prompts), quantized.summary()
