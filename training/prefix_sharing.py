"""Shared prefixes: examples that open with the same tokens are evaluated with them once.

In tool-use data most of an example is its system prompt: the five tools' schemas are ~750 tokens,
the request and the answer ~100-300. Packed as usual, every example evaluates that prompt again.
Here examples with a common opening form a *group*, laid out in a packed row as

    [prefix][branch 1][branch 2]...

where the prefix is the opening they share and each branch is the rest of one example. A branch
attends to the prefix and causally to itself, never to another branch, and its positions continue
the prefix's (S, S+1, ... for a prefix of S tokens), so every branch token sees exactly the context
and the positions it has alone: its hidden states, its logits and its loss are those of the
example alone. The prefix is computed once and its gradient is the sum of what each example would
send it, so the step's gradient is the one the examples give packed apart (with dropout off; with
LoRA dropout the prefix draws one mask for the group instead of one per example). Tested against
the examples packed apart, loss and gradients, in tests/test_prefix_sharing.py.

The one condition: no loss is lost or counted once instead of k times. A causal LM's loss at
position t predicts token t+1, so the prefix may hold no labelled token, and the first token of
each branch may not be labelled either (the prefix's last position can predict only one next
token). `shared_length` cuts the common opening back to that.

Attention (training/attention.py, `shared_prefix_sdpa`; or an explicit mask, `shared_block_mask`):
the layout cannot be told to sdpa or flash kernels through position_ids, so sharing needs
`packing_attention: segments` (or `block_mask`) on a model whose attention is sdpa.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from training.render import IGNORE_INDEX, TokenizedExample

MIN_SHARED = 32
"""Openings shorter than this are not shared: a branch costs an attention call of its own per
layer, which a few tokens saved do not pay for."""


@dataclass
class Group:
    """Examples laid out as one shared prefix and a branch each. A group of one example has no
    prefix (`shared == 0`): the example itself, as packing has always laid it out."""

    shared: int = 0
    input_ids: list[int] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    position_ids: list[int] = field(default_factory=list)
    branch_lengths: list[int] = field(default_factory=list)
    ids: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.input_ids)

    @property
    def example_tokens(self) -> int:
        """Tokens the group's examples hold apart (what evaluating them one by one costs)."""
        return sum(self.shared + length for length in self.branch_lengths)


def group_of(examples: Sequence[TokenizedExample], shared: int) -> Group:
    """Lay `examples` out as a group sharing their first `shared` tokens (`shared_length` of them,
    or less; 0 for a single example)."""
    first = examples[0]
    group = Group(shared=shared, input_ids=first.input_ids[:shared], labels=[IGNORE_INDEX] * shared,
                  position_ids=list(range(shared)))
    for example in examples:
        if example.input_ids[:shared] != first.input_ids[:shared]:
            raise ValueError(f"example {example.id} does not open with the group's {shared} shared tokens")
        if any(label != IGNORE_INDEX for label in example.labels[1:shared + 1]):
            raise ValueError(f"example {example.id} has loss within its first {shared + 1} tokens; "
                             "they cannot be shared")
        branch = example.input_ids[shared:]
        group.input_ids += branch
        # A branch's first label is never used: its first token follows the prefix's last
        # position, which in the row precedes the first branch only (see the module docstring).
        group.labels += [IGNORE_INDEX, *example.labels[shared + 1:]]
        group.position_ids += range(shared, len(example))
        group.branch_lengths.append(len(branch))
        group.ids.append(example.id)
    return group


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    """Length of the longest common prefix of two token lists."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def unlabelled_opening(example: TokenizedExample) -> int:
    """The longest prefix an example can share: its tokens before the position preceding its
    first labelled token (labels[1:S + 1] all ignored; the first label is never used)."""
    for index in range(1, len(example.labels)):
        if example.labels[index] != IGNORE_INDEX:
            return index - 1
    return len(example) - 1


def group_examples(examples: Sequence[TokenizedExample], max_length: int,
                   min_shared: int = MIN_SHARED) -> list[Group]:
    """Groups of examples that share an opening of at least `min_shared` tokens, each at most
    `max_length` tokens laid out; every example in exactly one group (alone where it shares
    nothing). Examples are taken in token order, so neighbours share their longest openings;
    the groups are deterministic for given examples."""
    order = sorted(range(len(examples)), key=lambda i: examples[i].input_ids)
    groups: list[Group] = []
    members: list[TokenizedExample] = []
    shared = 0

    def close() -> None:
        if members:
            groups.append(group_of(members, shared if len(members) > 1 else 0))

    for index in order:
        example = examples[index]
        if members:
            candidate = min(shared, common_prefix(members[-1].input_ids, example.input_ids),
                            unlabelled_opening(example))
            laid_out = candidate + sum(len(m) - candidate for m in members) + len(example) - candidate
            if candidate >= min_shared and laid_out <= max_length:
                members.append(example)
                shared = candidate
                continue
            close()
        members, shared = [example], unlabelled_opening(example)
    close()
    return groups
