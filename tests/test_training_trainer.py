"""The training flow at toy scale: a tiny random Llama with a byte-level tokenizer (training.toy),
a few steps on CPU. LoRA, QLoRA, full and pretraining runs; packing vs padding; gradient
accumulation. Resuming is in test_training_trainer_resume.py."""
from __future__ import annotations

import json

import pytest

from training.config import ConfigError, TrainConfig
from training.errors import TrainingError
from training.progress import read_metrics
from training.toy import byte_tokenizer, make_tiny_llama, write_toy_data
from training.trainer import train


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("toy")
    model = make_tiny_llama(folder / "model", byte_tokenizer(), hidden=32)
    data = write_toy_data(folder / "data.jsonl", count=24)
    return {"model": str(model), "data": str(data), "root": folder}


def config(toy, tmp_path, **fields) -> TrainConfig:
    base = dict(name="toy", model=toy["model"], data=[toy["data"]], max_length=1024, batch_size=2,
                max_steps=4, save_steps=2, lr=5e-3, bf16=False, seed=0, output_dir=str(tmp_path / "run"))
    return TrainConfig(**{**base, **fields})


def test_lora_run_writes_adapter_metrics_plot_and_checkpoints(toy, tmp_path):
    seen = []
    result = train(config(toy, tmp_path, max_steps=6, save_steps=2, eval_share=0.2, lr=2e-2), progress=seen.append)
    out = tmp_path / "run"
    assert result.steps == result.total_steps == 6 and result.output_dir == out
    assert (result.adapter_path / "adapter_model.safetensors").is_file() and result.model_path is None
    assert json.loads((result.adapter_path / "lingxi.json").read_text())["base_model"] == toy["model"]
    assert (result.adapter_path / "chat_template.jinja").is_file()  # served with the template it learned
    assert [p.name for p in result.checkpoints] == ["step-000004", "step-000006"]  # keep_checkpoints=2
    assert result.plot_path.read_bytes()[:4] == b"\x89PNG"
    records = read_metrics(result.metrics_path)
    steps = [r["step"] for r in records if "loss" in r]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert records[-1]["eval_loss"] == pytest.approx(result.eval_loss)
    assert [p.step for p in seen] == steps and all(p.total == 6 for p in seen)
    assert seen[-1].eta_s == 0 and seen[-1].tokens_per_s > 0 and seen[-1].lr == 0  # linear decay to 0
    assert seen[-1].loss < seen[0].loss
    assert json.loads((out / "result.json").read_text())["steps"] == 6
    assert result.steady_tokens_per_s > 0  # tokens/s after the warm-up step
    assert (out / "config.yaml").is_file()


def test_adapter_loads_with_peft_and_changes_the_model(toy, tmp_path):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    result = train(config(toy, tmp_path, max_steps=2, lr=5e-2))
    base = AutoModelForCausalLM.from_pretrained(toy["model"])
    ids = torch.tensor([[10, 20, 30, 40]])
    before = base(ids).logits
    tuned = PeftModel.from_pretrained(base, str(result.adapter_path))
    assert not torch.allclose(tuned(ids).logits, before)


def test_packing_and_padding_see_the_same_tokens(toy, tmp_path):
    """One batch holding every example: the token-weighted loss is the same packed or padded,
    so packed examples do not attend to each other (use_cache is off)."""
    losses = {}
    for packing in (True, False):
        result = train(config(toy, tmp_path / str(packing), packing=packing, batch_size=64, max_steps=1,
                              max_examples=9))
        losses[packing] = result.final_loss
    assert losses[True] == pytest.approx(losses[False], rel=1e-4)


def test_shared_prefixes_train_on_the_same_loss_with_fewer_tokens(toy, tmp_path):
    """One batch holding every example, with and without shared prefixes (the toy data's weather
    and calculator conversations open with the same system prompt): the same loss, fewer tokens."""
    results = {}
    for share in (False, True):
        results[share] = train(config(toy, tmp_path / str(share), share_prefixes=share, batch_size=64, max_steps=1,
                                      max_examples=12, lora_dropout=0.0))
    assert results[True].final_loss == pytest.approx(results[False].final_loss, rel=1e-4)
    assert results[True].tokens < results[False].tokens


def test_gradient_accumulation_is_a_mean_over_tokens(toy, tmp_path):
    big = train(config(toy, tmp_path / "big", batch_size=4, grad_accum=1, max_steps=1))
    accumulated = train(config(toy, tmp_path / "acc", batch_size=2, grad_accum=2, max_steps=1))
    assert accumulated.final_loss == pytest.approx(big.final_loss, rel=1e-4)
    assert accumulated.tokens == big.tokens


def test_full_fine_tune_on_raw_text(toy, tmp_path):
    """Incremental pre-training: the same flow with the text reader, every weight trained."""
    from transformers import AutoModelForCausalLM

    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n\n".join(f"Document {i}: the quick brown fox jumps over the lazy dog." * 3
                                  for i in range(12)), encoding="utf-8")
    result = train(config(toy, tmp_path, method="full", task="pretrain", data=[str(corpus)], max_length=256,
                          max_steps=3, save_steps=5))
    assert result.adapter_path is None and (result.model_path / "model.safetensors").is_file()
    assert [p.name for p in result.checkpoints] == ["step-000003"]
    model = AutoModelForCausalLM.from_pretrained(result.model_path)
    assert model.config.hidden_size == 32


def test_qlora_trains_on_a_4bit_base(toy, tmp_path):
    pytest.importorskip("bitsandbytes")
    result = train(config(toy, tmp_path, method="qlora", max_steps=2, bf16=True))
    assert result.steps == 2 and (result.adapter_path / "adapter_model.safetensors").is_file()


def test_data_of_the_wrong_kind_is_a_clear_error(toy, tmp_path):
    with pytest.raises(ConfigError, match="trains on raw text"):
        train(config(toy, tmp_path, task="pretrain", data_format="auto", data=[toy["data"]]))
    with pytest.raises(ConfigError, match="no example fits max_length 16"):
        train(config(toy, tmp_path, max_length=16))
    with pytest.raises(ConfigError, match="data file not found"):
        train(config(toy, tmp_path, data=[str(tmp_path / "missing.jsonl")]))
