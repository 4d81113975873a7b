"""Batches for SFT: several examples packed into one row without attending to each other, or
length-grouped padded batches as the plain fallback.

Packing. Examples are placed into rows of at most `max_length` tokens (first-fit decreasing).
Each row carries `position_ids` that restart at 0 for every example. Two ways keep one example
from attending to another:
- `attention="position_ids"` (default): no attention_mask at all. transformers (4.56+, 5.x)
  derives the packed layout from the position_ids resets: flash-attention kernels get the
  sequence boundaries, and the sdpa / eager paths (the CPU ones) build a block-diagonal causal
  mask from them (`masking_utils.find_packed_sequence_indices`). This is what
  `DataCollatorWithFlattening` relies on. A trap, checked in transformers 5.24: the detection
  only runs when the forward pass has no KV cache, and Llama-family models create one whenever
  `use_cache` is on, which is the config default (even in train mode, unless gradient
  checkpointing is on). The examples then silently attend to each other. So the batch carries
  `use_cache=False`; a trainer that builds its own batches must pass it too.
- `attention="block_mask"`: an explicit 4D boolean mask (batch, 1, L, L), True where a token may
  attend: causal within its own example only. Works with any attention implementation that
  takes a 4D mask, and with any transformers version.
- `attention="segments"` (what training uses): the position_ids batch plus each row's example
  lengths as `segment_lengths`, for the per-example attention function of training/attention.py,
  which computes no attention across examples at all. A model not switched to that function
  ignores the lengths and gets the position_ids behaviour.
All three are tested against running each example alone (tests/test_training_packing.py).

The first label of every example is set to IGNORE_INDEX: a causal LM predicts token t+1 at
position t, so without it the last token of one example would be trained to predict the first
token of the next. (Unpacked, that label is never used either, so packed and unpacked losses
are the same.)

Padding rows of a packed batch form their own "example" (positions from 0, labels ignored).

Shared prefixes (`pack_examples(..., share_prefixes=True)`, training/prefix_sharing.py): examples
that open with the same tokens go into a row as one group, the opening once and the rest of each
example as a branch of it; the row then carries `shared_segments` ("segments") or a mask that
says the same ("block_mask"). position_ids alone cannot say it, so that path refuses them.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from training.errors import TrainingError
from training.prefix_sharing import Group, group_examples
from training.render import IGNORE_INDEX, TokenizedExample

Attention = Literal["position_ids", "block_mask", "segments"]


@dataclass
class Pack:
    input_ids: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    position_ids: list[int] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    """Tokens of each unit in the row: an example, or a group sharing a prefix."""
    ids: list[str | None] = field(default_factory=list)
    layout: list[tuple[int, list[int]]] = field(default_factory=list)
    """Each unit as (shared prefix tokens, branch lengths); an example alone is (0, [length])."""
    example_tokens: int = 0
    """Tokens of the row's examples laid out apart (more than len() where prefixes are shared)."""

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def shares_prefixes(self) -> bool:
        return any(shared for shared, _ in self.layout)

    def add(self, example: TokenizedExample) -> None:
        self.input_ids += example.input_ids
        self.labels += [IGNORE_INDEX, *example.labels[1:]]
        self.position_ids += range(len(example))
        self.lengths.append(len(example))
        self.ids.append(example.id)
        self.layout.append((0, [len(example)]))
        self.example_tokens += len(example)

    def add_group(self, group: Group) -> None:
        self.input_ids += group.input_ids
        self.labels += [IGNORE_INDEX, *group.labels[1:]]
        self.position_ids += group.position_ids
        self.lengths.append(len(group))
        self.ids += group.ids
        self.layout.append((group.shared, list(group.branch_lengths)))
        self.example_tokens += group.example_tokens


def pack_examples(examples: Sequence[TokenizedExample], max_length: int,
                  share_prefixes: bool = False) -> list[Pack]:
    """First-fit decreasing: longest examples first, each into the first row with room.
    `share_prefixes`: examples with a common opening are first grouped (training/prefix_sharing.py)
    and the groups packed."""
    for index, example in enumerate(examples):
        if len(example) > max_length:
            raise TrainingError(f"example {example.id or index} has {len(example)} tokens, more than "
                                f"max_length {max_length}: render with the same max_length")
    units: Sequence[TokenizedExample | Group] = (group_examples(examples, max_length) if share_prefixes
                                                 else examples)
    order = sorted(range(len(units)), key=lambda i: len(units[i]), reverse=True)
    packs: list[Pack] = []
    for index in order:
        unit = units[index]
        pack = next((pack for pack in packs if len(pack) + len(unit) <= max_length), None)
        if pack is None:
            pack = Pack()
            packs.append(pack)
        if isinstance(unit, Group):
            pack.add_group(unit)
        else:
            pack.add(unit)
    return packs


def packing_efficiency(packs: Sequence[Pack], max_length: int) -> float:
    """Share of the rows' token slots holding real tokens."""
    return sum(len(pack) for pack in packs) / (len(packs) * max_length) if packs else 0.0


def unpack_labels(pack: Pack) -> list[list[int]]:
    """The labels of each example in a row, in packing order."""
    out, start = [], 0
    for length in pack.lengths:
        out.append(pack.labels[start: start + length])
        start += length
    return out


