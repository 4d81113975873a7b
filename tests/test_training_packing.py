"""Packing: rows of several examples that do not see each other, and the padding fallback.

The model-level tests run a tiny random Llama (transformers, CPU, < 1 s) and check that an
example's logits are the same packed with others as alone, for each attention path.
"""
from __future__ import annotations

import random

import pytest
import torch

from training.attention import use_segmented_attention
from training.errors import TrainingError
from training.packing import (block_causal_mask, collate_packed, collate_padded, length_grouped_batches,
                              make_batches, pack_examples, packing_efficiency, unpack_labels)
from training.render import IGNORE_INDEX, TokenizedExample

VOCAB = 97


def make_examples(lengths: list[int], seed: int = 0) -> list[TokenizedExample]:
    rng = random.Random(seed)
    out = []
    for number, length in enumerate(lengths):
        ids = [rng.randrange(1, VOCAB) for _ in range(length)]
        prompt = rng.randrange(1, length)  # loss on the tail, like an assistant answer
        out.append(TokenizedExample(ids, [IGNORE_INDEX] * prompt + ids[prompt:], id=f"e{number}"))
    return out


def test_first_fit_decreasing_packs_every_example_once():
    examples = make_examples([30, 5, 17, 12, 25, 8, 3, 31, 14])
    packs = pack_examples(examples, max_length=32)
    assert sorted(i for pack in packs for i in pack.ids) == sorted(e.id for e in examples)
    assert all(len(pack) <= 32 for pack in packs)
    assert len(packs) == 5 and packing_efficiency(packs, 32) == pytest.approx(145 / 160)
    for pack in packs:
        start = 0
        for length in pack.lengths:
            assert pack.position_ids[start: start + length] == list(range(length))
            start += length


def test_packed_labels_equal_unpacked_ones():
    examples = make_examples([9, 4, 7, 6, 2, 11])
    by_id = {e.id: e for e in examples}
    for pack in pack_examples(examples, max_length=16):
        for example_id, labels in zip(pack.ids, unpack_labels(pack)):
            original = by_id[example_id].labels
            # the first label is never a target (a causal LM predicts token t+1 at t); packed it is
            # ignored explicitly so that no example is trained to predict the next one's start
            assert labels == [IGNORE_INDEX, *original[1:]]


def test_an_example_longer_than_the_row_is_an_error():
    with pytest.raises(TrainingError, match="more than max_length 8"):
        pack_examples(make_examples([9]), max_length=8)


def test_block_causal_mask():
    mask = block_causal_mask([[2, 3]], 5)[0, 0].int().tolist()
    assert mask == [[1, 0, 0, 0, 0],
                    [1, 1, 0, 0, 0],
                    [0, 0, 1, 0, 0],
                    [0, 0, 1, 1, 0],
                    [0, 0, 1, 1, 1]]
    with pytest.raises(TrainingError):
        block_causal_mask([[2, 2]], 5)


def test_collate_packed_pads_as_a_separate_sequence():
    packs = pack_examples(make_examples([6, 3, 4]), max_length=9)
    assert [len(p) for p in packs] == [9, 4]
    batch = collate_packed(packs, pad_token_id=0, attention="block_mask")
    assert batch["input_ids"].shape == (2, 9)
    assert batch["position_ids"][1].tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4]
    assert batch["labels"][1, 4:].tolist() == [IGNORE_INDEX] * 5
    assert batch["attention_mask"].shape == (2, 1, 9, 9)
    assert not batch["attention_mask"][1, 0, 5, :4].any()  # padding sees no real token
    assert "attention_mask" not in collate_packed(packs, pad_token_id=0)


def test_length_grouped_batches():
    rng = random.Random(1)
    lengths = [rng.randrange(1, 500) for _ in range(203)]
    batches = length_grouped_batches(lengths, batch_size=4, seed=0, group_batches=5)
    assert sorted(i for batch in batches for i in batch) == list(range(203))
    assert max(lengths[i] for i in batches[0]) == max(lengths)
    assert batches == length_grouped_batches(lengths, batch_size=4, seed=0, group_batches=5)
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    naive = sum(len(b) * max(lengths[i] for i in b) for b in (list(range(k, min(k + 4, 203))) for k in range(0, 203, 4)))
    assert padded < 0.8 * naive


def test_collate_padded():
    batch = collate_padded(make_examples([3, 5]), pad_token_id=0)
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert batch["labels"][0, 3:].tolist() == [IGNORE_INDEX, IGNORE_INDEX]


def test_make_batches_both_ways():
    examples = make_examples([10, 20, 5, 7, 30, 2])
    packed = make_batches(examples, max_length=32, batch_size=2, pad_token_id=0)
    assert sum(int((b["labels"] != IGNORE_INDEX).sum()) for b in packed) == \
        sum(e.loss_tokens - (e.labels[0] != IGNORE_INDEX) for e in examples)
    padded = make_batches(examples, max_length=32, batch_size=4, pad_token_id=0, packing=False)
    assert sum(int(b["attention_mask"].sum()) for b in padded) == sum(len(e) for e in examples)


# ---- a tiny Llama: packed logits equal unpacked logits --------------------------------------
@pytest.fixture(scope="module")
def tiny_llama():
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    config = transformers.LlamaConfig(vocab_size=VOCAB, hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=256)
    models = {}
    for implementation in ("eager", "sdpa"):
        config._attn_implementation = implementation
        model = transformers.LlamaForCausalLM(config)
        model.eval()
        models[implementation] = model
    models["sdpa"].load_state_dict(models["eager"].state_dict())
    config._attn_implementation = "sdpa"
    models["segmented"] = transformers.LlamaForCausalLM(config).eval()
    models["segmented"].load_state_dict(models["eager"].state_dict())
    assert use_segmented_attention(models["segmented"])
    return models


