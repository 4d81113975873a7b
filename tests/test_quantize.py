"""model/quantize.py and model/imatrix.py: type validation, the imatrix file written and read back
in llama.cpp's format and handed to the C API, bitsandbytes configs, LMDeploy AWQ command and
options, the no-CUDA error; and (marked `model`) the bundled model dequantized, quantized to
q4_0 with an importance matrix, loaded by llama.cpp and answering."""
from __future__ import annotations

import ctypes

import numpy as np
import pytest

from model.errors import EngineUnavailableError
from model.imatrix import Imatrix, calibration_texts, read_imatrix, write_imatrix
from model.quantize import (
    GGUF_TYPES,
    AwqOptions,
    QuantizeError,
    awq_command,
    bnb_config,
    imatrix_array,
    parse_types,
    quantize_gguf,
    require_unquantized,
    run_awq,
)


def test_types_are_validated_and_deduplicated():
    assert [t.name for t in parse_types("q8_0, Q4_K_M,q8_0")] == ["q8_0", "q4_k_m"]
    assert {"q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0"} <= set(GGUF_TYPES)
    assert not GGUF_TYPES["q8_0"].uses_imatrix and GGUF_TYPES["q4_0"].uses_imatrix
    with pytest.raises(QuantizeError, match="unknown GGUF type 'q9_z'"):
        parse_types("q4_0,q9_z")
    with pytest.raises(QuantizeError, match="no GGUF type"):
        parse_types(" , ")


def test_a_quantized_gguf_is_never_requantized(tmp_path):
    from model.spec import bundled_gguf_path

    with pytest.raises(QuantizeError, match=r"already quantized \(q4_1\)"):
        require_unquantized(bundled_gguf_path())
    with pytest.raises(QuantizeError, match="already quantized"):
        quantize_gguf(bundled_gguf_path(), tmp_path / "x.gguf", "q4_0")
    assert not (tmp_path / "x.gguf").exists()


def synthetic_imatrix() -> Imatrix:
    rng = np.random.default_rng(0)
    return Imatrix(sums={"blk.0.attn_q.weight": rng.random(8) * 50, "blk.0.ffn_down.weight": rng.random(12) * 9},
                   counts={"blk.0.attn_q.weight": np.array([25.0]), "blk.0.ffn_down.weight": np.array([0.0])},
                   chunk_count=3, chunk_size=512)


def test_imatrix_is_written_in_llama_cpp_format_and_read_back(tmp_path):
    import gguf

    original = synthetic_imatrix()
    path = write_imatrix(original, tmp_path / "imatrix.gguf")
    reader = gguf.GGUFReader(str(path))
    names = sorted(t.name for t in reader.tensors)
    assert names == ["blk.0.attn_q.weight.counts", "blk.0.attn_q.weight.in_sum2",
                     "blk.0.ffn_down.weight.counts", "blk.0.ffn_down.weight.in_sum2"]
    assert reader.get_field("general.type").contents() == "imatrix"
    back = read_imatrix(path)
    assert back.chunk_count == 3 and back.chunk_size == 512 and back.datasets == ["lingxi-calibration"]
    values = back.values()
    np.testing.assert_allclose(values["blk.0.attn_q.weight"], original.sums["blk.0.attn_q.weight"] / 25, rtol=1e-6)
    assert (values["blk.0.ffn_down.weight"] == 1.0).all()  # no tokens seen: neutral weights, as llama.cpp does


def test_imatrix_becomes_the_null_terminated_c_array_llama_cpp_reads():
    values = synthetic_imatrix().values()
    entries, alive = imatrix_array(values)
    assert len(entries) == 3 and entries[2].name is None
    first = entries[0]
    assert first.name == b"blk.0.attn_q.weight" and first.size == 8
    read = np.ctypeslib.as_array(ctypes.cast(first.data, ctypes.POINTER(ctypes.c_float)), shape=(8,))
    np.testing.assert_allclose(read, values["blk.0.attn_q.weight"])


def test_calibration_text_mixes_languages_and_renders_tool_calls():
    texts = calibration_texts(None)
    joined = "\n".join(texts)
    assert "<tool_call>" in joined and "<tool_response>" in joined and "<tools>" in joined
    assert "灵犀" in joined and "Lingxi" in joined
    assert len(texts) >= 4 and all("<|im_start|>" in t for t in texts[1:])


