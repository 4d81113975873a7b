"""Per-example attention for packed rows: each example attends causally within itself only, and
nothing is computed across examples.

The other two packed paths (training/packing.py) keep examples apart with a mask: sdpa then
scores every query of a row against every key of the row (a 1,280-token row of two examples
does about twice the attention work it needs) and, given a mask, a CPU falls back from the fused
flash kernel to the general one. Here the row is cut at the example boundaries and each piece
goes through `scaled_dot_product_attention(is_causal=True)` unmasked, which is the fused path.

It is an attention function registered with transformers' `AttentionInterface` under
`SEGMENTED`; the batch passes each row's example lengths as the keyword argument
`segment_lengths`, which transformers forwards from the model's forward to every attention
call. Rows whose examples share a prefix (training/prefix_sharing.py) pass `shared_segments`
instead: per row, (prefix tokens, branch lengths) for each group. Without it (padded batches, generation, a cache) the function is plain sdpa, so a model
switched to it behaves exactly as with "sdpa" everywhere else. The mask registered for it is
sdpa's own, for that fallback.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SEGMENTED = "lingxi_segmented_sdpa"


def segmented_sdpa(module: Any, query, key, value, attention_mask, dropout: float = 0.0,
                   scaling: float | None = None, is_causal: bool | None = None, **kwargs):
    """An `AttentionInterface` function: (batch, heads, length, dim) in, (batch, length, heads,
    dim) out, as transformers' sdpa function returns it."""
    import torch
    import torch.nn.functional as F
    from transformers.integrations.sdpa_attention import repeat_kv, sdpa_attention_forward

    lengths: Sequence[Sequence[int]] | None = kwargs.pop("segment_lengths", None)
    layouts = kwargs.pop("shared_segments", None)
    if (lengths is None and layouts is None) or query.shape[2] != key.shape[2]:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout,
                                      scaling=scaling, is_causal=is_causal, **kwargs)
    groups = getattr(module, "num_key_value_groups", 1)
    if groups > 1:
        key, value = repeat_kv(key, groups), repeat_kv(value, groups)
    if layouts is not None:
        return _shared_prefix_sdpa(query, key, value, layouts, dropout, scaling)
    rows = []
    for row, row_lengths in enumerate(lengths):
        pieces, start = [], 0
        for length in row_lengths:
            end = start + int(length)
            pieces.append(F.scaled_dot_product_attention(
                query[row:row + 1, :, start:end], key[row:row + 1, :, start:end], value[row:row + 1, :, start:end],
                dropout_p=dropout, scale=scaling, is_causal=True))
            start = end
        if start != query.shape[2]:
            raise ValueError(f"row {row}: segment lengths sum to {start}, not the row length {query.shape[2]}")
        rows.append(torch.cat(pieces, dim=2))
    return torch.cat(rows, dim=0).transpose(1, 2).contiguous(), None


def _shared_prefix_sdpa(query, key, value, layouts, dropout: float, scaling: float | None):
    """Rows of groups (training/prefix_sharing.py; `Pack.layout`: (prefix tokens, branch lengths)
    per group): a prefix attends causally to itself, each branch to its group's prefix and
    causally to itself (one sdpa call with the prefix's keys in front and a bottom-right causal
    mask)."""
    import torch
    import torch.nn.functional as F

    rows = []
    for row, layout in enumerate(layouts):
        pieces, start = [], 0
        for shared, branches in layout:
            prefix = slice(start, start + shared)
            if shared:
                pieces.append(F.scaled_dot_product_attention(
                    query[row:row + 1, :, prefix], key[row:row + 1, :, prefix], value[row:row + 1, :, prefix],
                    dropout_p=dropout, scale=scaling, is_causal=True))
            begin = start + shared
            for length in branches:
                end = begin + length
                if not shared:
                    pieces.append(F.scaled_dot_product_attention(
                        query[row:row + 1, :, begin:end], key[row:row + 1, :, begin:end],
                        value[row:row + 1, :, begin:end], dropout_p=dropout, scale=scaling, is_causal=True))
                else:
                    mask = torch.ones(length, shared + length, dtype=torch.bool, device=query.device)
                    mask[:, shared:] = mask[:, shared:].tril()
                    keys = torch.cat([key[row:row + 1, :, prefix], key[row:row + 1, :, begin:end]], dim=2)
                    values = torch.cat([value[row:row + 1, :, prefix], value[row:row + 1, :, begin:end]], dim=2)
                    pieces.append(F.scaled_dot_product_attention(
                        query[row:row + 1, :, begin:end], keys, values, attn_mask=mask,
                        dropout_p=dropout, scale=scaling))
                begin = end
            start = begin
        if start != query.shape[2]:
            raise ValueError(f"row {row}: shared segments cover {start} tokens, not the row length {query.shape[2]}")
        rows.append(torch.cat(pieces, dim=2))
    return torch.cat(rows, dim=0).transpose(1, 2).contiguous(), None


def register() -> str:
    """Make `SEGMENTED` known to transformers (idempotent); returns its name."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    AttentionInterface.register(SEGMENTED, segmented_sdpa)
    AttentionMaskInterface.register(SEGMENTED, sdpa_mask)
    return SEGMENTED


def use_segmented_attention(model: Any) -> bool:
    """Switch a (possibly peft-wrapped) causal LM to per-example attention; False (and nothing
    changed) where its attention is not sdpa, e.g. eager or a flash kernel on a GPU, which
    already take the packed layout from position_ids."""
    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    if getattr(inner.config, "_attn_implementation", None) not in ("sdpa", SEGMENTED):
        return False
    register()
    inner.set_attn_implementation(SEGMENTED)
    return True
