"""Logits only where there is loss (training.loss): the loss and the gradients equal those of the
full-logits loss, for a plain model, a peft LoRA model, packed and padded batches, fp32 and bf16
autocast; a tiny random Llama on CPU (< 1 s each), and the bundled model (slow)."""
from __future__ import annotations

import random

import pytest
import torch

from training.loss import causal_lm_loss, loss_positions, loss_targets, supports_selective_logits
from training.packing import collate_packed, collate_padded, pack_examples
from training.render import IGNORE_INDEX, TokenizedExample

transformers = pytest.importorskip("transformers")
VOCAB = 211


def make_examples(lengths: list[int], seed: int = 0, vocab: int = VOCAB) -> list[TokenizedExample]:
    rng = random.Random(seed)
    out = []
    for number, length in enumerate(lengths):
        ids = [rng.randrange(1, vocab) for _ in range(length)]
        prompt = rng.randrange(1, length)  # loss on the tail, like an assistant answer
        out.append(TokenizedExample(ids, [IGNORE_INDEX] * prompt + ids[prompt:], id=f"e{number}"))
    return out


def tiny_llama(seed: int = 0):
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                                      tie_word_embeddings=True, use_cache=False)
    config._attn_implementation = "sdpa"
    return transformers.LlamaForCausalLM(config)


def with_lora(model):
    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=4, lora_alpha=8, lora_dropout=0.0,
                                                  target_modules="all-linear"))
    for name, parameter in peft_model.named_parameters():  # B starts at 0: give the adapter a gradient path
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.05)
    return peft_model


def loss_and_grads(model, batch, selective: bool, bf16: bool = False):
    model.zero_grad()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        loss = causal_lm_loss(model, batch, selective)
    loss.backward()
    grads = {name: p.grad.detach().clone() for name, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


def assert_same_loss_and_grads(model, batch, rtol: float, atol: float, bf16: bool = False):
    full_loss, full_grads = loss_and_grads(model, batch, selective=False, bf16=bf16)
    loss, grads = loss_and_grads(model, batch, selective=True, bf16=bf16)
    torch.testing.assert_close(loss, full_loss, rtol=rtol, atol=atol)
    assert grads.keys() == full_grads.keys() and grads
    for name, grad in grads.items():
        torch.testing.assert_close(grad, full_grads[name], rtol=rtol, atol=atol, msg=name)
    return full_loss


def packed_batch(seed: int = 0):
    return collate_packed(pack_examples(make_examples([11, 7, 13, 5, 9, 17], seed=seed), max_length=24), 0)


def test_positions_and_targets_follow_the_causal_shift():
    labels = torch.tensor([[IGNORE_INDEX, IGNORE_INDEX, 5, 6, IGNORE_INDEX, 8],
                           [IGNORE_INDEX, 3, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX, IGNORE_INDEX]])
    assert loss_positions(labels).int().tolist() == [[0, 1, 1, 0, 1, 0], [1, 0, 0, 0, 0, 0]]
    assert loss_targets(labels).tolist() == [5, 6, 8, 3]


def test_selective_loss_equals_the_models_own_loss():
    model = tiny_llama()
    batch = packed_batch()
    own = model(**batch).loss  # transformers' ForCausalLMLoss over full logits
    torch.testing.assert_close(causal_lm_loss(model, batch), own, rtol=1e-5, atol=1e-6)
    assert supports_selective_logits(model)


@pytest.mark.parametrize("collate", ["packed", "padded"])
def test_loss_and_gradients_equal_full_logits_fp32(collate):
    model = tiny_llama()
    examples = make_examples([11, 7, 13, 5], seed=2)
    batch = packed_batch(2) if collate == "packed" else collate_padded(examples, 0)
    loss = assert_same_loss_and_grads(model, batch, rtol=1e-5, atol=1e-6)
    assert 4 < float(loss) < 7  # about log(211) for a random model: a real loss, not a zero


def test_lora_loss_and_gradients_equal_full_logits_under_bf16_autocast():
    model = with_lora(tiny_llama())
    assert supports_selective_logits(model)
    loss = assert_same_loss_and_grads(model, packed_batch(4), rtol=2e-2, atol=2e-3, bf16=True)
    assert torch.isfinite(loss)
    _, grads = loss_and_grads(model, packed_batch(4), selective=True, bf16=True)
    assert grads and all("lora_" in name for name in grads)  # only the adapter trains


def test_a_batch_without_loss_tokens_gives_a_zero_that_backpropagates():
    model = tiny_llama()
    batch = packed_batch()
    batch["labels"] = torch.full_like(batch["labels"], IGNORE_INDEX)
    loss = causal_lm_loss(model, batch)
    loss.backward()
    assert float(loss.detach()) == 0.0
    assert all(float(p.grad.abs().sum()) == 0.0 for p in model.parameters() if p.grad is not None)


@pytest.mark.slow
def test_bundled_model_lora_selective_equals_full_logits():
    """The bundled SmolLM2-135M with LoRA r8 on all linear layers, bf16 autocast, two packed rows."""
    from peft import LoraConfig, get_peft_model

    from training.modeling import load_base

    model, _ = load_base("bundled")
    model.config.use_cache = False
    model = get_peft_model(model, LoraConfig(task_type="CAUSAL_LM", r=8, lora_alpha=16, lora_dropout=0.0,
                                             target_modules="all-linear"))
    for name, parameter in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(parameter, std=0.01)
    examples = make_examples([60, 45, 30, 70], seed=7, vocab=model.config.vocab_size)
    batch = collate_packed(pack_examples(examples, max_length=128), 0)
    assert_same_loss_and_grads(model, batch, rtol=3e-2, atol=3e-3, bf16=True)
