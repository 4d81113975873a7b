"""The adapter as a GGUF LoRA: llama.cpp applies it at load time to the f32 base GGUF and then
gives the same greedy tokens as transformers with the peft adapter (toy scale)."""
from __future__ import annotations

from test_training_export import (gguf_field, hf_greedy, llama_greedy, needs_converters,  # noqa: F401
                                  smollm2_tokenizer, tiny)

from training.export import export_gguf, export_lora_gguf


@needs_converters
def test_gguf_lora_applied_by_llama_cpp_matches_the_adapter(tiny, tmp_path):  # noqa: F811
    base_gguf = export_gguf(tiny["base"], tmp_path / "base-f32.gguf", outtype="f32")
    lora = export_lora_gguf(tiny["run"], outtype="f32")
    assert lora == tiny["run"] / "run-lora-f32.gguf"
    assert gguf_field(lora, "general.type") == "adapter"
    assert gguf_field(lora, "adapter.type") == "lora"
    expected = hf_greedy(tiny["base"], tiny["run"] / "adapter")
    assert llama_greedy(base_gguf, lora) == expected
    assert llama_greedy(base_gguf) != expected  # without it, the base's own tokens
