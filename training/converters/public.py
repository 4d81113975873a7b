"""All public training sets of ../shared/data in one call (those present; a fresh clone has none)."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import get_args

from training.config import PublicSource
from training.converters import Converted, api_bank, glaive, seal_tools

logger = logging.getLogger(__name__)

GLAIVE_FILES = ("glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json")
PUBLIC_SOURCES = get_args(PublicSource)
"""The public training sources by name, as `held_out` and the training config's
`public_held_out` name them."""
SOURCE_BENCHMARKS = {"seal_tools": "seal_tools", "api_bank": "api_bank"}
"""The benchmark that measures each source's function sets (glaive has none): a source held out of
training makes its benchmark a measure of generalization to function sets never seen."""


def convert_public_sets(data_dir: str | Path, distractors: int = 2, seed: int = 0,
                        irrelevant_share: float = 0.0, held_out: tuple[str, ...] | list[str] = ()) -> list[Converted]:
    """glaive demos (en, zh), Seal-Tools dev, API-Bank level-1: whichever are under data_dir,
    except the sources named in `held_out` (never trained on)."""
    unknown = sorted(set(held_out) - set(PUBLIC_SOURCES))
    if unknown:
        raise ValueError(f"unknown public source(s) {unknown}; known: {', '.join(PUBLIC_SOURCES)}")
    data_dir = Path(data_dir)
    results: list[Converted] = []
    for name in GLAIVE_FILES:
        path = data_dir / "train_toolcall" / name
        if path.is_file() and "glaive" not in held_out:
            results.append(glaive.convert(path))
    if (data_dir / "seal_tools" / "dev.jsonl").is_file() and "seal_tools" not in held_out:
        results.append(seal_tools.convert(data_dir / "seal_tools", "dev", distractors, seed, irrelevant_share))
    if (data_dir / "api_bank" / "apis.json").is_file() and "api_bank" not in held_out:
        results.append(api_bank.convert(data_dir / "api_bank", distractors, seed))
    for source in held_out:
        logger.info("public source %s held out of training (generalization is measured on it)", source)
    if not results:
        logger.warning("no public training set found under %s", data_dir)
    return results