def collate_packed(packs: Sequence[Pack], pad_token_id: int,
                   attention: Attention = "position_ids") -> dict[str, Any]:
    """Rows -> model inputs: input_ids, labels, position_ids, and for "block_mask" an
    attention_mask (batch, 1, L, L) of booleans, else use_cache=False (and for "segments" the
    rows' example lengths, padding last, as `segment_lengths`).
    Rows are right-padded to the longest."""
    import torch

    width = max(len(pack) for pack in packs)
    shared = any(pack.shares_prefixes for pack in packs)
    if shared and attention == "position_ids":
        raise TrainingError("rows with shared prefixes need packing_attention 'segments' or 'block_mask': "
                            "position_ids cannot say which branch attends to which prefix")
    input_ids, labels, positions, lengths, layouts = [], [], [], [], []
    for pack in packs:
        pad = width - len(pack)
        input_ids.append(pack.input_ids + [pad_token_id] * pad)
        labels.append(pack.labels + [IGNORE_INDEX] * pad)
        positions.append(pack.position_ids + list(range(pad)))
        lengths.append(pack.lengths + ([pad] if pad else []))
        layouts.append(pack.layout + ([(0, [pad])] if pad else []))
    batch: dict[str, Any] = {
        "input_ids": torch.tensor(input_ids, dtype=torch.long),
        "labels": torch.tensor(labels, dtype=torch.long),
        "position_ids": torch.tensor(positions, dtype=torch.long),
    }
    if attention == "block_mask":
        batch["attention_mask"] = shared_block_mask(layouts, width) if shared else block_causal_mask(lengths, width)
    else:
        batch["use_cache"] = False  # see the module docstring: with a cache, resets are ignored
    if attention == "segments":
        if shared:
            batch["shared_segments"] = layouts
        else:
            batch["segment_lengths"] = lengths
    return batch


def block_causal_mask(lengths: Sequence[Sequence[int]], width: int):
    """(batch, 1, width, width) bool: True where query i may attend key j, i.e. j <= i and both
    in the same example. `lengths` holds each row's example lengths (summing to width)."""
    import torch

    mask = torch.zeros(len(lengths), 1, width, width, dtype=torch.bool)
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    for row, row_lengths in enumerate(lengths):
        if sum(row_lengths) != width:
            raise TrainingError(f"row {row}: example lengths sum to {sum(row_lengths)}, not {width}")
        start = 0
        for length in row_lengths:
            end = start + length
            mask[row, 0, start:end, start:end] = causal[:length, :length]
            start = end
    return mask


def shared_block_mask(layouts: Sequence[Sequence[tuple[int, Sequence[int]]]], width: int):
    """(batch, 1, width, width) bool for rows of groups (`Pack.layout`): a prefix attends
    causally to itself, a branch to its group's prefix and causally to itself."""
    import torch

    mask = torch.zeros(len(layouts), 1, width, width, dtype=torch.bool)
    causal = torch.ones(width, width, dtype=torch.bool).tril()
    for row, layout in enumerate(layouts):
        start = 0
        for shared, branches in layout:
            mask[row, 0, start:start + shared, start:start + shared] = causal[:shared, :shared]
            branch_start = start + shared
            for length in branches:
                end = branch_start + length
                mask[row, 0, branch_start:end, start:start + shared] = True
                mask[row, 0, branch_start:end, branch_start:end] = causal[:length, :length]
                branch_start = end
            start = branch_start
        if start != width:
            raise TrainingError(f"row {row}: groups cover {start} tokens, not {width}")
    return mask


# ---- the padding fallback -------------------------------------------------------------------
def length_grouped_batches(lengths: Sequence[int], batch_size: int, seed: int = 0,
                           group_batches: int = 50) -> list[list[int]]:
    """Indices in batches of similar length (little padding) yet in a shuffled order: shuffle,
    cut into groups of `group_batches` batches, sort each group by length, batch it, shuffle the
    batches; the batch holding the longest example goes first, so memory runs out at once if
    it will."""
    rng = random.Random(seed)
    indices = list(range(len(lengths)))
    rng.shuffle(indices)
    group = batch_size * group_batches
    batches: list[list[int]] = []
    for start in range(0, len(indices), group):
        chunk = sorted(indices[start: start + group], key=lambda i: lengths[i], reverse=True)
        batches += [chunk[i: i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    if batches:
        longest = max(range(len(batches)), key=lambda b: max(lengths[i] for i in batches[b]))
        batches.insert(0, batches.pop(longest))
    return batches


def collate_padded(examples: Sequence[TokenizedExample], pad_token_id: int) -> dict[str, Any]:
    """Right-padded input_ids, labels (IGNORE_INDEX on padding) and a 2D attention_mask."""
    import torch

    width = max(len(example) for example in examples)
    input_ids, labels, attention = [], [], []
    for example in examples:
        pad = width - len(example)
        input_ids.append(example.input_ids + [pad_token_id] * pad)
        labels.append(example.labels + [IGNORE_INDEX] * pad)
        attention.append([1] * len(example) + [0] * pad)
    return {"input_ids": torch.tensor(input_ids, dtype=torch.long),
            "labels": torch.tensor(labels, dtype=torch.long),
            "attention_mask": torch.tensor(attention, dtype=torch.long)}


def make_batches(examples: Sequence[TokenizedExample], *, max_length: int, batch_size: int,
                 pad_token_id: int, packing: bool = True, attention: Attention = "position_ids",
                 seed: int = 0, share_prefixes: bool = False) -> list[dict[str, Any]]:
    """One epoch of batches. packing=True: rows packed to max_length, `batch_size` rows a batch,
    in a shuffled order; packing=False: length-grouped padded batches of `batch_size` examples."""
    if packing:
        packs = pack_examples(examples, max_length, share_prefixes)
        random.Random(seed).shuffle(packs)
        return [collate_packed(packs[i: i + batch_size], pad_token_id, attention)
                for i in range(0, len(packs), batch_size)]
    groups = length_grouped_batches([len(example) for example in examples], batch_size, seed)
    return [collate_padded([examples[i] for i in group], pad_token_id) for group in groups]
