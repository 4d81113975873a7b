"""Export at toy scale: a tiny random Llama (SmolLM2's tokenizer, so llama.cpp's converter knows
it) with a random LoRA adapter. The merged folder equals the adapter applied; the GGUF that
llama.cpp serves gives the same greedy tokens as transformers; the GGUF LoRA applied by
llama.cpp at load time gives the merged model's tokens (test_training_export_lora.py). llama.cpp runs in a subprocess, so a
crash of the native library fails a test instead of the session."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from training.errors import TrainingError
from training.export import (ExportError, ExportOptions, export, export_gguf, export_lora_gguf, export_model,
                             find_trained, llama_cpp_dir, quantize_gguf)
from training.gguf_check import compare_greedy, llama_cpp_greedy, transformers_greedy
from training.toy import make_tiny_llama

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [[1, 30, 400, 5000], [7, 8, 9], [12000, 3, 77, 2048, 31]]
NEW_TOKENS = 10


def converters_available() -> bool:
    try:
        llama_cpp_dir()
        return True
    except ExportError:
        return False


needs_converters = pytest.mark.skipif(not converters_available(), reason="llama.cpp converters not installed "
                                      "(make, or LINGXI_LLAMA_CPP_DIR)")


def smollm2_tokenizer(tmp_path_factory):
    """The bundled model's tokenizer (13 s from the GGUF), saved once per test session."""
    from transformers import AutoTokenizer

    from model.spec import bundled_gguf_path

    saved = tmp_path_factory.getbasetemp() / "smollm2-tokenizer"
    if not (saved / "tokenizer.json").is_file():
        gguf = bundled_gguf_path()
        AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name).save_pretrained(saved)
    return AutoTokenizer.from_pretrained(saved)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """{"base": HF folder, "run": run folder holding adapter/} with a random, non-zero LoRA."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    folder = tmp_path_factory.mktemp("export")
    tokenizer = smollm2_tokenizer(tmp_path_factory)
    base = make_tiny_llama(folder / "base", tokenizer, hidden=64)
    torch.manual_seed(1)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base),
                           LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", init_lora_weights=False))
    adapter = folder / "run" / "adapter"
    model.save_pretrained(adapter)
    tokenizer.save_pretrained(adapter)
    (adapter / "lingxi.json").write_text(json.dumps({"base_model": str(base), "method": "lora"}))
    return {"base": str(base), "run": folder / "run"}


def hf_greedy(folder, adapter=None) -> list[list[int]]:
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    return transformers_greedy(model, PROMPTS, NEW_TOKENS)


def llama_greedy(gguf, lora=None) -> list[list[int]]:
    return llama_cpp_greedy(gguf, PROMPTS, NEW_TOKENS, lora)


def gguf_field(path: Path, key: str):
    from gguf import GGUFReader

    field = GGUFReader(str(path)).fields[key]
    value = field.parts[field.data[0]]
    return bytes(value).decode() if field.types and field.types[0].name == "STRING" else value.tolist()[0]


def test_merged_folder_equals_the_adapter_applied(tiny):
    import torch
    from transformers import AutoModelForCausalLM

    merged = export_model(tiny["run"])
    assert merged == tiny["run"] / "merged"
    assert {"model.safetensors", "tokenizer.json", "chat_template.jinja", "lingxi.json"} <= {
        p.name for p in merged.iterdir()}
    ids = torch.tensor([PROMPTS[0]])
    plain = AutoModelForCausalLM.from_pretrained(merged)
    assert not any("lora" in name for name, _ in plain.named_parameters())
    from peft import PeftModel

    adapted = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(tiny["base"]), str(tiny["run"] / "adapter"))
    base_logits = AutoModelForCausalLM.from_pretrained(tiny["base"])(ids).logits
    merged_logits = plain(ids).logits
    assert torch.allclose(merged_logits, adapted(ids).logits, atol=1e-4)
    assert not torch.allclose(merged_logits, base_logits, atol=1e-3)  # the adapter did something


@pytest.fixture(scope="module")
def merged_f32(tiny, tmp_path_factory):
    return export(ExportOptions(source=str(tiny["run"]), to="gguf", outtype="f32",
                                out=str(tmp_path_factory.mktemp("gguf") / "tiny-f32.gguf")))


@needs_converters
def test_gguf_served_by_llama_cpp_matches_transformers(tiny, merged_f32):
    assert gguf_field(merged_f32, "general.architecture") == "llama"
    assert gguf_field(merged_f32, "general.file_type") == 0  # all f32
    comparison = compare_greedy(merged_f32, tiny["run"] / "merged", PROMPTS, NEW_TOKENS)
    assert comparison.identical, comparison.summary()
    assert comparison.got == hf_greedy(tiny["run"] / "merged")


@needs_converters
def test_quantized_gguf_loads_and_generates(merged_f32, tmp_path):
    k = quantize_gguf(merged_f32, tmp_path / "k.gguf", "q4_k_m")
    assert gguf_field(k, "general.file_type") == 15  # LLAMA_FTYPE_MOSTLY_Q4_K_M
    assert k.stat().st_size < merged_f32.stat().st_size / 2
    assert [len(ids) for ids in llama_greedy(k)] == [NEW_TOKENS] * len(PROMPTS)


def test_what_cannot_be_exported_is_a_clear_error(tiny, tmp_path, monkeypatch):
    with pytest.raises(ExportError, match="nothing to export"):
        export_model(tmp_path)
    assert find_trained(tiny["base"]) == ("model", Path(tiny["base"]))
    assert export_model(tiny["base"]) == Path(tiny["base"])  # a full model is already a folder
    with pytest.raises(ExportError, match="not a LoRA adapter"):
        export_lora_gguf(tiny["base"])
    with pytest.raises(ExportError, match="GGUF LoRA is written as one of"):
        export(ExportOptions(source=str(tiny["run"]), to="lora-gguf", outtype="q4_k_m"))
    with pytest.raises(ExportError, match="llama_model_quantize types"):
        quantize_gguf(tmp_path / "x.gguf", tmp_path / "y.gguf", "f16")
    with pytest.raises(ExportError, match="unknown GGUF type"):
        export_gguf(tiny["run"], outtype="q9")  # type: ignore[arg-type]
    assert issubclass(ExportError, TrainingError)


def test_missing_converters_say_how_to_get_them(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("LINGXI_LLAMA_CPP_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    with pytest.raises(ExportError, match="pip download llama-cpp-python==0.3.36") as error:
        export_gguf(tiny["run"])
    assert "LINGXI_LLAMA_CPP_DIR" in str(error.value)
    assert not (tiny["run"] / "run-q8_0.gguf").exists()


def test_the_converters_are_found_beside_the_venv_or_by_env(tmp_path, monkeypatch):
    sdist = tmp_path / "llama_cpp_python-0.3.36" / "vendor" / "llama.cpp"
    sdist.mkdir(parents=True)
    (sdist / "convert_hf_to_gguf.py").write_text("")
    monkeypatch.setenv("LINGXI_LLAMA_CPP_DIR", str(tmp_path / "llama_cpp_python-0.3.36"))
    assert llama_cpp_dir() == sdist
    monkeypatch.delenv("LINGXI_LLAMA_CPP_DIR")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "venv"))
    shared = tmp_path / "venv" / "share" / "lingxi" / "llama.cpp"
    shared.mkdir(parents=True)
    (shared / "convert_hf_to_gguf.py").write_text("")
    assert llama_cpp_dir() == shared
    assert os.environ.get("LINGXI_LLAMA_CPP_DIR") is None