def test_bnb_configs():
    import torch

    nf4 = bnb_config("nf4")
    assert nf4.load_in_4bit and nf4.bnb_4bit_quant_type == "nf4" and nf4.bnb_4bit_use_double_quant
    assert nf4.bnb_4bit_compute_dtype == torch.bfloat16
    assert bnb_config("fp4", "float32").bnb_4bit_quant_type == "fp4"
    assert bnb_config("int8").load_in_8bit
    with pytest.raises(QuantizeError):
        bnb_config("int3")  # type: ignore[arg-type]


def test_qlora_uses_the_same_nf4_config(monkeypatch):
    import transformers

    import training.modeling as modeling

    seen = {}

    def fake_load(path, quantization_config=None, **kwargs):
        seen["config"] = quantization_config
        raise OSError("stop here")

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", lambda path: object())
    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", fake_load)
    with pytest.raises(modeling.ModelLoadError):
        modeling._load_four_bit("some/folder", "bfloat16")
    assert seen["config"].to_dict() == bnb_config("nf4", "bfloat16").to_dict()


def test_bnb_on_a_gguf_is_refused_clearly():
    from model.loader import EngineConfig, load_engine

    with pytest.raises(EngineUnavailableError, match="bitsandbytes while reading a GGUF"):
        load_engine("bundled", "none", EngineConfig(engine="transformers", bnb="nf4"))


def test_awq_command_line(tmp_path):
    command = awq_command(tmp_path / "merged", tmp_path / "awq", AwqOptions(calib_samples=64))
    assert command[0].endswith("lmdeploy") and command[1:4] == ["lite", "auto_awq", str(tmp_path / "merged")]
    pairs = dict(zip(command[4::2], command[5::2]))
    assert pairs == {"--work-dir": str(tmp_path / "awq"), "--w-bits": "4", "--w-group-size": "128",
                     "--calib-dataset": "ptb", "--calib-samples": "64", "--calib-seqlen": "2048",
                     "--batch-size": "1"}


def test_awq_without_cuda_says_so(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(EngineUnavailableError, match="needs an NVIDIA GPU with CUDA"):
        run_awq(tmp_path, tmp_path / "awq")
    with pytest.raises(QuantizeError, match="Hugging Face folder"):
        run_awq(tmp_path / "missing", tmp_path / "awq")


def test_cli_awq_fails_before_work_without_cuda(monkeypatch, capsys):
    import torch

    from agent_app.cli import main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["quantize", "bundled", "--to", "awq"]) == 1
    assert "needs an NVIDIA GPU with CUDA" in capsys.readouterr().err


def test_lmdeploy_engine_options_for_awq_and_kv_quant():
    from model.engines.lmdeploy_backend import engine_config_options

    turbo = engine_config_options("turbomind", 2048, 1, 8, model_format="awq")
    assert turbo["model_format"] == "awq" and turbo["quant_policy"] == 8 and turbo["session_len"] == 2048
    torch_engine = engine_config_options("pytorch", quant_policy=4, model_format="awq")
    assert "model_format" not in torch_engine and torch_engine["quant_policy"] == 4  # read from config.json
    with pytest.raises(EngineUnavailableError):
        engine_config_options("pytorch", quant_policy=2)


@pytest.mark.model
def test_bundled_model_quantized_with_imatrix_loads_and_answers(tmp_path):
    from model.loader import EngineConfig, load_engine
    from model.quantize import dequantize_gguf, gguf_file_type
    from model.spec import bundled_gguf_path
    from model.types import ChatRequest, SamplingParams

    f16 = dequantize_gguf(bundled_gguf_path(), tmp_path / "f16.gguf")
    assert gguf_file_type(f16) == "f16" and f16.stat().st_size > 250e6
    imatrix = Imatrix(sums={"blk.0.ffn_down.weight": np.full(1536, 4.0)}, counts={"blk.0.ffn_down.weight": np.ones(1)})
    q4 = quantize_gguf(f16, tmp_path / "q4_0.gguf", "q4_0", imatrix.values(), threads=1)
    f16.unlink()
    assert gguf_file_type(q4) == "q4_0" and 80e6 < q4.stat().st_size < 100e6
    engine = load_engine(str(q4), config=EngineConfig(n_ctx=512, n_threads=1))
    try:
        result = engine.chat(ChatRequest(messages=[{"role": "user", "content": "What is the capital of France?"}],
                                         sampling=SamplingParams(max_tokens=16, temperature=0)))
    finally:
        engine.close()
    assert "Paris" in result.content
