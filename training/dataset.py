"""The data step of a run: files -> examples -> token ids with loss masks -> a batch stream.

Reading goes through training.formats (and training.converters for public sets), rendering
through training.render (loss on assistant tokens for SFT, on every token for pretraining),
batching through training.packing. `BatchStream` is the epochs laid end to end as one sequence
of micro-batches: micro-batch `i` is always the same batch for the same config, so a resumed
run continues exactly at the data position its checkpoint stored.
"""
from __future__ import annotations

import json
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from training.config import ConfigError, TrainConfig
from training.conversation import Conversation, TextExample
from training.formats import read_examples
from training.packing import (Pack, collate_packed, collate_padded, length_grouped_batches, pack_examples,
                              packing_efficiency)
from training.render import IGNORE_INDEX, RenderStats, SFTRenderer, TokenizedExample

logger = logging.getLogger(__name__)


@dataclass
class RunData:
    train: list[TokenizedExample]
    eval: list[TokenizedExample]
    stats: RenderStats
    examples: int
    """Examples read (before rendering and the eval split)."""
    sources: dict[str, int] = field(default_factory=dict)
    """Examples read per source: a data file's name, or a builder's `kind` (lingxi_tool_use:calculator)."""


def read_run_examples(config: TrainConfig) -> list[Conversation | TextExample]:
    """Every example the config names, checked against the task, shuffled, cut to max_examples."""
    errors = "skip" if config.skip_bad_records else "raise"
    examples: list[Conversation | TextExample] = []
    for path in config.data_paths():
        examples += read_examples(path, config.data_format, errors=errors)
    folder = config.public_sets_dir()
    if folder is not None:
        from training.converters.public import convert_public_sets

        for converted in convert_public_sets(folder, irrelevant_share=config.public_irrelevant_share,
                                             held_out=config.public_held_out):
            logger.info("%s", converted.summary())
            conversations = converted.conversations
            if config.public_share < 1:
                keep = round(len(conversations) * config.public_share)
                conversations = random.Random(f"{config.seed}-{converted.name}").sample(conversations, keep)
            examples += conversations
    examples += tool_use_examples(config)
    wanted = TextExample if config.task == "pretrain" else Conversation
    wrong = [example for example in examples if not isinstance(example, wanted)]
    if wrong:
        kind = "raw text" if config.task == "pretrain" else "conversations"
        raise ConfigError(f"task {config.task!r} trains on {kind}, but {len(wrong)} example(s) are "
                          f"{type(wrong[0]).__name__}s (from {wrong[0].source})")
    if not examples:
        raise ConfigError("the data files hold no usable examples")
    if config.clean_data and wanted is Conversation:
        examples = clean_examples(examples, config.out_dir / "clean.report.json")
    random.Random(config.seed).shuffle(examples)
    return examples[: config.max_examples] if config.max_examples else examples


def clean_examples(conversations: list[Conversation], report_path: Path) -> list[Conversation]:
    """The conversations `lingxi data clean` would keep (its default steps), in order; its report
    is written to `report_path`."""
    from training.clean import clean

    _, report = clean([conversation.to_record() for conversation in conversations])
    dropped = {drop.index for drop in report.drops}
    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    logger.info("cleaning kept %d of %d conversations (dropped: %s); report: %s", len(conversations) - len(dropped),
                len(conversations), dict(report.dropped), report_path)
    return [conversation for index, conversation in enumerate(conversations) if index not in dropped]


def tool_use_examples(config: TrainConfig) -> list[Conversation]:
    """The tool-use builder's conversations the config asks for (training/converters/tool_use.py)."""
    if not (config.tool_use or config.tool_use_gsm8k or config.tool_use_multistep or config.tool_use_public_chat
            or config.tool_use_public_irrelevance):
        return []
    from training.converters.tool_use import convert_gsm8k, convert_public_chat, convert_scenarios

    converted = []
    if config.tool_use:
        converted.append(convert_scenarios(config.tool_use, config.seed, config.tool_use_weights,
                                           config.tool_use_all_tools_share))
    if config.tool_use_public_chat:
        converted.append(convert_public_chat(config.builder_data_dir(), config.seed, config.tool_use_all_tools_share))
    if config.tool_use_gsm8k:
        converted.append(convert_gsm8k(config.builder_data_dir(), config.tool_use_gsm8k, config.seed,
                                       all_tools_share=config.tool_use_all_tools_share))
    if config.tool_use_multistep:
        from training.converters.multistep import convert_multistep

        converted.append(convert_multistep(config.tool_use_multistep, config.seed, config.tool_use_all_tools_share))
    if config.tool_use_public_irrelevance:
        from training.converters.irrelevance import convert_irrelevance

        converted.append(convert_irrelevance(config.builder_data_dir(), config.tool_use_public_irrelevance,
                                             config.seed, held_out=config.public_held_out))
    for result in converted:
        logger.info("%s", result.summary())
    return [conversation for result in converted for conversation in result.conversations]


