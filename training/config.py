"""The typed configuration of one training run, and its YAML loader.

One `TrainConfig` describes a run from model to saved adapter: which model (`bundled`, a .gguf
file, a Hugging Face folder or hub id), which method (`full`, `lora`, `qlora`), which task
(`sft` on conversations with loss on assistant tokens only, or `pretrain` on raw text, XTuner's
incremental pre-training: the same flow with the text reader), the data, and the optimisation.
Every field has a description; the CLI builds its flags from them and a recipe is a YAML file of
the same fields (training/recipes/). Relative paths in a YAML file are taken relative to the
current directory, as on the command line; `$VARS` and `~` are expanded.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tools import lingxi_home
from tools.scenarios import KINDS, MEDIA_KINDS
from training.errors import TrainingError

TOOL_USE_KINDS = KINDS + MEDIA_KINDS
"""The kinds the tool-use builder renders (training/converters/tool_use.py `BUILT_KINDS`)."""

Method = Literal["full", "lora", "qlora"]
Task = Literal["sft", "pretrain"]
DataFormat = Literal["auto", "openai", "sharegpt", "alpaca", "text"]
PublicSource = Literal["glaive", "seal_tools", "api_bank"]
"""The public training sources of `public_sets` (training/converters/public.py)."""
RECIPES_DIR = Path(__file__).parent / "recipes"
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")


class ConfigError(TrainingError):
    """A training config that cannot be read or is inconsistent; the message names the field."""


def native_bf16(device: str = "auto") -> bool:
    """Whether bf16 runs natively here: a CUDA GPU that supports it, else a CPU with avx512_bf16 or
    AMX (oneDNN's own check). On an AVX2-only CPU a bf16 matmul is emulated: measured 50x slower
    than fp32 on the 2-core AMD EPYC development machine."""
    import torch

    if device != "cpu" and torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def default_data_dir() -> Path:
    """Where the public sets live: $LINGXI_DATA_DIR, or ../shared/data beside the repository."""
    return Path(os.environ.get("LINGXI_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")


class TrainConfig(BaseModel):
    """One training run. Method and task are options of the same flow (training/trainer.py)."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # ---- what ---------------------------------------------------------------------------------
    name: str | None = Field(None, description="run name; the output folder is $LINGXI_HOME/runs/<name> "
                                               "(default: the recipe file's name, else '<method>-<task>')")
    model: str = Field("bundled", description="base model: 'bundled' (SmolLM2-135M-Instruct), a .gguf file, "
                                              "a Hugging Face folder or a hub id")
    method: Method = Field("lora", description="full: every weight; lora: a peft LoRA adapter; qlora: LoRA on "
                                               "a bitsandbytes 4-bit NF4 base")
    task: Task = Field("sft", description="sft: conversations, loss on assistant tokens only; pretrain: raw "
                                          "text (incremental pre-training), loss on every token")

    # ---- data ---------------------------------------------------------------------------------
    data: list[str] = Field(default_factory=list, description="training data files (OpenAI JSONL, ShareGPT, "
                                                              "Alpaca, .txt / {'text'} records)")
    data_format: DataFormat = Field("auto", description="format of the data files (auto: detected per file)")
    public_sets: str | None = Field(None, description="a folder of public sets (glaive demos, Seal-Tools dev, "
                                                      "API-Bank level-1) converted and added to the data; "
                                                      "'default' means $LINGXI_DATA_DIR or ../shared/data")
    public_share: float = Field(1.0, gt=0, le=1, description="share of the public-set conversations to use "
                                                           "(a fixed-seed sample)")
    public_held_out: list[PublicSource] = Field(["api_bank"], description="public sources never trained on, so "
                                                "that their benchmarks measure function sets the model has not "
                                                "seen (the eval card's held-out column); API-Bank level-1 by "
                                                "default, whose benchmark asks the very dialogues it trains on")
    public_irrelevant_share: float = Field(0.0, ge=0, le=1, description="share of Seal-Tools queries that also "
                                                                        "yield a no-call example with unrelated tools")
    tool_use: int = Field(0, ge=0, description="conversations per scenario kind from Lingxi's tool-use builder "
                                               "(calculator, python, web search, knowledge base, pages, chat, "
                                               "unserved requests, and the media tools: ocr, speech_to_text, "
                                               "text_to_speech; English and Chinese)")
    tool_use_weights: dict[str, float] = Field(default_factory=dict, description="per-kind multipliers of "
                                                                                 "tool_use, e.g. {irrelevant: 1.5}")
    tool_use_all_tools_share: float = Field(0.5, ge=0, le=1, description="share of builder conversations that "
                                                                         "offer all five tools, as the app does")
    tool_use_public_chat: bool = Field(False, description="add the glaive demos' conversations without calls and "
                                                          "the identity set, offered Lingxi's tools (from "
                                                          "public_sets, else the default data folder)")
    tool_use_gsm8k: int = Field(0, ge=0, description="GSM8K train items as multi-step calculator trajectories "
                                                     "(from the public-sets folder, gsm8k/train.jsonl)")
    tool_use_multistep: int = Field(0, ge=0, description="multi-step conversations that chain two tools across "
                                                         "turns: the knowledge base, web search or a page finds a "
                                                         "number, then the calculator computes with it (English "
                                                         "and Chinese; training/converters/multistep.py)")
    tool_use_public_irrelevance: int = Field(0, ge=0, description="BFCL-style irrelevance conversations: public "
                                                                  "tool schemas offered with requests none of them "
                                                                  "serve, answered without a call (schemas from the "
                                                                  "public-sets folder, less public_held_out)")
    clean_data: bool = Field(False, description="clean the assembled conversations before training (`lingxi data "
                                                "clean`'s steps with its defaults: exact and near duplicates, "
                                                "leakage against the held-out tool-use splits, length, language); "
                                                "the report goes to the run folder as clean.report.json")
    max_examples: int | None = Field(None, ge=1, description="use at most this many examples (after shuffling)")
    eval_data: list[str] = Field(default_factory=list, description="held-out files for the eval loss")
    eval_share: float = Field(0.0, ge=0, lt=1, description="share of the training examples held out for "
                                                           "the eval loss when eval_data is empty")
    skip_bad_records: bool = Field(True, description="leave out (and log) records with errors instead of "
                                                     "stopping at the first one")
    max_length: int = Field(1024, ge=16, description="longest sequence in tokens; longer conversations are "
                                                     "cut after the last assistant turn that fits")
    packing: bool = Field(True, description="pack several examples into each row (no cross-attention); "
                                            "off: length-grouped padded batches")
    packing_attention: Literal["segments", "position_ids", "block_mask"] = Field(
        "segments", description="how packed examples are kept apart: per-example attention (sdpa cut at "
                                "the example boundaries, training/attention.py), position_ids resets "
                                "(sdpa/flash) or an explicit 4D block mask")
    pack_length: int | None = Field(None, ge=16, description="tokens per packed row (default: max_length); longer "
                                                              "rows hold more examples, and more branches of a "
                                                              "shared prefix")
    share_prefixes: bool = Field(False, description="examples that open with the same tokens (a system prompt "
                                                    "with its tools) are packed as one group that evaluates the "
                                                    "opening once; the same loss and gradients "
                                                    "(training/prefix_sharing.py). Needs packing_attention "
                                                    "'segments' on sdpa, or 'block_mask'")

    # ---- optimisation ------------------------------------------------------------------------
    batch_size: int = Field(4, ge=1, description="rows (packed) or examples (padded) per micro-batch")
    grad_accum: int = Field(1, ge=1, description="micro-batches per optimizer step")
    lr: float = Field(2e-4, gt=0, description="peak learning rate (AdamW)")
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay")
    epochs: float = Field(1.0, gt=0, description="passes over the data (fractions allowed)")
    max_steps: int | None = Field(None, ge=1, description="optimizer steps; overrides epochs")
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="share of the steps with a linear warm-up; "
                                                              "then linear decay to 0")
    max_grad_norm: float = Field(1.0, gt=0, description="gradient clipping (global L2 norm)")
    bf16: bool | Literal["auto"] = Field("auto", description="bf16 autocast; weights and optimizer stay fp32. "
                                         "auto: on where the hardware computes bf16 natively (CUDA with bf16, "
                                         "CPUs with avx512_bf16 or AMX), off elsewhere, where emulated bf16 is "
                                         "tens of times slower than fp32")
    gradient_checkpointing: bool = Field(False, description="recompute activations in backward: about half "
                                                            "the memory, about a third slower")
    seed: int = Field(0, description="seed of shuffling, dropout and LoRA initialisation")
    threads: int | None = Field(None, ge=1, description="CPU threads for torch (default: torch's choice)")
    device: str = Field("auto", description="auto, cpu or cuda (under `accelerate launch` accelerate decides)")

    # ---- LoRA --------------------------------------------------------------------------------
    lora_r: int = Field(16, ge=1, description="LoRA rank")
    lora_alpha: int = Field(32, ge=1, description="LoRA alpha (scale = alpha / r)")
    lora_dropout: float = Field(0.05, ge=0, lt=1, description="dropout on the LoRA input")
    lora_target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="modules that get an adapter: 'all-linear' or names such as q_proj, v_proj")

    # ---- output ------------------------------------------------------------------------------
    output_dir: str | None = Field(None, description="where the run writes (default $LINGXI_HOME/runs/<name>)")
    save_steps: int = Field(50, ge=1, description="checkpoint every N optimizer steps (and at the end)")
    keep_checkpoints: int = Field(2, ge=1, description="how many recent checkpoints to keep")
    eval_steps: int | None = Field(None, ge=1, description="eval loss every N steps (default: at the end only)")
    log_steps: int = Field(1, ge=1, description="a metrics line (and a progress call) every N steps")

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and not _NAME.match(value):
            raise ValueError("a run name is letters, digits, '.', '_' and '-', starting with a letter or digit")
        return value

    @field_validator("lora_target_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: Any) -> Any:
        if isinstance(value, str) and value != "all-linear":
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check_consistency(self) -> "TrainConfig":
        if self.task == "pretrain" and (self.public_sets or self.tool_use or self.tool_use_gsm8k
                                        or self.tool_use_multistep or self.tool_use_public_irrelevance):
            raise ValueError("public_sets and tool_use are conversations: use task 'sft' (pretrain reads raw text)")
        unknown = set(self.tool_use_weights) - set(TOOL_USE_KINDS)
        if unknown:
            raise ValueError(f"tool_use_weights: unknown kind(s) {sorted(unknown)}; kinds: {', '.join(TOOL_USE_KINDS)}")
        if self.task == "pretrain" and self.data_format not in ("auto", "text"):
            raise ValueError("task 'pretrain' reads raw text: data_format must be 'auto' or 'text'")
        if self.pack_length is not None and self.pack_length < self.max_length:
            raise ValueError(f"pack_length {self.pack_length} is shorter than max_length {self.max_length}: "
                             "an example of max_length tokens would not fit a row")
        if self.share_prefixes and (not self.packing or self.packing_attention == "position_ids"):
            raise ValueError("share_prefixes needs packing with packing_attention 'segments' or 'block_mask' "
                             "(position_ids cannot keep one example's branch from another's)")
        return self

    # ---- derived -----------------------------------------------------------------------------
    @property
    def row_length(self) -> int:
        """Tokens per packed row."""
        return self.pack_length or self.max_length

    @property
    def run_name(self) -> str:
        return self.name or f"{self.method}-{self.task}"

    @property
    def out_dir(self) -> Path:
        return Path(self.output_dir).expanduser() if self.output_dir else lingxi_home() / "runs" / self.run_name

    @property
    def uses_lora(self) -> bool:
        return self.method in ("lora", "qlora")

    @property
    def use_bf16(self) -> bool:
        """`bf16` with "auto" decided for this machine (`native_bf16`)."""
        return native_bf16(self.device) if self.bf16 == "auto" else bool(self.bf16)

    def data_paths(self) -> list[Path]:
        return [Path(_expand(path)) for path in self.data]

    def public_sets_dir(self) -> Path | None:
        if not self.public_sets:
            return None
        return default_data_dir() if self.public_sets == "default" else Path(_expand(self.public_sets))

    def builder_data_dir(self) -> Path:
        """The folder the tool-use builder reads GSM8K and the public chats from: public_sets when
        given, else the default data folder."""
        return self.public_sets_dir() or default_data_dir()

    def check_inputs(self) -> None:
        """Raise ConfigError for data the run cannot start without (called before any loading)."""
        if not (self.data or self.public_sets or self.tool_use or self.tool_use_gsm8k or self.tool_use_multistep
                or self.tool_use_public_chat or self.tool_use_public_irrelevance):
            raise ConfigError("no training data: set `data` (files), `public_sets` (a folder) or `tool_use`")
        for path in [*self.data_paths(), *(Path(_expand(p)) for p in self.eval_data)]:
            if not path.is_file():
                raise ConfigError(f"data file not found: {path}")
        folder = self.public_sets_dir()
        if self.tool_use_gsm8k and not (self.builder_data_dir() / "gsm8k" / "train.jsonl").is_file():
            raise ConfigError(f"tool_use_gsm8k needs {self.builder_data_dir() / 'gsm8k' / 'train.jsonl'} "
                              "(set LINGXI_DATA_DIR or public_sets)")
        if self.tool_use_public_chat and not (self.builder_data_dir() / "train_toolcall").is_dir():
            raise ConfigError(f"tool_use_public_chat needs {self.builder_data_dir() / 'train_toolcall'} "
                              "(the glaive demos and identity.json; set LINGXI_DATA_DIR or public_sets)")
        if self.tool_use_public_irrelevance and not self._has_irrelevance_schemas():
            raise ConfigError(f"tool_use_public_irrelevance needs public tool schemas under {self.builder_data_dir()} "
                              "(seal_tools/tool.jsonl, api_bank/apis.json or train_toolcall/glaive_toolcall_*.json, "
                              f"from sources not in public_held_out {self.public_held_out}; set LINGXI_DATA_DIR or "
                              "public_sets)")
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"public_sets folder not found: {folder} (set LINGXI_DATA_DIR or the path)")

    def _has_irrelevance_schemas(self) -> bool:
        """Whether the builder's data folder holds the schemas of a public source not held out."""
        from training.converters.irrelevance import SCHEMA_FILES

        folder = self.builder_data_dir()
        return any((folder / name).is_file() for source, names in SCHEMA_FILES.items()
                   if source not in self.public_held_out for name in names)


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


