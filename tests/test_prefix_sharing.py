"""Shared prefixes in packed training rows (training/prefix_sharing.py): which examples share what,
and that a row of groups gives every example the logits, the loss and the gradients it gets packed
apart. The model-level tests run a tiny random Llama (transformers, CPU, < 1 s)."""
from __future__ import annotations

import copy
import random

import pytest
import torch

from tests.test_training_packing import tiny_llama  # noqa: F401  (a fixture)
from training.config import TrainConfig
from training.errors import TrainingError
from training.loss import causal_lm_loss
from training.packing import collate_packed, pack_examples, shared_block_mask
from training.prefix_sharing import Group, group_examples, group_of, unlabelled_opening
from training.render import IGNORE_INDEX, TokenizedExample

VOCAB = 97


def conversation(system: list[int], rng: random.Random, name: str) -> TokenizedExample:
    """A system prompt both share, a request of its own (no loss), an answer (loss)."""
    request = [rng.randrange(1, VOCAB) for _ in range(rng.randrange(4, 9))]
    answer = [rng.randrange(1, VOCAB) for _ in range(rng.randrange(3, 7))]
    ids = system + request + answer
    return TokenizedExample(ids, [IGNORE_INDEX] * (len(system) + len(request)) + answer, id=name)


def tool_use_like(count: int, system_lengths=(40, 36), seed: int = 0) -> list[TokenizedExample]:
    """`count` conversations over two different system prompts, plus two of no shared opening."""
    rng = random.Random(seed)
    systems = [[rng.randrange(1, VOCAB) for _ in range(n)] for n in system_lengths]
    examples = [conversation(systems[i % len(systems)], rng, f"c{i}") for i in range(count)]
    examples += [conversation([rng.randrange(1, VOCAB) for _ in range(12)], rng, f"alone{i}") for i in range(2)]
    return examples


def test_examples_with_a_common_opening_share_it_and_every_example_is_placed_once():
    examples = tool_use_like(10)
    groups = group_examples(examples, max_length=96)
    assert sorted(i for group in groups for i in group.ids) == sorted(e.id for e in examples)
    shared = [group for group in groups if group.shared]
    assert shared and all(group.shared >= 32 for group in shared)
    assert all(len(group) <= 96 for group in groups)
    by_id = {e.id: e for e in examples}
    for group in shared:
        first = by_id[group.ids[0]]
        assert all(by_id[i].input_ids[:group.shared] == first.input_ids[:group.shared] for i in group.ids)
    alone = [group for group in groups if group.ids[0].startswith("alone")]
    assert all(group.shared == 0 and len(group.ids) == 1 for group in alone)
    saved = sum(group.example_tokens for group in groups) - sum(len(group) for group in groups)
    assert saved >= 32 * (10 - 2 * len(shared))  # every example after its group's first saves its prompt


def test_the_shared_opening_stops_before_the_first_labelled_token():
    """Two examples whose answers start alike: the common opening runs into the answer, but the
    prefix ends at the token before the first labelled one (that position's prediction belongs to
    each example)."""
    system = list(range(1, 41))
    a = TokenizedExample(system + [50, 51, 52], [IGNORE_INDEX] * 40 + [50, 51, 52], id="a")
    b = TokenizedExample(system + [50, 51, 60], [IGNORE_INDEX] * 40 + [50, 51, 60], id="b")
    assert unlabelled_opening(a) == 39
    (group,) = group_examples([a, b], max_length=64)
    assert group.shared == 39
    assert group.labels[:39] == [IGNORE_INDEX] * 39
    # Each branch: its first token (the prefix's next) carries no label; the answer keeps its own.
    assert group.labels[39:43] == [IGNORE_INDEX, 50, 51, 52]
    assert group.position_ids == list(range(39)) + [39, 40, 41, 42] * 2
    with pytest.raises(ValueError, match="loss within"):
        group_of([a, b], 40)


def test_a_group_never_outgrows_max_length():
    examples = tool_use_like(12)
    for max_length in (60, 80, 128):
        for pack in pack_examples(examples, max_length=max_length, share_prefixes=True):
            assert len(pack) <= max_length


# ---- a tiny Llama (the packing tests' fixture: eager, sdpa and per-example attention) ----------
def _alone(model, example: TokenizedExample) -> torch.Tensor:
    with torch.no_grad():
        return model(input_ids=torch.tensor([example.input_ids])).logits[0]


