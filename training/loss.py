"""The causal-LM loss, with logits only where there is loss.

With assistant-only labels most positions of a batch carry no loss, yet a plain forward pass
projects every position onto the vocabulary (49k for SmolLM2): for a 135M model the lm_head is a
large share of the FLOPs, and the fp32 logits are the largest tensor of the step (FACTS.md).
`causal_lm_loss` asks the model for logits at the labelled positions only, through transformers'
`logits_to_keep` with a boolean (batch, length) mask (transformers 5: the hidden states are
selected before `lm_head`, the logits come back flattened to (kept, vocab)). The call goes through
the top-level model, so peft, accelerate's autocast wrapper and DDP / FSDP / DeepSpeed wrappers
all see an ordinary forward pass; anything the model does after lm_head (e.g. logit soft-capping)
is kept. The loss is the mean cross-entropy over the labelled tokens, in fp32, as transformers'
own `ForCausalLMLoss` computes it: position t predicts token t+1.
"""
from __future__ import annotations

import inspect
import logging
from typing import Any

from training.render import IGNORE_INDEX

logger = logging.getLogger(__name__)


def loss_positions(labels):
    """(batch, length) bool: True at position t when token t+1 is labelled (carries loss)."""
    import torch

    keep = torch.zeros_like(labels, dtype=torch.bool)
    keep[:, :-1] = labels[:, 1:] != IGNORE_INDEX
    return keep


def loss_targets(labels):
    """The labelled next tokens, flattened in the order `loss_positions` selects them."""
    shifted = labels[:, 1:]
    return shifted[shifted != IGNORE_INDEX]


def supports_selective_logits(model: Any) -> bool:
    """Whether the (possibly wrapped) causal LM's forward takes `logits_to_keep` and this
    transformers slices with a boolean mask (`modeling_utils.slice_logits_to_keep`, 5.x)."""
    from transformers import modeling_utils

    if not hasattr(modeling_utils, "slice_logits_to_keep"):
        return False
    inner = model
    while hasattr(inner, "module"):  # DDP, FSDP and DeepSpeed wrappers
        inner = inner.module
    if hasattr(inner, "get_base_model"):  # peft
        inner = inner.get_base_model()
    try:
        return "logits_to_keep" in inspect.signature(inner.forward).parameters
    except (TypeError, ValueError):
        return False


def causal_lm_loss(model: Any, batch: dict[str, Any], selective: bool = True):
    """Mean next-token cross-entropy over the labelled tokens of `batch` (input_ids, labels and
    whatever else the model takes). `selective`: logits at the labelled positions only; else
    the full logits (the reference, and the path for models without `logits_to_keep`). A batch
    without loss tokens gives a zero that still backpropagates (every process runs a backward)."""
    import torch.nn.functional as F

    labels = batch["labels"]
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    targets = loss_targets(labels)
    if selective:
        logits = model(**inputs, logits_to_keep=loss_positions(labels)).logits
    else:
        logits = model(**inputs).logits[:, :-1][labels[:, 1:] != IGNORE_INDEX]
    if targets.numel() == 0:
        return logits.sum() * 0.0
    return F.cross_entropy(logits.float(), targets.to(logits.device))
