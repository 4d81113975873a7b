"""All public training sets of ../shared/data in one call (those present; a fresh clone has none)."""
from __future__ import annotations

import logging
from pathlib import Path

from training.converters import Converted, api_bank, glaive, seal_tools

logger = logging.getLogger(__name__)

GLAIVE_FILES = ("glaive_toolcall_en_demo.json", "glaive_toolcall_zh_demo.json")


def convert_public_sets(data_dir: str | Path, distractors: int = 2, seed: int = 0,
                        irrelevant_share: float = 0.0) -> list[Converted]:
    """glaive demos (en, zh), Seal-Tools dev, API-Bank level-1: whichever are under data_dir."""
    data_dir = Path(data_dir)
    results: list[Converted] = []
    for name in GLAIVE_FILES:
        path = data_dir / "train_toolcall" / name
        if path.is_file():
            results.append(glaive.convert(path))
    if (data_dir / "seal_tools" / "dev.jsonl").is_file():
        results.append(seal_tools.convert(data_dir / "seal_tools", "dev", distractors, seed, irrelevant_share))
    if (data_dir / "api_bank" / "apis.json").is_file():
        results.append(api_bank.convert(data_dir / "api_bank", distractors, seed))
    if not results:
        logger.warning("no public training set found under %s", data_dir)
    return results