@pytest.mark.parametrize("attention", ["segments", "block_mask"])
def test_every_branch_token_has_the_logits_of_its_example_alone(tiny_llama, attention):
    model = tiny_llama["segmented" if attention == "segments" else "sdpa"]
    examples = tool_use_like(6, seed=1)
    by_id = {e.id: e for e in examples}
    packs = pack_examples(examples, max_length=128, share_prefixes=True)
    assert any(pack.shares_prefixes for pack in packs)
    batch = collate_packed(packs, pad_token_id=0, attention=attention)
    assert ("shared_segments" in batch) == (attention == "segments")
    with torch.no_grad():
        logits = model(**{k: v for k, v in batch.items() if k != "labels"}).logits
    checked = 0
    for row, pack in enumerate(packs):
        start, ids = 0, iter(pack.ids)
        for shared, branches in pack.layout:
            begin = start + shared
            for length in branches:
                example = by_id[next(ids)]
                alone = _alone(model, example)
                if shared:
                    torch.testing.assert_close(logits[row, start:start + shared], alone[:shared], rtol=1e-4, atol=1e-4)
                torch.testing.assert_close(logits[row, begin:begin + length], alone[shared:], rtol=1e-4, atol=1e-4)
                begin += length
                checked += 1
            start = begin
    assert checked == len(examples)


def test_loss_and_gradients_equal_the_examples_packed_apart(tiny_llama):
    examples = tool_use_like(8, seed=2)
    apart = collate_packed(pack_examples(examples, max_length=128), pad_token_id=0, attention="segments")
    shared_packs = pack_examples(examples, max_length=128, share_prefixes=True)
    shared = collate_packed(shared_packs, pad_token_id=0, attention="segments")
    assert shared["input_ids"].numel() < apart["input_ids"].numel()
    assert int((shared["labels"] != IGNORE_INDEX).sum()) == int((apart["labels"] != IGNORE_INDEX).sum())
    results = {}
    for name, batch in (("apart", apart), ("shared", shared)):
        model = copy.deepcopy(tiny_llama["segmented"]).train()
        loss = causal_lm_loss(model, batch)
        loss.backward()
        results[name] = (loss.detach(), [p.grad.clone() for p in model.parameters()])
    torch.testing.assert_close(results["shared"][0], results["apart"][0], rtol=1e-5, atol=1e-5)
    for a, b in zip(results["shared"][1], results["apart"][1]):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_a_mistaken_layout_changes_the_loss(tiny_llama):
    """The check above can fail: a branch that also sees the branch before it scores differently."""
    examples = tool_use_like(4, seed=3)[:4]
    packs = pack_examples(examples, max_length=128, share_prefixes=True)
    batch = collate_packed(packs, pad_token_id=0, attention="segments")
    model = tiny_llama["segmented"]
    with torch.no_grad():
        right = causal_lm_loss(model, batch)
        wrong = dict(batch)
        wrong["shared_segments"] = [[(shared, [sum(branches)]) for shared, branches in layout]
                                    for layout in batch["shared_segments"]]
        assert any(len(branches) > 1 for layout in batch["shared_segments"] for _, branches in layout)
        assert abs(float(causal_lm_loss(model, wrong)) - float(right)) > 1e-4


def test_shared_rows_are_refused_where_position_ids_would_mix_them():
    packs = pack_examples(tool_use_like(4), max_length=128, share_prefixes=True)
    with pytest.raises(TrainingError, match="segments"):
        collate_packed(packs, pad_token_id=0, attention="position_ids")
    with pytest.raises(ValueError, match="share_prefixes"):
        TrainConfig(data=["x.jsonl"], share_prefixes=True, packing_attention="position_ids")
    with pytest.raises(ValueError, match="share_prefixes"):
        TrainConfig(data=["x.jsonl"], share_prefixes=True, packing=False)


def test_the_block_mask_of_a_group():
    mask = shared_block_mask([[(2, [2, 1])]], 5)[0, 0]
    expected = torch.tensor([[1, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0],
                             [1, 1, 1, 0, 0],
                             [1, 1, 1, 1, 0],
                             [1, 1, 0, 0, 1]], dtype=torch.bool)
    assert torch.equal(mask, expected)
    assert isinstance(group_of(tool_use_like(1)[:1], 0), Group)


def test_rows_longer_than_max_length_hold_more_branches():
    config = TrainConfig(data=["x.jsonl"], max_length=96, pack_length=256, share_prefixes=True)
    assert config.row_length == 256
    with pytest.raises(ValueError, match="pack_length"):
        TrainConfig(data=["x.jsonl"], max_length=96, pack_length=64)
    examples = tool_use_like(16, seed=5)
    short = pack_examples(examples, 96, share_prefixes=True)
    long = pack_examples(examples, config.row_length, share_prefixes=True)
    assert sum(len(pack) for pack in long) < sum(len(pack) for pack in short)
    assert all(len(pack) <= 256 for pack in long)


def test_a_training_run_with_shared_prefixes_resumes_only_with_the_same_layout():
    from training.trainer import config_digest

    plain = TrainConfig(data=["x.jsonl"])
    assert config_digest(plain) == config_digest(TrainConfig(data=["x.jsonl"], share_prefixes=False))
    assert config_digest(plain) != config_digest(TrainConfig(data=["x.jsonl"], share_prefixes=True))
    assert config_digest(plain) != config_digest(TrainConfig(data=["x.jsonl"], max_length=1024, pack_length=2048))