def prepare_data(config: TrainConfig, tokenizer: Any) -> RunData:
    examples = read_run_examples(config)
    renderer = SFTRenderer(tokenizer, max_length=config.max_length)
    if config.eval_data:
        held_out = []
        errors = "skip" if config.skip_bad_records else "raise"
        for path in config.eval_data:
            held_out += read_examples(path, config.data_format, errors=errors)
        train_examples = examples
    else:
        cut = int(len(examples) * config.eval_share)
        held_out, train_examples = examples[:cut], examples[cut:]
    train = renderer.render_all(train_examples)
    stats = renderer.stats
    evaluation = SFTRenderer(tokenizer, max_length=config.max_length).render_all(held_out)
    if not train:
        raise ConfigError(f"no example fits max_length {config.max_length}: {stats.summary()}")
    logger.info("data: %s", stats.summary())
    return RunData(train, evaluation, stats, len(examples), source_counts(examples))


def source_counts(examples: list[Conversation | TextExample]) -> dict[str, int]:
    """How many examples came from each source, most first (a file by its name)."""
    counts = Counter(_source_label(example.source) for example in examples)
    return dict(counts.most_common())


def _source_label(source: str | None) -> str:
    if not source:
        return "unknown"
    return Path(source).name if "/" in source or "\\" in source else source


def pad_id(tokenizer: Any) -> int:
    for value in (getattr(tokenizer, "pad_token_id", None), getattr(tokenizer, "eos_token_id", None)):
        if value is not None:
            return int(value)
    return 0


class BatchStream:
    """Micro-batches, epoch after epoch, in a fixed order given (config, epoch); with several
    processes each takes every `world`-th batch of an epoch (and the same count)."""

    def __init__(self, examples: list[TokenizedExample], config: TrainConfig, pad_token_id: int,
                 rank: int = 0, world: int = 1, shuffle: bool = True):
        self.config = config
        self.pad_token_id = pad_token_id
        self.rank, self.world, self.shuffle = rank, world, shuffle
        self.units: list[Pack] | list[TokenizedExample]
        if config.packing:
            self.units = pack_examples(examples, config.row_length, config.share_prefixes)
            logger.info("packed %d examples into %d rows of %d (%.0f%% filled)", len(examples), len(self.units),
                        config.row_length, 100 * packing_efficiency(self.units, config.row_length))
            if config.share_prefixes:
                laid_out = sum(len(unit) for unit in self.units)
                apart = sum(unit.example_tokens for unit in self.units)
                logger.info("shared prefixes: %d tokens to evaluate instead of %d (%.2fx fewer)",
                            laid_out, apart, apart / max(laid_out, 1))
        else:
            self.units = list(examples)
        self.batches_per_epoch = len(self._all_groups(0)) // world
        if self.batches_per_epoch == 0:
            raise ConfigError(f"too little data for {world} processes: {len(self.units)} rows")

    def _all_groups(self, epoch: int) -> list[list[int]]:
        size = self.config.batch_size
        seed = self.config.seed + epoch
        if self.config.packing:
            order = list(range(len(self.units)))
            if self.shuffle:
                random.Random(seed).shuffle(order)
            return [order[i: i + size] for i in range(0, len(order), size)]
        lengths = [len(unit) for unit in self.units]
        if not self.shuffle:
            return [list(range(i, min(i + size, len(lengths)))) for i in range(0, len(lengths), size)]
        return length_grouped_batches(lengths, size, seed)

    @lru_cache(maxsize=2)
    def _groups(self, epoch: int) -> list[list[int]]:
        return self._all_groups(epoch)[self.rank:: self.world][: self.batches_per_epoch]

    def epoch_of(self, micro_index: int) -> float:
        return micro_index / self.batches_per_epoch

    def batch(self, micro_index: int) -> tuple[dict[str, Any], int]:
        """(model inputs, real token count) of micro-batch `micro_index` of the stream."""
        epoch, index = divmod(micro_index, self.batches_per_epoch)
        units = [self.units[i] for i in self._groups(epoch)[index]]
        if self.config.packing:
            return (collate_packed(units, self.pad_token_id, self.config.packing_attention),
                    sum(len(unit) for unit in units))
        return collate_padded(units, self.pad_token_id), sum(len(unit) for unit in units)

    def epoch_batches(self, epoch: int = 0):
        for index in range(self.batches_per_epoch):
            yield self.batch(epoch * self.batches_per_epoch + index)


def loss_tokens(batch: dict[str, Any]) -> int:
    """Tokens that carry loss after the causal shift (labels[:, 1:])."""
    return int((batch["labels"][:, 1:] != IGNORE_INDEX).sum())