def load_config(path: str | Path, **overrides: Any) -> TrainConfig:
    """A TrainConfig from a YAML file (or a recipe name such as 'lora_toolcall'), with
    `overrides` (field=value, e.g. from CLI flags) applied on top. Raises ConfigError naming the
    file and each bad field."""
    import yaml

    file = resolve_recipe(path)
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{file}: not valid YAML: {error}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected a mapping of config fields, got {type(raw).__name__}")
    raw.update({key: value for key, value in overrides.items() if value is not None})
    raw.setdefault("name", file.stem)
    try:
        return TrainConfig(**raw)
    except ValidationError as error:
        raise ConfigError(f"{file}: invalid training config:\n{_describe(error)}") from None


def resolve_recipe(path: str | Path) -> Path:
    """A YAML path, or the name of a shipped recipe ('smoke' -> training/recipes/smoke.yaml)."""
    file = Path(path).expanduser()
    if file.is_file():
        return file
    shipped = RECIPES_DIR / f"{Path(path).stem}.yaml"
    if file.suffix in ("", ".yaml", ".yml") and shipped.is_file() and len(Path(path).parts) == 1:
        return shipped
    names = ", ".join(sorted(recipe.stem for recipe in RECIPES_DIR.glob("*.yaml")))
    raise ConfigError(f"config not found: {path} (a YAML file, or a shipped recipe: {names})")


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"]) or "(config)"
        lines.append(f"  - {where}: {item['msg']}")
    return "\n".join(lines)


def config_to_yaml(config: TrainConfig) -> str:
    """The config as YAML, every field included (written into each run folder)."""
    import yaml

    return yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False, allow_unicode=True)