def _alone(model, example: TokenizedExample) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([example.input_ids])).logits[0]


def _packed_logits(model, batch) -> torch.Tensor:
    with torch.no_grad():
        return model(**{k: v for k, v in batch.items() if k != "labels"}).logits


@pytest.mark.parametrize("implementation", ["eager", "sdpa", "segmented"])
@pytest.mark.parametrize("attention", ["position_ids", "block_mask", "segments"])
def test_packed_logits_equal_alone(tiny_llama, implementation, attention):
    model = tiny_llama[implementation]
    examples = make_examples([11, 7, 13, 5, 9])
    packs = pack_examples(examples, max_length=24)
    batch = collate_packed(packs, pad_token_id=0, attention=attention)
    logits = _packed_logits(model, batch)
    by_id = {e.id: e for e in examples}
    for row, pack in enumerate(packs):
        start = 0
        for example_id, length in zip(pack.ids, pack.lengths):
            alone = _alone(model, by_id[example_id])
            torch.testing.assert_close(logits[row, start: start + length], alone, rtol=1e-4, atol=1e-4)
            start += length


def test_segmented_attention_is_sdpa_without_segments_and_checks_them(tiny_llama):
    """Without `segment_lengths` (padded batches, generation) the per-example function is plain
    sdpa; lengths that do not cover the row are refused, not silently misread."""
    examples = make_examples([11, 7], seed=4)
    batch = collate_padded(examples, pad_token_id=0)
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    with torch.no_grad():
        torch.testing.assert_close(tiny_llama["segmented"](**inputs).logits, tiny_llama["sdpa"](**inputs).logits)
    packed = collate_packed(pack_examples(examples, max_length=24), pad_token_id=0, attention="segments")
    packed["segment_lengths"] = [[5, 3]]
    with pytest.raises(ValueError, match="sum to 8"):
        _packed_logits(tiny_llama["segmented"], packed)


def test_segmented_gradients_equal_block_mask_gradients(tiny_llama):
    import copy

    examples = make_examples([11, 7, 13, 5, 9], seed=6)
    packs = pack_examples(examples, max_length=24)
    grads = {}
    for name, attention in (("segmented", "segments"), ("sdpa", "block_mask")):
        model = copy.deepcopy(tiny_llama[name])
        batch = collate_packed(packs, pad_token_id=0, attention=attention)
        model(**batch).loss.backward()
        grads[name] = [p.grad for p in model.parameters()]
    for a, b in zip(grads["segmented"], grads["sdpa"]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_packed_loss_equals_unpacked_loss(tiny_llama):
    model = tiny_llama["sdpa"]
    examples = make_examples([11, 7, 13, 5, 9], seed=3)
    batch = collate_packed(pack_examples(examples, max_length=24), pad_token_id=0)
    logits = _packed_logits(model, batch)
    loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, VOCAB), batch["labels"][:, 1:].reshape(-1),
                                             ignore_index=IGNORE_INDEX, reduction="sum")
    alone = sum(torch.nn.functional.cross_entropy(_alone(model, e)[:-1], torch.tensor(e.labels[1:]),
                                                  ignore_index=IGNORE_INDEX, reduction="sum") for e in examples)
    torch.testing.assert_close(loss, alone, rtol=1e-4, atol=1e-4)
    with torch.no_grad():  # the model's own loss (mean over target tokens) agrees
        own = model(**batch).loss
    targets = sum(e.loss_tokens - (e.labels[0] != IGNORE_INDEX) for e in examples)
    torch.testing.assert_close(own, alone / targets, rtol=1e-4, atol=1e-4)


def test_position_ids_alone_fail_when_the_model_keeps_a_cache(tiny_llama):
    """Why collate_packed sets use_cache=False: with the config default (use_cache=True) the
    model builds a KV cache, transformers skips packed-sequence detection, and examples leak."""
    model = tiny_llama["sdpa"]
    examples = make_examples([11, 7], seed=5)
    pack = pack_examples(examples, max_length=24)[0]
    batch = collate_packed([pack], pad_token_id=0)
    assert batch.pop("use_cache") is False
    batch.pop("labels")
    second = {e.id: e for e in examples}[pack.ids[1]]
    with torch.no_grad():
        leaked = model(**batch).logits[0, pack.lengths[0]:]
        kept_apart = model(**batch, use_cache=False).logits[0, pack.lengths[0]:]
    assert model.config.use_cache
    assert not torch.allclose(leaked, _alone(model, second), atol=1e-3)
    torch.testing.assert_close(kept_apart, _alone(model, second), rtol=1e-4, atol=1e-4)


def test_without_position_resets_examples_would_see_each_other(tiny_llama):
    """The check above is not vacuous: plain positions and no mask change the later examples."""
    model = tiny_llama["sdpa"]
    examples = make_examples([11, 7], seed=5)
    pack = pack_examples(examples, max_length=24)[0]
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([pack.input_ids])).logits[0]
    second = {e.id: e for e in examples}[pack.ids[1]]
    assert not torch.allclose(logits[pack.lengths[0]:], _alone(model, second), atol=1e-3)
